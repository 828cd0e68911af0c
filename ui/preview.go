package ui

import (
	"context"
	"image"
	"sync"

	"pulsedesk/viewer"
)

// previewMode says which frame the canvas shows.
type previewMode int

const (
	showStraight previewMode = iota // the page with its geometry and tone applied (crop and redactions drawn as marks)
	showSource                      // the page as decoded, for placing the perspective corners
)

// previewRequest asks for the visible part of the frame at a pixel size.
type previewRequest struct {
	gen     uint64
	page    *viewer.Preview // the page's proxy
	edits   viewer.Edits
	mode    previewMode
	visible viewer.Rect
	pixels  image.Point
	final   bool // the slider was released: the slow steps (sharpening) run too
}

// previewResult is one rendered proxy.
type previewResult struct {
	gen    uint64
	img    image.Image
	region viewer.Rect
	frame  image.Point // full-resolution frame size
	err    error
}

// previewer renders proxies off the UI goroutine; only the newest request
// is rendered, older pending ones are dropped.
type previewer struct {
	mu      sync.Mutex
	pending *previewRequest
	busy    bool
	wake    chan struct{}
	render  func(context.Context, previewRequest) previewResult
	deliver func(previewResult)
	cancel  context.CancelFunc
	ctx     context.Context
	wg      sync.WaitGroup
}

func newPreviewer(render func(context.Context, previewRequest) previewResult, deliver func(previewResult)) *previewer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &previewer{wake: make(chan struct{}, 1), render: render, deliver: deliver, ctx: ctx, cancel: cancel}
	p.wg.Add(1)
	go p.loop()
	return p
}

// Request replaces any pending request with r.
func (p *previewer) Request(r previewRequest) {
	p.mu.Lock()
	p.pending = &r
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Idle reports whether no request is pending (tests wait on it).
func (p *previewer) Idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending == nil && !p.busy
}

func (p *previewer) loop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			r := p.pending
			p.pending = nil
			p.busy = r != nil
			p.mu.Unlock()
			if r == nil {
				break
			}
			res := p.render(p.ctx, *r)
			p.mu.Lock()
			newer := p.pending != nil
			p.mu.Unlock()
			if !newer && p.ctx.Err() == nil {
				p.deliver(res)
			}
			p.mu.Lock()
			p.busy = false
			p.mu.Unlock()
		}
	}
}

// Close stops the render goroutine.
func (p *previewer) Close() {
	p.cancel()
	p.wg.Wait()
}

// renderPreview applies the edits to the page's proxy. Crop and redactions
// are drawn by the canvas as marks, so the whole straight frame is rendered;
// sharpening and denoising wait for the release of a slider.
func renderPreview(ctx context.Context, r previewRequest) previewResult {
	res := previewResult{gen: r.gen, region: viewer.Rect{X1: 1, Y1: 1}}
	if ctx.Err() != nil {
		res.err = ctx.Err()
		return res
	}
	sw, sh := r.page.SourceSize()
	if r.mode == showSource {
		res.img = r.page.Proxy()
		res.frame = image.Pt(sw, sh)
		return res
	}
	e := cloneEdits(r.edits)
	e.Crop = nil
	e.Redactions = nil
	res.img = r.page.Render(e, !r.final)
	w, h := viewer.StraightSize(sw, sh, e)
	res.frame = image.Pt(w, h)
	return res
}
