package geometry

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pulsedesk/viewer"
)

// TestAccuracyRealPrintouts measures every real printout: each gets a
// grid scale with a confidence or a clean "no grid found", and the pages of
// known scale measure it.
func TestAccuracyRealPrintouts(t *testing.T) {
	if raceEnabled {
		t.Skip("runs without the race detector (make test-geometry)")
	}
	want := map[string]struct{ pxPerMM, tol float64 }{
		"paperecg_fullScan.png":           {7.874, 0.02}, // letter at 200 DPI
		"epcalipers_sampleECG.jpg":        {5.9, 0.03},   // 150 DPI scan
		"eik_ecg00012.jpg":                {14, 0.03},    // the file claims 600 DPI: the grid wins
		"eik_ecg00053.png":                {7.874, 0.02}, // letter at 200 DPI
		"dcmplot_anonymous_ecg_3x4_1.pdf": {7.874, 0.02}, // vector page rendered at 200 DPI
	}
	files, err := filepath.Glob(filepath.Join(sharedData(t), "images", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no printouts in shared data: %v", err)
	}
	sort.Strings(files)
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-36s %9s %8s %8s %-7s %-10s %5s %6s %s\n", "file", "size", "px/mm x", "px/mm y", "colour", "style", "conf", "skew", "warnings")
	for _, f := range files {
		name := filepath.Base(f)
		img := openPage(t, f, 200)
		rep := Inspect(img)
		g := rep.Grid()
		size := fmt.Sprintf("%dx%d", rep.Width, rep.Height)
		if g.Found {
			fmt.Fprintf(&table, "%-36s %9s %8.3f %8.3f %-7s %-10s %5.2f %+6.2f %s\n", name, size, g.PxPerMMX, g.PxPerMMY, g.Color, g.Style, g.Confidence, rep.SkewDegrees, strings.Join(rep.Warnings, ","))
			if g.Confidence <= 0 || g.Confidence > 1 {
				t.Errorf("%s: grid found with confidence %.3f outside (0,1]", name, g.Confidence)
			}
			cal := g.Calibration()
			if cal.Source != viewer.CalibrationGrid || cal.PxPerMMX != g.PxPerMMX || cal.Confidence != g.Confidence {
				t.Errorf("%s: calibration %+v does not carry the grid %+v", name, cal, g)
			}
			if rep.PxPerMM == nil || contains(rep.Warnings, WarnNoGrid) {
				t.Errorf("%s: report px_per_mm %v / warnings %v disagree with a found grid", name, rep.PxPerMM, rep.Warnings)
			}
		} else {
			fmt.Fprintf(&table, "%-36s %9s %8s %8s %-7s %-10s %5s %+6.2f %s\n", name, size, "-", "-", "-", "no grid found", "-", rep.SkewDegrees, strings.Join(rep.Warnings, ","))
			if rep.PxPerMM != nil || !contains(rep.Warnings, WarnNoGrid) {
				t.Errorf("%s: no grid, but report px_per_mm %v, warnings %v", name, rep.PxPerMM, rep.Warnings)
			}
		}
		if w, ok := want[name]; ok {
			if !g.Found {
				t.Errorf("%s: no grid found, want %.2f px/mm", name, w.pxPerMM)
				continue
			}
			for axis, v := range map[string]float64{"x": g.PxPerMMX, "y": g.PxPerMMY} {
				if e := math.Abs(v-w.pxPerMM) / w.pxPerMM; e > w.tol {
					t.Errorf("%s: %s scale %.3f px/mm, want %.2f ± %.0f %%", name, axis, v, w.pxPerMM, 100*w.tol)
				}
			}
		}
	}
	t.Log(table.String())
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestAccuracyImageMagickTurned checks skew against an independent tool:
// the GE page turned by ImageMagick (whose positive angle is clockwise on
// screen) by +3° and -6° in this app's convention (counter-clockwise
// positive) is measured within 0.2°, sign included, and the suggested
// rotation straightens it to under 0.2°.
func TestAccuracyImageMagickTurned(t *testing.T) {
	if raceEnabled {
		t.Skip("runs without the race detector (make test-geometry)")
	}
	convert, err := exec.LookPath("convert")
	if err != nil {
		t.Fatalf("ImageMagick convert is required (make deps-test installs it): %v", err)
	}
	src := samplePath(t, "paperecg_fullScan.png")
	dir := t.TempDir()
	for _, ccw := range []float64{3, -6} {
		out := filepath.Join(dir, fmt.Sprintf("turned_%+.0f.png", ccw))
		cmd := exec.Command(convert, src, "-background", "white", "-rotate", fmt.Sprintf("%g", -ccw), out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("convert: %v: %s", err, b)
		}
		img := openPage(t, out, 200)
		edits, rep := AutoEnhance(img)
		t.Logf("turned %+.0f° (ImageMagick -rotate %g): measured %+.3f° (confidence %.2f), suggested rotation %+.3f°",
			ccw, -ccw, rep.SkewDegrees, rep.SkewConfidence, edits.Rotation)
		if math.Abs(rep.SkewDegrees-ccw) > 0.2 {
			t.Errorf("turned %+.0f°: measured %+.3f°, want within 0.2°", ccw, rep.SkewDegrees)
		}
		geom := viewer.Edits{Version: viewer.EditsVersion, Rotation: edits.Rotation}
		straight := viewer.ApplyGeometry(img, geom)
		after, _ := Skew(straight)
		t.Logf("after straightening: %+.3f°", after)
		if math.Abs(after) > 0.2 {
			t.Errorf("turned %+.0f°: after the suggested rotation it still measures %+.3f°", ccw, after)
		}
		g := DetectGrid(straight)
		if !g.Found || math.Abs(g.PxPerMM()-7.874)/7.874 > 0.02 {
			t.Errorf("turned %+.0f° and straightened: grid %+v, want 7.87 px/mm", ccw, g)
		}
	}
}
