package main

import (
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest/realserver"
)

// pulsectl interpret of a real printout against the real Ollama server: the tiny vision model
// streams its (gibberish) answer and the command exits 0; the tiny text-only model is refused
// before anything is sent, exit 1, naming the missing vision capability.
func TestInterpretRealServer(t *testing.T) {
	srv := realserver.Start(t)
	vision := srv.AddVisionModel(t)
	text := srv.AddTextModel(t)
	t.Setenv("OLLAMA_HOST", "")

	code, out, errOut := pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--model", vision, "--data", t.TempDir())
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("vision model: exit %d\nstdout %q\nstderr %s\nserver log:\n%s", code, out, errOut, srv.Log())
	}

	code, out, errOut = pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--model", text, "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "vision") || !strings.Contains(errOut, text) || out != "" {
		t.Fatalf("text-only model: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}
}
