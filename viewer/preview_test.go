package viewer

import (
	"bytes"
	"image"
	"sync"
	"testing"
	"time"
)

func TestPreviewMatchesApplyOnProxy(t *testing.T) {
	src := renderPage(t, sample(t, "epcalipers_sampleECG.jpg"), 0, 0) // 1411×676
	p := NewPreview(src, 683, 384)
	if b := p.Proxy().Bounds(); b.Dx() > 683 || b.Dy() > 384 || (b.Dx() != 683 && b.Dy() != 384) {
		t.Fatalf("proxy %v does not fit the canvas snugly", b.Size())
	}
	e := Edits{Rotation: 3.5, Crop: &Rect{0.05, 0.05, 0.95, 0.95}, Redactions: []Rect{{0.1, 0.1, 0.2, 0.2}},
		AutoLevels: true, Gamma: 1.2, Sharpen: 0.4, Denoise: 0.2, Grayscale: true}
	full := p.Render(e, false)
	if want := Apply(p.Proxy(), e); !bytes.Equal(full.Pix, want.Pix) || full.Rect != want.Rect {
		t.Fatal("preview (not fast) differs from Apply on the proxy")
	}
	fast := p.Render(e, true)
	noSpatial := e
	noSpatial.Sharpen, noSpatial.Denoise = 0, 0
	if want := Apply(p.Proxy(), noSpatial); !bytes.Equal(fast.Pix, want.Pix) {
		t.Error("fast preview is not Apply without sharpen and denoise")
	}
	// a tone-only change reuses the cached geometry
	g := p.geom
	e2 := e
	e2.Brightness, e2.Contrast = 0.1, 0.3
	out := p.Render(e2, true)
	if p.geom != g {
		t.Error("a tone-only change recomputed the geometry")
	}
	if bytes.Equal(out.Pix, fast.Pix) {
		t.Error("brightness and contrast changed nothing")
	}
	// the cached geometry is not modified by tone passes
	if !bytes.Equal(p.geom.Pix, applyGeometryRedact(p.Proxy(), e).Pix) {
		t.Error("tone passes modified the cached geometry")
	}
	e3 := e
	e3.Rotation = -2
	p.Render(e3, true)
	if p.geom == g {
		t.Error("a geometry change kept the old geometry")
	}
}

func TestRendererNewestWins(t *testing.T) {
	src := numbered(300, 200, 0, 0)
	p := NewPreview(src, 300, 200)
	var mu sync.Mutex
	var got []Result
	release := make(chan struct{})
	first := true
	r := NewRenderer(p, func(res Result) {
		mu.Lock()
		got = append(got, res)
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-release // hold the renderer busy on the first result
		}
	})
	defer r.Close()
	r.Request(Edits{Brightness: 0.01}, true)
	// wait until the first render is being delivered
	for deadline := time.Now().Add(10 * time.Second); ; {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first render never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	var last uint64
	for i := 1; i <= 50; i++ {
		last = r.Request(Edits{Brightness: float64(i) / 100}, true)
	}
	close(release)
	for deadline := time.Now().Add(10 * time.Second); ; {
		mu.Lock()
		n := len(got)
		done := n > 0 && got[n-1].Seq == last
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("newest request never rendered")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Errorf("%d renders delivered, want 2 (the first and the newest; the 49 in between dropped)", len(got))
	}
	res := got[len(got)-1]
	if res.Edits.Brightness != 0.5 || res.Image == nil || res.Image.Bounds() != image.Rect(0, 0, 300, 200) {
		t.Errorf("last result %+v", res.Edits)
	}
	if want := Apply(src, res.Edits); !bytes.Equal(want.Pix, res.Image.Pix) {
		t.Error("delivered image is not the requested edits")
	}
}

func TestRendererCloseIsClean(t *testing.T) {
	r := NewRenderer(NewPreview(numbered(50, 50, 0, 0), 50, 50), func(Result) {})
	r.Request(Edits{Invert: true}, false)
	r.Close()
	r.Close()
	if r.Request(Edits{}, true) != 0 {
		t.Error("request after Close was accepted")
	}
}
