package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/fs/ggml"

	"pulsedesk/interpret/ollamatest"
	"pulsedesk/storage"
)

const ecgFile = "../../interpret/testdata/eik_ecg00016.jpg"

func pulsectl(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestInterpretStreamsAndJSON(t *testing.T) {
	srv := ollamatest.New(t)
	t.Setenv("OLLAMA_HOST", "")
	code, out, errOut := pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--data", t.TempDir())
	if code != 0 || strings.TrimSpace(out) != ollamatest.DefaultAnswer {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}
	code, out, errOut = pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--json", "--task", "mcq",
		"--question", "What is the rhythm?", "--options", "Sinus rhythm;Atrial fibrillation", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if res["outcome"] != "complete" || res["model"] != "pulse:latest" || res["digest"] == "" || res["prompt_tokens"].(float64) < 576 ||
		res["answer"] != ollamatest.DefaultAnswer || !strings.Contains(res["prompt"].(string), "B. Atrial fibrillation") {
		t.Errorf("json %v", res)
	}
	for _, k := range []string{"eval_tokens", "load_ms", "prefill_ms", "generation_ms", "model_input_sha256"} {
		if _, ok := res[k]; !ok {
			t.Errorf("json lacks %s", k)
		}
	}
}

func TestInterpretSaveStoresTheRun(t *testing.T) {
	srv := ollamatest.New(t)
	t.Setenv("OLLAMA_HOST", "")
	dir := t.TempDir()
	code, out, errOut := pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--save", "--data", dir, "--json", "--age", "70", "--sex", "m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		CaseUID, RunUID, Outcome string `json:"-"`
	}
	var m map[string]any
	json.Unmarshal([]byte(out), &m)
	res.CaseUID, _ = m["case_uid"].(string)
	res.RunUID, _ = m["run_uid"].(string)
	st, err := storage.Open(storage.PathIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.CaseDetail(context.Background(), res.CaseUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 || d.Runs[0].UID != res.RunUID || d.Runs[0].Outcome != storage.OutcomeComplete || d.Runs[0].Answer != ollamatest.DefaultAnswer {
		t.Fatalf("stored runs %+v", d.Runs)
	}
	if d.Case.Age == nil || *d.Case.Age != 70 || d.Case.Sex != "M" || len(d.ModelInputs) != 1 {
		t.Errorf("stored case %+v, %d inputs", d.Case, len(d.ModelInputs))
	}
	// A second run into the same case by uid prefix.
	code, _, errOut = pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--save", "--case", res.CaseUID[:8], "--data", dir, "--task", "rhythm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	d, _ = st.CaseDetail(context.Background(), res.CaseUID)
	if len(d.Runs) != 2 {
		t.Errorf("%d runs after the second save", len(d.Runs))
	}
}

func TestInterpretErrors(t *testing.T) {
	srv := ollamatest.New(t)
	srv.AddModel(ollamatest.TextModel("tiny-text:latest"))
	t.Setenv("OLLAMA_HOST", "")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"interpret", ecgFile, "--server", ollamatest.RefusedURL(t)}, 1, "model server not reachable"},
		{[]string{"interpret", ecgFile, "--server", "http://10.1.2.3:11434"}, 1, "remote host not allowed"},
		{[]string{"interpret", ecgFile, "--server", srv.URL, "--model", "tiny-text"}, 1, "no vision capability"},
		{[]string{"interpret", ecgFile, "--server", srv.URL, "--model", "absent"}, 1, "not found"},
		{[]string{"interpret", "nope.png", "--server", srv.URL}, 1, "nope.png"},
		{[]string{"interpret", ecgFile, "--task", "poem", "--server", srv.URL}, 2, "unknown task"},
		{[]string{"interpret", ecgFile, "--task", "ask", "--server", srv.URL}, 2, "needs a question"},
		{[]string{"interpret"}, 2, "exactly one FILE"},
		{[]string{"interpret", ecgFile, "--case", "abc"}, 2, "--case needs --save"},
	}
	for _, c := range cases {
		code, _, errOut := pulsectl(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
	// A stream that breaks: exit 1, partial text printed, the reason named.
	srv.SetFaults(ollamatest.Faults{DropAfter: 3})
	code, out, errOut := pulsectl(t, "interpret", ecgFile, "--server", srv.URL, "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "stopped answering") || !strings.HasPrefix(ollamatest.DefaultAnswer, strings.TrimSpace(out)) || strings.TrimSpace(out) == "" {
		t.Errorf("dropped stream: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestModelsCommand(t *testing.T) {
	srv := ollamatest.New(t)
	srv.AddModel(ollamatest.TextModel("tiny-text:latest"))
	code, out, errOut := pulsectl(t, "models", "--server", srv.URL)
	if code != 0 || !strings.Contains(out, "pulse:latest") || !strings.Contains(out, "cannot read images") || !strings.Contains(out, "not evaluated for ECG") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = pulsectl(t, "models", "--server", srv.URL, "--json")
	var res struct {
		Version string
		Models  []struct {
			Name, Digest  string
			Vision        bool
			ImageLongSide int `json:"image_long_side"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Version != ollamatest.Version || len(res.Models) != 2 || res.Models[0].ImageLongSide != 1008 {
		t.Errorf("json: exit %d %s", code, out)
	}
	code, _, errOut = pulsectl(t, "models", "--server", ollamatest.RefusedURL(t))
	if code != 1 || !strings.Contains(errOut, "ollama serve") {
		t.Errorf("refused: exit %d %q", code, errOut)
	}
}

func TestImportModelAndPull(t *testing.T) {
	srv := ollamatest.New(t)
	srv.RemoveModel("pulse")
	dir := t.TempDir()
	write := func(name string, kv ggml.KV) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := ggml.WriteGGUF(f, kv, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lm := write("lm.gguf", ggml.KV{"general.architecture": "llama", "llama.block_count": uint32(1)})
	pj := write("mmproj.gguf", ggml.KV{"general.architecture": "clip", "clip.vision.image_size": uint32(336)})
	code, out, errOut := pulsectl(t, "import-model", "--name", "pulse", "--model", lm, "--projector", pj, "--server", srv.URL)
	if code != 0 || !strings.Contains(out, "imported pulse") || !strings.Contains(out, "vision") || !strings.Contains(errOut, "uploading") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = pulsectl(t, "import-model", "--model", lm, "--projector", filepath.Join(dir, "nope.gguf"), "--server", srv.URL)
	if code != 1 || !strings.Contains(errOut, "nope.gguf") {
		t.Errorf("missing projector: exit %d %q", code, errOut)
	}
	if code, _, _ := pulsectl(t, "import-model", "--model", lm); code != 2 {
		t.Errorf("no projector flag: exit %d", code)
	}
	code, out, errOut = pulsectl(t, "pull", "llava:7b", "--server", srv.URL)
	if code != 0 || !strings.Contains(out, "pulled llava:7b") || !strings.Contains(errOut, "success") {
		t.Errorf("pull: exit %d %q %q", code, out, errOut)
	}
}

func TestAddCommand(t *testing.T) {
	dir := t.TempDir()
	edits := filepath.Join(dir, "edits.json")
	os.WriteFile(edits, []byte(`{"version":1,"crop":{"x0":0.1,"y0":0.1,"x1":0.9,"y1":0.9}}`), 0o600)
	code, out, errOut := pulsectl(t, "add", ecgFile, "--patient", "ZEBRA-14", "--age", "61", "--sex", "f", "--context", "syncope", "--edits", edits, "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	uid := strings.TrimSpace(out)
	st, err := storage.Open(storage.PathIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.CaseDetail(context.Background(), uid)
	if err != nil {
		t.Fatalf("case %q: %v", uid, err)
	}
	if d.Case.PatientRef != "ZEBRA-14" || *d.Case.Age != 61 || d.Case.Sex != "F" || d.Case.Context != "syncope" || len(d.Documents) != 1 || len(d.ModelInputs) != 1 {
		t.Errorf("stored %+v", d)
	}
	if !strings.Contains(string(d.ModelInputs[0].Edits), `"x0":0.1`) {
		t.Errorf("edits not kept: %s", d.ModelInputs[0].Edits)
	}
	for _, bad := range [][]string{{"add", ecgFile, "--sex", "x", "--data", dir}, {"add"}, {"add", ecgFile, "--age", "-3", "--data", dir}} {
		if code, _, _ := pulsectl(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := pulsectl(t, "add", filepath.Join(dir, "missing.pdf"), "--data", dir); code != 1 || !strings.Contains(errOut, "missing.pdf") {
		t.Errorf("missing file: exit %d %q", code, errOut)
	}
}
