package interpret

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"pulsedesk/interpret/ollamatest"
	"pulsedesk/interpret/ollamatest/realserver"
)

// backend is one server the contract suite runs against: the fake or the real Ollama server,
// each with a vision model, a text-only model and a vision model whose answers go on until
// stopped.
type backend struct {
	name       string
	url        string
	vision     string
	visionLong string
	text       string
	// imageTokens checks how many prompt tokens the image added.
	imageTokens func(t *testing.T, added int)
	// slow makes the next runs on visionLong slow enough to stop mid-answer; the returned
	// function undoes it.
	slow func() func()
	// repeat makes the next run on visionLong repeat one piece until Ollama cuts it; the
	// returned function undoes it.
	repeat func() func()
	// real is the real server (nil for the fake).
	real *realserver.Server
}

func fakeBackend(t *testing.T) *backend {
	srv := ollamatest.New(t)
	srv.AddModel(ollamatest.VisionModel("tiny-vision:latest"))
	srv.AddModel(ollamatest.TextModel("tiny-text:latest"))
	return &backend{
		name: "fake", url: srv.URL,
		vision: "tiny-vision", visionLong: "tiny-vision", text: "tiny-text",
		imageTokens: func(t *testing.T, added int) {
			// The fake counts an image as LLaVA-1.6 views of 576 tokens.
			if added < 576 || added%576 != 0 {
				t.Errorf("the image added %d prompt tokens, want whole 576-token views", added)
			}
		},
		slow: func() func() {
			srv.SetFaults(ollamatest.Faults{TokenDelay: 20 * time.Millisecond})
			return func() { srv.SetFaults(ollamatest.Faults{}) }
		},
		repeat: func() func() {
			srv.SetFaults(ollamatest.Faults{RepeatAfter: 2})
			return func() { srv.SetFaults(ollamatest.Faults{}) }
		},
	}
}

func realBackend(t *testing.T) *backend {
	srv := realserver.Start(t)
	srv.AddVisionModel(t)
	srv.AddTextModel(t)
	return &backend{
		name: "real", url: srv.URL, real: srv,
		vision: realserver.VisionModel, visionLong: realserver.VisionModelLong, text: realserver.TextModel,
		imageTokens: func(t *testing.T, added int) {
			if added != realserver.GemmaImageTokens {
				t.Errorf("the image added %d prompt tokens, want %d (the tiny vision model's image tokens and markers)",
					added, realserver.GemmaImageTokens)
			}
		},
		slow:   func() func() { return func() {} },
		repeat: func() func() { return func() {} },
	}
}

// wire records the requests a client sends and the responses it reads.
type wire struct {
	base *http.Transport
	mu   sync.Mutex
	log  []*exchange
}

type exchange struct {
	Method, Path string
	Request      []byte
	Status       int
	mu           sync.Mutex
	response     bytes.Buffer
}

func (e *exchange) Response() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]byte(nil), e.response.Bytes()...)
}

func (e *exchange) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.response.Write(p)
}

type teeBody struct {
	io.Reader
	io.Closer
}

func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := &exchange{Method: req.Method, Path: req.URL.Path}
	if req.Body != nil && req.URL.Path != "" && !strings.HasPrefix(req.URL.Path, "/api/blobs/") {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.Request = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	w.mu.Lock()
	w.log = append(w.log, ex)
	w.mu.Unlock()
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ex.Status = resp.StatusCode
	resp.Body = teeBody{Reader: io.TeeReader(resp.Body, ex), Closer: resp.Body}
	return resp, nil
}

func (w *wire) CloseIdleConnections() { w.base.CloseIdleConnections() }

// last returns the last exchange on path.
func (w *wire) last(t *testing.T, path string) *exchange {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.log) - 1; i >= 0; i-- {
		if w.log[i].Path == path {
			return w.log[i]
		}
	}
	t.Fatalf("no %s request was sent", path)
	return nil
}

// count returns how many requests were sent with the method to paths starting with prefix.
func (w *wire) count(method, prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.log {
		if e.Method == method && strings.HasPrefix(e.Path, prefix) {
			n++
		}
	}
	return n
}

// client is the project's client for b, with its traffic recorded.
func (b *backend) client(t *testing.T) (*Client, *wire) {
	t.Helper()
	w := &wire{base: &http.Transport{Proxy: nil}}
	c, err := New(Config{Server: b.url, HTTPClient: &http.Client{Transport: w}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, w
}

// chatLines decodes an NDJSON chat stream.
func chatLines(t *testing.T, body []byte) []api.ChatResponse {
	t.Helper()
	var out []api.ChatResponse
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r api.ChatResponse
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("a stream line is not JSON: %v: %q", err, sc.Text())
		}
		out = append(out, r)
	}
	return out
}

// contractInput is a small page-shaped model input (a grid on white, like a printout).
func contractInput(t *testing.T) *ModelInput {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 96, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 96; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x%8 == 0 || y%8 == 0 {
				c = color.NRGBA{240, 150, 150, 255}
			}
			if y == 32+(x%16)-8 {
				c = color.NRGBA{0, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	in, err := Prepare(img, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &in
}

// llavaPair writes the tiny LLaVA-1.6 pair (language model + CLIP projector) into a folder.
func llavaPair(t *testing.T) (lm, proj string) {
	t.Helper()
	dir := t.TempDir()
	lm, proj = filepath.Join(dir, "tiny-llava.gguf"), filepath.Join(dir, "mmproj-tiny-llava.gguf")
	if err := realserver.WriteLlavaPair(lm, proj); err != nil {
		t.Fatal(err)
	}
	return lm, proj
}

// chunks collects streamed chunks.
type chunks struct {
	mu   sync.Mutex
	list []Chunk
}

func (c *chunks) add(ch Chunk) {
	c.mu.Lock()
	c.list = append(c.list, ch)
	c.mu.Unlock()
}

func (c *chunks) get() []Chunk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Chunk(nil), c.list...)
}

func (c *chunks) text() string {
	var b strings.Builder
	for _, ch := range c.get() {
		b.WriteString(ch.Text)
	}
	return b.String()
}
