package interpret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/fs/ggml"
	"github.com/ollama/ollama/parser"
	"github.com/ollama/ollama/template"

	"pulsedesk/assets"
	"pulsedesk/interpret/ollamatest"
)

// The app's own Modelfile reading agrees with Ollama's parser.
func TestModelfileMatchesOllamaParser(t *testing.T) {
	mf := PULSEModelfile()
	of, err := parser.ParseFile(strings.NewReader(assets.ModelfilePULSE))
	if err != nil {
		t.Fatalf("ollama cannot parse Modelfile.pulse: %v", err)
	}
	var from []string
	params := map[string][]string{}
	for _, c := range of.Commands {
		switch c.Name {
		case "model":
			from = append(from, c.Args)
		case "template":
			if c.Args != mf.Template {
				t.Errorf("template differs:\n%q\n%q", c.Args, mf.Template)
			}
		case "system":
			if c.Args != mf.System {
				t.Errorf("system differs")
			}
		default:
			params[c.Name] = append(params[c.Name], c.Args)
		}
	}
	if !reflect.DeepEqual(from, mf.From) || len(from) != 2 {
		t.Errorf("FROM %q vs %q", from, mf.From)
	}
	if !reflect.DeepEqual(params["stop"], []string{"USER:", "</s>"}) || !reflect.DeepEqual(mf.Parameters["stop"], []string{"USER:", "</s>"}) {
		t.Errorf("stops %q / %v", params["stop"], mf.Parameters["stop"])
	}
	if mf.Parameters["temperature"] != 0 || mf.Parameters["num_ctx"] != 4096 {
		t.Errorf("parameters %v", mf.Parameters)
	}
	if !strings.HasPrefix(mf.System, "A chat between a curious human and an artificial intelligence assistant.") {
		t.Errorf("system %q", mf.System)
	}
}

func writeGGUF(t *testing.T, path string, kv ggml.KV) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ggml.WriteGGUF(f, kv, nil); err != nil {
		t.Fatal(err)
	}
}

func TestImportTwoFiles(t *testing.T) {
	srv := ollamatest.New(t)
	srv.RemoveModel("pulse")
	c := newTestClient(t, srv.URL)
	dir := t.TempDir()
	lm := filepath.Join(dir, "pulse-7b.Q4_K_M.gguf")
	proj := filepath.Join(dir, "mmproj-pulse-7b-f16.gguf")
	writeGGUF(t, lm, ggml.KV{"general.architecture": "llama", "llama.block_count": uint32(1)})
	writeGGUF(t, proj, ggml.KV{"general.architecture": "clip", "clip.vision.image_size": uint32(336), "clip.vision.block_count": uint32(1)})

	var steps []string
	m, err := c.Import(context.Background(), ImportRequest{ModelPath: lm, ProjectorPath: proj}, func(p ImportProgress) {
		steps = append(steps, p.Step+":"+p.Status)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Vision || !m.PULSE {
		t.Errorf("imported model %+v", m)
	}
	var create *api.CreateRequest
	blobPosts := 0
	for _, r := range srv.Requests() {
		if r.Path == "/api/create" {
			create = &api.CreateRequest{}
			if err := jsonUnmarshal(r.Body, create); err != nil {
				t.Fatal(err)
			}
		}
		if strings.HasPrefix(r.Path, "/api/blobs/") && r.Method == "POST" {
			blobPosts++
		}
	}
	if create == nil || len(create.Files) != 2 || create.Files["pulse-7b.Q4_K_M.gguf"] == "" || create.Files["mmproj-pulse-7b-f16.gguf"] == "" {
		t.Fatalf("create request %+v", create)
	}
	mf := PULSEModelfile()
	if create.Template != mf.Template || create.System != mf.System || create.Model != "pulse" {
		t.Errorf("create request template/system/name %+v", create)
	}
	if blobPosts != 2 || !srv.HasBlob(create.Files["pulse-7b.Q4_K_M.gguf"]) {
		t.Errorf("%d blob uploads", blobPosts)
	}
	if !strings.Contains(strings.Join(steps, ","), "creating:success") {
		t.Errorf("progress %v", steps)
	}

	// A second import finds the blobs on the server and uploads nothing.
	if _, err := c.Import(context.Background(), ImportRequest{ModelPath: lm, ProjectorPath: proj}, nil); err != nil {
		t.Fatal(err)
	}
	posts := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/blobs/") && r.Method == "POST" {
			posts++
		}
	}
	if posts != 2 {
		t.Errorf("blobs uploaded again: %d posts", posts)
	}

	// Two language models (no projector): created, but refused for lacking vision.
	lm2 := filepath.Join(dir, "other.gguf")
	writeGGUF(t, lm2, ggml.KV{"general.architecture": "llama", "llama.block_count": uint32(2)})
	if _, err := c.Import(context.Background(), ImportRequest{Name: "notvision", ModelPath: lm, ProjectorPath: lm2}, nil); !errors.Is(err, ErrNoVision) {
		t.Errorf("import without a projector: %v, want ErrNoVision", err)
	}
	// Not a GGUF.
	txt := filepath.Join(dir, "readme.gguf")
	os.WriteFile(txt, []byte("hello"), 0o600)
	if _, err := c.Import(context.Background(), ImportRequest{ModelPath: txt, ProjectorPath: proj}, nil); err == nil || !strings.Contains(err.Error(), txt) {
		t.Errorf("non-GGUF: %v", err)
	}
	if _, err := c.Import(context.Background(), ImportRequest{ModelPath: filepath.Join(dir, "missing.gguf"), ProjectorPath: proj}, nil); err == nil || !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPull(t *testing.T) {
	srv := ollamatest.New(t)
	c := newTestClient(t, srv.URL)
	var last api.ProgressResponse
	n := 0
	if err := c.Pull(context.Background(), "llava:7b", func(p api.ProgressResponse) { last = p; n++ }); err != nil {
		t.Fatal(err)
	}
	if last.Status != "success" || n < 4 {
		t.Errorf("progress: %d reports, last %+v", n, last)
	}
	if _, err := c.Show(context.Background(), "llava:7b"); err != nil {
		t.Errorf("pulled model not installed: %v", err)
	}
	if err := c.Pull(context.Background(), "nosuchmodel", nil); err == nil || !strings.Contains(err.Error(), "file does not exist") {
		t.Errorf("pull of an unknown model: %v", err)
	}
}

// Modelfile.pulse's template, rendered by Ollama's own template package
// with the messages Ollama builds (the image tag "[img-0]" put before the
// text), gives the llava_v1 prompt PULSE was trained on.
func TestModelfileTemplateRendersLlavaV1(t *testing.T) {
	mf := PULSEModelfile()
	tmpl, err := template.Parse(mf.Template)
	if err != nil {
		t.Fatal(err)
	}
	q := "Please write a clinical report based on this ECG image."
	msgs := []api.Message{
		{Role: "system", Content: mf.System},
		{Role: "user", Content: "[img-0]" + "\n" + q}, // what Ollama makes of "\n"+q with one image
		{Role: "assistant", Content: "Sinus rhythm."},
		{Role: "user", Content: "Rate?"},
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, template.Values{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	want := mf.System + " USER: [img-0]\n" + q + " ASSISTANT: Sinus rhythm.</s>USER: Rate? ASSISTANT:"
	if b.String() != want {
		t.Errorf("rendered\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	tmpl.Execute(&b, template.Values{Messages: msgs[:2]})
	if want := mf.System + " USER: [img-0]\n" + q + " ASSISTANT:"; b.String() != want {
		t.Errorf("first turn\n%q\nwant\n%q", b.String(), want)
	}
}
