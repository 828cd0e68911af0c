package interpret

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest"
)

func TestModelsAndCapabilities(t *testing.T) {
	srv := ollamatest.New(t)
	srv.AddModel(ollamatest.TextModel("llama3.2:1b"))
	srv.AddModel(ollamatest.VisionModel("gemma3:4b"))
	c := newTestClient(t, srv.URL)
	ctx := context.Background()

	ms, err := c.ModelsDetailed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("got %d models, want 3", len(ms))
	}
	byName := map[string]Model{}
	for _, m := range ms {
		byName[m.Name] = m
		if len(m.Digest) != 64 {
			t.Errorf("%s: digest %q", m.Name, m.Digest)
		}
	}
	p := byName["pulse:latest"]
	if !p.Vision || !p.PULSE || p.NotEvaluated || p.Note() != "" {
		t.Errorf("pulse = %+v", p)
	}
	if p.ImageLongSide != 1008 {
		t.Errorf("pulse long side = %d, want 1008 (3 × 336, anyres)", p.ImageLongSide)
	}
	g := byName["gemma3:4b"]
	if !g.Vision || !g.NotEvaluated || g.Note() != NotEvaluatedNote || g.ImageLongSide != 896 {
		t.Errorf("gemma3 = %+v", g)
	}
	if byName["llama3.2:1b"].Vision {
		t.Error("a text model reported vision")
	}

	if _, err := c.RequireVision(ctx, "pulse"); err != nil {
		t.Errorf("RequireVision(pulse): %v", err)
	}
	_, err = c.RequireVision(ctx, "llama3.2:1b")
	var nv *NoVisionError
	if !errors.Is(err, ErrNoVision) || !errors.As(err, &nv) {
		t.Fatalf("RequireVision(text model) = %v, want ErrNoVision", err)
	}
	if !strings.Contains(err.Error(), "llama3.2:1b") || !strings.Contains(err.Error(), "ignore the image") {
		t.Errorf("message %q", err)
	}
	if _, err := c.RequireVision(ctx, "missing"); !errors.Is(err, ErrModelNotFound) {
		t.Errorf("RequireVision(missing) = %v, want ErrModelNotFound", err)
	}
}

func TestLongSideFromShow(t *testing.T) {
	cases := []struct {
		name      string
		model     map[string]any
		projector map[string]any
		want      int
	}{
		{"pinpoints", nil, map[string]any{"clip.vision.image_size": 336.0,
			"clip.vision.image_grid_pinpoints": []any{336.0, 672.0, 672.0, 336.0, 672.0, 672.0, 1008.0, 336.0, 336.0, 1008.0}}, 1008},
		{"pinpoints 2x2", nil, map[string]any{"clip.vision.image_size": 336.0, "clip.vision.image_grid_pinpoints": []any{336.0, 672.0, 672.0, 672.0}}, 672},
		{"anyres without pinpoints", nil, map[string]any{"clip.vision.image_size": 336.0, "clip.vision.mm_patch_merge_type": "spatial_unpad", "clip.vision.image_grid_pinpoints": []any{}}, 1008},
		{"llava 1.5", nil, map[string]any{"clip.vision.image_size": 336.0, "clip.vision.mm_patch_merge_type": "flat"}, 336},
		{"gemma3", map[string]any{"general.architecture": "gemma3", "gemma3.vision.image_size": 896.0}, nil, 896},
		{"unknown", map[string]any{"general.architecture": "qwen25vl"}, nil, 1008},
	}
	for _, c := range cases {
		if got := LongSideFromShow(c.model, c.projector); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestIsPULSE(t *testing.T) {
	for n, want := range map[string]bool{"pulse": true, "pulse:latest": true, "PULSE:q4_k_m": true, "me/pulse:7b": true, "pulse7b": false, "llava:7b": false} {
		if IsPULSE(n) != want {
			t.Errorf("IsPULSE(%q) = %v", n, !want)
		}
	}
}
