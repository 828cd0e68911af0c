package interpret

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest/realserver"
)

// TestPULSEPromptOnRealServer imports the tiny LLaVA pair the way PULSE is imported (the
// template, system prompt, stops and parameters of assets/Modelfile.pulse), asks about an image
// and reads, from the real server's trace log, the exact prompt Ollama gives its runner. It must
// be the llava_v1 prompt PULSE was trained on:
//
//	A chat between a curious human and an artificial intelligence assistant. The assistant gives
//	helpful, detailed, and polite answers to the human's questions. USER: <image>\n{question} ASSISTANT:
//
// with Ollama's image tag "[img-0]" where the trained prompt has "<image>": the client sends the
// user turn as "\n"+question with the image, Ollama puts the tag in front of the text without a
// line break, and its runner replaces the tag with the image's embeddings. So the rendered text is
// exactly SYSTEM + " USER: [img-0]\n" + question + " ASSISTANT:" (one space after the system
// prompt, one before ASSISTANT:, nothing after the colon).
func TestPULSEPromptOnRealServer(t *testing.T) {
	srv := realserver.StartWith(t, realserver.Options{Env: []string{"OLLAMA_DEBUG=2"}})
	b := &backend{url: srv.URL}
	c, _ := b.client(t)
	lm, proj := llavaPair(t)
	ctx := context.Background()
	m, err := c.Import(ctx, ImportRequest{Name: "pulse", ModelPath: lm, ProjectorPath: proj}, nil)
	if err != nil {
		t.Fatal(err)
	}
	question := "Please write a clinical report based on this ECG image."
	res, err := c.NewConversation(m, contractInput(t), Settings{NumPredict: 2}).Ask(ctx, question, RunOptions{})
	if err != nil || res.Outcome != OutcomeComplete {
		t.Fatalf("%v %+v", err, res)
	}

	const trained = "A chat between a curious human and an artificial intelligence assistant. The assistant gives " +
		"helpful, detailed, and polite answers to the human's questions. USER: <image>\n{question} ASSISTANT:"
	want := strings.Replace(strings.Replace(trained, "<image>", "[img-0]", 1), "{question}", question, 1)

	re := regexp.MustCompile(`msg="completion request" prompt=("(?:[^"\\]|\\.)*")`)
	found := re.FindAllStringSubmatch(srv.Log(), -1)
	if len(found) == 0 {
		t.Fatalf("no completion request in the server's trace log:\n%s", srv.Log())
	}
	got, err := strconv.Unquote(found[len(found)-1][1])
	if err != nil {
		t.Fatalf("unquoting %s: %v", found[len(found)-1][1], err)
	}
	t.Logf("the runner's prompt: %q", got)
	if got != want {
		t.Errorf("the server gave its runner\n%q\nwant (the trained prompt)\n%q", got, want)
	}
}
