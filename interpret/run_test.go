package interpret

import (
	"context"
	"errors"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"pulsedesk/interpret/ollamatest"
)

var (
	testInputOnce sync.Once
	testInputVal  ModelInput
	testInputErr  error
)

// testInput is a small page-shaped model input, made once.
func testInput(t *testing.T) *ModelInput {
	t.Helper()
	testInputOnce.Do(func() { testInputVal, testInputErr = Prepare(checker(800, 600, image.Point{}), 1008) })
	if testInputErr != nil {
		t.Fatal(testInputErr)
	}
	in := testInputVal
	return &in
}

type collector struct {
	mu     sync.Mutex
	chunks []string
	phases []Phase
}

func (c *collector) opts() RunOptions {
	return RunOptions{
		OnChunk:    func(ch Chunk) { c.mu.Lock(); c.chunks = append(c.chunks, ch.Text); c.mu.Unlock() },
		OnProgress: func(p Progress) { c.mu.Lock(); c.phases = append(c.phases, p.Phase); c.mu.Unlock() },
	}
}

func (c *collector) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.chunks, "")
}

func conversation(t *testing.T, srv *ollamatest.Server, s Settings) *Conversation {
	t.Helper()
	c := newTestClient(t, srv.URL)
	m, err := c.RequireVision(context.Background(), "pulse")
	if err != nil {
		t.Fatal(err)
	}
	return c.NewConversation(m, testInput(t), s)
}

func TestRunComplete(t *testing.T) {
	srv := ollamatest.New(t)
	cv := conversation(t, srv, Settings{})
	var col collector
	res, err := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", col.opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeComplete || res.Text != ollamatest.DefaultAnswer || col.text() != res.Text {
		t.Fatalf("result %+v, streamed %q", res, col.text())
	}
	if res.DoneReason != "stop" || res.PromptTokens < 576 || res.EvalTokens == 0 || res.Digest == "" || res.Model != "pulse:latest" {
		t.Errorf("result metadata %+v", res)
	}
	if want := []Phase{PhaseLoading, PhaseWriting, PhaseDone}; strings.Join(phaseStrings(col.phases), ",") != strings.Join(phaseStrings(want), ",") {
		t.Errorf("phases %v, want %v", col.phases, want)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d chat requests", len(reqs))
	}
	r := reqs[0]
	if len(r.Messages) != 1 || len(r.Messages[0].Images) != 1 || r.Messages[0].Content != "\nPlease write a clinical report based on this ECG image." {
		t.Errorf("first turn %+v", r.Messages)
	}
	if r.Truncate == nil || *r.Truncate || r.Shift == nil || *r.Shift {
		t.Error("truncate and shift must be sent as false")
	}
	if r.Options["temperature"] != 0.0 || r.Options["num_ctx"] != 4096.0 || r.Options["seed"] != 42.0 {
		t.Errorf("options %v", r.Options)
	}
	if r.KeepAlive == nil || r.KeepAlive.Duration != DefaultKeepAlive {
		t.Errorf("keep_alive %v", r.KeepAlive)
	}

	// A follow-up continues the chat; the image is not sent again.
	res2, err := cv.Ask(context.Background(), "Is the QT interval prolonged?", RunOptions{})
	if err != nil || res2.Outcome != OutcomeComplete {
		t.Fatalf("follow-up: %+v %v", res2, err)
	}
	r2 := srv.ChatRequests()[1]
	if len(r2.Messages) != 3 || r2.Messages[1].Role != "assistant" || r2.Messages[1].Content != ollamatest.DefaultAnswer ||
		len(r2.Messages[2].Images) != 0 || r2.Messages[2].Content != "Is the QT interval prolonged?" || len(r2.Messages[0].Images) != 1 {
		t.Errorf("follow-up messages %+v", r2.Messages)
	}
	if cv.Turns() != 2 {
		t.Errorf("turns = %d", cv.Turns())
	}

	// Again: a different sample, marked as such, replacing the last answer.
	res3, err := cv.Again(context.Background(), RunOptions{})
	if err != nil || !res3.Resample || res3.Options["temperature"] != ResampleTemperature || res3.Options["seed"] == 42 {
		t.Fatalf("again: %+v %v", res3, err)
	}
	r3 := srv.ChatRequests()[2]
	if len(r3.Messages) != 3 || r3.Messages[2].Content != "Is the QT interval prolonged?" {
		t.Errorf("again messages %+v", r3.Messages)
	}
	if cv.Turns() != 2 {
		t.Errorf("turns after again = %d", cv.Turns())
	}
}

func phaseStrings(ps []Phase) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p))
	}
	return out
}

func TestFollowUpRefusedWhenContextFull(t *testing.T) {
	srv := ollamatest.New(t)
	srv.SetAnswer(strings.Repeat("word ", 400))
	cv := conversation(t, srv, Settings{NumCtx: 4096})
	res, err := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", RunOptions{})
	if err != nil || res.Outcome != OutcomeComplete {
		t.Fatalf("%+v %v", res, err)
	}
	before := len(srv.ChatRequests())
	_, err = cv.Ask(context.Background(), strings.Repeat("And what about this detail? ", 200), RunOptions{})
	if !errors.Is(err, ErrContextFull) || !strings.Contains(err.Error(), "of 4096 tokens") {
		t.Fatalf("err = %v, want ErrContextFull naming the budget", err)
	}
	if len(srv.ChatRequests()) != before {
		t.Error("a refused follow-up reached the server")
	}
	if _, err := cv.Ask(context.Background(), "Rate?", RunOptions{}); err != nil {
		t.Errorf("a short follow-up that fits was refused: %v", err)
	}
}

func TestRunFaults(t *testing.T) {
	words := strings.Fields(ollamatest.DefaultAnswer)
	first3 := words[0] + " " + words[1] + " " + words[2]
	cases := []struct {
		name     string
		faults   ollamatest.Faults
		settings Settings
		model    string
		outcome  Outcome
		is       error
		partial  string // expected text ("" = none)
	}{
		{name: "500", faults: ollamatest.Faults{Status: 500, ErrorText: "llama runner process has terminated"}, outcome: OutcomeFailed, partial: ""},
		{name: "model missing", model: "gone", outcome: OutcomeFailed, is: ErrModelNotFound},
		{name: "silence before first token", faults: ollamatest.Faults{FirstTokenDelay: 5 * time.Second},
			settings: Settings{FirstTokenTimeout: 150 * time.Millisecond}, outcome: OutcomeStalled},
		{name: "stall after 3 chunks", faults: ollamatest.Faults{StallAfter: 3},
			settings: Settings{StallTimeout: 150 * time.Millisecond}, outcome: OutcomeStalled, partial: first3},
		{name: "dropped after 3 chunks", faults: ollamatest.Faults{DropAfter: 3}, outcome: OutcomeFailed, is: ErrStreamEnded, partial: first3},
		{name: "error line after 3 chunks", faults: ollamatest.Faults{ErrorAfter: 3, ErrorText: "out of memory"}, outcome: OutcomeFailed, is: ErrStreamEnded, partial: first3},
		{name: "junk after 3 chunks", faults: ollamatest.Faults{JunkAfter: 3}, outcome: OutcomeFailed, is: ErrStreamEnded, partial: first3},
		{name: "repetition cut by the server", faults: ollamatest.Faults{RepeatAfter: 3}, outcome: OutcomeFailed, is: ErrRepetition,
			partial: first3 + strings.Repeat(" again", 31)},
		{name: "slow tokens within the stall timeout", faults: ollamatest.Faults{TokenDelay: 20 * time.Millisecond},
			settings: Settings{StallTimeout: 2 * time.Second}, outcome: OutcomeComplete, partial: ollamatest.DefaultAnswer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := ollamatest.New(t)
			cv := conversation(t, srv, c.settings)
			if c.model != "" {
				cv.model.Name = c.model
			}
			srv.SetFaults(c.faults)
			var col collector
			res, err := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", col.opts())
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != c.outcome {
				t.Fatalf("outcome %s (%v), want %s", res.Outcome, res.Err, c.outcome)
			}
			if c.is != nil && !errors.Is(res.Err, c.is) {
				t.Errorf("err %v, want %v", res.Err, c.is)
			}
			if c.outcome != OutcomeComplete && res.Err == nil {
				t.Error("a run that did not complete has no error")
			}
			if res.Text != c.partial || col.text() != c.partial {
				t.Errorf("text %q (streamed %q), want %q", res.Text, col.text(), c.partial)
			}
			if c.outcome != OutcomeComplete && cv.Turns() != 0 {
				t.Error("an unfinished answer joined the chat")
			}
		})
	}
}

func TestRunRefused(t *testing.T) {
	c := newTestClient(t, ollamatest.RefusedURL(t))
	cv := c.NewConversation(Model{Name: "pulse"}, testInput(t), Settings{})
	res, err := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeFailed || !errors.Is(res.Err, ErrNotReachable) {
		t.Fatalf("outcome %s err %v, want failed / not reachable", res.Outcome, res.Err)
	}
}

func TestRunBadImageBytes(t *testing.T) {
	srv := ollamatest.New(t)
	cv := conversation(t, srv, Settings{})
	cv.input = &ModelInput{PNG: []byte("not an image")}
	res, _ := cv.Ask(context.Background(), "Please write a clinical report based on this ECG image.", RunOptions{})
	var se *ServerError
	if res.Outcome != OutcomeFailed || !errors.As(res.Err, &se) || se.StatusCode != 500 || !strings.Contains(se.Message, "unknown format") {
		t.Fatalf("outcome %s err %v, want failed with a 500 naming the unknown image format", res.Outcome, res.Err)
	}
}

// Stop after the third chunk: cancelled, the three chunks kept.
func TestRunCancelAfterThirdChunk(t *testing.T) {
	srv := ollamatest.New(t)
	srv.Gate()
	cv := conversation(t, srv, Settings{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var col collector
	got := make(chan struct{})
	ro := col.opts()
	ro.OnChunk = func(ch Chunk) {
		col.mu.Lock()
		col.chunks = append(col.chunks, ch.Text)
		col.mu.Unlock()
		if ch.Index == 2 {
			close(got)
		}
	}
	done := make(chan *Result)
	go func() {
		res, _ := cv.Ask(ctx, "Please write a clinical report based on this ECG image.", ro)
		done <- res
	}()
	srv.Release(3)
	<-got
	cancel()
	res := <-done
	if res.Outcome != OutcomeCancelled || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("outcome %s err %v", res.Outcome, res.Err)
	}
	words := strings.Fields(ollamatest.DefaultAnswer)
	if want := strings.Join(words[:3], " "); res.Text != want {
		t.Errorf("partial text %q, want %q", res.Text, want)
	}
}

func TestPreloadAndEstimates(t *testing.T) {
	srv := ollamatest.New(t)
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	if err := c.Preload(ctx, "pulse", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !srv.Loaded("pulse") {
		t.Fatal("preload did not load the model")
	}
	r := srv.ChatRequests()[0]
	if len(r.Messages) != 0 || r.KeepAlive == nil || r.KeepAlive.Duration != time.Hour {
		t.Errorf("preload request %+v", r)
	}
	if err := c.Preload(ctx, "missing", 0); !errors.Is(err, ErrModelNotFound) {
		t.Errorf("preload missing: %v", err)
	}

	// A loaded model starts in the reading phase.
	m, _ := c.RequireVision(ctx, "pulse")
	cv := c.NewConversation(m, testInput(t), Settings{})
	path := t.TempDir() + "/stats.json"
	est := OpenEstimator(path)
	cv.SetEstimator(est)
	var col collector
	if res, _ := cv.Ask(ctx, "Rhythm?", col.opts()); res.Outcome != OutcomeComplete {
		t.Fatal(res.Err)
	}
	if col.phases[0] != PhaseReading {
		t.Errorf("phases %v, want reading first", col.phases)
	}
	// The estimate is learned and survives a restart.
	est.Record(m.Digest, &Result{Outcome: OutcomeComplete, Load: 20 * time.Second, Prefill: 60 * time.Second, PromptTokens: 2900, EvalTokens: 100, Generation: 50 * time.Second})
	again := OpenEstimator(path)
	load, first := again.FirstToken(m.Digest, false, true)
	if load != 20*time.Second || first <= load {
		t.Errorf("estimate after restart: load %v first %v", load, first)
	}
	if _, first := again.FirstToken("unknown", false, true); first != 0 {
		t.Error("an estimate for a model never run")
	}
	if err := c.Unload(ctx, "pulse"); err != nil || srv.Loaded("pulse") {
		t.Errorf("unload: %v", err)
	}
}

func TestRunNotStartedWhenOnStartFails(t *testing.T) {
	srv := ollamatest.New(t)
	cv := conversation(t, srv, Settings{})
	res, err := cv.Ask(context.Background(), "Rhythm?", RunOptions{OnStart: func(*Result) error { return errors.New("disk full") }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeFailed || !strings.Contains(res.Err.Error(), "disk full") {
		t.Errorf("outcome %s err %v", res.Outcome, res.Err)
	}
	if len(srv.ChatRequests()) != 0 {
		t.Error("the request went out although the run could not be recorded")
	}
}
