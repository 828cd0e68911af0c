package viewer

import (
	"pulsedesk/internal/gridmeasure"

	"errors"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"testing"

	"pulsedesk/viewer/ecgpaper"
)

func asNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

func TestOpenWFDBRecordingAsPrintout(t *testing.T) {
	path := filepath.Join(sharedData(t), "signals", "s0010_re.hea")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind() != KindWFDB || d.NumPages() != 1 {
		t.Fatalf("kind %s, %d pages", d.Kind(), d.NumPages())
	}
	wpt, hpt, ok := d.PageSizePt(0)
	if !ok || math.Abs(wpt-297*72/25.4) > 1e-6 || math.Abs(hpt-210*72/25.4) > 1e-6 {
		t.Fatalf("page size %g x %g pt", wpt, hpt)
	}
	rec, err := ecgpaper.ReadWFDBFirst(path, 60)
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []float64{0, 150, 300} {
		im, err := d.Render(0, dpi)
		if err != nil {
			t.Fatal(err)
		}
		if dpi == 0 {
			dpi = DefaultDPI
		}
		img := asNRGBA(im)
		pw, ph, err := d.PixelSize(0, dpi)
		if err != nil || pw != img.Rect.Dx() || ph != img.Rect.Dy() {
			t.Fatalf("PixelSize %dx%d (%v), render %v", pw, ph, err, img.Rect)
		}
		// The page is the standard 12-lead printout the paper renderer draws.
		want, truth, err := ecgpaper.Render(rec, ecgpaper.Options{DPI: dpi})
		if err != nil {
			t.Fatal(err)
		}
		if string(want.Pix) != string(img.Pix) {
			t.Fatalf("%g DPI: the opened page differs from the 3x4 printout", dpi)
		}
		leads := map[string]bool{}
		for _, p := range truth.Panels {
			leads[p.Lead] = true
		}
		if len(truth.Panels) != 13 || len(leads) != 12 || truth.Layout != "3x4" || truth.RhythmPanel() < 0 {
			t.Fatalf("layout %s with %d panels, leads %v", truth.Layout, len(truth.Panels), leads)
		}
		// Measure the grid between the header and the first row of traces.
		ppm := dpi / 25.4
		got := gridmeasure.PeriodX(img, int(truth.Pulses[0].TopY-12*ppm), int(truth.Pulses[0].TopY-8*ppm), ppm*0.6, ppm*1.6)
		if math.Abs(got-ppm)/ppm > 0.01 {
			t.Errorf("%g DPI: grid period %.3f px, want %.3f (DPI/25.4)", dpi, got, ppm)
		}
	}
}

func TestOpenDICOMRecording(t *testing.T) {
	path := filepath.Join(sharedData(t), "signals", "dicom", "anonymous_ecg.dcm")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind() != KindDICOM {
		t.Fatalf("kind %s", d.Kind())
	}
	im, err := d.Render(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if b := im.Bounds(); b.Dx() != ecgpaper.PagePixels(297, 100) || b.Dy() != ecgpaper.PagePixels(210, 100) {
		t.Fatalf("DICOM page %v", b)
	}
	th, err := d.Thumbnail(0, 256)
	if err != nil {
		t.Fatal(err)
	}
	if b := th.Bounds(); max(b.Dx(), b.Dy()) > 257 || max(b.Dx(), b.Dy()) < 250 {
		t.Errorf("thumbnail %v", b)
	}
	again, err := d.Render(0, 100)
	if err != nil || again != im {
		t.Errorf("the page was drawn again after its thumbnail (%v)", err)
	}
}

func TestOpenLongRecordingReadsItsStart(t *testing.T) {
	// MIT-BIH 100 is 30 minutes; the page shows its first 10 s, the same
	// as drawing the whole record.
	path := filepath.Join(sharedData(t), "signals", "100.hea")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	im, err := d.Render(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ecgpaper.ReadWFDB(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := ecgpaper.Render(full, ecgpaper.Options{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	if string(asNRGBA(im).Pix) != string(want.Pix) {
		t.Error("the page of the first minute differs from the page of the whole record")
	}
}

func TestOpenBrokenRecording(t *testing.T) {
	dir := t.TempDir()
	hea := filepath.Join(dir, "broken.hea")
	os.WriteFile(hea, []byte("broken 1 500 5000\nbroken.dat 16 200 16 0 0 0 0 I\n"), 0o644)
	_, err := Open(hea)
	var e *Error
	if !errors.As(err, &e) || e.Path != hea {
		t.Fatalf("want an *Error naming %s, got %v", hea, err)
	}
}
