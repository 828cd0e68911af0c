// Package interpret is the main job of PULSE Desk: it talks to the local
// Ollama server (connection, models, capabilities, streaming runs, import),
// keeps the task presets and their prompts, prepares the model input, and
// runs the case workflow that joins viewer and storage.
package interpret

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
)

// DefaultServer is where Ollama listens unless told otherwise.
const DefaultServer = "http://127.0.0.1:11434"

// DefaultModel is the model name PULSE is imported under.
const DefaultModel = "pulse"

// Config says which server to use.
type Config struct {
	// Server from the settings; empty means OLLAMA_HOST, then DefaultServer.
	Server string
	// AllowRemote permits a server that is not on this machine.
	AllowRemote bool
	// HTTPClient, when set, replaces the default client (no overall
	// timeout: runs are bounded by their own first-token and stall timeouts).
	HTTPClient *http.Client
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
}

// Errors callers tell apart with errors.Is / errors.As.
var (
	// ErrNotReachable: nothing answers at the server address.
	ErrNotReachable = errors.New("model server not reachable")
	// ErrRemoteNotAllowed: the server is not on this machine and remote use is off.
	ErrRemoteNotAllowed = errors.New("remote host not allowed")
	// ErrModelNotFound: the server does not have the model.
	ErrModelNotFound = errors.New("model not found")
	// ErrNoVision: the model cannot see images (see NoVisionError).
	ErrNoVision = errors.New("model has no vision")
	// ErrStreamEnded: the stream ended without its final chunk.
	ErrStreamEnded = errors.New("the model server stopped answering")
	// ErrRepetition: the model wrote the same piece over and over and
	// Ollama cut the stream (its token-repeat limit) without a final chunk.
	ErrRepetition = errors.New("the model kept repeating itself and Ollama stopped it")
	// ErrContextFull: a follow-up would not fit the model's context.
	ErrContextFull = errors.New("the conversation would not fit the model's context")
)

// NoVisionError says that a model cannot see images. It matches ErrNoVision.
type NoVisionError struct{ Model string }

func (e *NoVisionError) Error() string {
	return fmt.Sprintf("model %s has no vision capability: Ollama would ignore the image", e.Model)
}

// Is makes errors.Is(err, ErrNoVision) true.
func (e *NoVisionError) Is(target error) bool { return target == ErrNoVision }

// ServerError is an error answer from the model server.
type ServerError struct {
	StatusCode int
	Message    string
}

func (e *ServerError) Error() string {
	if e.StatusCode == 0 {
		return "model server: " + e.Message
	}
	return fmt.Sprintf("model server answered %d: %s", e.StatusCode, e.Message)
}

// Is maps a 404 to ErrModelNotFound.
func (e *ServerError) Is(target error) bool {
	return target == ErrModelNotFound && e.StatusCode == http.StatusNotFound
}

// Client talks to one Ollama server through ollama's own api package.
type Client struct {
	api    *api.Client
	base   *url.URL
	http   *http.Client
	remote bool
}

// ResolveServer finds the server address: the setting, else OLLAMA_HOST
// (read as Ollama's own tools read it: scheme http unless given, port 11434
// unless given, or 80/443 for an explicit http/https scheme without a
// port), else DefaultServer. It reports whether the host is on this machine.
// A host name other than localhost counts as remote (it is not resolved).
func ResolveServer(setting, ollamaHost string) (u *url.URL, loopback bool, err error) {
	s := strings.TrimSpace(setting)
	source := "server setting"
	if s == "" {
		s = strings.TrimSpace(ollamaHost)
		source = "OLLAMA_HOST"
	}
	if s == "" {
		s = DefaultServer
		source = "default"
	}
	u, err = parseHost(s)
	if err != nil {
		return nil, false, fmt.Errorf("%s %q: %w", source, s, err)
	}
	return u, isLoopback(u.Hostname()), nil
}

// parseHost follows ollama's envconfig.Host.
func parseHost(s string) (*url.URL, error) {
	defaultPort := "11434"
	scheme, hostport, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		scheme, hostport = "http", s
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	default:
		return nil, fmt.Errorf("scheme %q is not http or https", scheme)
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = "127.0.0.1", defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, fmt.Errorf("port %q is not a port number", port)
	}
	// A server bound to every interface is reached on loopback.
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	if path != "" {
		u.Path = "/" + path
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New makes a client for the configured server, refusing a remote one
// unless AllowRemote is set.
func New(cfg Config) (*Client, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	u, loop, err := ResolveServer(cfg.Server, getenv("OLLAMA_HOST"))
	if err != nil {
		return nil, err
	}
	if !loop && !cfg.AllowRemote {
		return nil, fmt.Errorf("%w: %s is not on this machine; turn on \"allow remote model server\" to use it", ErrRemoteNotAllowed, u.Host)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 nil, // never through a proxy: the server is named explicitly
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          4,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 0, // the first-token timeout governs
		}}
	}
	return &Client{api: api.NewClient(u, hc), base: u, http: hc, remote: !loop}, nil
}

// URL is the server address.
func (c *Client) URL() string { return c.base.String() }

// Remote reports whether the server is on another machine.
func (c *Client) Remote() bool { return c.remote }

// API is the underlying ollama api client.
func (c *Client) API() *api.Client { return c.api }

// Status is what the window's status bar shows about the server.
type Status struct {
	URL       string
	Reachable bool
	Remote    bool
	Version   string
	// Message is a sentence for the user: what is wrong and what to do.
	Message string
	Err     error
}

// Status asks the server for its version.
func (c *Client) Status(ctx context.Context) Status {
	st := Status{URL: c.base.String(), Remote: c.remote}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.api.Version(ctx)
	if err != nil {
		st.Err = c.wrap(err)
		st.Message = c.explain(st.Err)
		return st
	}
	st.Reachable = true
	st.Version = v
	where := "on this machine"
	if c.remote {
		where = "on a remote machine"
	}
	st.Message = fmt.Sprintf("Ollama %s at %s (%s)", v, c.base.Host, where)
	return st
}

// explain turns an error into a sentence that says what to do.
func (c *Client) explain(err error) string {
	switch {
	case errors.Is(err, ErrNotReachable):
		return fmt.Sprintf("Ollama is not running at %s: start it with `ollama serve`", c.base.Host)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("Ollama at %s did not answer within 5 s: is it busy or stuck? Restart it with `ollama serve`", c.base.Host)
	default:
		return fmt.Sprintf("Ollama at %s: %v", c.base.Host, err)
	}
}

// wrap turns transport and api errors into this package's errors.
func (c *Client) wrap(err error) error {
	if err == nil {
		return nil
	}
	var se api.StatusError
	if errors.As(err, &se) {
		return &ServerError{StatusCode: se.StatusCode, Message: se.ErrorMessage}
	}
	var ae api.AuthorizationError
	if errors.As(err, &ae) {
		return &ServerError{StatusCode: ae.StatusCode, Message: "unauthorized"}
	}
	if isConnRefused(err) {
		return fmt.Errorf("%w at %s: %v", ErrNotReachable, c.base.Host, err)
	}
	return err
}

func isConnRefused(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Close frees idle connections to the server.
func (c *Client) Close() { c.http.CloseIdleConnections() }
