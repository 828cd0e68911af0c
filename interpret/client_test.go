package interpret

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest"
)

func TestResolveServer(t *testing.T) {
	cases := []struct {
		setting, env string
		want         string
		loopback     bool
	}{
		{"", "", "http://127.0.0.1:11434", true},
		{"", "127.0.0.1:11500", "http://127.0.0.1:11500", true},
		{"", "localhost", "http://localhost:11434", true},
		{"", "0.0.0.0", "http://127.0.0.1:11434", true},
		{"", "http://[::1]", "http://[::1]:80", true},
		{"", "https://gpu.clinic.lan", "https://gpu.clinic.lan:443", false},
		{"", "10.0.0.5:11434", "http://10.0.0.5:11434", false},
		{"http://127.0.0.1:9999", "10.0.0.5", "http://127.0.0.1:9999", true},
		{"", ":11435", "http://127.0.0.1:11435", true},
		{"", "example.com:11434/ollama", "http://example.com:11434/ollama", false},
	}
	for _, c := range cases {
		u, loop, err := ResolveServer(c.setting, c.env)
		if err != nil {
			t.Errorf("ResolveServer(%q, %q): %v", c.setting, c.env, err)
			continue
		}
		if u.String() != c.want || loop != c.loopback {
			t.Errorf("ResolveServer(%q, %q) = %s loopback=%v, want %s loopback=%v", c.setting, c.env, u, loop, c.want, c.loopback)
		}
	}
	for _, bad := range []string{"ftp://host", "127.0.0.1:99999", "host:port"} {
		if _, _, err := ResolveServer(bad, ""); err == nil {
			t.Errorf("ResolveServer(%q) accepted a bad address", bad)
		}
	}
}

func TestRemoteRefusedUnlessAllowed(t *testing.T) {
	_, err := New(Config{Server: "http://192.168.1.20:11434"})
	if !errors.Is(err, ErrRemoteNotAllowed) {
		t.Fatalf("remote server without permission: err = %v, want ErrRemoteNotAllowed", err)
	}
	env := func(k string) string {
		if k == "OLLAMA_HOST" {
			return "gpu.clinic.lan"
		}
		return ""
	}
	if _, err := New(Config{Getenv: env}); !errors.Is(err, ErrRemoteNotAllowed) {
		t.Fatalf("remote OLLAMA_HOST without permission: err = %v", err)
	}
	c, err := New(Config{Server: "http://192.168.1.20:11434", AllowRemote: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Remote() {
		t.Error("a remote server allowed by the user must be reported as remote")
	}
}

func newTestClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(Config{Server: url, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestStatus(t *testing.T) {
	srv := ollamatest.New(t)
	st := newTestClient(t, srv.URL).Status(context.Background())
	if !st.Reachable || st.Version != ollamatest.Version || st.Remote {
		t.Fatalf("status = %+v", st)
	}
	if !strings.Contains(st.Message, "0.17.4") {
		t.Errorf("message %q does not name the version", st.Message)
	}

	url := ollamatest.RefusedURL(t)
	st = newTestClient(t, url).Status(context.Background())
	if st.Reachable || !errors.Is(st.Err, ErrNotReachable) {
		t.Fatalf("refused: status = %+v", st)
	}
	if !strings.Contains(st.Message, "ollama serve") || !strings.Contains(st.Message, strings.TrimPrefix(url, "http://")) {
		t.Errorf("refused: message %q does not say where and what to do", st.Message)
	}
}
