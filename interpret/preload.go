package interpret

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
)

// Preload loads the model into memory without asking anything (a chat
// request with no messages and a keep_alive, as Ollama documents for
// preloading) and keeps it loaded for keepAlive (≤ 0: DefaultKeepAlive).
// It returns when the model is loaded, which can take tens of seconds.
func (c *Client) Preload(ctx context.Context, model string, keepAlive time.Duration) error {
	if keepAlive <= 0 {
		keepAlive = DefaultKeepAlive
	}
	var done bool
	err := c.api.Chat(ctx, &api.ChatRequest{Model: model, Messages: []api.Message{}, KeepAlive: &api.Duration{Duration: keepAlive}},
		func(r api.ChatResponse) error {
			done = r.Done
			return nil
		})
	if err != nil {
		return fmt.Errorf("preloading model %q at %s: %w", model, c.base.Host, c.wrapModel(err))
	}
	if !done {
		if ctx.Err() != nil {
			return fmt.Errorf("preloading model %q: %w", model, ctx.Err())
		}
		return fmt.Errorf("preloading model %q at %s: %w", model, c.base.Host, ErrStreamEnded)
	}
	return nil
}

// Unload asks the server to free the model's memory now.
func (c *Client) Unload(ctx context.Context, model string) error {
	err := c.api.Chat(ctx, &api.ChatRequest{Model: model, Messages: []api.Message{}, KeepAlive: &api.Duration{Duration: 0}},
		func(api.ChatResponse) error { return nil })
	if err != nil {
		return fmt.Errorf("unloading model %q: %w", model, c.wrapModel(err))
	}
	return nil
}

func (c *Client) wrapModel(err error) error {
	err = c.wrap(err)
	if se, ok := err.(*ServerError); ok && se.StatusCode == 404 {
		return fmt.Errorf("%w: %s", ErrModelNotFound, se.Message)
	}
	return err
}

// Estimator learns how long runs take on this machine, per model digest,
// and keeps it in a small JSON file (stats.json in the data folder). It
// keeps running means of the load time and of the prefill and writing
// speeds, which is all the phase display needs; the case log keeps the
// full timings of every run.
type Estimator struct {
	path string
	mu   sync.Mutex
	data map[string]*modelStats
}

type modelStats struct {
	Runs            int     `json:"runs"`
	LoadSeconds     float64 `json:"load_seconds"`      // mean load when not loaded
	ImagePrefillSec float64 `json:"image_prefill_sec"` // mean prefill of a first turn (with image)
	TextPrefillSec  float64 `json:"text_prefill_sec"`  // mean prefill of a follow-up
	TokensPerSecond float64 `json:"tokens_per_second"` // writing speed
	Loads           int     `json:"loads"`
	ImageRuns       int     `json:"image_runs"`
	TextRuns        int     `json:"text_runs"`
}

// OpenEstimator reads path (missing or unreadable: start empty).
func OpenEstimator(path string) *Estimator {
	e := &Estimator{path: path, data: map[string]*modelStats{}}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &e.data) // a damaged file only loses estimates
		if e.data == nil {
			e.data = map[string]*modelStats{}
		}
	}
	return e
}

// FirstToken is the expected load time (when not loaded) and time to the
// first word; zeros when nothing has been learned yet.
func (e *Estimator) FirstToken(digest string, loaded, image bool) (load, first time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.data[digest]
	if st == nil || st.Runs == 0 {
		return 0, 0
	}
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	if !loaded && st.Loads > 0 {
		load = sec(st.LoadSeconds)
	}
	prefill := st.TextPrefillSec
	if image && st.ImageRuns > 0 {
		prefill = st.ImagePrefillSec
	}
	return load, load + sec(prefill)
}

// Writing is the expected time to write n tokens (0 when unknown).
func (e *Estimator) Writing(digest string, n int) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.data[digest]
	if st == nil || st.TokensPerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(n) / st.TokensPerSecond * float64(time.Second))
}

// Record learns from a complete run and saves the file.
func (e *Estimator) Record(digest string, r *Result) {
	if r == nil || r.Outcome != OutcomeComplete {
		return
	}
	e.mu.Lock()
	st := e.data[digest]
	if st == nil {
		st = &modelStats{}
		e.data[digest] = st
	}
	mean := func(old float64, n int, v float64) float64 { return old + (v-old)/float64(n) }
	st.Runs++
	if r.Load > 500*time.Millisecond { // a real load, not an already-loaded model
		st.Loads++
		st.LoadSeconds = mean(st.LoadSeconds, st.Loads, r.Load.Seconds())
	}
	if r.PromptTokens > 1000 { // a turn with an image
		st.ImageRuns++
		st.ImagePrefillSec = mean(st.ImagePrefillSec, st.ImageRuns, r.Prefill.Seconds())
	} else {
		st.TextRuns++
		st.TextPrefillSec = mean(st.TextPrefillSec, st.TextRuns, r.Prefill.Seconds())
	}
	if r.EvalTokens > 0 && r.Generation > 0 {
		st.TokensPerSecond = mean(st.TokensPerSecond, st.Runs, float64(r.EvalTokens)/r.Generation.Seconds())
	}
	b, err := json.MarshalIndent(e.data, "", "  ")
	e.mu.Unlock()
	if err == nil && e.path != "" {
		_ = writeFileAtomic(e.path, b) // estimates are a convenience: a failed save is not an error
	}
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stats-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
