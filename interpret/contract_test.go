package interpret

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// The contract suite: the same checks, through this package's client, against the fake server
// (interpret/ollamatest) and the real Ollama server (built by `make ollama`, with tiny
// random-weight models). The real models answer gibberish, so the checks are about the protocol:
// what is sent, what comes back and how the client reads it. When a check passes on the real
// server and fails on the fake, the fake has drifted from Ollama.
func TestContract(t *testing.T) {
	t.Run("fake", func(t *testing.T) { runContract(t, fakeBackend(t)) })
	t.Run("real", func(t *testing.T) { runContract(t, realBackend(t)) })
}

func runContract(t *testing.T, b *backend) {
	ctx := context.Background()
	question := "Please write a clinical report based on this ECG image."

	t.Run("Status", func(t *testing.T) {
		c, _ := b.client(t)
		st := c.Status(ctx)
		if !st.Reachable || st.Version != "0.17.4" || st.Remote {
			t.Fatalf("status %+v, want reachable 0.17.4 on this machine", st)
		}
	})

	t.Run("ModelsAndCapabilities", func(t *testing.T) {
		c, _ := b.client(t)
		ms, err := c.ModelsDetailed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]Model{}
		for _, m := range ms {
			byName[m.Name] = m
			if len(m.Digest) != 64 {
				t.Errorf("model %s digest %q, want 64 hex digits", m.Name, m.Digest)
			}
		}
		v, ok := byName[b.vision+":latest"]
		if !ok || !v.Vision || !v.NotEvaluated || v.PULSE {
			t.Errorf("vision model %+v (found %v), want vision, not PULSE, not evaluated", v, ok)
		}
		x, ok := byName[b.text+":latest"]
		if !ok || x.Vision {
			t.Errorf("text model %+v (found %v), want no vision", x, ok)
		}
		if _, err := c.RequireVision(ctx, b.vision); err != nil {
			t.Errorf("RequireVision(%s): %v", b.vision, err)
		}
	})

	t.Run("TextModelRefusedForImages", func(t *testing.T) {
		c, w := b.client(t)
		_, err := c.RequireVision(ctx, b.text)
		var nv *NoVisionError
		if !errors.Is(err, ErrNoVision) || !errors.As(err, &nv) || !strings.Contains(err.Error(), "no vision") {
			t.Fatalf("RequireVision(%s) = %v, want a no-vision error", b.text, err)
		}
		if n := w.count(http.MethodPost, "/api/chat"); n != 0 {
			t.Errorf("%d chat requests sent for a refused model", n)
		}
		// Why the check is ours: the server itself takes the image and ignores it.
		with := ask(t, c, Model{Name: b.text}, contractInput(t), question)
		without := ask(t, c, Model{Name: b.text}, nil, question)
		if with.Outcome != OutcomeComplete || without.Outcome != OutcomeComplete {
			t.Fatalf("outcomes %s / %s", with.Outcome, without.Outcome)
		}
		// Only Ollama's image tag reaches it, as text ("[img-0]", a few tokens).
		if with.PromptTokens-without.PromptTokens > 12 {
			t.Errorf("a text-only model counted the image: %d prompt tokens with it, %d without", with.PromptTokens, without.PromptTokens)
		}
	})

	t.Run("ImageReachesTheModel", func(t *testing.T) {
		c, w := b.client(t)
		m, err := c.RequireVision(ctx, b.vision)
		if err != nil {
			t.Fatal(err)
		}
		in := contractInput(t)
		with := ask(t, c, m, in, question)
		// The wire: one user message, the image once, the text after a line break.
		var req api.ChatRequest
		if err := json.Unmarshal(w.last(t, "/api/chat").Request, &req); err != nil {
			t.Fatal(err)
		}
		if len(req.Messages) != 1 || len(req.Messages[0].Images) != 1 || !bytes.Equal(req.Messages[0].Images[0], in.PNG) ||
			req.Messages[0].Content != "\n"+question || req.Messages[0].Role != "user" {
			t.Errorf("first turn on the wire: %d messages, content %q", len(req.Messages), req.Messages[0].Content)
		}
		if req.Truncate == nil || *req.Truncate || req.Shift == nil || *req.Shift {
			t.Errorf("truncate %v shift %v, want both off", req.Truncate, req.Shift)
		}
		without := ask(t, c, m, nil, "\n"+question)
		if with.Outcome != OutcomeComplete || without.Outcome != OutcomeComplete {
			t.Fatalf("outcomes %s (%v) / %s (%v)", with.Outcome, with.Err, without.Outcome, without.Err)
		}
		b.imageTokens(t, with.PromptTokens-without.PromptTokens)
		if with.Digest == "" || with.Model != m.Name {
			t.Errorf("result model %q digest %q", with.Model, with.Digest)
		}
	})

	t.Run("Streaming", func(t *testing.T) {
		c, w := b.client(t)
		m, _ := c.RequireVision(ctx, b.vision)
		var got chunks
		var phases []Phase
		cv := c.NewConversation(m, contractInput(t), Settings{})
		res, err := cv.Ask(ctx, question, RunOptions{OnChunk: got.add, OnProgress: func(p Progress) { phases = append(phases, p.Phase) }})
		if err != nil {
			t.Fatal(err)
		}
		cs := got.get()
		if res.Outcome != OutcomeComplete || len(cs) < 2 || res.Text != got.text() || res.Text == "" {
			t.Fatalf("outcome %s, %d chunks, text %q vs chunks %q", res.Outcome, len(cs), res.Text, got.text())
		}
		for i, ch := range cs {
			if ch.Index != i {
				t.Errorf("chunk %d has index %d", i, ch.Index)
			}
		}
		if res.EvalTokens <= 0 || res.PromptTokens <= 0 || res.DoneReason == "" || res.FirstToken <= 0 || res.Total <= 0 {
			t.Errorf("result %+v lacks counts or durations", res)
		}
		if len(phases) == 0 || phases[len(phases)-1] != PhaseDone {
			t.Errorf("phases %v, want ending with done", phases)
		}
		// The wire: NDJSON, several content lines, done:true on the last line only.
		lines := chatLines(t, w.last(t, "/api/chat").Response())
		if len(lines) < 3 {
			t.Fatalf("%d stream lines, want several", len(lines))
		}
		for i, l := range lines {
			if l.Done != (i == len(lines)-1) {
				t.Errorf("line %d of %d has done=%v", i+1, len(lines), l.Done)
			}
		}
		if last := lines[len(lines)-1]; last.EvalCount != res.EvalTokens || last.PromptEvalCount != res.PromptTokens || last.DoneReason != res.DoneReason {
			t.Errorf("final line %+v does not match the result %+v", last.Metrics, res)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		c, _ := b.client(t)
		m, _ := c.RequireVision(ctx, b.visionLong)
		defer b.slow()()
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		var got chunks
		cv := c.NewConversation(m, contractInput(t), Settings{})
		res, err := cv.Ask(runCtx, question, RunOptions{OnChunk: func(ch Chunk) {
			got.add(ch)
			if ch.Index == 2 {
				cancel()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeCancelled || !errors.Is(res.Err, context.Canceled) {
			t.Fatalf("outcome %s err %v, want cancelled", res.Outcome, res.Err)
		}
		if n := len(got.get()); n < 3 || res.Text != got.text() {
			t.Errorf("partial text %q from %d chunks, want the chunks so far (%q)", res.Text, n, got.text())
		}
		if cv.Turns() != 0 {
			t.Errorf("a cancelled answer was added to the chat")
		}
		// The server is free again: the next run completes.
		short, err := c.RequireVision(ctx, b.vision)
		if err != nil {
			t.Fatal(err)
		}
		if r := ask(t, c, short, nil, "Rate?"); r.Outcome != OutcomeComplete {
			t.Errorf("after a cancel the next run ended %s: %v", r.Outcome, r.Err)
		}
	})

	t.Run("RepetitionCut", func(t *testing.T) {
		// Ollama stops a model that writes the same piece more than 30 times in a row and ends
		// the stream cleanly without its final chunk. The tiny model falls into such a loop on
		// this question; the fake is told to.
		c, w := b.client(t)
		m, err := c.RequireVision(ctx, b.visionLong)
		if err != nil {
			t.Fatal(err)
		}
		defer b.repeat()()
		var got chunks
		res, err := c.NewConversation(m, nil, Settings{}).Ask(ctx, "hello", RunOptions{OnChunk: got.add})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeFailed || !errors.Is(res.Err, ErrRepetition) || res.Text != got.text() || len(got.get()) <= 30 {
			t.Fatalf("outcome %s err %v after %d chunks, want failed with the repetition cut and the text kept", res.Outcome, res.Err, len(got.get()))
		}
		lines := chatLines(t, w.last(t, "/api/chat").Response())
		if lines[len(lines)-1].Done {
			t.Errorf("the stream of a cut answer ended with done:true")
		}
	})

	t.Run("PreloadAndStop", func(t *testing.T) {
		c, _ := b.client(t)
		if err := c.Unload(ctx, b.vision); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, c, b.vision, false)
		if err := c.Preload(ctx, b.vision, time.Minute); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, c, b.vision, true)
		if err := c.Unload(ctx, b.vision); err != nil {
			t.Fatal(err)
		}
		waitLoaded(t, c, b.vision, false)
		if err := c.Preload(ctx, "no-such-model", time.Minute); !errors.Is(err, ErrModelNotFound) {
			t.Errorf("preloading a missing model: %v, want model not found", err)
		}
	})

	t.Run("FollowUp", func(t *testing.T) {
		c, w := b.client(t)
		m, _ := c.RequireVision(ctx, b.vision)
		cv := c.NewConversation(m, contractInput(t), Settings{})
		first, err := cv.Ask(ctx, question, RunOptions{})
		if err != nil || first.Outcome != OutcomeComplete {
			t.Fatalf("first: %v %+v", err, first)
		}
		second, err := cv.Ask(ctx, "What is the heart rate?", RunOptions{})
		if err != nil || second.Outcome != OutcomeComplete {
			t.Fatalf("follow-up: %v %+v", err, second)
		}
		var req api.ChatRequest
		if err := json.Unmarshal(w.last(t, "/api/chat").Request, &req); err != nil {
			t.Fatal(err)
		}
		if len(req.Messages) != 3 || len(req.Messages[0].Images) != 1 || req.Messages[1].Role != "assistant" ||
			req.Messages[1].Content != first.Text || len(req.Messages[2].Images) != 0 || req.Messages[2].Content != "What is the heart rate?" {
			t.Errorf("follow-up on the wire: %d messages", len(req.Messages))
		}
		if second.PromptTokens <= first.PromptTokens {
			t.Errorf("the follow-up's prompt (%d tokens) is not longer than the first (%d)", second.PromptTokens, first.PromptTokens)
		}
		if cv.Turns() != 2 {
			t.Errorf("turns %d, want 2", cv.Turns())
		}
	})

	t.Run("Again", func(t *testing.T) {
		c, w := b.client(t)
		m, _ := c.RequireVision(ctx, b.vision)
		cv := c.NewConversation(m, contractInput(t), Settings{})
		first, err := cv.Ask(ctx, question, RunOptions{})
		if err != nil || first.Outcome != OutcomeComplete {
			t.Fatalf("%v %+v", err, first)
		}
		var firstReq api.ChatRequest
		if err := json.Unmarshal(w.last(t, "/api/chat").Request, &firstReq); err != nil {
			t.Fatal(err)
		}
		again, err := cv.Again(ctx, RunOptions{})
		if err != nil || again.Outcome != OutcomeComplete || !again.Resample {
			t.Fatalf("again: %v %+v", err, again)
		}
		var req api.ChatRequest
		if err := json.Unmarshal(w.last(t, "/api/chat").Request, &req); err != nil {
			t.Fatal(err)
		}
		if req.Options["temperature"] != ResampleTemperature || firstReq.Options["temperature"] != 0.0 ||
			req.Options["seed"] == nil || req.Options["seed"] == firstReq.Options["seed"] ||
			len(req.Messages) != 1 || len(req.Messages[0].Images) != 1 {
			t.Errorf("again on the wire: options %v, %d messages", req.Options, len(req.Messages))
		}
		if cv.Turns() != 1 {
			t.Errorf("turns %d after again, want 1 (the answer replaced)", cv.Turns())
		}
	})

	t.Run("PromptLongerThanContext", func(t *testing.T) {
		// With truncate off the server refuses a prompt longer than the context instead of
		// dropping the start of the chat. (Ollama gives a vision model at least 2048 tokens of
		// context whatever is asked, so the text-only model shows it.)
		c, _ := b.client(t)
		m, err := c.Show(ctx, b.text)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.NewConversation(m, nil, Settings{NumCtx: 16}).Ask(ctx, question, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var se *ServerError
		if res.Outcome != OutcomeFailed || !errors.As(res.Err, &se) || se.StatusCode != http.StatusBadRequest ||
			!strings.Contains(se.Message, "the input length") || !strings.Contains(se.Message, "exceeds the context length") {
			t.Errorf("outcome %s err %v, want failed with a 400 about the input length", res.Outcome, res.Err)
		}
	})

	t.Run("JSONSchemaFormat", func(t *testing.T) {
		c, w := b.client(t)
		m, _ := c.RequireVision(ctx, b.vision)
		cv := c.NewConversation(m, contractInput(t), Settings{})
		if r, err := cv.Ask(ctx, question, RunOptions{}); err != nil || r.Outcome != OutcomeComplete {
			t.Fatalf("%v %+v", err, r)
		}
		f, res, err := cv.Findings(ctx, RunOptions{})
		if err != nil || res == nil || res.Outcome != OutcomeComplete {
			t.Fatalf("findings run: %v %+v", err, res)
		}
		var req api.ChatRequest
		if err := json.Unmarshal(w.last(t, "/api/chat").Request, &req); err != nil {
			t.Fatal(err)
		}
		var schema, sent map[string]any
		if json.Unmarshal(FindingsSchema, &schema) != nil || json.Unmarshal(req.Format, &sent) != nil || sent["type"] != "object" ||
			len(sent["properties"].(map[string]any)) != len(schema["properties"].(map[string]any)) {
			t.Errorf("format on the wire %s, want the findings schema", req.Format)
		}
		// The server constrains the answer to JSON: it starts as an object even from a model
		// with random weights (which may run out of tokens before closing it).
		if !strings.HasPrefix(strings.TrimSpace(res.Text), "{") {
			t.Errorf("a format request answered %q, not JSON", res.Text)
		}
		if !f.Available && f.Reason == "" || f.Available && f.Label != EstimateLabel {
			t.Errorf("findings %+v: available without the estimate label, or unavailable without a reason", f)
		}
		if cv.Turns() != 1 {
			t.Errorf("the findings request was added to the chat (turns %d)", cv.Turns())
		}
	})

	t.Run("MissingModel", func(t *testing.T) {
		c, _ := b.client(t)
		if _, err := c.Show(ctx, "no-such-model"); !errors.Is(err, ErrModelNotFound) {
			t.Errorf("Show: %v, want model not found", err)
		}
		res := ask(t, c, Model{Name: "no-such-model"}, contractInput(t), question)
		if res.Outcome != OutcomeFailed || !errors.Is(res.Err, ErrModelNotFound) || !strings.Contains(res.Err.Error(), "model 'no-such-model' not found") {
			t.Errorf("outcome %s err %v, want failed with the server's model-not-found", res.Outcome, res.Err)
		}
	})

	t.Run("UndecodableImage", func(t *testing.T) {
		c, _ := b.client(t)
		m, _ := c.RequireVision(ctx, b.vision)
		res := ask(t, c, m, &ModelInput{PNG: []byte("not an image")}, question)
		var se *ServerError
		if res.Outcome != OutcomeFailed || !errors.As(res.Err, &se) || !strings.Contains(se.Message, "image: unknown format") {
			t.Fatalf("outcome %s err %v, want failed naming the image format", res.Outcome, res.Err)
		}
		// Ollama 0.17.4 answers 500 "Failed to create new sequence: failed to process inputs:
		// image: unknown format".
		if se.StatusCode != http.StatusInternalServerError {
			t.Errorf("status %d, want 500 as the real server answers", se.StatusCode)
		}
	})

	t.Run("ImportTwoFiles", func(t *testing.T) {
		c, w := b.client(t)
		lm, proj := llavaPair(t)
		var steps []ImportProgress
		m, err := c.Import(ctx, ImportRequest{Name: "imported-llava", ModelPath: lm, ProjectorPath: proj},
			func(p ImportProgress) { steps = append(steps, p) })
		if err != nil {
			t.Fatal(err)
		}
		if !m.Vision || m.Digest == "" {
			t.Fatalf("imported model %+v, want vision and a digest", m)
		}
		if n := w.count(http.MethodPost, "/api/blobs/"); n != 2 {
			t.Errorf("%d blob uploads, want 2", n)
		}
		var req api.CreateRequest
		if err := json.Unmarshal(w.last(t, "/api/create").Request, &req); err != nil {
			t.Fatal(err)
		}
		mf := PULSEModelfile()
		if len(req.Files) != 2 || req.Template != mf.Template || req.System != mf.System {
			t.Errorf("create request: %d files, template/system as the Modelfile: %v/%v", len(req.Files), req.Template == mf.Template, req.System == mf.System)
		}
		// Again: both blobs are on the server, so nothing is uploaded.
		if _, err := c.Import(ctx, ImportRequest{Name: "imported-llava", ModelPath: lm, ProjectorPath: proj}, nil); err != nil {
			t.Fatal(err)
		}
		if n := w.count(http.MethodPost, "/api/blobs/"); n != 2 {
			t.Errorf("%d blob uploads after the second import, want still 2", n)
		}
		// The imported pair reads the image and writes. PULSE's parameters set no answer length
		// and the tiny model never ends, so the run is stopped after its third chunk.
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		var got chunks
		cv := c.NewConversation(m, contractInput(t), Settings{})
		res, err := cv.Ask(runCtx, question, RunOptions{OnChunk: func(ch Chunk) {
			got.add(ch)
			if ch.Index == 2 {
				cancel()
			}
		}})
		if err != nil || (res.Outcome != OutcomeCancelled && res.Outcome != OutcomeComplete) || len(got.get()) < 3 || res.Text == "" {
			if b.real != nil {
				t.Log(b.real.Log())
			}
			t.Fatalf("run on the imported model: %v, outcome %s (%v), %d chunks", err, res.Outcome, res.Err, len(got.get()))
		}
	})
}

// ask runs one question on a new conversation.
func ask(t *testing.T, c *Client, m Model, in *ModelInput, question string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.NewConversation(m, in, Settings{}).Ask(ctx, question, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// waitLoaded waits until /api/ps does (or does not) list the model.
func waitLoaded(t *testing.T, c *Client, model string, want bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.isLoaded(context.Background(), model) != want {
		if time.Now().After(deadline) {
			t.Fatalf("model %s loaded=%v after 30 s, want %v", model, !want, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
