package viewer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Rendering in a child process.
//
// Every render is size-checked before MuPDF is asked for it, which stops the
// known way MuPDF aborts the process (a pixmap too large to allocate). A
// hostile document might still find another. RenderIsolated renders a PDF or
// TIFF page in a child process, a re-execution of the running binary (the
// request travels in an environment variable, the pixels come back raw on
// stdout), so that a crash in MuPDF costs the page, not the app. The binary
// must call ServeIsolatedRender first thing in main (a test binary in
// TestMain).

const isolateEnv = "PULSEDESK_ISOLATED_RENDER"

// isolationReady records that this binary serves render children (it called
// ServeIsolatedRender), so re-executing it is safe.
var isolationReady atomic.Bool

// ServeIsolatedRender turns this process into a render child when it was
// started by RenderIsolated: it renders the page, writes it to stdout and
// exits. Otherwise it returns at once, and RenderIsolated may use this binary
// as its child from then on. Call it first thing in main.
func ServeIsolatedRender() {
	spec := os.Getenv(isolateEnv)
	if spec == "" {
		isolationReady.Store(true)
		return
	}
	os.Exit(serveRender(spec, os.Stdout, os.Stderr))
}

// isolateCrashForTest makes the child abort like MuPDF does, for tests.
const isolateCrashEnv = "PULSEDESK_ISOLATED_RENDER_ABORT"

func serveRender(spec string, stdout, stderr io.Writer) int {
	var path string
	var page int
	var dpi float64
	var lim Limits
	if _, err := fmt.Sscanf(spec, "%d %g %d %d %d %g %q", &page, &dpi, &lim.MaxFileBytes, &lim.MaxPixels, &lim.MaxPages, &lim.MaxDPI, &path); err != nil {
		fmt.Fprintf(stderr, "bad render request %q: %v", spec, err)
		return 3
	}
	if os.Getenv(isolateCrashEnv) != "" {
		syscall.Kill(os.Getpid(), syscall.SIGABRT)
	}
	d, err := OpenLimits(path, lim)
	if err != nil {
		fmt.Fprint(stderr, errorLine(err))
		return 1
	}
	defer d.Close()
	img, err := d.Render(page, dpi)
	if err != nil {
		fmt.Fprint(stderr, errorLine(err))
		return 1
	}
	n := toNRGBA(img)
	w := bufio.NewWriterSize(stdout, 1<<20)
	binary.Write(w, binary.LittleEndian, [2]uint32{uint32(n.Rect.Dx()), uint32(n.Rect.Dy())})
	for y := 0; y < n.Rect.Dy(); y++ {
		w.Write(n.Pix[y*n.Stride : y*n.Stride+4*n.Rect.Dx()])
	}
	if err := w.Flush(); err != nil {
		return 2
	}
	return 0
}

// childErrPrefix starts the one line a render child writes to stderr for a
// document error: prefix, kind and detail separated by tabs.
const childErrPrefix = "pulsedesk-render-error\t"

func errorLine(err error) string {
	var e *Error
	if errors.As(err, &e) {
		detail := ""
		if e.Err != nil {
			detail = e.Err.Error()
		}
		return childErrPrefix + string(e.Problem) + "\t" + strings.ReplaceAll(detail, "\n", " ") + "\n"
	}
	return childErrPrefix + string(ErrUnreadable) + "\t" + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
}

// RenderIsolated is Render run in a child process (see ServeIsolatedRender):
// for PDF and TIFF pages, a crash of the renderer becomes an error naming the
// file and the page. Raster images and recordings render in-process, and so
// does everything in a binary that never called ServeIsolatedRender. The
// size checks run in this process first, as for Render. A child costs a
// process start and one copy of the pixels (tens of milliseconds).
func (d *Document) RenderIsolated(page int, dpi float64) (image.Image, error) {
	if (d.kind != KindPDF && d.kind != KindTIFF) || !isolationReady.Load() {
		return d.Render(page, dpi)
	}
	d.mu.Lock()
	var err error
	if dpi, err = d.dpiOf(dpi); err == nil {
		var w, h int
		if w, h, err = d.pixelSize(page, dpi, true); err == nil {
			err = d.checkPixels(page, w, h, dpi)
		} else {
			err = d.docErr(err)
		}
	}
	path, lim := d.path, d.lim
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, newErr(path, ErrUnreadable, "cannot start the renderer: %v", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), isolateEnv+"="+fmt.Sprintf("%d %g %d %d %d %g %s", page, dpi, lim.MaxFileBytes, lim.MaxPixels, lim.MaxPages, lim.MaxDPI, strconv.Quote(path)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, newErr(path, ErrUnreadable, "cannot start the renderer: %v", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, newErr(path, ErrUnreadable, "cannot start the renderer: %v", err)
	}
	img, readErr := readRaw(out, lim.MaxPixels)
	io.Copy(io.Discard, out)
	waitErr := cmd.Wait()
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) && ee.ExitCode() == 1 {
			for _, line := range strings.Split(stderr.String(), "\n") {
				rest, ok := strings.CutPrefix(line, childErrPrefix)
				if !ok {
					continue
				}
				kind, detail, _ := strings.Cut(rest, "\t")
				e := &Error{Path: path, Problem: ErrorKind(kind)}
				if detail != "" {
					e.Err = errors.New(detail)
				}
				return nil, e
			}
		}
		// killed by a signal, or a runtime abort (Go reports SIGABRT from C
		// code as exit status 2 with "SIGABRT" first on stderr)
		first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return nil, newErr(path, ErrTruncated, "the renderer crashed on page %d (%v: %s)", page+1, waitErr, first)
	}
	if readErr != nil {
		return nil, newErr(path, ErrTruncated, "the renderer's output for page %d: %v", page+1, readErr)
	}
	return img, nil
}

func readRaw(r io.Reader, maxPixels int64) (*image.NRGBA, error) {
	var wh [2]uint32
	if err := binary.Read(r, binary.LittleEndian, &wh); err != nil {
		return nil, err
	}
	if wh[0] == 0 || wh[1] == 0 || int64(wh[0])*int64(wh[1]) > maxPixels {
		return nil, fmt.Errorf("unexpected size %d×%d", wh[0], wh[1])
	}
	img := image.NewNRGBA(image.Rect(0, 0, int(wh[0]), int(wh[1])))
	if _, err := io.ReadFull(r, img.Pix); err != nil {
		return nil, err
	}
	return img, nil
}
