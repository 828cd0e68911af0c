// Package realserver starts the real Ollama server for tests and writes tiny random-weight models
// for it.
//
// The binary comes from PULSEDESK_OLLAMA_BIN (`make ollama` builds it from the Go module proxy into
// a cache folder outside the repository and the Makefile exports the path). Each server listens on
// a free loopback port and keeps its models, its key and its settings in folders of its own, so
// tests never touch a user's Ollama. When the binary is missing a test fails under CI=true and is
// skipped otherwise, so a plain `go test` still runs on a machine without the build.
package realserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// EnvBinary names the environment variable holding the path of the Ollama binary.
const EnvBinary = "PULSEDESK_OLLAMA_BIN"

// Version is the Ollama release the tests are written against (the Makefile builds it).
const Version = "0.17.4"

// startTimeout bounds the wait for /api/version after the process starts.
const startTimeout = 60 * time.Second

// stopTimeout bounds the graceful stop before the process group is killed.
const stopTimeout = 15 * time.Second

// Binary returns the path of the Ollama binary from PULSEDESK_OLLAMA_BIN. When it is unset or
// not an executable file the test fails under CI=true and is skipped otherwise.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := lookBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the real Ollama server is required under CI: %v (run `make ollama`)", err)
		}
		t.Skipf("the real Ollama server is not available: %v (run `make ollama`)", err)
	}
	return path
}

func lookBinary() (string, error) {
	path := os.Getenv(EnvBinary)
	if path == "" {
		return "", fmt.Errorf("%s is not set", EnvBinary)
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s=%s: %w", EnvBinary, path, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s=%s is not an executable file", EnvBinary, path)
	}
	return path, nil
}

// Server is a running Ollama server owned by one test.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Host is the OLLAMA_HOST value, 127.0.0.1:PORT.
	Host string
	// Models is the server's OLLAMA_MODELS folder.
	Models string
	// Home is the server's HOME (it keeps its key pair there).
	Home string

	http    *http.Client
	cmd     *exec.Cmd
	reaper  *exec.Cmd
	log     *syncBuffer
	exited  chan struct{}
	waitErr error
	stop    sync.Once
}

// Options change how the server runs. The zero value suits the tests.
type Options struct {
	// KeepAlive is OLLAMA_KEEP_ALIVE, how long a model stays loaded after a request
	// (default "5m").
	KeepAlive string
	// Env adds variables to the server's environment (KEY=VALUE).
	Env []string
}

// Start starts the Ollama server on a free loopback port with its own models folder and HOME,
// waits until /api/version answers and stops it (with every model runner it started) when the
// test ends. It fails the test when the server does not come up, with the server's log.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	// A free port is found by binding port 0 and releasing it; another process can take it in
	// between, so a bind failure is retried on a new port.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(bin, t.TempDir(), opts)
		if err == nil {
			t.Cleanup(func() {
				if err := s.Stop(); err != nil {
					t.Errorf("stopping the Ollama server: %v\n%s", err, s.Log())
				}
			})
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting the Ollama server %s: %v", bin, lastErr)
	return nil
}

func start(bin, dir string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:   fmt.Sprintf("127.0.0.1:%d", port),
		Models: filepath.Join(dir, "models"),
		Home:   filepath.Join(dir, "home"),
		log:    &syncBuffer{},
		exited: make(chan struct{}),
		// Its own transport, without proxies; its idle connections are closed by Stop, so no
		// connection goroutine outlives the test.
		http: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConns: 4}},
	}
	s.URL = "http://" + s.Host
	for _, d := range []string{s.Models, s.Home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	keepAlive := opts.KeepAlive
	if keepAlive == "" {
		keepAlive = "5m"
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(baseEnv(),
		"HOME="+s.Home,
		"OLLAMA_HOST="+s.Host,
		"OLLAMA_MODELS="+s.Models,
		"OLLAMA_KEEP_ALIVE="+keepAlive,
		"OLLAMA_NOPRUNE=1",
		"OLLAMA_NUM_PARALLEL=1",
		"OLLAMA_MAX_LOADED_MODELS=2",
		"OLLAMA_NO_CLOUD=1",
		"OLLAMA_NOHISTORY=1",
		"OLLAMA_ORIGINS=",
	)
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	// Its own process group, so the model runners it starts are stopped with it. (No Pdeathsig:
	// it fires when the forking OS thread ends, which Go does not promise to keep; the reaper
	// below covers a test process that dies.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running %s serve: %w", bin, err)
	}
	s.cmd = cmd
	s.reaper = startReaper(cmd.Process.Pid)
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(startTimeout); err != nil {
		_ = s.Stop()
		if strings.Contains(s.Log(), "address already in use") {
			return nil, fmt.Errorf("%s: address already in use", s.Host)
		}
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, s.Log())
	}
	return s, nil
}

// baseEnv is the test process's environment without the variables that would change the server
// (a user's OLLAMA_* settings, proxies: the server must not reach the network).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OLLAMA_"), k == "HOME",
			strings.EqualFold(k, "HTTP_PROXY"), strings.EqualFold(k, "HTTPS_PROXY"),
			strings.EqualFold(k, "ALL_PROXY"), strings.EqualFold(k, "NO_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		v, err := s.ServerVersion(context.Background())
		if err == nil && v != "" {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited before answering: %v", s.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s/api/version within %s: %v", s.URL, timeout, err)
		}
	}
}

// ServerVersion asks /api/version.
func (s *Server) ServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/version", nil)
	if err != nil {
		return "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s/api/version: %s", s.URL, resp.Status)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("%s/api/version: %w", s.URL, err)
	}
	return v.Version, nil
}

// Log returns what the server wrote so far (its log goes to stderr).
func (s *Server) Log() string { return s.log.String() }

// Stop stops the server: SIGTERM (it unloads its models and exits), then SIGKILL to the whole
// process group after a grace period, so no model runner outlives the test. Safe to call twice.
func (s *Server) Stop() error {
	var err error
	s.stop.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			err = fmt.Errorf("the server did not stop within %s after SIGTERM; killed", stopTimeout)
		}
		// Runners left behind (or the server itself after the grace period).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
		s.http.CloseIdleConnections()
		if s.reaper != nil {
			_ = s.reaper.Process.Kill()
			_ = s.reaper.Wait()
		}
	})
	return err
}

// startReaper starts a watchdog that kills the server's process group (the server and the model
// runners it started) within a second of this test process ending without stopping it (a test
// timeout, a crash, a kill).
func startReaper(pgid int) *exec.Cmd {
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; kill -KILL -%d 2>/dev/null", os.Getpid(), pgid)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil
	}
	return cmd
}

// Running reports whether the server process is still running.
func (s *Server) Running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Client returns an Ollama API client for the server.
func (s *Server) Client() *api.Client {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(fmt.Sprintf("realserver: bad server URL %q: %v", s.URL, err))
	}
	return api.NewClient(u, s.http)
}

// CreateModel uploads GGUF files as blobs and creates the model name from them through
// /api/create with the given parameters (Modelfile PARAMETERs, may be nil), as `ollama create`
// does; it fails the test on an error. A file whose GGUF holds only a vision encoder becomes the
// model's projector.
func (s *Server) CreateModel(t testing.TB, name string, params map[string]any, files ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := s.Client()
	req := &api.CreateRequest{Model: name, Files: map[string]string{}, Parameters: params}
	for _, path := range files {
		digest, err := fileDigest(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		err = c.CreateBlob(ctx, digest, f)
		f.Close()
		if err != nil {
			t.Fatalf("uploading %s as blob %s: %v\n%s", path, digest, err, s.Log())
		}
		req.Files[filepath.Base(path)] = digest
	}
	if err := c.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatalf("creating model %s from %v: %v\n%s", name, files, err, s.Log())
	}
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// Names of the tiny models added by AddVisionModel and AddTextModel. The tiny models never write
// an end-of-text token: VisionModel and TextModel stop after ShortAnswer tokens (PARAMETER
// num_predict, done_reason "length"); VisionModelLong has no limit, for tests that need a run
// that is still going (Ollama itself ends a stream whose token repeats more than 30 times, without
// its final chunk).
const (
	VisionModel     = "tiny-vision"
	VisionModelLong = "tiny-vision-long"
	TextModel       = "tiny-text"
	ShortAnswer     = 12
)

// TinyParameters are the Modelfile parameters the tiny models are created with. One thread: on
// a machine busy with other builds, ggml's threads spin-wait on each other and two threads write
// a token of these tiny models in 150-250 ms; one thread in well under a millisecond.
func TinyParameters(numPredict int) map[string]any {
	p := map[string]any{"num_thread": 1}
	if numPredict > 0 {
		p["num_predict"] = numPredict
	}
	return p
}

// AddVisionModel writes the tiny vision model and creates it on the server as VisionModel and
// VisionModelLong (one blob, two names). It returns VisionModel.
func (s *Server) AddVisionModel(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny-vision.gguf")
	if err := WriteVisionModel(path); err != nil {
		t.Fatal(err)
	}
	s.CreateModel(t, VisionModel, TinyParameters(ShortAnswer), path)
	s.CreateModel(t, VisionModelLong, TinyParameters(0), path)
	return VisionModel
}

// AddTextModel writes the tiny text-only model and creates it on the server as TextModel.
func (s *Server) AddTextModel(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny-text.gguf")
	if err := WriteTextModel(path); err != nil {
		t.Fatal(err)
	}
	s.CreateModel(t, TextModel, TinyParameters(ShortAnswer), path)
	return TextModel
}
