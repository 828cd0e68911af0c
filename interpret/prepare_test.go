package interpret

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"testing"
)

func checker(w, h int, min image.Point) *image.NRGBA {
	img := image.NewNRGBA(image.Rectangle{Min: min, Max: min.Add(image.Pt(w, h))})
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			v := uint8(0)
			if (x+y)%2 == 0 {
				v = 255
			}
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = v, v, v, 255
		}
	}
	return img
}

func TestPrepareShrinksWithAreaAverage(t *testing.T) {
	// A one-pixel checkerboard: any area-preserving shrink gives mid grey;
	// point sampling would give black or white.
	src := checker(1650, 1275, image.Pt(7, 11))
	before := append([]byte(nil), src.Pix...)
	in, err := Prepare(src, 1008)
	if err != nil {
		t.Fatal(err)
	}
	if in.Width != 1008 || in.Height != 779 {
		t.Fatalf("size %d×%d, want 1008×779", in.Width, in.Height)
	}
	if in.Scale < 0.6109 || in.Scale > 0.6110 {
		t.Errorf("scale %f, want 1008/1650", in.Scale)
	}
	if !bytes.Equal(before, src.Pix) {
		t.Error("Prepare changed its input")
	}
	sum := sha256.Sum256(in.PNG)
	if in.SHA256 != hex.EncodeToString(sum[:]) {
		t.Error("SHA256 is not the hash of the PNG bytes")
	}
	img, err := png.Decode(bytes.NewReader(in.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 1008, 779) {
		t.Fatalf("PNG bounds %v", img.Bounds())
	}
	for _, p := range []image.Point{{10, 10}, {500, 400}, {1000, 770}} {
		r, _, _, _ := img.At(p.X, p.Y).RGBA()
		if v := r >> 8; v < 110 || v > 145 {
			t.Errorf("pixel %v = %d, want mid grey (area average)", p, v)
		}
	}
}

func TestPreparePortraitAndSmall(t *testing.T) {
	in, err := Prepare(checker(500, 2000, image.Point{}), 1008)
	if err != nil || in.Width != 252 || in.Height != 1008 {
		t.Fatalf("portrait: %d×%d %v", in.Width, in.Height, err)
	}
	small := checker(600, 400, image.Pt(3, 3))
	in, err = Prepare(small, 1008)
	if err != nil || in.Width != 600 || in.Height != 400 || in.Scale != 1 {
		t.Fatalf("small image must not be enlarged: %d×%d scale %v %v", in.Width, in.Height, in.Scale, err)
	}
	in2, _ := Prepare(small, 1008)
	if in2.SHA256 != in.SHA256 {
		t.Error("the same image gave two different model inputs")
	}
	in, _ = Prepare(checker(2000, 1000, image.Point{}), 0)
	if in.Width != FallbackLongSide {
		t.Errorf("long side 0: width %d, want %d", in.Width, FallbackLongSide)
	}
	if _, err := Prepare(image.NewNRGBA(image.Rect(0, 0, 0, 5)), 1008); err == nil {
		t.Error("empty image accepted")
	}
	if _, err := Prepare(nil, 1008); err == nil {
		t.Error("nil image accepted")
	}
}
