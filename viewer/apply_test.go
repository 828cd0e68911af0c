package viewer

import (
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"
)

// The same normalised edits land on the same part of the page whatever the
// render resolution: a quarter turn and a crop of the vector PDF at 100 and
// 300 DPI agree once the 300 DPI result is scaled down.
func TestQuarterTurnCropSameAt100And300DPI(t *testing.T) {
	path := sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf")
	e := Edits{QuarterTurns: 3, Crop: &Rect{0.2, 0.3, 0.7, 0.8}}
	lo := Apply(renderPage(t, path, 0, 100), e)
	hi := Apply(renderPage(t, path, 0, 300), e)
	lb, hb := lo.Bounds().Size(), hi.Bounds().Size()
	if math.Abs(float64(hb.X)/3-float64(lb.X)) > 1.5 || math.Abs(float64(hb.Y)/3-float64(lb.Y)) > 1.5 {
		t.Fatalf("sizes %v at 100 DPI and %v at 300 DPI are not in ratio 1:3", lb, hb)
	}
	down := imaging.Resize(hi, lb.X, lb.Y, imaging.Box)
	same := meanAbsDiff(lo, down)
	// the same crop a few millimetres off is clearly different: the check can fail
	off := e
	off.Crop = &Rect{0.22, 0.32, 0.72, 0.82}
	shifted := imaging.Resize(Apply(renderPage(t, path, 0, 300), off), lb.X, lb.Y, imaging.Box)
	other := meanAbsDiff(lo, shifted)
	t.Logf("mean difference: same crop %.2f, shifted crop %.2f", same, other)
	if same < 0 || same > 8 || other < 3*same {
		t.Errorf("100 vs 300 DPI differ by %.2f (a shifted crop by %.2f)", same, other)
	}
	// ink lands on the same pixels: compare dark masks
	mismatch, ink := 0, 0
	for y := 1; y < lb.Y-1; y++ {
		for x := 1; x < lb.X-1; x++ {
			if lumAt(lo, x, y) >= 100 {
				continue
			}
			ink++
			near := false
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					near = near || lumAt(down, x+dx, y+dy) < 200
				}
			}
			if !near {
				mismatch++
			}
		}
	}
	if ink < 500 || mismatch*100 > ink {
		t.Errorf("%d of %d ink pixels at 100 DPI have no ink near them at 300 DPI", mismatch, ink)
	}
}

func TestApplyPixelFactsOnRealPrintout(t *testing.T) {
	src := renderPage(t, sample(t, "eik_ecg00053.png"), 0, 0) // 2200×1700, letter at 200 DPI
	e := Edits{
		Crop:       &Rect{0.1, 0.2, 0.6, 0.7},
		Redactions: []Rect{{0, 0, 1, 0.25}}, // the header band, partly inside the crop
		Contrast:   0.3, AutoLevels: true, Sharpen: 0.6, Denoise: 0.3,
	}
	out := Apply(src, e)
	if out.Bounds() != image.Rect(0, 0, 1100, 850) {
		t.Fatalf("crop %v, want 1100×850", out.Bounds())
	}
	// redaction straight rows 0..425 -> output rows 0..85 (crop starts at 340)
	for y := 0; y < 85; y += 7 {
		for x := 0; x < 1100; x += 13 {
			if p := out.NRGBAAt(x, y); p.R > 8 || p.G > 8 || p.B > 8 {
				t.Fatalf("redacted pixel (%d,%d) = %v", x, y, p)
			}
		}
	}
	if l := lumAt(out, 500, 86+20); l < 5 {
		// below the box the page is not black everywhere
		dark := 0
		for x := 0; x < 1100; x++ {
			if lumAt(out, x, 86+20) < 50 {
				dark++
			}
		}
		if dark > 1000 {
			t.Error("the redaction spilled below its box")
		}
	}
	// outside the box the page is still a page: mostly paper, some ink
	light, dark := 0, 0
	for y := 100; y < 850; y += 5 {
		for x := 0; x < 1100; x += 5 {
			switch l := lumAt(out, x, y); {
			case l > 150:
				light++
			case l < 60:
				dark++
			}
		}
	}
	if n := 150 * 220; light < n/2 || dark == 0 || dark > n/5 {
		t.Errorf("below the box: %d light and %d dark of %d samples", light, dark, n)
	}
}

// A page photographed at an angle is made with ImageMagick's perspective
// distortion from a real printout; the quad of its page corners brings the
// printout back.
func TestPerspectiveUndoesImageMagickDistortion(t *testing.T) {
	dir := t.TempDir()
	flat := sample(t, "eik_ecg00016.jpg") // 862×433
	photo := filepath.Join(dir, "photo.png")
	// corners: (0,0)->(60,30) (861,0)->(800,10) (861,432)->(840,420) (0,432)->(20,400) on a 900×450 canvas
	tool(t, "convert", flat, "-background", "white", "-virtual-pixel", "background", "-extent", "900x450",
		"-distort", "Perspective", "0,0 60,30  862,0 800,10  862,433 840,420  0,433 20,400", photo)
	img := renderPage(t, photo, 0, 0)
	b := img.Bounds()
	n := func(x, y float64) Point { return Point{x / float64(b.Dx()), y / float64(b.Dy())} }
	q := [4]Point{n(60, 30), n(800, 10), n(840, 420), n(20, 400)}
	out := Apply(img, Edits{Perspective: &q})
	ref := renderPage(t, flat, 0, 0)
	// output size from the quad's longer edges: bottom 820.1, right 412.0
	if s := out.Bounds().Size(); s != (image.Point{820, 412}) {
		t.Fatalf("size %v, want 820×412", s)
	}
	back := imaging.Resize(out, 862, 433, imaging.Linear)
	d := meanAbsDiff(back, ref)
	naive := meanAbsDiff(imaging.Resize(img, 862, 433, imaging.Linear), ref)
	t.Logf("mean difference after perspective %.2f, without %.2f", d, naive)
	if d < 0 || d > 14 || d*1.5 > naive {
		t.Errorf("perspective correction: difference %.2f (uncorrected %.2f)", d, naive)
	}
}
