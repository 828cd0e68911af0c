package main

import (
	"pulsedesk/internal/shareddata"

	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

// sharedImage returns a real printout from shared/data/images.
func sharedImage(t *testing.T, name string) string { t.Helper(); return shareddata.Image(t, name) }

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func lum(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
}

func TestRenderCropRedactOnRealPrintout(t *testing.T) {
	src := sharedImage(t, "eik_ecg00053.png") // 2200×1700
	dir := t.TempDir()
	edits := filepath.Join(dir, "edits.json")
	os.WriteFile(edits, []byte(`{"version":1,"quarter_turns":1,
		"crop":{"x0":0.25,"y0":0.1,"x1":0.75,"y1":0.5},
		"redactions":[{"x0":0.3,"y0":0.2,"x1":0.5,"y1":0.3}],
		"contrast":0.2,"sharpen":0.4}`), 0o644)
	out := filepath.Join(dir, "out.png")
	code, stdout, stderr := runCmd(t, "render", src, "--edits", edits, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "850×880") {
		t.Errorf("stdout %q", stdout)
	}
	img := readPNG(t, out)
	// straight frame after a quarter turn: 1700×2200; crop 0.5×0.4 of it
	if img.Bounds().Size() != (image.Point{850, 880}) {
		t.Fatalf("crop size %v, want 850×880", img.Bounds().Size())
	}
	// redaction straight px (510..850, 440..660) -> output (85..425, 220..440)
	for _, p := range [][2]int{{86, 221}, {424, 439}, {250, 330}} {
		if l := lum(img, p[0], p[1]); l > 0.5 {
			t.Errorf("redacted pixel %v has luminance %.1f, want black", p, l)
		}
	}
	// outside the box the page is mostly light paper
	light := 0
	for x := 450; x < 850; x += 10 {
		if lum(img, x, 300) > 180 {
			light++
		}
	}
	if light < 20 {
		t.Errorf("only %d/40 light samples beside the box", light)
	}
}

func TestRenderAndOpenErrors(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "note.png")
	os.WriteFile(txt, []byte("this is not a picture\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"render", txt, "-o", filepath.Join(dir, "o.png")}, 1, "note.png: not an image or PDF"},
		{[]string{"render", filepath.Join(dir, "none.pdf"), "-o", filepath.Join(dir, "o.png")}, 1, "none.pdf: file not found"},
		{[]string{"render", txt}, 2, "-o OUT.png is required"},
		{[]string{"render"}, 2, "exactly one FILE"},
		{[]string{"render", txt, "-o", "x.png", "--page", "0"}, 2, "--page"},
		{[]string{"open", dir}, 1, "is a folder"},
		{[]string{"open"}, 2, "exactly one FILE"},
		{[]string{"open", txt, "--bogus"}, 2, "bogus"},
	} {
		code, _, stderr := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.png")); err == nil {
		t.Error("a failed render left an output file")
	}
}

func TestRenderBadEditsFile(t *testing.T) {
	src := sharedImage(t, "eik_ecg00054.png")
	dir := t.TempDir()
	edits := filepath.Join(dir, "e.json")
	os.WriteFile(edits, []byte(`{"version":1,"crop":{"x0":0.8,"y0":0,"x1":0.2,"y1":1}}`), 0o644)
	code, _, stderr := runCmd(t, "render", src, "--edits", edits, "-o", filepath.Join(dir, "o.png"))
	if code != 1 || !strings.Contains(stderr, "e.json") || !strings.Contains(stderr, "crop") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestOpenJSON(t *testing.T) {
	code, stdout, stderr := runCmd(t, "open", sharedImage(t, "dcmplot_anonymous_ecg_3x4_1.pdf"), "--json", "--dpi", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var info openInfo
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatal(err)
	}
	if info.Kind != "pdf" || info.Pages != 1 || len(info.PageSizes) != 1 {
		t.Fatalf("%+v", info)
	}
	if p := info.PageSizes[0]; p.WidthPx < 1167 || p.WidthPx > 1170 || p.HeightPx < 825 || p.HeightPx > 828 {
		t.Errorf("page size at 100 DPI %d×%d, want ≈1169×827", p.WidthPx, p.HeightPx)
	}
	code, stdout, _ = runCmd(t, "open", sharedImage(t, "eik_ecg00012.jpg"))
	if code != 0 || !strings.Contains(stdout, "jpeg") || !strings.Contains(stdout, "3776×1898") {
		t.Errorf("exit %d: %q", code, stdout)
	}
}

func TestRenderQuarterTurnCropAt100And300DPI(t *testing.T) {
	src := sharedImage(t, "dcmplot_anonymous_ecg_3x4_1.pdf")
	dir := t.TempDir()
	edits := filepath.Join(dir, "edits.json")
	os.WriteFile(edits, []byte(`{"version":1,"quarter_turns":1,"crop":{"x0":0.3,"y0":0.1,"x1":0.8,"y1":0.6}}`), 0o644)
	var imgs []image.Image
	for _, dpi := range []string{"100", "300"} {
		out := filepath.Join(dir, dpi+".png")
		if code, _, stderr := runCmd(t, "render", src, "--dpi", dpi, "--edits", edits, "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		imgs = append(imgs, readPNG(t, out))
	}
	lo, hi := imgs[0], imgs[1]
	lb := lo.Bounds().Size()
	if hb := hi.Bounds().Size(); absDiffInt(hb.X-3*lb.X) > 4 || absDiffInt(hb.Y-3*lb.Y) > 4 {
		t.Fatalf("sizes %v and %v are not 1:3", lb, hb)
	}
	down := imaging.Resize(hi, lb.X, lb.Y, imaging.Box)
	// every clearly inked pixel at 100 DPI has ink within a pixel at 300 DPI
	ink, missing := 0, 0
	for y := 1; y < lb.Y-1; y++ {
		for x := 1; x < lb.X-1; x++ {
			if lum(lo, x, y) >= 100 {
				continue
			}
			ink++
			near := false
			for dy := -1; dy <= 1 && !near; dy++ {
				for dx := -1; dx <= 1 && !near; dx++ {
					near = lum(down, x+dx, y+dy) < 200
				}
			}
			if !near {
				missing++
			}
		}
	}
	if ink < 500 || missing*100 > ink {
		t.Errorf("%d of %d ink pixels at 100 DPI have no ink near them at 300 DPI", missing, ink)
	}
}

func TestRenderGridSuppression(t *testing.T) {
	src := sharedImage(t, "eik_ecg00021.bmp") // pink grid, black trace
	dir := t.TempDir()
	edits := filepath.Join(dir, "edits.json")
	os.WriteFile(edits, []byte(`{"version":1,"grid_suppression":1}`), 0o644)
	out := filepath.Join(dir, "out.png")
	if code, _, stderr := runCmd(t, "render", src, "--edits", edits, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	plain := filepath.Join(dir, "plain.png")
	if code, _, stderr := runCmd(t, "render", src, "-o", plain); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before, after := readPNG(t, plain), readPNG(t, out)
	var gridB, gridA, traceB, traceA float64
	var ng, nt int
	b := before.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := before.At(x, y).RGBA()
			mx, mn := max(r, g, bl)>>8, min(r, g, bl)>>8
			switch {
			case mx-mn >= 40 && mx >= 150: // pink grid ink
				gridB += lum(before, x, y)
				gridA += lum(after, x, y)
				ng++
			case mx < 70: // black trace
				traceB += lum(before, x, y)
				traceA += lum(after, x, y)
				nt++
			}
		}
	}
	if ng < 1000 || nt < 300 {
		t.Fatalf("%d grid and %d trace pixels", ng, nt)
	}
	gridB, gridA, traceB, traceA = gridB/float64(ng), gridA/float64(ng), traceB/float64(nt), traceA/float64(nt)
	t.Logf("grid %.0f→%.0f, trace %.0f→%.0f", gridB, gridA, traceB, traceA)
	if gridA < 215 || traceA > 80 || traceA > traceB+15 {
		t.Errorf("grid %.0f→%.0f (want light), trace %.0f→%.0f (want dark)", gridB, gridA, traceB, traceA)
	}
}

func absDiffInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
