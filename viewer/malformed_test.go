package viewer

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestMalformedInput opens hostile and broken files. Each gets its clear
// error (or works), and none allocates much: limits are checked before
// anything is decoded.
func TestMalformedInput(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write := func(n string, b []byte) string {
		if err := os.WriteFile(p(n), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p(n)
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pdfData := read(sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf"))
	pngData := read(sample(t, "eik_ecg00001.png"))
	jpgData := read(sample(t, "eik_ecg00012.jpg"))

	makePDF(t, p("huge.pdf"), "[0 0 14400 14400]", 1, "0 0 m 14400 14400 l S")
	makePDF(t, p("thousand.pdf"), "[0 0 612 792]", 1000, "72 72 m 500 700 l S")
	makePDF(t, p("nopages.pdf"), "[0 0 612 792]", 0, "")
	tool(t, "qpdf", "--encrypt", "user", "owner", "256", "--", sample(t, "dcmplot_anonymous_ecg_3x4_1.pdf"), p("locked.pdf"))
	os.Mkdir(p("folder.png"), 0o755)

	type result struct {
		doc *Document
		err error
	}
	cases := []struct {
		name string
		path string
		want ErrorKind // "" = opens and renders
		msg  string
		// render page 0 (at 50 DPI); wantRender is the expected render error
		render     bool
		wantRender ErrorKind
	}{
		{name: "zero bytes", path: write("zero.png", nil), want: ErrEmpty, msg: "empty"},
		{name: "truncated PNG", path: write("cut.png", pngData[:len(pngData)/3]), want: ErrTruncated, msg: "PNG"},
		{name: "truncated JPEG", path: write("cut.jpg", jpgData[:len(jpgData)/3]), want: ErrTruncated, msg: "JPEG"},
		{name: "truncated PDF", path: write("cut.pdf", pdfData[:len(pdfData)/4]), want: ErrTruncated, msg: "PDF"},
		{name: "PNG header claims 100000×100000", path: write("bomb.png", pngHeaderOnly(100000, 100000)), want: ErrTooLarge, msg: "100000×100000"},
		{name: "14400 pt PDF page", path: p("huge.pdf"), render: true, wantRender: ErrTooLarge},
		{name: "password-protected PDF", path: p("locked.pdf"), want: ErrPassword, msg: "password"},
		{name: "PDF without pages", path: p("nopages.pdf"), want: ErrNoPages, msg: "no pages"},
		{name: "text named .png", path: write("note.png", []byte("Patient: ZEBRA\nno picture here\n")), want: ErrNotDocument, msg: "text file"},
		{name: "folder", path: p("folder.png"), want: ErrIsDir, msg: "folder"},
		{name: "missing", path: p("absent.jpg"), want: ErrNotFound, msg: "not found"},
		{name: "AVIF", path: write("photo.avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")), want: ErrUnsupported, msg: "AVIF"},
		{name: "JPEG 2000", path: write("scan.jp2", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 ")), want: ErrUnsupported, msg: "JPEG 2000"},
		{name: "1000-page PDF", path: p("thousand.pdf"), render: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			d, err := Open(c.path)
			var rerr error
			if err == nil && c.render {
				if c.wantRender != "" {
					// refused before MuPDF allocates (it would abort the process)
					_, rerr = d.Render(0, 200)
					if _, terr := d.Thumbnail(0, 100000); !errors.Is(terr, ErrTooLarge) {
						t.Errorf("thumbnail of the huge page: %v, want ErrTooLarge", terr)
					}
				} else {
					_, rerr = d.Render(d.NumPages()-1, 50)
				}
			}
			runtime.ReadMemStats(&m1)
			if d != nil {
				defer d.Close()
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			if c.want == "" {
				if err != nil {
					t.Fatalf("want it to open, got %v", err)
				}
			} else {
				var e *Error
				if !errors.Is(err, c.want) || !errors.As(err, &e) {
					t.Fatalf("got %v, want %q", err, c.want)
				}
				if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("message %q should name %s and say %q", err, c.path, c.msg)
				}
				return
			}
			if c.wantRender == "" && rerr != nil {
				t.Errorf("render: %v", rerr)
			}
			if c.wantRender != "" && (!errors.Is(rerr, c.wantRender) || !strings.Contains(rerr.Error(), c.path)) {
				t.Errorf("render: %v, want %q naming the file", rerr, c.wantRender)
			}
		})
	}
	// the 1000-page PDF keeps its pages lazy
	d, err := Open(p("thousand.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.NumPages() != 1000 {
		t.Fatalf("%d pages", d.NumPages())
	}
	if fp := d.p.(*fitzPager); len(fp.sizes) != 0 {
		t.Errorf("opening read %d page sizes; pages should load only when asked", len(fp.sizes))
	}
	if _, err := d.Render(1000, 0); !errors.Is(err, ErrPageRange) {
		t.Errorf("page 1001: %v", err)
	}
}

func TestOpenLimits(t *testing.T) {
	path := sample(t, "eik_ecg00012.jpg") // 3776×1898, 2.6 MiB
	for _, c := range []struct {
		lim  Limits
		want ErrorKind
	}{
		{Limits{MaxFileBytes: 1 << 20}, ErrTooLarge},
		{Limits{MaxPixels: 5_000_000}, ErrTooLarge},
		{Limits{MaxPixels: 8_000_000}, ""},
	} {
		d, err := OpenLimits(path, c.lim)
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.lim, err)
			} else {
				d.Close()
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.lim, err, c.want)
		}
	}
	// page count and DPI limits on a PDF
	dir := t.TempDir()
	makePDF(t, filepath.Join(dir, "ten.pdf"), "[0 0 612 792]", 10, "")
	if _, err := OpenLimits(filepath.Join(dir, "ten.pdf"), Limits{MaxPages: 5}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10 pages with MaxPages 5: %v", err)
	}
	d, err := OpenLimits(filepath.Join(dir, "ten.pdf"), Limits{MaxDPI: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Render(0, 200); !errors.Is(err, ErrTooLarge) {
		t.Errorf("200 DPI with MaxDPI 150: %v", err)
	}
	if _, err := d.Render(0, 150); err != nil {
		t.Errorf("150 DPI: %v", err)
	}
	d.Close()
	if _, err := d.Render(0, 100); !errors.Is(err, ErrClosed) {
		t.Errorf("render after close: %v", err)
	}
}
