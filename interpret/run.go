package interpret

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama/ollama/api"
)

// Outcome is how a run ended.
type Outcome string

// Outcomes. A run is complete only when the server's final chunk
// (done: true) arrived.
const (
	OutcomeRunning   Outcome = "running"
	OutcomeComplete  Outcome = "complete"
	OutcomeCancelled Outcome = "cancelled" // the user stopped it
	OutcomeFailed    Outcome = "failed"    // an error answer, or the stream ended early
	OutcomeStalled   Outcome = "stalled"   // no token within the first-token or stall timeout
)

// Defaults for a run.
const (
	DefaultNumCtx            = 4096
	DefaultFirstTokenTimeout = 10 * time.Minute
	DefaultStallTimeout      = 2 * time.Minute
	DefaultKeepAlive         = 30 * time.Minute
	// ResampleTemperature is the temperature of "Again".
	ResampleTemperature = 0.7
	// MinAnswerTokens is the room a follow-up must leave for its answer.
	MinAnswerTokens = 256
)

// Settings are the run options the user can change.
type Settings struct {
	NumCtx            int
	Seed              int // 0 = a fixed default seed (runs repeat)
	Temperature       float64
	FirstTokenTimeout time.Duration
	StallTimeout      time.Duration
	KeepAlive         time.Duration
	// NumPredict caps the answer's length in tokens (0: no cap; the
	// context's end stops it).
	NumPredict int
}

// DefaultSettings are the options PULSE was evaluated with: temperature 0,
// a fixed seed, a 4096-token context.
func DefaultSettings() Settings {
	return Settings{NumCtx: DefaultNumCtx, Seed: 42, Temperature: 0,
		FirstTokenTimeout: DefaultFirstTokenTimeout, StallTimeout: DefaultStallTimeout, KeepAlive: DefaultKeepAlive}
}

func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	if s.NumCtx <= 0 {
		s.NumCtx = d.NumCtx
	}
	if s.Seed == 0 {
		s.Seed = d.Seed
	}
	if s.FirstTokenTimeout <= 0 {
		s.FirstTokenTimeout = d.FirstTokenTimeout
	}
	if s.StallTimeout <= 0 {
		s.StallTimeout = d.StallTimeout
	}
	if s.KeepAlive == 0 {
		s.KeepAlive = d.KeepAlive
	}
	return s
}

// options is the request's options map.
func (s Settings) options() map[string]any {
	o := map[string]any{"temperature": s.Temperature, "seed": s.Seed, "num_ctx": s.NumCtx}
	if s.NumPredict > 0 {
		o["num_predict"] = s.NumPredict
	}
	return o
}

// Phase is what a waiting run is doing, as far as can be told.
type Phase string

// Phases of a run. The server says nothing while it loads the model and
// reads the image, so those two are told apart by whether the model was
// loaded when the run started and by the learned load time.
const (
	PhaseConnecting Phase = "connecting"
	PhaseLoading    Phase = "loading the model"
	PhaseReading    Phase = "reading the image"
	PhaseWriting    Phase = "writing"
	PhaseDone       Phase = "done"
)

// Progress is a phase report.
type Progress struct {
	Phase   Phase
	Elapsed time.Duration
	// Estimate is the expected time to the first word, from this machine's
	// earlier runs; 0 when unknown.
	Estimate time.Duration
}

// Chunk is one piece of streamed text.
type Chunk struct {
	Text    string
	Index   int // 0-based chunk number
	Elapsed time.Duration
}

// Result is everything recorded about a run.
type Result struct {
	Text       string
	Outcome    Outcome
	Err        error  // why it failed, stalled or was cancelled
	DoneReason string // the server's, when complete ("stop", "length")
	Resample   bool   // an "Again": a different sample, not a second opinion

	PromptTokens int
	EvalTokens   int
	// Load, Prefill and Generation are the server's durations; Total is
	// its total; Wall is measured here from the call to the end.
	Load, Prefill, Generation, Total time.Duration
	Wall                             time.Duration
	FirstToken                       time.Duration // from the call to the first chunk; 0 if none

	Model   string
	Digest  string
	Prompt  string // the user turn's text as sent
	Options map[string]any
	Started time.Time
}

// Message is a sentence for the user about the outcome.
func (r *Result) Message() string {
	switch r.Outcome {
	case OutcomeComplete:
		if r.DoneReason == "length" {
			return "complete (the answer reached the length limit)"
		}
		return "complete"
	case OutcomeCancelled:
		return "cancelled; the partial answer is kept"
	case OutcomeStalled, OutcomeFailed:
		if r.Err != nil {
			return r.Err.Error() + "; the partial answer is kept"
		}
	}
	return string(r.Outcome)
}

// Conversation is one chat with a model about one model input. The image
// goes once, in the first user turn; follow-ups continue the same chat.
type Conversation struct {
	c        *Client
	model    Model
	input    *ModelInput
	settings Settings
	est      *Estimator

	mu       sync.Mutex
	messages []api.Message
	// context use after the last complete turn
	lastPrompt, lastEval int
}

// NewConversation starts a chat with model about input (nil: text only).
// The model must have been checked with RequireVision when input is set.
func (c *Client) NewConversation(m Model, input *ModelInput, s Settings) *Conversation {
	return &Conversation{c: c, model: m, input: input, settings: s.withDefaults()}
}

// SetEstimator makes runs report estimates from, and record timings into, e.
func (cv *Conversation) SetEstimator(e *Estimator) { cv.est = e }

// Turns is the number of complete question/answer pairs so far.
func (cv *Conversation) Turns() int {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return len(cv.messages) / 2
}

// Messages returns a copy of the chat so far (complete turns only).
func (cv *Conversation) Messages() []api.Message {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return append([]api.Message(nil), cv.messages...)
}

// EstimateTokens is a cautious token count for English text: one token per
// three bytes (Llama tokenizers average nearer four).
func EstimateTokens(s string) int { return (len(s) + 2) / 3 }

// templateTokens is the room the chat template's words take per turn.
const templateTokens = 16

// CheckFits reports whether a follow-up question fits the context: the
// previous prompt and answer (as the server counted them), the new text
// and MinAnswerTokens of room to answer.
func (cv *Conversation) CheckFits(question string) error {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	if len(cv.messages) == 0 {
		return nil
	}
	need := cv.lastPrompt + cv.lastEval + EstimateTokens(question) + templateTokens + MinAnswerTokens
	if need > cv.settings.NumCtx {
		return fmt.Errorf("%w: the image and the chat so far take %d of %d tokens and the question about %d more, leaving no room for an answer; start a new run instead",
			ErrContextFull, cv.lastPrompt+cv.lastEval, cv.settings.NumCtx, EstimateTokens(question))
	}
	return nil
}

// RunOptions are per-call hooks.
type RunOptions struct {
	// OnChunk is called for every streamed piece, in order, on the
	// streaming goroutine; keep it short.
	OnChunk func(Chunk)
	// OnProgress is called when the phase changes, possibly from a timer
	// goroutine (not the one calling OnChunk).
	OnProgress func(Progress)
	// OnStart is called once the request is about to be sent, with the
	// prompt and options (to record the run before streaming). An error
	// stops the run before anything is sent: it fails with that error.
	OnStart func(r *Result) error
	// Format asks for JSON output (a JSON schema or "json").
	Format []byte
}

// Ask sends a question: the first one carries the image. It returns when
// the run has ended; the Result says how. The error is non-nil only when
// the question could not be sent at all (bad question, context full).
func (cv *Conversation) Ask(ctx context.Context, question string, ro RunOptions) (*Result, error) {
	if strings.TrimSpace(question) == "" {
		return nil, errors.New("ask: the question is empty")
	}
	if err := cv.CheckFits(question); err != nil {
		return nil, err
	}
	cv.mu.Lock()
	msgs := append([]api.Message(nil), cv.messages...)
	cv.mu.Unlock()
	msg := api.Message{Role: "user", Content: question}
	if len(msgs) == 0 && cv.input != nil {
		// Ollama puts its image tag right before the text; PULSE was
		// trained on "<image>\n{question}".
		msg.Content = "\n" + question
		msg.Images = []api.ImageData{cv.input.PNG}
	}
	msgs = append(msgs, msg)
	res := cv.run(ctx, msgs, cv.settings, ro, question)
	if res.Outcome == OutcomeComplete && ro.Format == nil {
		cv.mu.Lock()
		cv.messages = append(msgs, api.Message{Role: "assistant", Content: res.Text})
		cv.lastPrompt, cv.lastEval = res.PromptTokens, res.EvalTokens
		cv.mu.Unlock()
	}
	return res, nil
}

// Again asks the last question once more for a different sample: a new
// seed and the temperature raised to ResampleTemperature. The result is
// marked Resample and replaces the last answer in the chat when complete.
func (cv *Conversation) Again(ctx context.Context, ro RunOptions) (*Result, error) {
	cv.mu.Lock()
	if len(cv.messages) < 2 {
		cv.mu.Unlock()
		return nil, errors.New("again: there is no answer to sample again")
	}
	msgs := append([]api.Message(nil), cv.messages[:len(cv.messages)-1]...)
	q := msgs[len(msgs)-1].Content
	cv.mu.Unlock()
	s := cv.settings
	s.Temperature = ResampleTemperature
	s.Seed = 1 + rand.IntN(1<<30)
	res := cv.run(ctx, msgs, s, ro, strings.TrimPrefix(q, "\n"))
	res.Resample = true
	if res.Outcome == OutcomeComplete {
		cv.mu.Lock()
		cv.messages = append(msgs, api.Message{Role: "assistant", Content: res.Text})
		cv.lastPrompt, cv.lastEval = res.PromptTokens, res.EvalTokens
		cv.mu.Unlock()
	}
	return res, nil
}

// ollamaRepeatLimit is Ollama's: more than 30 repeats of one token end
// the stream (llm/server.go, Completion).
const ollamaRepeatLimit = 30

var (
	errFirstToken = errors.New("first-token timeout")
	errStall      = errors.New("stall timeout")
)

func (cv *Conversation) run(ctx context.Context, msgs []api.Message, s Settings, ro RunOptions, prompt string) *Result {
	start := time.Now()
	res := &Result{Outcome: OutcomeRunning, Model: cv.model.Name, Digest: cv.model.Digest, Prompt: prompt, Options: s.options(), Started: start}
	if ro.OnStart != nil {
		if err := ro.OnStart(res); err != nil {
			res.Outcome, res.Err = OutcomeFailed, fmt.Errorf("the run was not started: %w", err)
			return res
		}
	}
	no := false
	keep := &api.Duration{Duration: s.KeepAlive}
	req := &api.ChatRequest{
		Model: cv.model.Name, Messages: msgs, Options: s.options(), KeepAlive: keep,
		// Never let Ollama drop the turn that holds the image, nor shift
		// the context while writing.
		Truncate: &no, Shift: &no,
	}
	if ro.Format != nil {
		req.Format = ro.Format
	}

	// Phases: loading (when the model is not loaded) → reading → writing.
	loaded := cv.c.isLoaded(ctx, cv.model.Name)
	var estFirst, estLoad time.Duration
	if cv.est != nil {
		estLoad, estFirst = cv.est.FirstToken(cv.model.Digest, loaded, cv.input != nil && len(msgs) == 1)
	}
	var phaseMu sync.Mutex
	phase := PhaseConnecting
	report := func(p Phase) {
		phaseMu.Lock()
		if phase == p || phase == PhaseDone {
			phaseMu.Unlock()
			return
		}
		phase = p
		phaseMu.Unlock()
		if ro.OnProgress != nil {
			ro.OnProgress(Progress{Phase: p, Elapsed: time.Since(start), Estimate: estFirst})
		}
	}
	var loadTimer *time.Timer
	if loaded {
		report(PhaseReading)
	} else {
		report(PhaseLoading)
		if estLoad > 0 {
			loadTimer = time.AfterFunc(estLoad, func() {
				phaseMu.Lock()
				p := phase
				phaseMu.Unlock()
				if p == PhaseLoading {
					report(PhaseReading)
				}
			})
		}
	}

	// Watchdog: the first-token timeout until the first chunk, then the
	// stall timeout between chunks.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var firstSeen atomic.Bool
	watchdog := time.AfterFunc(s.FirstTokenTimeout, func() {
		if firstSeen.Load() {
			cancel(errStall)
		} else {
			cancel(errFirstToken)
		}
	})
	var text strings.Builder
	var gotDone bool
	// Ollama ends a stream silently (no final chunk, no error) when the
	// same token comes more than 30 times in a row; count them as it does.
	var lastPiece string
	repeats := 0
	var final api.ChatResponse
	n := 0
	err := cv.c.api.Chat(runCtx, req, func(r api.ChatResponse) error {
		if !firstSeen.Load() {
			res.FirstToken = time.Since(start)
			firstSeen.Store(true)
		}
		watchdog.Reset(s.StallTimeout)
		if r.Message.Content != "" {
			if p := strings.TrimSpace(r.Message.Content); p == lastPiece {
				repeats++
			} else {
				lastPiece, repeats = p, 0
			}
			report(PhaseWriting)
			text.WriteString(r.Message.Content)
			if ro.OnChunk != nil {
				ro.OnChunk(Chunk{Text: r.Message.Content, Index: n, Elapsed: time.Since(start)})
			}
			n++
		}
		if r.Done {
			gotDone = true
			final = r
		}
		return nil
	})
	watchdog.Stop()
	if loadTimer != nil {
		loadTimer.Stop()
	}
	res.Text = text.String()
	res.Wall = time.Since(start)
	cause := context.Cause(runCtx)
	switch {
	case gotDone:
		res.Outcome = OutcomeComplete
		res.DoneReason = final.DoneReason
		res.PromptTokens, res.EvalTokens = final.PromptEvalCount, final.EvalCount
		res.Load, res.Prefill, res.Generation, res.Total = final.LoadDuration, final.PromptEvalDuration, final.EvalDuration, final.TotalDuration
		if cv.est != nil {
			cv.est.Record(cv.model.Digest, res)
		}
	case ctx.Err() != nil:
		res.Outcome = OutcomeCancelled
		res.Err = fmt.Errorf("run cancelled: %w", context.Cause(ctx))
	case errors.Is(cause, errFirstToken):
		res.Outcome = OutcomeStalled
		res.Err = fmt.Errorf("the model server sent nothing within %s (loading the model and reading the image can take minutes on a laptop; raise the first-token timeout if it is still working)", s.FirstTokenTimeout)
	case errors.Is(cause, errStall):
		res.Outcome = OutcomeStalled
		res.Err = fmt.Errorf("the model server stopped writing for %s", s.StallTimeout)
	case err != nil:
		res.Outcome = OutcomeFailed
		res.Err = cv.c.wrapRun(err, cv.model.Name)
	case repeats >= ollamaRepeatLimit:
		res.Outcome = OutcomeFailed
		res.Err = fmt.Errorf("%w (%q %d times in a row); the answer is incomplete: \"Again\" asks for a different sample", ErrRepetition, lastPiece, repeats+1)
	default:
		res.Outcome = OutcomeFailed
		res.Err = fmt.Errorf("%w (the stream ended without its final chunk after %d pieces)", ErrStreamEnded, n)
	}
	report(PhaseDone)
	return res
}

// wrapRun names the failure of a chat request.
func (c *Client) wrapRun(err error, model string) error {
	err = c.wrap(err)
	var se *ServerError
	if errors.As(err, &se) {
		if se.StatusCode == 404 {
			return fmt.Errorf("model %q at %s: %w: %s", model, c.base.Host, ErrModelNotFound, se.Message)
		}
		return fmt.Errorf("model %q: %w", model, err)
	}
	if errors.Is(err, ErrNotReachable) {
		return err
	}
	// A line that is not JSON, or an error line mid-stream, comes back as a plain error.
	return fmt.Errorf("model %q at %s: %w: %v", model, c.base.Host, ErrStreamEnded, err)
}

// isLoaded asks /api/ps whether the model is in memory (false when unsure).
func (c *Client) isLoaded(ctx context.Context, model string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ps, err := c.api.ListRunning(ctx)
	if err != nil {
		return false
	}
	for _, m := range ps.Models {
		if sameModel(m.Name, model) || sameModel(m.Model, model) {
			return true
		}
	}
	return false
}
