package viewer

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"
)

func TestMultiPageTIFF(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	d72 := []string{"-units", "PixelsPerInch", "-density", "72"}
	tool(t, "convert", append([]string{sample(t, "eik_ecg00054.png")}, append(d72, "-compress", "LZW", p("lzw.tif"))...)...)
	tool(t, "convert", append([]string{sample(t, "eik_ecg00021.bmp")}, append(d72, "-compress", "JPEG", p("jpeg.tif"))...)...)
	tool(t, "convert", append([]string{sample(t, "eik_ecg00016.jpg")}, append(d72, "-monochrome", "-compress", "Group4", p("g4.tif"))...)...)
	tool(t, "tiffcp", p("lzw.tif"), p("jpeg.tif"), p("g4.tif"), p("three.dat")) // the name says nothing
	d, err := Open(p("three.dat"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind() != KindTIFF || d.NumPages() != 3 {
		t.Fatalf("kind %s, %d pages; want tiff with 3", d.Kind(), d.NumPages())
	}
	// the images are 72 DPI: at 72 DPI each page has its pixel size
	for i, want := range []image.Point{{621, 322}, {640, 308}, {862, 433}} {
		img, err := d.Render(i, 72)
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if got := img.Bounds().Size(); abs(got.X-want.X) > 2 || abs(got.Y-want.Y) > 2 {
			t.Errorf("page %d: %v, want ≈%v", i+1, got, want)
		}
	}
	// the G4 page is pure black and white
	img, _ := d.Render(2, 72)
	grey := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			if l := lumAt(img, x, y); l > 40 && l < 215 {
				grey++
			}
		}
	}
	if grey*20 > (b.Dx()/3)*(b.Dy()/3) {
		t.Errorf("G4 page has %d grey samples", grey)
	}
}

func TestJPEGOrientation(t *testing.T) {
	upright := renderPage(t, sample(t, "eik_ecg00016.jpg"), 0, 0) // 862×433
	dir := t.TempDir()
	// ImageMagick turns the stored pixels the other way; the EXIF tag says how to undo it.
	for _, c := range []struct {
		orient uint16
		rotate string // ImageMagick -rotate, degrees clockwise
		be     bool
	}{{3, "180", false}, {6, "-90", true}, {8, "90", false}} {
		stored := filepath.Join(dir, "stored.jpg")
		tool(t, "convert", sample(t, "eik_ecg00016.jpg"), "-rotate", c.rotate, "-quality", "95", stored)
		data, err := os.ReadFile(stored)
		if err != nil {
			t.Fatal(err)
		}
		tagged := filepath.Join(dir, "tagged.jpg")
		os.WriteFile(tagged, withOrientation(data, c.orient, c.be), 0o644)
		d, err := Open(tagged)
		if err != nil {
			t.Fatal(err)
		}
		w, h, _ := d.PixelSize(0, 0)
		img, err := d.Render(0, 0)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if w != 862 || h != 433 {
			t.Errorf("orientation %d: PixelSize %d×%d, want 862×433", c.orient, w, h)
		}
		diff := meanAbsDiff(img, upright)
		if diff < 0 || diff > 4 {
			t.Errorf("orientation %d: %v, mean difference from upright %.2f", c.orient, img.Bounds().Size(), diff)
		}
		// without the tag the picture is not upright: the check above can fail
		if c.orient == 3 {
			raw := renderPage(t, stored, 0, 0)
			if d := meanAbsDiff(raw, upright); d >= 0 && d < 8 {
				t.Errorf("untagged half-turned picture matches upright (%.2f): the comparison is blind", d)
			}
		}
	}
}

func TestAllEightOrientations(t *testing.T) {
	// 3×2 source with unique pixels; where does source (0,0) land?
	src := numbered(3, 2, 0, 0)
	var buf []byte
	{
		f := &bytesWriter{}
		jpeg.Encode(f, src, nil)
		buf = f.b
	}
	c00 := src.NRGBAAt(0, 0)
	want := map[int]struct {
		w, h   int
		x0, y0 int // position of source (0,0) after orientation
	}{
		1: {3, 2, 0, 0}, 2: {3, 2, 2, 0}, 3: {3, 2, 2, 1}, 4: {3, 2, 0, 1},
		5: {2, 3, 0, 0}, 6: {2, 3, 1, 0}, 7: {2, 3, 1, 2}, 8: {2, 3, 0, 2},
	}
	for o := 1; o <= 8; o++ {
		if got := jpegOrientation(withOrientation(buf, uint16(o), o%2 == 0)); got != o {
			t.Errorf("EXIF reader: orientation %d read as %d", o, got)
		}
		img := orient(src, o)
		wt := want[o]
		if img.Bounds().Size() != (image.Point{wt.w, wt.h}) {
			t.Errorf("orientation %d: size %v", o, img.Bounds().Size())
			continue
		}
		if got := color.NRGBAModel.Convert(img.At(wt.x0, wt.y0)).(color.NRGBA); got != c00 {
			t.Errorf("orientation %d: source (0,0) not at (%d,%d)", o, wt.x0, wt.y0)
		}
	}
	if jpegOrientation(buf) != 1 {
		t.Error("a JPEG without EXIF is not orientation 1")
	}
}

func imagingResize(img image.Image, w, h int) image.Image {
	return imaging.Resize(img, w, h, imaging.Linear)
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func TestHEIC(t *testing.T) {
	dir := t.TempDir()
	heic := filepath.Join(dir, "photo.heic")
	tool(t, "heif-enc", "-q", "92", sample(t, "eik_ecg00054.png"), "-o", heic)
	d, err := Open(heic)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind() != KindHEIC || d.MediaType() != "image/heic" {
		t.Fatalf("kind %s", d.Kind())
	}
	img, err := d.Render(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	orig := decodePNGFile(t, sample(t, "eik_ecg00054.png"))
	diff := meanAbsDiff(img, orig)
	// JPEG-like tolerance: no worse than a quality-75 JPEG of the same picture
	jpg := filepath.Join(dir, "q75.jpg")
	tool(t, "convert", sample(t, "eik_ecg00054.png"), "-quality", "75", jpg)
	jdiff := meanAbsDiff(renderPage(t, jpg, 0, 0), orig)
	if diff < 0 || diff > 1.25*jdiff || diff > 12 {
		t.Errorf("HEIC decodes to %v with mean difference %.2f from the PNG it was made from (JPEG q75: %.2f)", img.Bounds().Size(), diff, jdiff)
	}
	// and it is that picture, not another
	other := renderPage(t, sample(t, "eik_ecg00021.bmp"), 0, 0)
	if d := meanAbsDiff(img, imagingResize(other, 621, 322)); d >= 0 && d < 2*diff {
		t.Errorf("HEIC is as close to another printout (%.2f) as to its own (%.2f)", d, diff)
	}
}

func TestOtherRasterFormats(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		out  string
		kind Kind
	}{{"a.gif", KindGIF}, {"a.webp", KindWebP}, {"a.bmp", KindBMP}} {
		p := filepath.Join(dir, c.out)
		tool(t, "convert", sample(t, "eik_ecg00021.bmp"), p)
		renamed := p + ".bin"
		os.Rename(p, renamed)
		d, err := Open(renamed)
		if err != nil {
			t.Fatalf("%s: %v", c.out, err)
		}
		img, err := d.Render(0, 0)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind() != c.kind || img.Bounds().Size() != (image.Point{640, 308}) {
			t.Errorf("%s: kind %s size %v", c.out, d.Kind(), img.Bounds().Size())
		}
	}
}
