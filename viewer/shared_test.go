package viewer

import (
	"image"
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns the folder of real ECG printouts and recordings: env
// PULSEDESK_SHARED (the folder holding data/), else the first shared/data
// found walking up from this package. The tests fail without it.
func sharedData(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("PULSEDESK_SHARED"); s != "" {
		d := filepath.Join(s, "data")
		if _, err := os.Stat(filepath.Join(d, "images")); err == nil {
			return d
		}
		t.Fatalf("PULSEDESK_SHARED=%s has no data/images", s)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		d := filepath.Join(dir, "shared", "data")
		if _, err := os.Stat(filepath.Join(d, "images")); err == nil {
			return d
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared/data (real ECG printouts) not found above the module; set PULSEDESK_SHARED")
		}
		dir = parent
	}
}

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
