package geometry

import (
	"image"
	"image/color"
	"runtime"
	"sync"
)

// parallelRows runs f over [0,h) split in bands, one per CPU.
func parallelRows(h int, f func(y0, y1 int)) {
	n := min(runtime.GOMAXPROCS(0), max(1, h/64))
	if n <= 1 {
		f(0, h)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		y0, y1 := h*i/n, h*(i+1)/n
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(y0, y1)
		}()
	}
	wg.Wait()
}

// planes holds per-pixel channel extremes of an image, which is all the
// detectors need: the grid shows in the smallest channel (coloured or grey
// ink on light paper) and the trace in the largest (dark in every channel).
type planes struct {
	w, h int
	lo   []uint8 // min(R,G,B)
	hi   []uint8 // max(R,G,B)
	dom  []uint8 // which channel is the largest: 0 R, 1 G, 2 B
}

func (p *planes) at(x, y int) (lo, hi uint8) {
	i := y*p.w + x
	return p.lo[i], p.hi[i]
}

// newPlanes reads img once, with fast paths for the common decoded types.
func newPlanes(img image.Image) *planes {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := &planes{w: w, h: h, lo: make([]uint8, w*h), hi: make([]uint8, w*h), dom: make([]uint8, w*h)}
	if w == 0 || h == 0 {
		return p
	}
	put := func(i int, r, g, bl uint8) {
		lo, hi := r, r
		if g < lo {
			lo = g
		}
		if bl < lo {
			lo = bl
		}
		d := uint8(0)
		if g > hi {
			hi, d = g, 1
		}
		if bl > hi {
			hi, d = bl, 2
		}
		p.lo[i], p.hi[i], p.dom[i] = lo, hi, d
	}
	switch m := img.(type) {
	case *image.NRGBA:
		parallelRows(h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				row := m.Pix[y*m.Stride : y*m.Stride+4*w]
				lo, hi, dom := p.lo[y*w:(y+1)*w], p.hi[y*w:(y+1)*w], p.dom[y*w:(y+1)*w]
				for x := 0; x < w; x++ {
					s := row[x*4 : x*4+4 : x*4+4]
					r, g, bl := s[0], s[1], s[2]
					if a := s[3]; a != 255 {
						// Composite over white paper.
						r = uint8((int(r)*int(a) + 255*(255-int(a))) / 255)
						g = uint8((int(g)*int(a) + 255*(255-int(a))) / 255)
						bl = uint8((int(bl)*int(a) + 255*(255-int(a))) / 255)
					}
					l, hv, d := r, r, uint8(0)
					if g < l {
						l = g
					}
					if bl < l {
						l = bl
					}
					if g > hv {
						hv, d = g, 1
					}
					if bl > hv {
						hv, d = bl, 2
					}
					lo[x], hi[x], dom[x] = l, hv, d
				}
			}
		})
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				s := row[x*4 : x*4+4]
				a := 255 - int(s[3])
				put(y*w+x, uint8(min(255, int(s[0])+a)), uint8(min(255, int(s[1])+a)), uint8(min(255, int(s[2])+a)))
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				v := row[x]
				p.lo[y*w+x], p.hi[y*w+x] = v, v
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				yi := m.YOffset(x+b.Min.X, y+b.Min.Y)
				ci := m.COffset(x+b.Min.X, y+b.Min.Y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				put(y*w+x, r, g, bl)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(x+b.Min.X, y+b.Min.Y)).(color.NRGBA)
				r, g, bl := c.R, c.G, c.B
				if c.A != 255 {
					a := int(c.A)
					r = uint8((int(r)*a + 255*(255-a)) / 255)
					g = uint8((int(g)*a + 255*(255-a)) / 255)
					bl = uint8((int(bl)*a + 255*(255-a)) / 255)
				}
				put(y*w+x, r, g, bl)
			}
		}
	}
	return p
}

// inkMap is a float plane of "ink" (0 = paper) at some scale of the page.
type inkMap struct {
	w, h  int
	scale float64 // source pixels per map pixel
	v     []float32
}

// inkAt builds the ink plane (255 - min channel) box-averaged by an integer
// factor f.
func (p *planes) ink(f int) *inkMap {
	if f < 1 {
		f = 1
	}
	w, h := p.w/f, p.h/f
	if w < 1 || h < 1 {
		return &inkMap{w: 0, h: 0, scale: float64(f)}
	}
	m := &inkMap{w: w, h: h, scale: float64(f), v: make([]float32, w*h)}
	inv := 1 / float32(f*f)
	parallelRows(h, func(y0, y1 int) {
		acc := make([]int, w)
		for y := y0; y < y1; y++ {
			clear(acc)
			for dy := 0; dy < f; dy++ {
				row := p.lo[(y*f+dy)*p.w:]
				for x := 0; x < w; x++ {
					s := 0
					for _, v := range row[x*f : x*f+f] {
						s += int(v)
					}
					acc[x] += f*255 - s
				}
			}
			for x := 0; x < w; x++ {
				m.v[y*w+x] = float32(acc[x]) * inv
			}
		}
	})
	return m
}

// half averages 2×2 blocks.
func (m *inkMap) half() *inkMap {
	w, h := m.w/2, m.h/2
	out := &inkMap{w: w, h: h, scale: m.scale * 2, v: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		r0, r1 := m.v[2*y*m.w:], m.v[(2*y+1)*m.w:]
		for x := 0; x < w; x++ {
			out.v[y*w+x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) / 4
		}
	}
	return out
}

// highPass subtracts a local box mean of radius r (clamping at zero), which
// keeps thin lines and dots and drops paper tint, shadows and large blobs.
func (m *inkMap) highPass(r int) *inkMap {
	w, h := m.w, m.h
	out := &inkMap{w: w, h: h, scale: m.scale, v: make([]float32, w*h)}
	if w == 0 || h == 0 {
		return out
	}
	// Integral image.
	ii := make([]float64, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		var s float64
		for x := 0; x < w; x++ {
			s += float64(m.v[y*w+x])
			ii[(y+1)*(w+1)+x+1] = ii[y*(w+1)+x+1] + s
		}
	}
	parallelRows(h, func(ya, yb int) {
		for y := ya; y < yb; y++ {
			y0, y1 := max(0, y-r), min(h, y+r+1)
			for x := 0; x < w; x++ {
				x0, x1 := max(0, x-r), min(w, x+r+1)
				s := ii[y1*(w+1)+x1] - ii[y0*(w+1)+x1] - ii[y1*(w+1)+x0] + ii[y0*(w+1)+x0]
				mean := s / float64((y1-y0)*(x1-x0))
				d := float64(m.v[y*w+x]) - mean
				if d > 0 {
					out.v[y*w+x] = float32(d)
				}
			}
		}
	})
	return out
}
