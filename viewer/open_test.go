package viewer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenEverySample(t *testing.T) {
	dir := filepath.Join(sharedData(t), "images")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 10 {
		t.Fatalf("only %d samples in %s", len(entries), dir)
	}
	want := map[string]Kind{".png": KindPNG, ".jpg": KindJPEG, ".jpeg": KindJPEG, ".bmp": KindBMP, ".pdf": KindPDF}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			p := filepath.Join(dir, e.Name())
			d, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if k := want[strings.ToLower(filepath.Ext(p))]; d.Kind() != k {
				t.Errorf("kind %q, want %q", d.Kind(), k)
			}
			if d.NumPages() < 1 {
				t.Fatalf("%d pages", d.NumPages())
			}
			w, h, err := d.PixelSize(0, 0)
			if err != nil {
				t.Fatal(err)
			}
			img, err := d.Render(0, 0)
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			// raster: exact; PDF: MuPDF's bounds are whole points, so within DPI/72+1 px
			if abs(b.Dx()-w) > 4 || abs(b.Dy()-h) > 4 || (d.Kind() != KindPDF && (b.Dx() != w || b.Dy() != h)) {
				t.Errorf("rendered %v, PixelSize said %d×%d", b.Size(), w, h)
			}
			// a printout has both ink and paper
			dark, light := 0, 0
			for y := b.Min.Y; y < b.Max.Y; y += 7 {
				for x := b.Min.X; x < b.Max.X; x += 7 {
					switch l := lumAt(img, x, y); {
					case l < 100:
						dark++
					case l > 180:
						light++
					}
				}
			}
			if dark == 0 || light == 0 {
				t.Errorf("page looks blank: %d dark, %d light samples", dark, light)
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestOpenPDFPageSize(t *testing.T) {
	d, err := Open(sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, h, ok := d.PageSizePt(0)
	if !ok || w != 841 || h != 595 { // MediaBox 841.68 × 595.44, whole points
		t.Fatalf("page size %v×%v pt ok=%v", w, h, ok)
	}
	for _, dpi := range []float64{72, 100, 300} {
		img, err := d.Render(0, dpi)
		if err != nil {
			t.Fatal(err)
		}
		want := 841.68 * dpi / 72
		if got := float64(img.Bounds().Dx()); got < want-1 || got > want+1 {
			t.Errorf("%v DPI: width %v, want ≈%.1f", dpi, got, want)
		}
	}
	if _, err := d.Render(0, 601); !errors.Is(err, ErrTooLarge) {
		t.Errorf("601 DPI: %v, want ErrTooLarge", err)
	}
	if _, err := d.Render(1, 0); !errors.Is(err, ErrPageRange) {
		t.Errorf("page 2 of 1: %v, want ErrPageRange", err)
	}
	th, err := d.Thumbnail(0, 256)
	if err != nil {
		t.Fatal(err)
	}
	if b := th.Bounds(); max(b.Dx(), b.Dy()) > 256 || max(b.Dx(), b.Dy()) < 240 {
		t.Errorf("thumbnail %v, want long side ≈256", b.Size())
	}
	if _, _, ok := func() (float64, float64, bool) {
		r, _ := Open(sample(t, "eik_ecg00002.png"))
		defer r.Close()
		return r.PageSizePt(0)
	}(); ok {
		t.Error("a PNG reports a physical page size")
	}
}

func TestErrorNamesFileAndProblem(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.png")
	_, err := Open(p)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v (%T), want *Error ErrNotFound", err, err)
	}
	if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("message %q does not name file and problem", err)
	}
}
