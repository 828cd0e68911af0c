// Package ollamatest is a faithful fake of the Ollama HTTP API for tests: it
// speaks the same JSON and NDJSON as Ollama 0.17.4 (/api/version, /api/tags,
// /api/show, /api/ps, /api/chat, /api/generate, /api/blobs, /api/create,
// /api/pull), answers errors as {"error": "..."} with Ollama's status codes,
// and can be told to misbehave: refuse connections, answer 500, stay silent
// before the first token, stall, drop the connection, write slowly or send
// junk. Its answers are plainly fake ("Example answer from the test server").
package ollamatest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // the real server decodes JPEG and PNG
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
)

// Version is the server version the fake reports.
const Version = "0.17.4"

// DefaultAnswer is the text the fake streams unless told otherwise.
const DefaultAnswer = "Example answer from the test server: sinus rhythm, normal axis, no acute changes. " +
	"This text is not a medical interpretation."

// Model is one installed model.
type Model struct {
	Name          string // with tag, e.g. "pulse:latest"
	Digest        string // hex sha256 of the manifest
	Size          int64
	Family        string
	Capabilities  []string // "completion", "vision", ...
	ModelInfo     map[string]any
	ProjectorInfo map[string]any
	Template      string
	System        string
	Parameters    string
}

// PULSEModel is an installed PULSE as an import through /api/create leaves
// it: a llama language model with a CLIP projector (anyres, 336 px tiles).
func PULSEModel() Model {
	return Model{
		Name:         "pulse:latest",
		Digest:       "8a1f8f2b54b9e8b2a0c1f0e3a7c48a8c1d9a7b3f95b1c3f2e4d5a6b7c8d9e0f1",
		Size:         4_370_000_000,
		Family:       "llama",
		Capabilities: []string{"completion", "vision"},
		ModelInfo: map[string]any{
			"general.architecture":   "llama",
			"llama.context_length":   4096,
			"llama.embedding_length": 4096,
		},
		ProjectorInfo: map[string]any{
			"general.architecture":             "clip",
			"clip.has_llava_projector":         true,
			"clip.projector_type":              "mlp",
			"clip.vision.image_size":           336,
			"clip.vision.patch_size":           14,
			"clip.vision.mm_patch_merge_type":  "spatial_unpad",
			"clip.vision.image_grid_pinpoints": []any{}, // arrays over 5 items are emptied unless verbose
		},
		Parameters: "num_ctx                        4096\nstop                           \"USER:\"\nstop                           \"</s>\"\ntemperature                    0",
	}
}

// TextModel is a text-only model (no vision capability).
func TextModel(name string) Model {
	return Model{
		Name:         name,
		Digest:       "1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff001",
		Size:         1_200_000_000,
		Family:       "llama",
		Capabilities: []string{"completion"},
		ModelInfo:    map[string]any{"general.architecture": "llama", "llama.context_length": 8192},
	}
}

// VisionModel is a vision model other than PULSE (a single-file model with
// its vision tower inside, as gemma3 is).
func VisionModel(name string) Model {
	return Model{
		Name:         name,
		Digest:       "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc",
		Size:         3_300_000_000,
		Family:       "gemma3",
		Capabilities: []string{"completion", "vision"},
		ModelInfo: map[string]any{
			"general.architecture":      "gemma3",
			"gemma3.context_length":     131072,
			"gemma3.vision.image_size":  896,
			"gemma3.vision.patch_size":  14,
			"gemma3.vision.block_count": 27,
		},
	}
}

// Faults makes the server misbehave on /api/chat and /api/generate.
type Faults struct {
	// Status, when non-zero, answers every chat and generate request with
	// this HTTP status and {"error": ErrorText}.
	Status    int
	ErrorText string
	// FirstTokenDelay is a silence before anything is sent (the response
	// headers included), as while Ollama loads a model and reads the image.
	FirstTokenDelay time.Duration
	// TokenDelay is the pause between chunks.
	TokenDelay time.Duration
	// StallAfter > 0 stops sending after that many chunks and keeps the
	// connection open until the client gives up.
	StallAfter int
	// DropAfter > 0 closes the connection after that many chunks, without
	// the final done chunk.
	DropAfter int
	// ErrorAfter > 0 sends {"error": ErrorText} in the stream after that many chunks.
	ErrorAfter int
	// JunkAfter > 0 sends a line that is not JSON after that many chunks.
	JunkAfter int
	// JunkStructured answers requests that carry a format with text that is
	// not the requested JSON.
	JunkStructured bool
	// RepeatAfter > 0 sends, after that many chunks, one piece 31 times and
	// ends the stream cleanly without the final chunk, as Ollama does when
	// a model repeats a token more than 30 times.
	RepeatAfter int
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Body   []byte
	At     time.Time
	Chat   *api.ChatRequest     // for /api/chat
	Gen    *api.GenerateRequest // for /api/generate
}

// Server is the fake. Create it with New; it closes itself at the end of the test.
type Server struct {
	*httptest.Server

	mu          sync.Mutex
	models      map[string]Model
	library     map[string]Model // pullable models
	blobs       map[string]int64 // digest -> size
	projector   map[string]bool  // digest -> a GGUF vision projector
	gguf        map[string]bool  // digest -> starts with the GGUF magic
	loaded      map[string]time.Time
	answer      string
	structured  string
	faults      Faults
	requests    []Request
	gated       bool
	release     chan struct{}
	sent        int
	sentCond    *sync.Cond
	chunkSize   int
	hijackConns map[net.Conn]struct{}
}

// TB is the part of testing.TB the fake needs.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// New starts a fake server with PULSE installed.
func New(t TB) *Server {
	t.Helper()
	s := &Server{
		models:      map[string]Model{},
		library:     map[string]Model{},
		blobs:       map[string]int64{},
		projector:   map[string]bool{},
		gguf:        map[string]bool{},
		loaded:      map[string]time.Time{},
		answer:      DefaultAnswer,
		structured:  DefaultFindingsJSON,
		release:     make(chan struct{}, 1<<16),
		chunkSize:   1,
		hijackConns: map[net.Conn]struct{}{},
	}
	s.sentCond = sync.NewCond(&s.mu)
	s.AddModel(PULSEModel())
	s.library["llava:7b"] = VisionModel("llava:7b")
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// DefaultFindingsJSON is the structured answer the fake gives to a request with a format.
const DefaultFindingsJSON = `{"rhythm":"sinus rhythm","heart_rate":72,"axis":"normal","pr":160,"qrs":90,"qt":380,"qtc":410,"diagnoses":["Example finding from the test server"]}`

// Close stops the server, releasing any held streams.
func (s *Server) Close() {
	s.mu.Lock()
	if s.gated {
		s.gated = false
	}
	for c := range s.hijackConns {
		c.Close()
	}
	s.mu.Unlock()
	// Unblock gated handlers.
	for i := 0; i < 1024; i++ {
		select {
		case s.release <- struct{}{}:
		default:
		}
	}
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// AddModel installs a model (replacing one of the same name).
func (s *Server) AddModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models[normalName(m.Name)] = m
}

// RemoveModel uninstalls a model.
func (s *Server) RemoveModel(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.models, normalName(name))
}

// AddLibraryModel makes a model pullable by name.
func (s *Server) AddLibraryModel(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.library[normalName(m.Name)] = m
}

// SetAnswer sets the text streamed in answers.
func (s *Server) SetAnswer(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = text
}

// SetStructuredAnswer sets the text answered to requests with a format.
func (s *Server) SetStructuredAnswer(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.structured = text
}

// SetFaults sets the misbehaviour for the following requests.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Gate holds every chunk until Release lets it go, so a test can act
// between chunks (press Stop after the third one, say).
func (s *Server) Gate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gated = true
}

// Release lets n gated chunks go.
func (s *Server) Release(n int) {
	for i := 0; i < n; i++ {
		s.release <- struct{}{}
	}
}

// WaitSent blocks until at least n chunks were written in total (or the timeout).
func (s *Server) WaitSent(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.sentCond.Broadcast()
		s.mu.Unlock()
	})
	defer t.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.sent < n {
		if time.Now().After(deadline) {
			return false
		}
		s.sentCond.Wait()
	}
	return true
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ChatRequests returns the /api/chat requests received so far.
func (s *Server) ChatRequests() []api.ChatRequest {
	var out []api.ChatRequest
	for _, r := range s.Requests() {
		if r.Chat != nil {
			out = append(out, *r.Chat)
		}
	}
	return out
}

// Loaded reports whether a model is loaded (a chat or generate request
// reached it and it was not unloaded with keep_alive 0).
func (s *Server) Loaded(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.loaded[normalName(name)]
	return ok
}

// HasBlob reports whether a blob was uploaded.
func (s *Server) HasBlob(digest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.blobs[digest]
	return ok
}

// RefusedURL returns the URL of a loopback port that refuses connections.
func RefusedURL(t TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ollamatest: listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func normalName(n string) string {
	n = strings.TrimSpace(n)
	if n == "" {
		return n
	}
	if i := strings.LastIndex(n, "/"); !strings.Contains(n[i+1:], ":") {
		n += ":latest"
	}
	return n
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) record(r *http.Request, body []byte) *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Body: body, At: time.Now()})
	return &s.requests[len(s.requests)-1]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if !strings.HasPrefix(r.URL.Path, "/api/blobs/") {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, 256<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	s.record(r, body)
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		io.WriteString(w, "Ollama is running")
	case r.URL.Path == "/api/version" && r.Method == http.MethodGet:
		writeJSON(w, map[string]string{"version": Version})
	case r.URL.Path == "/api/tags" && r.Method == http.MethodGet:
		s.tags(w)
	case r.URL.Path == "/api/ps" && r.Method == http.MethodGet:
		s.ps(w)
	case r.URL.Path == "/api/show" && r.Method == http.MethodPost:
		s.show(w, body)
	case r.URL.Path == "/api/chat" && r.Method == http.MethodPost:
		s.chat(w, r, body)
	case r.URL.Path == "/api/generate" && r.Method == http.MethodPost:
		s.generate(w, r, body)
	case strings.HasPrefix(r.URL.Path, "/api/blobs/"):
		s.blob(w, r)
	case r.URL.Path == "/api/create" && r.Method == http.MethodPost:
		s.create(w, body)
	case r.URL.Path == "/api/pull" && r.Method == http.MethodPost:
		s.pull(w, body)
	default:
		writeError(w, http.StatusNotFound, "404 page not found")
	}
}

func (s *Server) tags(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := api.ListResponse{Models: []api.ListModelResponse{}}
	for _, m := range s.models {
		resp.Models = append(resp.Models, api.ListModelResponse{
			Name: m.Name, Model: m.Name, Size: m.Size, Digest: m.Digest,
			ModifiedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
			Details:    api.ModelDetails{Format: "gguf", Family: m.Family, Families: []string{m.Family}, ParameterSize: "7B", QuantizationLevel: "Q4_K_M"},
		})
	}
	writeJSON(w, resp)
}

func (s *Server) ps(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := api.ProcessResponse{Models: []api.ProcessModelResponse{}}
	for n, until := range s.loaded {
		m := s.models[n]
		resp.Models = append(resp.Models, api.ProcessModelResponse{Name: m.Name, Model: m.Name, Digest: m.Digest, Size: m.Size, ExpiresAt: until, ContextLength: 4096})
	}
	writeJSON(w, resp)
}

func (s *Server) show(w http.ResponseWriter, body []byte) {
	var req api.ShowRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	s.mu.Lock()
	m, ok := s.models[normalName(name)]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", name))
		return
	}
	caps := make([]string, len(m.Capabilities))
	copy(caps, m.Capabilities)
	resp := map[string]any{
		"template":     m.Template,
		"system":       m.System,
		"parameters":   m.Parameters,
		"details":      api.ModelDetails{Format: "gguf", Family: m.Family, Families: []string{m.Family}, ParameterSize: "7B", QuantizationLevel: "Q4_K_M"},
		"model_info":   m.ModelInfo,
		"capabilities": caps,
		"modified_at":  time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
	}
	if m.ProjectorInfo != nil {
		resp["projector_info"] = m.ProjectorInfo
	}
	writeJSON(w, resp)
}

// tokens is the fake's token count of a text: about four characters a token.
func tokens(s string) int { return (len(s) + 3) / 4 }

// imageTokens is what one image costs: 576 embeddings for the base view and
// 576 for each 336-px tile of an anyres grid (at most four tiles).
func imageTokens(data []byte) (int, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("Failed to create new sequence: failed to process inputs: image: unknown format")
	}
	tiles := ((cfg.Width + 335) / 336) * ((cfg.Height + 335) / 336)
	if tiles > 4 {
		tiles = 4
	}
	return 576 * (1 + tiles), nil
}

func optInt(opts map[string]any, key string, def int) int {
	if v, ok := opts[key]; ok {
		switch n := v.(type) {
		case float64:
			return int(n)
		case int:
			return n
		}
	}
	return def
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, body []byte) {
	var req api.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	s.requests[len(s.requests)-1].Chat = &req
	s.mu.Unlock()
	var text string
	prompt := 0
	for _, m := range req.Messages {
		text += m.Role + ": " + m.Content + " "
		for _, img := range m.Images {
			n, err := imageTokens(img)
			if err != nil {
				// Ollama 0.17.4 reports undecodable image bytes as a server error.
				writeError(w, http.StatusInternalServerError, err.Error())
				return
			}
			if s.hasVision(req.Model) { // a text-only model silently ignores images
				prompt += n
			}
		}
	}
	prompt += tokens(text) + 8
	s.respond(w, r, req.Model, len(req.Messages) == 0, req.KeepAlive, req.Options, req.Truncate, req.Format != nil, prompt, true)
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request, body []byte) {
	var req api.GenerateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	s.requests[len(s.requests)-1].Gen = &req
	s.mu.Unlock()
	prompt := tokens(req.Prompt) + 8
	for _, img := range req.Images {
		n, err := imageTokens(img)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if s.hasVision(req.Model) {
			prompt += n
		}
	}
	s.respond(w, r, req.Model, req.Prompt == "" && len(req.Images) == 0, req.KeepAlive, req.Options, req.Truncate, req.Format != nil, prompt, false)
}

func (s *Server) hasVision(model string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.models[normalName(model)].Capabilities {
		if c == "vision" {
			return true
		}
	}
	return false
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, model string, empty bool, keepAlive *api.Duration, opts map[string]any, truncate *bool, structured bool, promptTokens int, chat bool) {
	if model == "" {
		writeError(w, http.StatusBadRequest, "model is required")
		return
	}
	s.mu.Lock()
	_, ok := s.models[normalName(model)]
	faults := s.faults
	answer := s.answer
	if structured {
		answer = s.structured
		if faults.JunkStructured {
			answer = "Example answer from the test server, not JSON at all {"
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", model))
		return
	}
	if faults.Status != 0 {
		writeError(w, faults.Status, faults.ErrorText)
		return
	}
	start := time.Now()
	s.mu.Lock()
	_, wasLoaded := s.loaded[normalName(model)]
	s.mu.Unlock()
	load := time.Duration(0)
	if !wasLoaded {
		load = 20 * time.Millisecond
	}
	if empty {
		name := normalName(model)
		reason := "load"
		s.mu.Lock()
		if keepAlive != nil && keepAlive.Duration == 0 {
			delete(s.loaded, name)
			reason = "unload"
		} else {
			s.loaded[name] = time.Now().Add(5 * time.Minute)
		}
		s.mu.Unlock()
		if chat {
			writeJSON(w, api.ChatResponse{Model: model, CreatedAt: time.Now().UTC(), Message: api.Message{Role: "assistant"}, Done: true, DoneReason: reason})
		} else {
			writeJSON(w, api.GenerateResponse{Model: model, CreatedAt: time.Now().UTC(), Done: true, DoneReason: reason})
		}
		return
	}
	numCtx := optInt(opts, "num_ctx", 4096)
	if truncate != nil && !*truncate && promptTokens > numCtx {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the input length (%d tokens) exceeds the context length (%d tokens)", promptTokens, numCtx))
		return
	}
	if faults.FirstTokenDelay > 0 {
		select {
		case <-time.After(faults.FirstTokenDelay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	s.loaded[normalName(model)] = time.Now().Add(5 * time.Minute)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := func(content string, done bool, evalCount int) error {
		var v any
		now := time.Now().UTC()
		if chat {
			cr := api.ChatResponse{Model: model, CreatedAt: now, Message: api.Message{Role: "assistant", Content: content}, Done: done}
			if done {
				cr.DoneReason = "stop"
				cr.Metrics = metrics(start, load, promptTokens, evalCount)
			}
			v = cr
		} else {
			gr := api.GenerateResponse{Model: model, CreatedAt: now, Response: content, Done: done}
			if done {
				gr.DoneReason = "stop"
				gr.Metrics = metrics(start, load, promptTokens, evalCount)
			}
			v = gr
		}
		b, _ := json.Marshal(v)
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	chunks := splitChunks(answer)
	for i, c := range chunks {
		if faults.StallAfter > 0 && i == faults.StallAfter {
			<-r.Context().Done()
			return
		}
		if faults.DropAfter > 0 && i == faults.DropAfter {
			s.drop(w)
			return
		}
		if faults.ErrorAfter > 0 && i == faults.ErrorAfter {
			json.NewEncoder(w).Encode(map[string]string{"error": faults.ErrorText})
			return
		}
		if faults.RepeatAfter > 0 && i == faults.RepeatAfter {
			for k := 0; k < 31; k++ {
				if enc(" again", false, 0) != nil {
					return
				}
			}
			return
		}
		if faults.JunkAfter > 0 && i == faults.JunkAfter {
			io.WriteString(w, "<html>proxy error</html>\n")
			if flusher != nil {
				flusher.Flush()
			}
			return
		}
		if !s.waitGate(r) {
			return
		}
		if i > 0 && faults.TokenDelay > 0 {
			select {
			case <-time.After(faults.TokenDelay):
			case <-r.Context().Done():
				return
			}
		}
		if err := enc(c, false, 0); err != nil {
			return
		}
		s.mu.Lock()
		s.sent++
		s.sentCond.Broadcast()
		s.mu.Unlock()
	}
	if faults.StallAfter > 0 && faults.StallAfter >= len(chunks) {
		<-r.Context().Done()
		return
	}
	if faults.DropAfter > 0 && faults.DropAfter >= len(chunks) {
		s.drop(w)
		return
	}
	if !s.waitGate(r) {
		return
	}
	enc("", true, len(chunks))
}

func (s *Server) waitGate(r *http.Request) bool {
	s.mu.Lock()
	gated := s.gated
	s.mu.Unlock()
	if !gated {
		return r.Context().Err() == nil
	}
	select {
	case <-s.release:
		return r.Context().Err() == nil
	case <-r.Context().Done():
		return false
	}
}

// drop closes the connection abruptly in the middle of a chunked response.
func (s *Server) drop(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("ollamatest: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}

func metrics(start time.Time, load time.Duration, prompt, eval int) api.Metrics {
	total := time.Since(start) + load
	return api.Metrics{
		TotalDuration:      total,
		LoadDuration:       load,
		PromptEvalCount:    prompt,
		PromptEvalDuration: time.Duration(prompt) * 50 * time.Microsecond,
		EvalCount:          eval,
		EvalDuration:       time.Duration(eval) * 200 * time.Microsecond,
	}
}

// splitChunks cuts text into word-sized chunks the way a tokenizer streams:
// each chunk but the first starts with its space.
func splitChunks(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func (s *Server) blob(w http.ResponseWriter, r *http.Request) {
	digest := strings.TrimPrefix(r.URL.Path, "/api/blobs/")
	hexPart, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexPart) != 64 {
		writeError(w, http.StatusBadRequest, "invalid digest format")
		return
	}
	switch r.Method {
	case http.MethodHead:
		s.mu.Lock()
		_, ok := s.blobs[digest]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("blob %q not found", digest))
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodPost:
		h := sha256.New()
		head := &limitedBuffer{max: 4 << 20}
		n, err := io.Copy(io.MultiWriter(h, head), r.Body)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		got := "sha256:" + hex.EncodeToString(h.Sum(nil))
		if got != digest {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("digest mismatch, expected %q, got %q", digest, got))
			return
		}
		s.mu.Lock()
		s.blobs[digest] = n
		s.projector[digest] = bytes.Contains(head.buf.Bytes(), projectorMarker)
		s.gguf[digest] = bytes.HasPrefix(head.buf.Bytes(), []byte("GGUF"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// projectorMarker tells a vision projector: the fake reads GGUF keys by
// their plain-text names in the file's header.
var projectorMarker = []byte("clip.vision")

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		b.buf.Write(p[:room])
	}
	return len(p), nil
}

func (s *Server) streamProgress(w http.ResponseWriter, steps []api.ProgressResponse) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	flusher, _ := w.(http.Flusher)
	for _, p := range steps {
		b, _ := json.Marshal(p)
		w.Write(append(b, '\n'))
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (s *Server) create(w http.ResponseWriter, body []byte) {
	var req api.CreateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if name == "" {
		writeError(w, http.StatusBadRequest, "invalid model name")
		return
	}
	if len(req.Files) == 0 && req.From == "" {
		writeError(w, http.StatusBadRequest, "neither 'from' or 'files' was specified")
		return
	}
	steps := []api.ProgressResponse{}
	vision := false
	s.mu.Lock()
	for file, digest := range req.Files {
		if !strings.HasSuffix(file, ".gguf") {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "unknown type")
			return
		}
		if _, ok := s.blobs[digest]; !ok {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, fmt.Sprintf("blob %s not found: open: no such file or directory", digest))
			return
		}
		if !s.gguf[digest] {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "supplied file was not in GGUF format")
			return
		}
		steps = append(steps, api.ProgressResponse{Status: "parsing GGUF"})
		if s.projector[digest] {
			vision = true
		}
	}
	s.mu.Unlock()
	caps := []string{"completion"}
	if vision {
		caps = append(caps, "vision")
	}
	m := Model{
		Name: normalName(name), Digest: fmt.Sprintf("%064x", len(req.Files)*7919+len(name)),
		Size: 1 << 20, Family: "llama", Capabilities: caps, Template: req.Template, System: req.System,
		ModelInfo: map[string]any{"general.architecture": "llama", "llama.context_length": 4096},
	}
	if vision {
		m.ProjectorInfo = PULSEModel().ProjectorInfo
	}
	s.AddModel(m)
	steps = append(steps,
		api.ProgressResponse{Status: "using existing layer"},
		api.ProgressResponse{Status: "writing manifest"},
		api.ProgressResponse{Status: "success"})
	s.streamProgress(w, steps)
}

func (s *Server) pull(w http.ResponseWriter, body []byte) {
	var req api.PullRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	s.mu.Lock()
	m, ok := s.library[normalName(name)]
	s.mu.Unlock()
	if !ok {
		s.streamProgress(w, []api.ProgressResponse{{Status: "pulling manifest"}})
		json.NewEncoder(w).Encode(map[string]string{"error": "pull model manifest: file does not exist"})
		return
	}
	steps := []api.ProgressResponse{{Status: "pulling manifest"}}
	layer := "sha256:" + m.Digest
	for _, done := range []int64{0, m.Size / 2, m.Size} {
		steps = append(steps, api.ProgressResponse{Status: "pulling " + m.Digest[:12], Digest: layer, Total: m.Size, Completed: done})
	}
	steps = append(steps, api.ProgressResponse{Status: "verifying sha256 digest"}, api.ProgressResponse{Status: "writing manifest"}, api.ProgressResponse{Status: "success"})
	s.AddModel(m)
	s.streamProgress(w, steps)
}
