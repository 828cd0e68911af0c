package viewer

import (
	"bytes"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits keep each fuzz run small: hostile sizes are refused, not rendered.
var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxPixels: 4_000_000, MaxPages: 50, MaxDPI: 150}

// openAndUse opens data as a file and exercises every Document method. Any
// error must be an *Error naming the file; nothing may panic.
func openAndUse(t *testing.T, data []byte, name string) {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(err error) {
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Path != path {
			t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
		}
	}
	d, err := OpenLimits(path, fuzzLimits)
	check(err)
	if err != nil {
		return
	}
	defer d.Close()
	n := d.NumPages()
	if n < 1 {
		t.Fatalf("opened with %d pages", n)
	}
	for _, page := range []int{0, n - 1, n} {
		d.PageSizePt(page)
		_, _, err := d.PixelSize(page, 72)
		check(err)
		img, err := d.Render(page, 72)
		check(err)
		if err == nil && img.Bounds().Empty() {
			t.Fatal("empty image without an error")
		}
		_, err = d.Thumbnail(page, 64)
		check(err)
	}
	check(d.Close())
}

func FuzzOpenImage(f *testing.F) {
	// more seeds (one small file of each format) in testdata/fuzz/FuzzOpenImage
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, numbered(8, 4, 0, 0), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(withOrientation(buf.Bytes(), 6, true))
	f.Add(pngHeaderOnly(100000, 100000))
	f.Add([]byte("BM"))
	f.Add([]byte("00001_lr 12 100 1000\n00001_lr.dat 16 1000.0(0)/mV 16 0 -119 1508 0 I\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		openAndUse(t, data, "input.img")
	})
}

func FuzzOpenPDF(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if i := bytes.Index(data, []byte("%PDF-")); i < 0 || i >= 1024 {
			data = append([]byte("%PDF-1.7\n"), data...)
		}
		openAndUse(t, data, "input.pdf")
	})
}
