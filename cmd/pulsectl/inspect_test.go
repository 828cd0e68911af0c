package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectJSON(t *testing.T) {
	src := sharedImage(t, "paperecg_fullScan.png")
	var out, errb bytes.Buffer
	if code := run([]string{"inspect", src, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"width", "height", "skew_degrees", "skew_confidence", "px_per_mm", "grid_color", "grid_confidence", "trace_box", "warnings", "suggested_edits"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if r["width"].(float64) != 2200 || r["height"].(float64) != 1700 {
		t.Errorf("size %v×%v, want 2200×1700", r["width"], r["height"])
	}
	if px, ok := r["px_per_mm"].(float64); !ok || math.Abs(px-7.874)/7.874 > 0.02 {
		t.Errorf("px_per_mm %v, want 7.87 ± 2 %%", r["px_per_mm"])
	}
	box := r["trace_box"].([]any)
	if len(box) != 4 || box[2].(float64) <= box[0].(float64) || box[3].(float64) <= box[1].(float64) {
		t.Errorf("trace_box %v is not a rectangle", box)
	}
	if _, ok := r["suggested_edits"].(map[string]any)["crop"]; !ok {
		t.Errorf("suggested edits %v have no crop", r["suggested_edits"])
	}
}

func TestInspectBlankPageSaysNoGrid(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "blank.png")
	img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(10, 10, color.Black)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out, errb bytes.Buffer
	if code := run([]string{"inspect", p}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"no grid found", "not_ecg", "no_trace"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	if code := run([]string{"inspect", p, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r["px_per_mm"] != nil {
		t.Errorf("px_per_mm %v on a blank page, want null", r["px_per_mm"])
	}
}

func TestInspectErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"inspect"}, &out, &errb); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	errb.Reset()
	missing := filepath.Join(t.TempDir(), "nope.png")
	if code := run([]string{"inspect", missing}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "nope.png") {
		t.Errorf("missing file: exit %d, stderr %q; want 1 naming the file", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"inspect", "-h"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "counter-clockwise") {
		t.Errorf("help: exit %d, %q; want the sign convention explained", code, errb.String())
	}
}
