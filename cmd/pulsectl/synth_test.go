package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pulsedesk/viewer"
)

const synthRecord = "../../viewer/ecgpaper/testdata/HR06004.hea"

func runSynthCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"synth"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSynthPNGWithTruth(t *testing.T) {
	dir := t.TempDir()
	png1 := filepath.Join(dir, "p.png")
	tj := filepath.Join(dir, "t.json")
	code, out, errs := runSynthCmd(t, synthRecord, "--dpi", "150", "--layout", "6x2", "--truth", tj, "-o", png1)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "p.png") {
		t.Errorf("stdout %q", out)
	}
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var st synthTruth
	b, err := os.ReadFile(tj)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Width != img.Bounds().Dx() || st.Height != img.Bounds().Dy() || math.Abs(st.PxPerMM-150/25.4) > 1e-9 {
		t.Errorf("truth %dx%d %g px/mm, image %v", st.Width, st.Height, st.PxPerMM, img.Bounds())
	}
	if st.Page.Layout != "6x2" || len(st.Page.Panels) != 12 || st.TraceBox != st.Page.TraceBox {
		t.Errorf("layout %s, %d panels, trace box %v vs %v", st.Page.Layout, len(st.Page.Panels), st.TraceBox, st.Page.TraceBox)
	}
	// Every pixel of the trace box edge is inside the image, and ink is at a
	// truth point (the R peak of lead II near 0.5 s is not needed: any sample).
	x, y, ok := st.Page.Point("II", st.Page.Panels[1].T0, st.Page.Panels[1].OffsetMV)
	if !ok || x < 0 || y < 0 || int(x) >= st.Width || int(y) >= st.Height {
		t.Errorf("Point(II) = %g,%g,%v", x, y, ok)
	}
}

func TestSynthDegradedAndFormats(t *testing.T) {
	dir := t.TempDir()
	tj := filepath.Join(dir, "t.json")
	jpg := filepath.Join(dir, "r.jpg")
	code, _, errs := runSynthCmd(t, synthRecord, "-o", jpg, "--rotate", "-6", "--noise", "5", "--blur", "0.5", "--grid", "green", "--grid-style", "dots", "--tint", "--seed", "4", "--truth", tj, "--dpi", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, _ := os.Open(jpg)
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var st synthTruth
	b, _ := os.ReadFile(tj)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.SkewDegrees != -6 || st.Width != img.Bounds().Dx() || st.Width <= st.Page.Width || st.Page.GridColor != "green" {
		t.Errorf("skew %g, width %d (page %d, image %d), grid %s", st.SkewDegrees, st.Width, st.Page.Width, img.Bounds().Dx(), st.Page.GridColor)
	}
	// Negative angle: clockwise, so the right end of a row is lower.
	_, yl := st.Transform.Map(st.Page.TraceBox.X0, 500)
	_, yr := st.Transform.Map(st.Page.TraceBox.X1, 500)
	if yr <= yl {
		t.Errorf("rotation -6 maps the row's ends to y %g and %g", yl, yr)
	}

	// A vector PDF of the paper's size, and a degraded one as an image page.
	for _, extra := range [][]string{nil, {"--rotate", "3"}} {
		pdf := filepath.Join(dir, "p.pdf")
		code, _, errs = runSynthCmd(t, append([]string{synthRecord, "-o", pdf}, extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		d, err := viewer.Open(pdf)
		if err != nil {
			t.Fatal(err)
		}
		w, h, ok := d.PageSizePt(0)
		pw, _, _ := d.PixelSize(0, 200)
		d.Close()
		if extra == nil && (!ok || math.Abs(w-841.89) > 1 || math.Abs(h-595.28) > 1 || pw < 2336 || pw > 2340) {
			t.Errorf("vector PDF page %gx%g pt, %d px at 200 DPI", w, h, pw)
		}
		if extra != nil && (!ok || w <= 842) {
			t.Errorf("rotated PDF page %gx%g pt", w, h)
		}
	}
}

func TestSynthPalettePNG(t *testing.T) {
	dir := t.TempDir()
	full, pal := filepath.Join(dir, "full.png"), filepath.Join(dir, "pal.png")
	for _, a := range [][]string{{"-o", full}, {"-o", pal, "--palette"}} {
		if code, _, errs := runSynthCmd(t, append([]string{synthRecord, "--dpi", "100"}, a...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
	}
	f, _ := os.Open(pal)
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Paletted); !ok {
		t.Errorf("--palette wrote a %T", img)
	}
	a, _ := os.Stat(full)
	b, _ := os.Stat(pal)
	if b.Size()*2 > a.Size() {
		t.Errorf("palette PNG %d bytes, full %d", b.Size(), a.Size())
	}
}

func TestSynthErrors(t *testing.T) {
	dir := t.TempDir()
	o := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{synthRecord}, 2, "-o"},
		{[]string{"-o", o}, 2, "RECORD"},
		{[]string{synthRecord, "-o", filepath.Join(dir, "x.gif")}, 2, "extension"},
		{[]string{synthRecord, "-o", o, "--dpi", "50"}, 2, "dpi"},
		{[]string{synthRecord, "-o", o, "--layout", "5x5"}, 2, "layout"},
		{[]string{synthRecord, "-o", o, "--grid", "pink"}, 2, "grid"},
		{[]string{synthRecord, "-o", o, "--jpeg", "101"}, 2, "jpeg"},
		{[]string{filepath.Join(dir, "missing.hea"), "-o", o}, 1, "missing.hea"},
		{[]string{"synth_test.go", "-o", o}, 1, "synth_test.go"},
	} {
		code, _, errs := runSynthCmd(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
	if _, err := os.Stat(o); err == nil {
		t.Error("a failed synth left an output file")
	}
}

func BenchmarkSynth3x4(b *testing.B) {
	dir := b.TempDir()
	for _, dpi := range []string{"200", "300"} {
		b.Run(dpi+"dpi", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out, errb bytes.Buffer
				if code := run([]string{"synth", synthRecord, "--dpi", dpi, "-o", filepath.Join(dir, "b.png")}, &out, &errb); code != 0 {
					b.Fatal(errb.String())
				}
			}
		})
	}
}
