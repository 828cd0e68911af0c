package viewer

import (
	"encoding/json"
	"image"
	"sync"

	"github.com/disintegration/imaging"
)

// Preview applies edits to a proxy of a page sized to the visible canvas,
// fast enough for a slider: the geometry (with redactions) of the proxy is
// cached per geometry edits, so a tone-only change is one lookup-table pass
// over the proxy. The full resolution runs only when the image is used
// (Apply). A Preview is safe for concurrent use.
type Preview struct {
	proxy *image.NRGBA
	srcW  int
	srcH  int

	mu      sync.Mutex
	geomKey string
	geom    *image.NRGBA
	levels  toneCache
}

// NewPreview makes a preview of img whose proxy fits in maxW×maxH pixels
// (img itself when it is already that small; it is never modified).
func NewPreview(img image.Image, maxW, maxH int) *Preview {
	b := img.Bounds()
	maxW, maxH = max(maxW, 1), max(maxH, 1)
	var proxy *image.NRGBA
	if b.Dx() > maxW || b.Dy() > maxH {
		proxy = imaging.Fit(img, maxW, maxH, imaging.Box)
	} else {
		proxy = toNRGBA(img)
	}
	return &Preview{proxy: proxy, srcW: b.Dx(), srcH: b.Dy()}
}

// Proxy returns the scaled page the preview works on (read only).
func (p *Preview) Proxy() *image.NRGBA { return p.proxy }

// SourceSize returns the size of the page the preview was made from.
func (p *Preview) SourceSize() (w, h int) { return p.srcW, p.srcH }

func geometryKey(e Edits) string {
	k := struct {
		P *[4]Point
		Q int
		R float64
		C *Rect
		X []Rect
	}{e.Perspective, ((e.QuarterTurns % 4) + 4) % 4, e.Rotation, e.Crop, e.Redactions}
	b, _ := json.Marshal(k)
	return string(b)
}

// Render returns a new image: the proxy with e applied. fast skips denoise
// and sharpen (use it while a slider moves; render again with fast false
// when it is released).
func (p *Preview) Render(e Edits, fast bool) *image.NRGBA {
	key := geometryKey(e)
	p.mu.Lock()
	if p.geom == nil || key != p.geomKey {
		p.geom = applyGeometryRedact(p.proxy, e)
		p.geomKey = key
		p.levels = toneCache{}
	}
	geom := p.geom
	lv := p.levels
	p.mu.Unlock()

	out := image.NewNRGBA(geom.Rect)
	copy(out.Pix, geom.Pix)
	res := applyTone(out, e, fast, &lv)
	if lv.valid {
		p.mu.Lock()
		if p.geomKey == key {
			p.levels = lv
		}
		p.mu.Unlock()
	}
	return res
}

// Result is one finished preview render.
type Result struct {
	Seq   uint64 // the request it answers; later requests have larger numbers
	Edits Edits
	Fast  bool
	Image *image.NRGBA
}

// Renderer runs preview renders on one goroutine, newest request winning:
// a request made while another renders replaces any request still waiting,
// so a fast slider never queues up work. Every finished render goes to the
// deliver function (on the renderer's goroutine).
type Renderer struct {
	p       *Preview
	deliver func(Result)

	mu      sync.Mutex
	pending *Result
	seq     uint64
	wake    chan struct{}
	done    chan struct{}
	closed  bool
}

// NewRenderer starts a renderer for p. Close stops it.
func NewRenderer(p *Preview, deliver func(Result)) *Renderer {
	r := &Renderer{p: p, deliver: deliver, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go r.loop()
	return r
}

// Request asks for a render of e; it returns the request's number.
func (r *Renderer) Request(e Edits, fast bool) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0
	}
	r.seq++
	r.pending = &Result{Seq: r.seq, Edits: e, Fast: fast}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return r.seq
}

func (r *Renderer) loop() {
	defer close(r.done)
	for range r.wake {
		r.mu.Lock()
		job := r.pending
		r.pending = nil
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return
		}
		if job == nil {
			continue
		}
		job.Image = r.p.Render(job.Edits, job.Fast)
		r.deliver(*job)
	}
}

// Close stops the renderer after the render in progress (if any); requests
// still waiting are dropped. It waits for the goroutine to end.
func (r *Renderer) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.pending = nil
	close(r.wake)
	r.mu.Unlock()
	<-r.done
}
