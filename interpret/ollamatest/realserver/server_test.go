package realserver

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

func TestServerStartsAndStops(t *testing.T) {
	s := Start(t)
	v, err := s.ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v != Version {
		t.Fatalf("server version %q, want %q", v, Version)
	}
	for _, d := range []string{s.Models, s.Home} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("server folder: %v", err)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("server still running after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	c, err := net.DialTimeout("tcp", s.Host, time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", s.Host)
	}
}

func TestBinaryMissingFailsUnderCI(t *testing.T) {
	t.Setenv(EnvBinary, t.TempDir()+"/no-such-ollama")
	if _, err := lookBinary(); err == nil {
		t.Fatal("a missing binary was accepted")
	}
	t.Setenv(EnvBinary, "")
	if _, err := lookBinary(); err == nil {
		t.Fatal("an unset variable was accepted")
	}
	t.Setenv(EnvBinary, t.TempDir())
	if _, err := lookBinary(); err == nil {
		t.Fatal("a folder was accepted as the binary")
	}
	ft := &fakeTB{TB: t}
	t.Setenv("CI", "true")
	func() {
		defer func() { _ = recover() }()
		Binary(ft)
	}()
	if !ft.fatal || ft.skipped {
		t.Fatalf("under CI=true a missing binary must fail the test (fatal %v, skipped %v)", ft.fatal, ft.skipped)
	}
	ft = &fakeTB{TB: t}
	t.Setenv("CI", "")
	func() {
		defer func() { _ = recover() }()
		Binary(ft)
	}()
	if ft.fatal || !ft.skipped {
		t.Fatalf("outside CI a missing binary must skip the test (fatal %v, skipped %v)", ft.fatal, ft.skipped)
	}
}

// fakeTB records Fatal and Skip instead of ending the test (they panic to stop the caller).
type fakeTB struct {
	testing.TB
	fatal, skipped bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.fatal = true
	panic("fatal")
}
func (f *fakeTB) Skipf(string, ...any) {
	f.skipped = true
	panic("skip")
}

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chat runs one non-streamed chat and returns the final response.
func chat(t *testing.T, s *Server, name string, images ...api.ImageData) api.ChatResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream := false
	var final api.ChatResponse
	err := s.Client().Chat(ctx, &api.ChatRequest{
		Model:    name,
		Messages: []api.Message{{Role: "user", Content: "Describe this.", Images: images}},
		Stream:   &stream,
		Options:  map[string]any{"temperature": 0, "seed": 1, "num_predict": 6, "num_ctx": 4096, "num_thread": 1},
	}, func(r api.ChatResponse) error { final = r; return nil })
	if err != nil {
		t.Fatalf("chat with %s: %v\n%s", name, err, s.Log())
	}
	if !final.Done {
		t.Fatalf("chat with %s: no final response", name)
	}
	return final
}

func capabilities(t *testing.T, s *Server, name string) []model.Capability {
	t.Helper()
	resp, err := s.Client().Show(context.Background(), &api.ShowRequest{Model: name})
	if err != nil {
		t.Fatalf("show %s: %v", name, err)
	}
	return resp.Capabilities
}

func TestTinyModelsRun(t *testing.T) {
	s := Start(t)
	vision := s.AddVisionModel(t)
	text := s.AddTextModel(t)

	if c := capabilities(t, s, vision); !slices.Contains(c, model.CapabilityVision) {
		t.Errorf("%s capabilities %v, want vision", vision, c)
	}
	if c := capabilities(t, s, text); slices.Contains(c, model.CapabilityVision) || !slices.Contains(c, model.CapabilityCompletion) {
		t.Errorf("%s capabilities %v, want completion without vision", text, c)
	}

	plain := chat(t, s, vision)
	withImage := chat(t, s, vision, testPNG(t, 40, 30))
	if plain.Message.Content == "" || withImage.Message.Content == "" {
		t.Errorf("empty answers: %q, %q", plain.Message.Content, withImage.Message.Content)
	}
	if got := withImage.PromptEvalCount - plain.PromptEvalCount; got != GemmaImageTokens {
		t.Errorf("the image added %d prompt tokens (%d with, %d without), want %d",
			got, withImage.PromptEvalCount, plain.PromptEvalCount, GemmaImageTokens)
	}
	if withImage.EvalCount != 6 {
		t.Errorf("eval count %d, want num_predict 6 (the tiny model must not stop early)", withImage.EvalCount)
	}

	answer := chat(t, s, text)
	if answer.Message.Content == "" || answer.EvalCount != 6 {
		t.Errorf("text model answer %q with %d tokens, want 6 tokens", answer.Message.Content, answer.EvalCount)
	}
	t.Logf("vision answer %q; text answer %q", withImage.Message.Content, answer.Message.Content)
}

// TestLlavaPairRuns imports a LLaVA-1.6 style pair (language model + CLIP projector with
// "anyres" grid pinpoints, as PULSE ships) and checks that the image reaches the model: a small
// image is read as one 56 px view (16 tokens); a 120x60 image as that overview plus two 56 px
// tiles of the best grid (112x56), 32 tokens more.
func TestLlavaPairRuns(t *testing.T) {
	s := Start(t)
	dir := t.TempDir()
	lm, proj := dir+"/tiny-llava.gguf", dir+"/tiny-llava-mmproj.gguf"
	if err := WriteLlavaPair(lm, proj); err != nil {
		t.Fatal(err)
	}
	s.CreateModel(t, "tiny-llava", TinyParameters(0), lm, proj)
	if c := capabilities(t, s, "tiny-llava"); !slices.Contains(c, model.CapabilityVision) {
		t.Errorf("tiny-llava capabilities %v, want vision", c)
	}
	plain := chat(t, s, "tiny-llava")
	small := chat(t, s, "tiny-llava", testPNG(t, 40, 30))
	wide := chat(t, s, "tiny-llava", testPNG(t, 120, 60))
	t.Logf("prompt tokens: %d without an image, %d with 40x30, %d with 120x60; answer %q",
		plain.PromptEvalCount, small.PromptEvalCount, wide.PromptEvalCount, wide.Message.Content)
	if small.PromptEvalCount-plain.PromptEvalCount < llavaViewTokens {
		t.Errorf("a small image added %d prompt tokens, want at least %d",
			small.PromptEvalCount-plain.PromptEvalCount, llavaViewTokens)
	}
	if got := wide.PromptEvalCount - small.PromptEvalCount; got != 2*llavaViewTokens {
		t.Errorf("a 120x60 image has %d prompt tokens more than a 40x30 one, want %d (two tiles)", got, 2*llavaViewTokens)
	}
	if wide.EvalCount != 6 || wide.Message.Content == "" {
		t.Errorf("answer %q with %d tokens, want 6", wide.Message.Content, wide.EvalCount)
	}
}

// llavaViewTokens is the number of image tokens of one 56 px view of the tiny projector.
const llavaViewTokens = (clipImage / clipPatch) * (clipImage / clipPatch)
