package interpret

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ollama/ollama/api"

	"pulsedesk/assets"
)

// Modelfile is what the app reads from a Modelfile: enough to create a
// model through the API.
type Modelfile struct {
	From       []string
	Template   string
	System     string
	Parameters map[string]any // stop → []string; numbers as float64 or int
}

// PULSEModelfile is assets/Modelfile.pulse, parsed: the one source of
// PULSE's template, system prompt, stops and parameters.
func PULSEModelfile() Modelfile {
	mf, err := ParseModelfile(assets.ModelfilePULSE)
	if err != nil {
		panic("assets/Modelfile.pulse: " + err.Error()) // a build defect, caught by the tests
	}
	return mf
}

// ParseModelfile reads FROM, TEMPLATE, SYSTEM and PARAMETER commands
// (values in """triple""" or "double" quotes or bare); comments and other
// commands are skipped.
func ParseModelfile(text string) (Modelfile, error) {
	mf := Modelfile{Parameters: map[string]any{}}
	rest := text
	line := 0
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		line++
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cmd, args, _ := strings.Cut(t, " ")
		args = strings.TrimSpace(args)
		if strings.HasPrefix(args, `"""`) {
			body := args[3:]
			for !strings.Contains(body, `"""`) {
				if rest == "" {
					return Modelfile{}, fmt.Errorf("Modelfile line %d: unterminated \"\"\"", line)
				}
				var next string
				next, rest, _ = strings.Cut(rest, "\n")
				line++
				body += "\n" + next
			}
			args = body[:strings.Index(body, `"""`)]
		} else if uq, err := strconv.Unquote(args); err == nil && strings.HasPrefix(args, `"`) {
			args = uq
		}
		switch strings.ToUpper(cmd) {
		case "FROM":
			mf.From = append(mf.From, args)
		case "TEMPLATE":
			mf.Template = args
		case "SYSTEM":
			mf.System = args
		case "PARAMETER":
			k, v, ok := strings.Cut(args, " ")
			if !ok {
				return Modelfile{}, fmt.Errorf("Modelfile line %d: PARAMETER needs a name and a value", line)
			}
			v = strings.TrimSpace(v)
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			}
			if k == "stop" {
				prev, _ := mf.Parameters["stop"].([]string)
				mf.Parameters["stop"] = append(prev, v)
			} else if n, err := strconv.Atoi(v); err == nil {
				mf.Parameters[k] = n
			} else if f, err := strconv.ParseFloat(v, 64); err == nil {
				mf.Parameters[k] = f
			} else {
				mf.Parameters[k] = v
			}
		}
	}
	return mf, nil
}

// ImportProgress reports an import step.
type ImportProgress struct {
	Step      string // "hashing", "uploading", "creating", "checking"
	File      string
	Status    string // the server's status for "creating"
	Completed int64
	Total     int64
}

// ImportRequest names the files of a two-file vision model.
type ImportRequest struct {
	Name          string // default "pulse"
	ModelPath     string // language-model GGUF
	ProjectorPath string // vision-projector GGUF
}

// Import creates a model from a language-model GGUF and a vision-projector
// GGUF: both are uploaded as blobs (skipped when the server has them), the
// model is created with PULSE's template, system prompt, stops and
// parameters, and must then report the vision capability.
func (c *Client) Import(ctx context.Context, r ImportRequest, progress func(ImportProgress)) (Model, error) {
	if progress == nil {
		progress = func(ImportProgress) {}
	}
	if r.Name == "" {
		r.Name = DefaultModel
	}
	if r.ModelPath == "" || r.ProjectorPath == "" {
		return Model{}, errors.New("import: both the language-model GGUF and the vision-projector GGUF are needed")
	}
	files := map[string]string{}
	for _, p := range []string{r.ModelPath, r.ProjectorPath} {
		digest, err := c.uploadBlob(ctx, p, progress)
		if err != nil {
			return Model{}, err
		}
		name := filepath.Base(p)
		if !strings.HasSuffix(name, ".gguf") {
			name += ".gguf"
		}
		if _, dup := files[name]; dup {
			return Model{}, fmt.Errorf("import: %s and the other file have the same name", p)
		}
		files[name] = digest
	}
	mf := PULSEModelfile()
	req := &api.CreateRequest{Model: r.Name, Files: files, Template: mf.Template, System: mf.System, Parameters: mf.Parameters}
	err := c.api.Create(ctx, req, func(p api.ProgressResponse) error {
		progress(ImportProgress{Step: "creating", Status: p.Status, Completed: p.Completed, Total: p.Total})
		return nil
	})
	if err != nil {
		return Model{}, fmt.Errorf("creating model %q at %s: %w", r.Name, c.base.Host, c.wrap(err))
	}
	progress(ImportProgress{Step: "checking"})
	m, err := c.RequireVision(ctx, r.Name)
	if err != nil {
		return m, fmt.Errorf("model %q was created but %w: is %s a vision projector GGUF?", r.Name, err, r.ProjectorPath)
	}
	return m, nil
}

// uploadBlob sends a file to /api/blobs unless the server already has it.
func (c *Client) uploadBlob(ctx context.Context, path string, progress func(ImportProgress)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("import: %s is a folder, not a GGUF file", path)
	}
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "GGUF" {
		return "", fmt.Errorf("import: %s is not a GGUF file", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("import: %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, &progressReader{r: f, total: fi.Size(), fn: func(n int64) {
		progress(ImportProgress{Step: "hashing", File: path, Completed: n, Total: fi.Size()})
	}}); err != nil {
		return "", fmt.Errorf("import: reading %s: %w", path, err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	has, err := c.hasBlob(ctx, digest)
	if err != nil {
		return "", fmt.Errorf("import: asking the server for %s: %w", path, err)
	}
	if has {
		progress(ImportProgress{Step: "uploading", File: path, Completed: fi.Size(), Total: fi.Size(), Status: "already on the server"})
		return digest, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("import: %s: %w", path, err)
	}
	pr := &progressReader{r: f, total: fi.Size(), fn: func(n int64) {
		progress(ImportProgress{Step: "uploading", File: path, Completed: n, Total: fi.Size()})
	}}
	if err := c.api.CreateBlob(ctx, digest, pr); err != nil {
		return "", fmt.Errorf("import: uploading %s: %w", path, c.wrap(err))
	}
	return digest, nil
}

// hasBlob is HEAD /api/blobs/<digest> (the api package has no call for it).
func (c *Client) hasBlob(ctx context.Context, digest string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.base.JoinPath("/api/blobs/"+digest).String(), nil)
	if err != nil {
		return false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, c.wrap(err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, &ServerError{StatusCode: resp.StatusCode, Message: resp.Status}
}

// progressReader reports bytes read, at most every 1 MiB and at the end.
type progressReader struct {
	r     io.Reader
	n, at int64
	total int64
	fn    func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.at >= 1<<20 || (err == io.EOF && p.n != p.at) {
		p.at = p.n
		p.fn(p.n)
	}
	return n, err
}

// Pull downloads a library model by name with progress (for users who
// choose another vision model; PULSE is imported, not pulled).
func (c *Client) Pull(ctx context.Context, name string, progress func(api.ProgressResponse)) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("pull: no model name")
	}
	var last string
	err := c.api.Pull(ctx, &api.PullRequest{Model: name}, func(p api.ProgressResponse) error {
		last = p.Status
		if progress != nil {
			progress(p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pulling %q at %s: %w", name, c.base.Host, c.wrap(err))
	}
	if ctx.Err() != nil {
		return fmt.Errorf("pulling %q: %w", name, ctx.Err())
	}
	if last != "success" {
		return fmt.Errorf("pulling %q at %s: %w", name, c.base.Host, ErrStreamEnded)
	}
	return nil
}
