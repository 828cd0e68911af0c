package viewer

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"
)

// numbered makes a w×h image at origin (ox,oy) whose every pixel is unique.
func numbered(w, h, ox, oy int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(ox, oy, ox+w, oy+h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(ox+x, oy+y, color.NRGBA{uint8(x), uint8(y), uint8(x*7 + y*13), 255})
		}
	}
	return img
}

func TestQuarterTurnsAndCropAreExactCopies(t *testing.T) {
	src := numbered(40, 30, 5, -3) // origin away from (0,0)
	before := bytes.Clone(src.Pix)
	at := func(x, y int) color.NRGBA { return src.NRGBAAt(5+x, -3+y) }
	cases := []struct {
		q    int
		w, h int
		// where output (0,0) and (1,0) come from in the source
		o0, o1 [2]int
	}{
		{0, 40, 30, [2]int{0, 0}, [2]int{1, 0}},
		{1, 30, 40, [2]int{39, 0}, [2]int{39, 1}},   // CCW: top-right comes to top-left
		{2, 40, 30, [2]int{39, 29}, [2]int{38, 29}}, // half turn
		{3, 30, 40, [2]int{0, 29}, [2]int{0, 28}},   // CW: bottom-left comes to top-left
		{-1, 30, 40, [2]int{0, 29}, [2]int{0, 28}},
	}
	for _, c := range cases {
		out := Apply(src, Edits{QuarterTurns: c.q})
		if out.Bounds() != image.Rect(0, 0, c.w, c.h) {
			t.Fatalf("q=%d: bounds %v", c.q, out.Bounds())
		}
		if got, want := out.NRGBAAt(0, 0), at(c.o0[0], c.o0[1]); got != want {
			t.Errorf("q=%d: (0,0) = %v, want %v", c.q, got, want)
		}
		if got, want := out.NRGBAAt(1, 0), at(c.o1[0], c.o1[1]); got != want {
			t.Errorf("q=%d: (1,0) = %v, want %v", c.q, got, want)
		}
	}
	// crop after a quarter turn: straight frame is 30×40
	out := Apply(src, Edits{QuarterTurns: 1, Crop: &Rect{0.1, 0.25, 0.5, 0.75}})
	if out.Bounds().Size() != (image.Point{12, 20}) {
		t.Fatalf("crop size %v, want 12×20", out.Bounds().Size())
	}
	// straight (3,10) <- pre-turn (x=39-10, y=3)
	if got, want := out.NRGBAAt(0, 0), at(29, 3); got != want {
		t.Errorf("cropped (0,0) = %v, want %v", got, want)
	}
	if !bytes.Equal(before, src.Pix) {
		t.Error("Apply modified its input")
	}
}

func TestFineRotationGrowsCanvasWithWhite(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for i := range src.Pix {
		src.Pix[i] = 0 // black, transparent... make opaque black
	}
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	e := Edits{Rotation: 30}
	out := Apply(src, e)
	w, h := StraightSize(200, 100, e)
	c, s := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
	if w != int(math.Ceil(200*c+100*s)) || h != int(math.Ceil(200*s+100*c)) || out.Bounds().Size() != (image.Point{w, h}) {
		t.Fatalf("size %v / %d×%d", out.Bounds().Size(), w, h)
	}
	if p := out.NRGBAAt(1, 1); p.R != 255 || p.G != 255 {
		t.Errorf("corner %v, want white", p)
	}
	if p := out.NRGBAAt(w/2, h/2); p.R != 0 {
		t.Errorf("centre %v, want black", p)
	}
	// CCW: the source's top-right corner moves up-left of where it was,
	// i.e. it is the topmost point of the page.
	tr, _ := SourceToStraight(Point{1, 0}, 200, 100, e)
	if math.Abs(tr.Y) > 0.01 {
		t.Errorf("top-right corner maps to %v, want y≈0 (CCW)", tr)
	}
}

func TestPointMappingsRoundTrip(t *testing.T) {
	q := [4]Point{{0.1, 0.05}, {0.92, 0.1}, {0.95, 0.9}, {0.03, 0.97}}
	for _, e := range []Edits{
		{},
		{QuarterTurns: 1},
		{QuarterTurns: 3, Rotation: -7.5},
		{Perspective: &q, QuarterTurns: 2, Rotation: 12},
	} {
		for _, p := range []Point{{0.5, 0.5}, {0.2, 0.7}, {0.9, 0.1}} {
			s, ok := StraightToSource(p, 640, 480, e)
			if !ok {
				t.Fatalf("%+v: %v has no source", e, p)
			}
			back, ok := SourceToStraight(s, 640, 480, e)
			if !ok || math.Abs(back.X-p.X) > 1e-9 || math.Abs(back.Y-p.Y) > 1e-9 {
				t.Errorf("%+v: %v -> %v -> %v", e, p, s, back)
			}
		}
	}
	// the perspective quad's corners are the corners of the straight frame
	e := Edits{Perspective: &q}
	for i, c := range []Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
		s, _ := StraightToSource(c, 640, 480, e)
		if math.Abs(s.X-q[i].X) > 1e-9 || math.Abs(s.Y-q[i].Y) > 1e-9 {
			t.Errorf("corner %d maps to %v, want %v", i, s, q[i])
		}
	}
}

func TestApplyIsDeterministic(t *testing.T) {
	src := numbered(64, 48, 0, 0)
	q := [4]Point{{0.1, 0.05}, {0.92, 0.1}, {0.95, 0.9}, {0.03, 0.97}}
	e := Edits{Perspective: &q, Rotation: 3.5, Crop: &Rect{0.1, 0.1, 0.9, 0.9}, Sharpen: 0.5, Denoise: 0.3, AutoLevels: true, Gamma: 1.3, GridSuppression: 0.7}
	a, b := Apply(src, e), Apply(src, e)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("two runs differ")
	}
}
