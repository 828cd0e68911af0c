package geometry

import (
	"pulsedesk/internal/shareddata"

	"image"
	"os"
	"path/filepath"
	"testing"

	"pulsedesk/viewer"
)

// sharedData is the folder of real ECG printouts and recordings.
func sharedData(t testing.TB) string { t.Helper(); return shareddata.Dir(t) }

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
