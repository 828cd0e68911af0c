package viewer

import (
	"image"
	"testing"
)

// classStats measures, on the source page, two pixel classes — grid ink
// (clearly coloured, not dark) and trace ink (dark in every channel) — and
// returns their mean luminance before and after the edits.
func gridTraceStats(src image.Image, out *image.NRGBA, isGrid, isTrace func(r, g, b uint8) bool) (gridBefore, gridAfter, traceBefore, traceAfter float64, nGrid, nTrace int) {
	s := toNRGBA(src)
	// every other pixel each way: plenty, and quick under the race detector
	for y := 0; y < s.Rect.Dy(); y += 2 {
		for x := 0; x < s.Rect.Dx(); x += 2 {
			i := y*s.Stride + 4*x
			r, g, b := s.Pix[i], s.Pix[i+1], s.Pix[i+2]
			o := out.Pix[y*out.Stride+4*x:]
			lb := float64(lumaOf(r, g, b))
			la := float64(lumaOf(o[0], o[1], o[2]))
			switch {
			case isGrid(r, g, b):
				gridBefore += lb
				gridAfter += la
				nGrid++
			case isTrace(r, g, b):
				traceBefore += lb
				traceAfter += la
				nTrace++
			}
		}
	}
	if nGrid > 0 {
		gridBefore /= float64(nGrid)
		gridAfter /= float64(nGrid)
	}
	if nTrace > 0 {
		traceBefore /= float64(nTrace)
		traceAfter /= float64(nTrace)
	}
	return
}

func TestGridSuppressionColouredGrids(t *testing.T) {
	colouredGrid := func(r, g, b uint8) bool {
		_, c, v := rgbHue(r, g, b)
		return c >= 40 && v >= 150
	}
	blackTrace := func(r, g, b uint8) bool { return max(r, g, b) < 70 }
	// a dense blue grid, pale minor and dark major lines, under a black trace
	bluishGrid := func(r, g, b uint8) bool { return int(b) >= int(r)+12 }
	darkTrace := func(r, g, b uint8) bool { _, c, v := rgbHue(r, g, b); return c < 25 && v < 70 }
	for _, c := range []struct {
		file, grid      string
		isGrid, isTrace func(r, g, b uint8) bool
	}{
		{"eik_ecg00012.jpg", "red", colouredGrid, blackTrace},
		{"eik_ecg00021.bmp", "pink", colouredGrid, blackTrace},
		{"eik_ecg00004.png", "orange", colouredGrid, blackTrace},
		{"eik_ecg00054.png", "green", colouredGrid, blackTrace},
		{"eiksyn_JS00001-0.png", "blue", bluishGrid, darkTrace},
		{"epcalipers_sampleECG.jpg", "salmon", colouredGrid, blackTrace},
	} {
		t.Run(c.grid, func(t *testing.T) {
			src := renderPage(t, sample(t, c.file), 0, 0)
			out := Apply(src, Edits{GridSuppression: 1})
			gb, ga, tb, ta, ng, nt := gridTraceStats(src, out, c.isGrid, c.isTrace)
			t.Logf("%s: grid %d px %.0f→%.0f, trace %d px %.0f→%.0f", c.file, ng, gb, ga, nt, tb, ta)
			if ng < 500 || nt < 150 {
				t.Fatalf("too few grid (%d) or trace (%d) pixels to judge", ng, nt)
			}
			if ga < 215 || ga < gb+20 {
				t.Errorf("grid pixels: mean luminance %.0f → %.0f, want light (≥215)", gb, ga)
			}
			if ta > tb+15 || ta > 80 {
				t.Errorf("trace pixels: mean luminance %.0f → %.0f, want still dark", tb, ta)
			}
		})
	}
}

func TestGridSuppressionKeepsTraceOfAnotherColour(t *testing.T) {
	// blue trace on an orange grid: the trace must not fade
	src := renderPage(t, sample(t, "eik_ecg00009.jpeg"), 0, 0)
	out := Apply(src, Edits{GridSuppression: 1})
	blueTrace := func(r, g, b uint8) bool {
		h, c, _ := rgbHue(r, g, b)
		return c >= 60 && h > 200 && h < 260
	}
	_, _, tb, ta, _, nt := gridTraceStats(src, out, func(r, g, b uint8) bool { return false }, blueTrace)
	t.Logf("blue trace %d px %.0f→%.0f", nt, tb, ta)
	if nt < 200 {
		t.Fatalf("only %d blue trace pixels", nt)
	}
	if ta > tb+10 {
		t.Errorf("blue trace lightened: %.0f → %.0f", tb, ta)
	}
}

func TestGridSuppressionBlackAndWhite(t *testing.T) {
	src := renderPage(t, sample(t, "eik_ecg00020.jpg"), 0, 0)
	if _, ok := gridHue(toNRGBA(src)); ok {
		t.Fatal("the photocopy was taken for a coloured grid")
	}
	out := Apply(src, Edits{GridSuppression: 1})
	lum := func(r, g, b uint8) uint8 { return lumaOf(r, g, b) }
	greyGrid := func(r, g, b uint8) bool { l := lum(r, g, b); return l >= 140 && l < 200 }
	darkTrace := func(r, g, b uint8) bool { return lum(r, g, b) < 60 }
	gb, ga, tb, ta, ng, nt := gridTraceStats(src, out, greyGrid, darkTrace)
	t.Logf("grid %d px %.0f→%.0f, trace %d px %.0f→%.0f", ng, gb, ga, nt, tb, ta)
	if ga < gb+25 {
		t.Errorf("grey grid pixels: %.0f → %.0f, want lighter", gb, ga)
	}
	// pixels this dark are also the photocopy's dark grid lines, which are
	// removed: the trace is checked off the lines in gridlines_test.go
}
