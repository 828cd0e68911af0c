package ollamatest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWireFormat(t *testing.T) {
	s := New(t)
	defer http.DefaultClient.CloseIdleConnections()

	resp, body := post(t, s.URL+"/api/chat", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 404 || body != `{"error":"model 'nope' not found"}`+"\n" {
		t.Errorf("missing model: %d %q", resp.StatusCode, body)
	}
	resp, body = post(t, s.URL+"/api/chat", `{"model":"pulse","messages":[{"role":"user","content":"hi","images":["bm90IGFuIGltYWdl"]}]}`)
	if resp.StatusCode != 500 || !strings.Contains(body, `"error"`) || !strings.Contains(body, "unknown format") {
		t.Errorf("bad image: %d %q", resp.StatusCode, body)
	}
	resp, body = post(t, s.URL+"/api/chat", `{"model":"pulse","messages":[{"role":"user","content":"hi"}]}`)
	if resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	var text strings.Builder
	lines, done := 0, false
	for sc.Scan() {
		var r struct {
			Message struct{ Content string }
			Done    bool
			Reason  string `json:"done_reason"`
			Eval    int    `json:"eval_count"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		text.WriteString(r.Message.Content)
		lines++
		if r.Done {
			done = r.Reason == "stop" && r.Eval > 0
		}
	}
	if text.String() != DefaultAnswer || !done || lines < 10 {
		t.Errorf("stream: %d lines, done %v, text %q", lines, done, text.String())
	}

	s.SetFaults(Faults{Status: 500, ErrorText: "boom"})
	resp, body = post(t, s.URL+"/api/generate", `{"model":"pulse","prompt":"hi"}`)
	if resp.StatusCode != 500 || body != `{"error":"boom"}`+"\n" {
		t.Errorf("500: %d %q", resp.StatusCode, body)
	}

	resp, body = post(t, s.URL+"/api/blobs/sha256:"+strings.Repeat("0", 64), "data")
	if resp.StatusCode != 400 || !strings.Contains(body, "digest mismatch") {
		t.Errorf("blob mismatch: %d %q", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodHead, s.URL+"/api/blobs/sha256:"+strings.Repeat("0", 64), nil)
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != 404 {
		t.Errorf("HEAD missing blob: %d", hr.StatusCode)
	}
}
