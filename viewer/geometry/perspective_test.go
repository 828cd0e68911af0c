package geometry

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"pulsedesk/viewer"
)

// TestAccuracyPaperQuadPhoto: the GE page laid on a dark table and seen at an
// angle (made by ImageMagick's perspective distortion, so the corners are
// known) gives back its corners, and the warp straightens it.
func TestAccuracyPaperQuadPhoto(t *testing.T) {
	if raceEnabled {
		t.Skip("runs without the race detector (make test-geometry)")
	}
	convert, err := exec.LookPath("convert")
	if err != nil {
		t.Fatalf("ImageMagick convert is required (make deps-test installs it): %v", err)
	}
	src := samplePath(t, "paperecg_fullScan.png")
	out := filepath.Join(t.TempDir(), "photo.jpg")
	// The page (1100×850) on a 1400×1100 dark canvas at (150,125), then its
	// corners moved to known places.
	dst := [4][2]float64{{200, 180}, {1230, 110}, {1290, 1010}, {120, 960}}
	ctrl := fmt.Sprintf("150,125 %g,%g  1250,125 %g,%g  1250,975 %g,%g  150,975 %g,%g",
		dst[0][0], dst[0][1], dst[1][0], dst[1][1], dst[2][0], dst[2][1], dst[3][0], dst[3][1])
	cmd := exec.Command(convert, "-size", "1400x1100", "xc:#3a3a3a",
		"(", src, "-resize", "1100x850!", ")", "-geometry", "+150+125", "-composite",
		"-virtual-pixel", "background", "-background", "#3a3a3a",
		"-distort", "Perspective", ctrl, "-quality", "90", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("convert: %v: %s", err, b)
	}
	img := openPage(t, out, 200)
	quad, ok, conf := DetectPaperQuad(img)
	if !ok {
		t.Fatalf("no paper outline found (confidence %.2f)", conf)
	}
	for i, p := range quad {
		dx, dy := p.X*1400-dst[i][0], p.Y*1100-dst[i][1]
		t.Logf("corner %d: (%.0f, %.0f), true (%.0f, %.0f)", i, p.X*1400, p.Y*1100, dst[i][0], dst[i][1])
		if math.Hypot(dx, dy) > 15 {
			t.Errorf("corner %d off by %.1f px", i, math.Hypot(dx, dy))
		}
	}
	edits, rep := AutoEnhance(img)
	if edits.Perspective == nil {
		t.Fatalf("AutoEnhance suggests no perspective: %+v", edits)
	}
	warped := viewer.ApplyGeometry(img, viewer.Edits{Version: viewer.EditsVersion, Perspective: edits.Perspective})
	deg, _ := Skew(warped)
	if math.Abs(deg) > 0.5 || math.Abs(rep.SkewDegrees) > 0.5 {
		t.Errorf("after the perspective warp the page measures %.2f° (report %.2f°), want near 0", deg, rep.SkewDegrees)
	}
	// A scan with no page edge gets no perspective.
	if _, ok, _ := DetectPaperQuad(openPage(t, src, 200)); ok {
		t.Error("a scan without a visible page edge got a paper outline")
	}
	if _, ok, _ := DetectPaperQuad(openPage(t, samplePath(t, "epcalipers_sampleECG.jpg"), 200)); ok {
		t.Error("a framed scan got a paper outline")
	}
}
