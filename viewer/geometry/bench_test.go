package geometry

import (
	"image"
	"path/filepath"
	"testing"

	"pulsedesk/viewer/ecgpaper"
)

// page300 is a 3x4 printout on A4 at 300 DPI (3508×2480), turned 3°.
func page300(b *testing.B) image.Image {
	rec, err := ecgpaper.ReadRecord(filepath.Join(sharedData(b), "signals", "JS20005.hea"))
	if err != nil {
		b.Fatal(err)
	}
	page, _, err := ecgpaper.Render(rec, ecgpaper.Options{DPI: 300})
	if err != nil {
		b.Fatal(err)
	}
	img, _, err := ecgpaper.Degrade(page, ecgpaper.Degradation{RotateDeg: 3, Noise: 3, JPEGQuality: 85, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func BenchmarkInspect300DPI(b *testing.B) {
	img := page300(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Inspect(img)
	}
}

func BenchmarkAutoEnhance300DPI(b *testing.B) {
	img := page300(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		AutoEnhance(img)
	}
}

func BenchmarkSkew300DPI(b *testing.B) {
	img := page300(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Skew(img)
	}
}

func BenchmarkDetectGrid300DPI(b *testing.B) {
	img := page300(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		DetectGrid(img)
	}
}
