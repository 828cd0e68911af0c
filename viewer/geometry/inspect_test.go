package geometry

import (
	"image"
	"math"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"pulsedesk/viewer"
)

// TestInspectHalfScalePage runs the whole inspection on a real page at half
// scale from two goroutines (the race detector watches the parallel scans).
func TestInspectHalfScalePage(t *testing.T) {
	full := openPage(t, samplePath(t, "paperecg_fullScan.png"), 200)
	img := imaging.Resize(full, 1100, 850, imaging.Box)
	var wg sync.WaitGroup
	reps := make([]Report, 2)
	for i := range reps {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			reps[i] = Inspect(img)
		}(i)
	}
	wg.Wait()
	r := reps[0]
	if r.SkewDegrees != reps[1].SkewDegrees || r.TraceBox != reps[1].TraceBox {
		t.Errorf("two inspections of one page differ: %+v vs %+v", r, reps[1])
	}
	if math.Abs(r.SkewDegrees) > 0.1 {
		t.Errorf("skew %.3f° on a straight page", r.SkewDegrees)
	}
	if r.PxPerMM == nil || math.Abs(*r.PxPerMM-3.937)/3.937 > 0.02 {
		t.Errorf("px/mm %v, want 3.94 (7.87 at half scale)", r.PxPerMM)
	}
	if !contains(r.Warnings, WarnLowResolution) {
		t.Errorf("3.9 px/mm should warn low_resolution: %v", r.Warnings)
	}
	// The traces lie between the header and the footer of the GE page.
	tb := r.TraceBox
	if tb[1] < 170 || tb[1] > 230 || tb[3] > 760 || tb[0] > 45 || tb[2] < 1000 {
		t.Errorf("trace box %v is not the trace area of the page", tb)
	}
	if r.SuggestedEdits.Crop == nil || r.SuggestedEdits.Rotation != 0 || r.SuggestedEdits.GridSuppression != 0 {
		t.Errorf("suggested edits %+v: want a crop, no rotation, no grid suppression", r.SuggestedEdits)
	}
}

// TestInspectDoesNotMutate checks the input is left alone and Bounds().Min
// is respected.
func TestInspectDoesNotMutate(t *testing.T) {
	full := openPage(t, samplePath(t, "paperecg_fullScan.png"), 200)
	small := imaging.Resize(full, 1100, 850, imaging.Box)
	// The same page placed at an offset origin.
	off := image.NewNRGBA(image.Rect(100, 50, 1200, 900))
	copy(off.Pix, small.Pix)
	before := append([]uint8(nil), off.Pix...)
	a := TraceBox(small)
	b := TraceBox(off)
	if b != a.Add(image.Pt(100, 50)) {
		t.Errorf("trace box at offset origin %v, want %v", b, a.Add(image.Pt(100, 50)))
	}
	for i := range before {
		if before[i] != off.Pix[i] {
			t.Fatal("TraceBox changed its input")
		}
	}
}

func TestCheckBlankAndTilted(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 250
	}
	ws := Check(blank, viewer.NewEdits())
	if !contains(codes(ws), WarnNotECG) || !contains(codes(ws), WarnNoGrid) || !contains(codes(ws), WarnNoTrace) {
		t.Errorf("blank page warnings %v, want not_ecg, no_grid, no_trace", codes(ws))
	}
	for _, w := range ws {
		if w.Code == WarnNotECG && w.Severity != SeverityBlock {
			t.Errorf("not_ecg severity %q, want block", w.Severity)
		}
		if w.Message == "" {
			t.Errorf("%s has no message", w.Code)
		}
	}
	full := openPage(t, samplePath(t, "paperecg_fullScan.png"), 200)
	small := imaging.Resize(full, 1100, 850, imaging.Box)
	tilted := viewer.ApplyGeometry(small, viewer.Edits{Version: viewer.EditsVersion, Rotation: 4})
	if ws := codes(Check(tilted, viewer.NewEdits())); !contains(ws, WarnTilt) {
		t.Errorf("page turned 4° without correction: warnings %v, want tilt", ws)
	}
	if ws := codes(Check(tilted, viewer.Edits{Version: viewer.EditsVersion, Rotation: -4})); contains(ws, WarnTilt) {
		t.Errorf("page turned 4° and corrected: warnings %v, want no tilt", ws)
	}
}
