package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest/realserver"
)

// The commands against the real Ollama server with tiny random-weight
// models: a vision model answers (gibberish) and the run completes; a
// text-only model is refused for lacking vision; PULSE's two-file import
// makes a model with the vision capability.
func TestCommandsAgainstRealServer(t *testing.T) {
	srv := realserver.Start(t)
	vision := srv.AddVisionModel(t)
	text := srv.AddTextModel(t)
	t.Setenv("OLLAMA_HOST", "")
	printout := sharedImage(t, "eik_ecg00053.png")

	code, out, errOut := pulsectl(t, "interpret", printout, "--server", srv.URL, "--model", vision, "--json", "--max-tokens", "8", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("interpret with %s: exit %d\n%s\n%s", vision, code, errOut, srv.Log())
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res["outcome"] != "complete" || res["done_reason"] != "length" || res["answer"] == "" || res["digest"] == "" || res["prompt_tokens"].(float64) <= 0 || res["eval_tokens"].(float64) <= 0 {
		t.Errorf("result %v", res)
	}

	// Streaming to stdout, with the answer saved in the case log.
	code, out, errOut = pulsectl(t, "interpret", printout, "--server", srv.URL, "--model", vision, "--save", "--max-tokens", "8", "--data", t.TempDir())
	if code != 0 || strings.TrimSpace(out) == "" || !strings.Contains(errOut, "saved: case") {
		t.Errorf("interpret --save: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}

	code, _, errOut = pulsectl(t, "interpret", printout, "--server", srv.URL, "--model", text, "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "has no vision capability") || !strings.Contains(errOut, text) {
		t.Errorf("interpret with %s: exit %d, stderr %q", text, code, errOut)
	}

	dir := t.TempDir()
	lm, proj := filepath.Join(dir, "pulse-tiny.gguf"), filepath.Join(dir, "mmproj-pulse-tiny.gguf")
	if err := realserver.WriteLlavaPair(lm, proj); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = pulsectl(t, "import-model", "--name", "pulse", "--model", lm, "--projector", proj, "--server", srv.URL)
	if code != 0 || !strings.Contains(out, "vision") {
		t.Fatalf("import-model: exit %d\n%s\n%s\n%s", code, out, errOut, srv.Log())
	}
	code, out, errOut = pulsectl(t, "models", "--server", srv.URL, "--json")
	var list struct {
		Version string
		Models  []struct {
			Name   string
			Vision bool
			Note   string
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || list.Version != realserver.Version {
		t.Fatalf("models: exit %d\n%s\n%s", code, out, errOut)
	}
	seen := map[string]bool{}
	for _, m := range list.Models {
		seen[m.Name] = true
		if m.Name == "pulse:latest" && (!m.Vision || m.Note != "") {
			t.Errorf("imported pulse: %+v", m)
		}
		if strings.HasPrefix(m.Name, text) && m.Vision {
			t.Errorf("%s reported vision", m.Name)
		}
	}
	if !seen["pulse:latest"] || !seen[vision+":latest"] {
		t.Errorf("models listed: %v", seen)
	}
}
