package geometry

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	"pulsedesk/viewer"
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

func samplePath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(sharedData(t), "images", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("sample printout missing: %v", err)
	}
	return p
}

// openPage renders page 1 of a file through the app's own loader.
func openPage(t testing.TB, path string, dpi float64) image.Image {
	t.Helper()
	d, err := viewer.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer d.Close()
	img, err := d.Render(0, dpi)
	if err != nil {
		t.Fatalf("render %s: %v", path, err)
	}
	return img
}
