package geometry

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"pulsedesk/viewer"
	"pulsedesk/viewer/ecgpaper"
)

// Accuracy thresholds over synthetic printouts with exact truth.
const (
	maxMedianSkewErr = 0.1   // degrees
	maxSkewErr       = 0.3   // degrees
	maxMedianScale   = 0.005 // relative px/mm error
	maxScaleErr      = 0.02
	cropSlackMM      = 3.0 // the crop may exceed the trace box by this much per side
	ciCases          = 40  // cases in the seeded subset make test runs (≤ 60)
)

// accCase is one synthetic printout: a record drawn with a layout, DPI and
// grid, then turned, noised and compressed.
type accCase struct {
	rec    string
	layout ecgpaper.Layout
	dpi    float64
	grid   ecgpaper.GridColor
	style  ecgpaper.GridStyle
	rotate float64
	noise  float64
	jpeg   int
	seed   uint64
}

func (c accCase) String() string {
	return fmt.Sprintf("%s %s %3.0fdpi %s/%s rot%+6.2f noise%2.0f jpeg%2d", c.rec, c.layout, c.dpi, c.grid, c.style, c.rotate, c.noise, c.jpeg)
}

// twelveLeadRecords reads every 12-lead recording in shared/data/signals.
func twelveLeadRecords(t testing.TB) map[string]*ecgpaper.Record {
	dir := filepath.Join(sharedData(t), "signals")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.hea"))
	dcm, _ := filepath.Glob(filepath.Join(dir, "dicom", "*.dcm"))
	recs := map[string]*ecgpaper.Record{}
	for _, p := range append(paths, dcm...) {
		r, err := ecgpaper.ReadRecord(p)
		if err != nil {
			t.Fatalf("recording %s: %v", p, err)
		}
		if len(r.Leads) == 12 {
			recs[filepath.Base(p)] = r
		}
	}
	if len(recs) < 5 {
		t.Fatalf("only %d 12-lead recordings in %s", len(recs), dir)
	}
	return recs
}

// accuracyCases builds the full sweep: every record in every layout, with
// DPI, rotation, noise, JPEG quality and grid drawn from a seeded generator.
func accuracyCases(names []string) []accCase {
	rng := rand.New(rand.NewPCG(20261126, 3))
	layouts := []ecgpaper.Layout{ecgpaper.Layout3x4, ecgpaper.Layout6x2, ecgpaper.Layout12x1}
	dpis := []float64{100, 150, 200, 250, 300}
	grids := []ecgpaper.GridColor{ecgpaper.GridRed, ecgpaper.GridRed, ecgpaper.GridGreen, ecgpaper.GridBlue, ecgpaper.GridGray}
	styles := []ecgpaper.GridStyle{ecgpaper.GridLines, ecgpaper.GridLines, ecgpaper.GridDots, ecgpaper.GridMajor}
	var cases []accCase
	for _, n := range names {
		for li, l := range layouts {
			for rep := 0; rep < 2; rep++ {
				c := accCase{
					rec: n, layout: l,
					dpi:    dpis[(li+rep*2+len(cases))%len(dpis)],
					grid:   grids[rng.IntN(len(grids))],
					style:  styles[rng.IntN(len(styles))],
					rotate: math.Round((rng.Float64()*20-10)*100) / 100,
					noise:  []float64{0, 3, 6, 10}[rng.IntN(4)],
					seed:   rng.Uint64(),
				}
				if rng.IntN(3) > 0 {
					c.jpeg = 55 + rng.IntN(41)
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

type accResult struct {
	c                 accCase
	skew, skewErr     float64
	pxX, pxY, scale   float64 // measured and worst relative error
	cropOK, cropTight bool
	cropMsg           string
	warnings          []string
}

// runAccuracyCase renders, degrades and inspects one case.
func runAccuracyCase(t testing.TB, rec *ecgpaper.Record, c accCase) accResult {
	page, truth, err := ecgpaper.Render(rec, ecgpaper.Options{DPI: c.dpi, Layout: c.layout, Grid: c.grid, GridStyle: c.style})
	if err != nil {
		t.Fatalf("%v: render: %v", c, err)
	}
	img, dt, err := ecgpaper.Degrade(page, ecgpaper.Degradation{RotateDeg: c.rotate, Noise: c.noise, JPEGQuality: c.jpeg, Seed: c.seed})
	if err != nil {
		t.Fatalf("%v: degrade: %v", c, err)
	}
	rep := Inspect(img)
	g := rep.Grid()
	res := accResult{c: c, skew: rep.SkewDegrees, skewErr: math.Abs(rep.SkewDegrees - c.rotate), warnings: rep.Warnings}
	if !g.Found {
		res.scale = math.Inf(1)
	} else {
		res.pxX, res.pxY = g.PxPerMMX, g.PxPerMMY
		res.scale = math.Max(math.Abs(g.PxPerMMX-truth.PxPerMM), math.Abs(g.PxPerMMY-truth.PxPerMM)) / truth.PxPerMM
	}
	// The true trace box in the straight frame of the suggested edits: the
	// clean page's box mapped to the degraded page, then to the straight
	// frame.
	e := rep.SuggestedEdits
	if e.Crop == nil {
		res.cropMsg = "no crop suggested"
		return res
	}
	geom := e
	geom.Crop = nil
	sw, sh := viewer.StraightSize(dt.Width, dt.Height, geom)
	tb := truth.TraceBox
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{tb.X0, tb.Y0}, {tb.X1, tb.Y0}, {tb.X1, tb.Y1}, {tb.X0, tb.Y1}} {
		dx, dy := dt.Map(p[0], p[1])
		q, ok := viewer.SourceToStraight(viewer.Point{X: dx / float64(dt.Width), Y: dy / float64(dt.Height)}, dt.Width, dt.Height, geom)
		if !ok {
			t.Fatalf("%v: trace box corner has no straight position", c)
		}
		x, y := q.X*float64(sw), q.Y*float64(sh)
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	// Turning the true box by the residual skew adds up to this much.
	resid := math.Abs(res.skewErr) * math.Pi / 180 * math.Max(x1-x0, y1-y0) / 2
	cx0, cy0 := e.Crop.X0*float64(sw), e.Crop.Y0*float64(sh)
	cx1, cy1 := e.Crop.X1*float64(sw), e.Crop.Y1*float64(sh)
	slack := 1 + resid
	res.cropOK = cx0 <= x0+slack && cy0 <= y0+slack && cx1 >= x1-slack && cy1 >= y1-slack
	lim := cropSlackMM*truth.PxPerMM + resid
	res.cropTight = x0-cx0 <= lim && y0-cy0 <= lim && cx1-x1 <= lim && cy1-y1 <= lim
	res.cropMsg = fmt.Sprintf("crop [%.0f %.0f %.0f %.0f] true box [%.0f %.0f %.0f %.0f]", cx0, cy0, cx1, cy1, x0, y0, x1, y1)
	return res
}

// sweepAccuracy runs the cases and checks the thresholds, logging the table.
func sweepAccuracy(t testing.TB, recs map[string]*ecgpaper.Record, cases []accCase) (skewMed, skewMax, scaleMed, scaleMax float64) {
	var tab strings.Builder
	fmt.Fprintf(&tab, "\n%-58s %8s %7s %8s %8s %6s %-4s %s\n", "case", "skew", "err", "px/mm x", "px/mm y", "err%", "crop", "warnings")
	var skews, scales []float64
	for _, c := range cases {
		r := runAccuracyCase(t, recs[c.rec], c)
		skews = append(skews, r.skewErr)
		scales = append(scales, r.scale)
		crop := "ok"
		if !r.cropOK || !r.cropTight {
			crop = "BAD"
			t.Errorf("%v: crop keeps every trace pixel %v, within trace box + %.0f mm %v: %s", c, r.cropOK, cropSlackMM, r.cropTight, r.cropMsg)
		}
		for _, w := range []string{WarnNotECG, WarnNoTrace, WarnNoGrid, WarnTilt, WarnTraceCut, WarnFewLeads} {
			if contains(r.warnings, w) {
				t.Errorf("%v: warning %s on a full 12-lead printout", c, w)
			}
		}
		fmt.Fprintf(&tab, "%-58s %+8.3f %7.3f %8.3f %8.3f %6.2f %-4s %s\n", c, r.skew, r.skewErr, r.pxX, r.pxY, 100*r.scale, crop, strings.Join(r.warnings, ","))
	}
	skewMed, skewMax = medianMax(skews)
	scaleMed, scaleMax = medianMax(scales)
	fmt.Fprintf(&tab, "%d cases: skew error median %.3f° max %.3f°; px/mm error median %.3f %% max %.3f %%\n",
		len(cases), skewMed, skewMax, 100*scaleMed, 100*scaleMax)
	t.Log(tab.String())
	if skewMed > maxMedianSkewErr || skewMax > maxSkewErr {
		t.Errorf("skew error median %.3f° (limit %.1f°), max %.3f° (limit %.1f°)", skewMed, maxMedianSkewErr, skewMax, maxSkewErr)
	}
	if scaleMed > maxMedianScale || scaleMax > maxScaleErr {
		t.Errorf("px/mm error median %.3f %% (limit %.1f %%), max %.3f %% (limit %.0f %%)", 100*scaleMed, 100*maxMedianScale, 100*scaleMax, 100*maxScaleErr)
	}
	return
}

func medianMax(v []float64) (float64, float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0, 0
	}
	return s[len(s)/2], s[len(s)-1]
}

// TestGeometryAccuracy is the seeded subset of the sweep (make test runs it
// without the race detector); PULSEDESK_GEOMETRY_SWEEP=full runs all cases.
func TestGeometryAccuracy(t *testing.T) {
	if raceEnabled {
		t.Skip("the accuracy sweep runs in its own pass without the race detector (make test-geometry)")
	}
	recs := twelveLeadRecords(t)
	names := make([]string, 0, len(recs))
	for n := range recs {
		names = append(names, n)
	}
	sort.Strings(names)
	cases := accuracyCases(names)
	if os.Getenv("PULSEDESK_GEOMETRY_SWEEP") != "full" {
		rng := rand.New(rand.NewPCG(7, 11))
		rng.Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })
		cases = cases[:min(ciCases, len(cases))]
	}
	sweepAccuracy(t, recs, cases)
}

// TestGeometryAccuracyNoGrid: a page drawn without a grid says no grid found
// (and still finds its traces).
func TestGeometryAccuracyNoGrid(t *testing.T) {
	if raceEnabled {
		t.Skip("runs without the race detector (make test-geometry)")
	}
	recs := twelveLeadRecords(t)
	n := 0
	for name, rec := range recs {
		if n == 3 {
			break
		}
		n++
		for _, l := range []ecgpaper.Layout{ecgpaper.Layout3x4, ecgpaper.Layout12x1} {
			page, _, err := ecgpaper.Render(rec, ecgpaper.Options{DPI: 200, Layout: l, Grid: ecgpaper.GridNone})
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := ecgpaper.Degrade(page, ecgpaper.Degradation{RotateDeg: 2.5, Noise: 3, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			rep := Inspect(img)
			if rep.GridFound || rep.PxPerMM != nil || !contains(rep.Warnings, WarnNoGrid) {
				t.Errorf("%s %s with no grid: grid %+v, warnings %v; want no grid found", name, l, rep.Grid(), rep.Warnings)
			}
			if contains(rep.Warnings, WarnNoTrace) || contains(rep.Warnings, WarnNotECG) {
				t.Errorf("%s %s with no grid: traces not found (%v)", name, l, rep.Warnings)
			}
		}
	}
}

// BenchmarkAccuracySweep runs the full sweep once per iteration and reports
// the error figures (go test -run '^$' -bench AccuracySweep -benchtime 1x).
func BenchmarkAccuracySweep(b *testing.B) {
	recs := twelveLeadRecords(b)
	names := make([]string, 0, len(recs))
	for n := range recs {
		names = append(names, n)
	}
	sort.Strings(names)
	cases := accuracyCases(names)
	for i := 0; i < b.N; i++ {
		sm, sx, cm, cx := sweepAccuracy(b, recs, cases)
		b.ReportMetric(sm, "skew-median-deg")
		b.ReportMetric(sx, "skew-max-deg")
		b.ReportMetric(100*cm, "pxmm-median-%")
		b.ReportMetric(100*cx, "pxmm-max-%")
	}
}
