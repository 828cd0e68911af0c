package viewer

import (
	"pulsedesk/internal/shareddata"

	"image"
	"os"
	"path/filepath"
	"testing"
)

// sharedData is the folder of real ECG printouts and recordings.
func sharedData(t testing.TB) string { t.Helper(); return shareddata.Dir(t) }

func sample(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(sharedData(t), "images", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("sample printout missing: %v", err)
	}
	return p
}

func renderPage(t testing.TB, path string, page int, dpi float64) image.Image {
	t.Helper()
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img, err := d.Render(page, dpi)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func lumAt(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
}
