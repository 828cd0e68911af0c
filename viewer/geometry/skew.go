package geometry

import (
	"image"
	"math"
	"sort"
	"sync"
)

// MaxSkew is the largest tilt (degrees, either way) Skew searches for.
// Larger turns are quarter turns plus a small skew.
const MaxSkew = 15.0

// inkPoints is a sparse list of inked pixels of a high-passed ink map.
type inkPoints struct {
	w, h  int
	scale float64
	x, y  []float32
	v     []float32
}

func (m *inkMap) points(thr float32) *inkPoints {
	p := &inkPoints{w: m.w, h: m.h, scale: m.scale}
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			if v := m.v[y*m.w+x]; v > thr {
				p.x = append(p.x, float32(x))
				p.y = append(p.y, float32(y))
				p.v = append(p.v, v)
			}
		}
	}
	return p
}

// sharpness projects the points onto the normals of the lines turned by deg
// (counter-clockwise on screen) and returns the sum of squared bins of both
// projections: lines that run along those directions pile up into few bins.
func (p *inkPoints) sharpness(deg float64, hb, vb []float64) float64 {
	rad := deg * math.Pi / 180
	s, c := math.Sin(rad), math.Cos(rad)
	clear(hb)
	clear(vb)
	// Offsets keep indices positive: |r| <= w+h.
	off := float64(p.w + p.h + 1)
	for i := range p.x {
		x, y, v := float64(p.x[i]), float64(p.y[i]), float64(p.v[i])
		// Horizontal lines turned CCW satisfy y*cos + x*sin = const.
		r := y*c + x*s + off
		ri := int(r)
		fr := r - float64(ri)
		hb[ri] += v * (1 - fr)
		hb[ri+1] += v * fr
		// Vertical lines: x*cos - y*sin = const.
		q := x*c - y*s + off
		qi := int(q)
		fq := q - float64(qi)
		vb[qi] += v * (1 - fq)
		vb[qi+1] += v * fq
	}
	var sum float64
	for _, b := range hb {
		sum += b * b
	}
	for _, b := range vb {
		sum += b * b
	}
	return sum
}

// quantile returns the value below which frac of the inked pixels (above
// floor) lie, at least floor.
func (m *inkMap) quantile(frac float64, floor float32) float32 {
	var hist [256]int
	n := 0
	for _, v := range m.v {
		if v > floor {
			hist[min(255, int(v))]++
			n++
		}
	}
	want := int(frac * float64(n))
	c := 0
	for i, k := range hist {
		c += k
		if c >= want {
			return max(floor, float32(i))
		}
	}
	return floor
}

type angleScore struct{ deg, score float64 }

// scan evaluates sharpness over [lo,hi] in steps and returns all samples.
func (p *inkPoints) scan(lo, hi, step float64) []angleScore {
	n := 2*(p.w+p.h) + 4
	var out []angleScore
	for d := lo; d <= hi+1e-9; d += step {
		out = append(out, angleScore{deg: d})
	}
	// Two workers: the angles are independent.
	const workers = 2
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			hb, vb := make([]float64, n), make([]float64, n)
			for i := w; i < len(out); i += workers {
				out[i].score = p.sharpness(out[i].deg, hb, vb)
			}
		}(w)
	}
	wg.Wait()
	return out
}

// peak returns the refined angle of the best sample (parabola through the
// best and its neighbours) and its index.
func peak(s []angleScore) (float64, int) {
	bi := 0
	for i := range s {
		if s[i].score > s[bi].score {
			bi = i
		}
	}
	d := s[bi].deg
	if bi > 0 && bi < len(s)-1 {
		a, b, c := s[bi-1].score, s[bi].score, s[bi+1].score
		den := a - 2*b + c
		if den < 0 {
			step := s[bi+1].deg - s[bi].deg
			d += 0.5 * (a - c) / den * step
		}
	}
	return d, bi
}

// factorFor returns the integer downsampling factor that brings the longer
// side of a w×h image near target pixels.
func factorFor(w, h, target int) int {
	f := max(w, h) / target
	if f < 1 {
		f = 1
	}
	return f
}

// Skew estimates the angle in degrees by which the page content is turned,
// positive counter-clockwise on screen (the correcting rotation is its
// negative), from the grid lines and trace baselines. Confidence is 0..1; it
// is 0 when nothing line-like was found.
func Skew(img image.Image) (deg, confidence float64) {
	return skewPlanes(newPlanes(img))
}

func skewPlanes(pl *planes) (float64, float64) {
	if pl.w < 16 || pl.h < 16 {
		return 0, 0
	}
	// One pass over the page for the finest level (about 1600 px); the
	// coarser levels halve it.
	f2 := factorFor(pl.w, pl.h, 1600)
	base := pl.ink(f2)
	midMap := base
	for midMap.w > 1200 {
		midMap = midMap.half()
	}
	coarseMap := midMap
	for coarseMap.w > 450 || coarseMap.h > 450 {
		coarseMap = coarseMap.half()
	}

	// Coarse: a few hundred pixels, 0.25° steps.
	coarse := coarseMap.highPass(3).points(6)
	if len(coarse.x) < 50 {
		return 0, 0
	}
	s0 := coarse.scan(-MaxSkew, MaxSkew, 0.25)
	debugf("points coarse %d", len(coarse.x))
	d0, _ := peak(s0)
	conf := skewConfidence(s0)

	// Middle: about 600-1200 px, 0.05° steps over ±0.5°.
	mid := midMap.highPass(4).points(6)
	s1 := mid.scan(d0-0.5, d0+0.5, 0.05)
	debugf("points mid %d", len(mid.x))
	d1, _ := peak(s1)

	// Fine: about 1600 px, 0.01° steps over ±0.04°, on the strongest points.
	fine := mid
	if base != midMap {
		fm := base.highPass(5)
		fine = fm.points(fm.quantile(0.85, 8))
	}
	s2 := fine.scan(d1-0.04, d1+0.04, 0.01)
	debugf("points fine %d d0 %.3f d1 %.3f", len(fine.x), d0, d1)
	d2, _ := peak(s2)
	return d2, conf
}

// skewConfidence compares the best coarse score with the typical one: a
// page of straight lines has a sharp, tall peak.
func skewConfidence(s []angleScore) float64 {
	v := make([]float64, len(s))
	best := 0.0
	for i := range s {
		v[i] = s[i].score
		best = math.Max(best, v[i])
	}
	sort.Float64s(v)
	med := v[len(v)/2]
	if med <= 0 {
		return 0
	}
	c := best/med - 1 // 0 for a flat curve
	return c / (c + 0.5)
}
