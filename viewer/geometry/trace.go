package geometry

import (
	"image"
	"math"
	"sort"

	"pulsedesk/viewer"
)

// traceMask is a binary mask of dark (trace or text) pixels at a reduced
// scale: a mask pixel is set when any source pixel of its block is dark.
type traceMask struct {
	w, h int
	f    int // source pixels per mask pixel
	m    []bool
}

// paperLevel is the brightness of the paper: a high percentile of the
// lightness of the page.
func paperLevel(pl *planes) float64 {
	var hist [256]int
	step := max(1, pl.w*pl.h/200000)
	n := 0
	for i := 0; i < len(pl.hi); i += step {
		hist[(int(pl.lo[i])+int(pl.hi[i]))/2]++
		n++
	}
	c := 0
	for v := 255; v >= 0; v-- {
		c += hist[v]
		if c >= n/10 {
			return float64(v)
		}
	}
	return 255
}

// darkMask marks pixels dark in every channel (max channel under thr), and
// pixels of lightness under thr whose strongest channel is not the grid's
// (a blue trace on an orange grid). gridDom is the grid's strongest channel,
// or -1 for a grey or unknown grid.
func (pl *planes) darkMask(f int, thr float64, gridDom int) *traceMask {
	if f < 1 {
		f = 1
	}
	w, h := (pl.w+f-1)/f, (pl.h+f-1)/f
	tm := &traceMask{w: w, h: h, f: f, m: make([]bool, w*h)}
	t1, t2 := int(thr), int(1.6*thr)
	for y := 0; y < pl.h; y++ {
		lo, hi, dom := pl.lo[y*pl.w:(y+1)*pl.w], pl.hi[y*pl.w:(y+1)*pl.w], pl.dom[y*pl.w:(y+1)*pl.w]
		row := tm.m[(y/f)*w:]
		for x := range lo {
			h := int(hi[x])
			if h < t1 || gridDom >= 0 && int(dom[x]) != gridDom && int(lo[x])+h < t2 && h-int(lo[x]) > 60 {
				row[x/f] = true
			}
		}
	}
	return tm
}

// paperSpread estimates the noise of the paper: the spread of the largest
// channel over pixels near the paper level.
func paperSpread(pl *planes, paper float64) float64 {
	var hist [256]int
	n := 0
	step := max(1, len(pl.hi)/200000)
	for i := 0; i < len(pl.hi); i += step {
		if v := pl.hi[i]; float64(v) > paper-40 {
			hist[v]++
			n++
		}
	}
	if n == 0 {
		return 0
	}
	// Distance from the median down to the 16th percentile: one sigma.
	c, p16, p50 := 0, -1, -1
	for v, k := range hist {
		c += k
		if p16 < 0 && c >= n*16/100 {
			p16 = v
		}
		if p50 < 0 && c >= n/2 {
			p50 = v
			break
		}
	}
	return math.Min(20, float64(p50-p16))
}

// traceGridSplit splits the inked pixels of a grey-grid page in two by
// Otsu's method on the largest channel: the lighter class is the grid.
func traceGridSplit(pl *planes, paper float64) float64 {
	hist := make([]int, 256)
	lim := int(paper) - 25
	step := max(1, len(pl.hi)/500000)
	for i := 0; i < len(pl.hi); i += step {
		if v := pl.hi[i]; int(v) < lim {
			hist[v]++
		}
	}
	return float64(otsu(hist)) + 0.5
}

// component is a connected set of mask pixels.
type component struct {
	x0, y0, x1, y1 int // bounding box in mask pixels, [x0,x1)×[y0,y1)
	n              int
	trace          bool
	frame          bool // a frame or ruled line: never a trace
}

func (c component) w() int { return c.x1 - c.x0 }
func (c component) h() int { return c.y1 - c.y0 }

// components labels the components of the mask (pixels up to two apart
// connect); labels holds
// each pixel's component index plus one (0 = background).
func (tm *traceMask) components() ([]component, []int32) {
	w, h := tm.w, tm.h
	label := make([]int32, w*h)
	var out []component
	stack := make([]int32, 0, 1024)
	for i, on := range tm.m {
		if !on || label[i] != 0 {
			continue
		}
		id := int32(len(out) + 1)
		c := component{x0: i % w, y0: i / w, x1: i%w + 1, y1: i/w + 1}
		label[i] = id
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			j := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := j%w, j/w
			c.n++
			c.x0, c.x1 = min(c.x0, x), max(c.x1, x+1)
			c.y0, c.y1 = min(c.y0, y), max(c.y1, y+1)
			// Neighbours within two pixels: bridges the one-pixel breaks
			// noise and compression leave in a thin trace.
			for dy := -2; dy <= 2; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -2; dx <= 2; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					k := yy*w + xx
					if tm.m[k] && label[k] == 0 {
						label[k] = id
						stack = append(stack, int32(k))
					}
				}
			}
		}
		out = append(out, c)
	}
	return out, label
}

// columnStats measures how trace-like a component is: a trace is a curve
// over time, so nearly every column of its box holds it, once. Text leaves
// empty columns between letters and words and crosses most columns several
// times.
func (tm *traceMask) columnStats(label []int32, id int32, c component) (occupied, runsPerCol float64) {
	cols, runs := 0, 0
	for x := c.x0; x < c.x1; x++ {
		// Runs separated by gaps of up to two pixels count as one (the
		// components connect across such gaps too).
		r, last := 0, -10
		for y := c.y0; y < c.y1; y++ {
			if label[y*tm.w+x] == id {
				if y-last > 3 {
					r++
				}
				last = y
			}
		}
		if r > 0 {
			cols++
			runs += r
		}
	}
	if cols == 0 {
		return 0, 0
	}
	return float64(cols) / float64(c.w()), float64(runs) / float64(cols)
}

// edgeFraction is the share of a component's pixels lying within two mask
// pixels of its bounding box: near 1 for a frame or a straight rule, small
// for a trace.
func (tm *traceMask) edgeFraction(label []int32, id int32, c component) float64 {
	n := 0
	for y := c.y0; y < c.y1; y++ {
		row := label[y*tm.w:]
		inY := y < c.y0+2 || y >= c.y1-2
		for x := c.x0; x < c.x1; x++ {
			if row[x] == id && (inY || x < c.x0+2 || x >= c.x1-2) {
				n++
			}
		}
	}
	return float64(n) / float64(max(1, c.n))
}

// traceLayout is what the trace finder learned about a page.
type traceLayout struct {
	found  bool
	box    image.Rectangle // source pixels
	rows   int             // rows of traces
	full   bool            // some row runs the whole width without a break (a rhythm strip)
	cut    bool            // a trace touches the image border
	comps  []component
	f      int
	labels []int32 // component index + 1 per mask pixel
	mw, mh int     // mask size
}

// mappedBox is the bounding box, under the point mapping m (from page
// pixels), of every pixel of the trace components.
func (lay traceLayout) mappedBox(m func(x, y float64) (float64, float64)) (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	f := float64(lay.f)
	for i, c := range lay.comps {
		if !c.trace {
			continue
		}
		id := int32(i + 1)
		for y := c.y0; y < c.y1; y++ {
			row := lay.labels[y*lay.mw:]
			for x := c.x0; x < c.x1; x++ {
				if row[x] != id {
					continue
				}
				// The pixel's block is [x*f, (x+1)*f); map its corners.
				for _, d := range [4][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					u, v := m((float64(x)+d[0])*f, (float64(y)+d[1])*f)
					x0, y0 = math.Min(x0, u), math.Min(y0, v)
					x1, y1 = math.Max(x1, u), math.Max(y1, v)
				}
			}
		}
	}
	return
}

// findTraces locates the ECG traces: long, thin, dark connected structures
// at least 15 mm wide (pxPerMM is 0 when the scale is unknown).
func findTraces(pl *planes, g Grid) traceLayout {
	tm, mmPx := traceMaskFor(pl, g)
	if tm == nil {
		return traceLayout{}
	}
	return analyzeMask(tm, mmPx, pl.w, pl.h)
}

// traceMaskFor thresholds the page into a mask of trace-dark pixels; mmPx
// is the millimetre in page pixels (assumed from the page size without a
// grid).
func traceMaskFor(pl *planes, g Grid) (*traceMask, float64) {
	pxPerMM := g.PxPerMM()
	gridDom := -1
	switch g.Color {
	case "red", "pink", "orange":
		gridDom = 0
	case "green":
		gridDom = 1
	case "blue":
		gridDom = 2
	}
	if pl.w < 16 || pl.h < 16 {
		return nil, 0
	}
	f := factorFor(pl.w, pl.h, 1200)
	paper := paperLevel(pl)
	mmPx := pxPerMM
	if mmPx <= 0 {
		mmPx = float64(max(pl.w, pl.h)) / 280 // assume a letter or A4 page
	}
	// The trace is dark in every channel. A coloured grid is bright in its
	// own channel, so a generous threshold keeps faint thin traces; a grey
	// or black grid needs the threshold under the grid's own darkness.
	thr := paper * 0.6
	if gridDom < 0 && g.Found {
		thr = math.Min(paper*0.6, traceGridSplit(pl, paper))
	}
	// Noise pulls light grid pixels down towards the threshold: keep clear
	// of it by twice the paper's spread.
	thr -= 2 * paperSpread(pl, paper)
	var tm *traceMask
	for try := 0; try < 4; try++ {
		tm = pl.darkMask(f, thr, gridDom)
		comps, labels := tm.components()
		// A component over much of the page that crosses most of the 5 mm
		// lines in every column is a dark grid, not traces (rows of traces
		// joined by tall waves cross a column once per row): darken the
		// threshold and look again.
		dense := false
		for i, c := range comps {
			if c.w()*c.h() > tm.w*tm.h/4 {
				_, runs := tm.columnStats(labels, int32(i+1), c)
				if runs >= 0.6*float64(c.h())*float64(f)/(5*mmPx) {
					dense = true
					break
				}
			}
		}
		debugf("trace mask try %d thr %.1f dense %v paper %.0f", try, thr, dense, paper)
		if !dense {
			break
		}
		thr *= 0.75
	}
	return tm, mmPx
}

// warp resamples the mask into another frame of w×h mask pixels; inv maps
// a point of the new frame to the old one. A new pixel is set when any of
// the old pixels around its preimage is, so thin lines stay connected.
func (tm *traceMask) warp(w, h int, inv func(x, y float64) (float64, float64)) *traceMask {
	out := &traceMask{w: w, h: h, f: tm.f, m: make([]bool, w*h)}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			for x := 0; x < w; x++ {
				sx, sy := inv(float64(x)+0.5, float64(y)+0.5)
				ix, iy := int(math.Floor(sx-0.5)), int(math.Floor(sy-0.5))
				on := false
				for dy := 0; dy <= 1 && !on; dy++ {
					yy := iy + dy
					if yy < 0 || yy >= tm.h {
						continue
					}
					for dx := 0; dx <= 1; dx++ {
						xx := ix + dx
						if xx >= 0 && xx < tm.w && tm.m[yy*tm.w+xx] {
							on = true
							break
						}
					}
				}
				out.m[y*w+x] = on
			}
		}
	})
	return out
}

// analyzeMask finds the traces in a mask of a w×h page: long, thin, dark
// connected structures at least 15 mm wide.
func analyzeMask(tm *traceMask, mmPx float64, pw, ph int) traceLayout {
	f := tm.f
	minW := 15 * mmPx / float64(f)
	comps, labels := tm.components()
	lay := traceLayout{f: f}
	box := image.Rectangle{}
	for i := range comps {
		c := &comps[i]
		// Long and thin: at least 15 mm wide, sparse in its box, and not a
		// frame or a ruled line.
		if float64(c.w()) < minW && float64(c.h()) < minW {
			continue
		}
		if tm.edgeFraction(labels, int32(i+1), *c) >= 0.6 {
			debugf("frame %+v", *c)
			c.frame = true
			continue
		}
		if float64(c.w()) >= minW && float64(c.n) < 0.35*float64(c.w()*c.h()) && float64(c.h()) >= 1.5*mmPx/float64(f) {
			// A low component that leaves columns empty or crosses them
			// more than once is a line of text; a flat trace is neither.
			if float64(c.h()) < 3.5*mmPx/float64(f) {
				if occ, runs := tm.columnStats(labels, int32(i+1), *c); occ < 0.97 || runs > 1.2 {
					debugf("text? %+v occ %.2f runs %.2f", *c, occ, runs)
					continue
				}
			}
			c.trace = true
			box = box.Union(image.Rect(c.x0, c.y0, c.x1, c.y1))
		}
	}
	if box.Empty() {
		return lay
	}
	// Pieces that continue a trace (a row broken by noise, a calibration
	// pulse) join it: in line with a trace component and within 5 mm of its
	// ends. Text above the rows does not.
	near := 5 * mmPx / float64(f)
	mm := mmPx / float64(f)
	for pass := 0; pass < 2; pass++ {
		for i := range comps {
			c := &comps[i]
			if c.trace || c.frame || c.n < 4 {
				continue
			}
			for j := range comps {
				t := &comps[j]
				if !t.trace || j == i {
					continue
				}
				ov := min(c.y1, t.y1) - max(c.y0, t.y0)
				gap := max(c.x0-t.x1, t.x0-c.x1)
				// Beyond the ends of the rows only pieces that run along
				// them for a millimetre or more (not specks of noise, not
				// slivers of vertical grid lines).
				outside := c.x0 < box.Min.X || c.x1 > box.Max.X
				along := 2*c.w() >= c.h() && float64(c.w()) >= mm && float64(c.n) >= mm
				if 10*ov >= 3*min(c.h(), t.h()) && float64(gap) <= near && (!outside || along) {
					c.trace = true
					box = box.Union(image.Rect(c.x0, c.y0, c.x1, c.y1))
					break
				}
			}
		}
	}
	if debugOn {
		for _, c := range comps {
			if c.w() > 40 || c.trace {
				debugf("comp %+v f %d minW %.0f", c, f, minW)
			}
		}
	}
	lay.found = true
	lay.comps = comps
	lay.labels, lay.mw, lay.mh = labels, tm.w, tm.h
	lay.box = image.Rect(box.Min.X*f, box.Min.Y*f, min(pw, box.Max.X*f), min(ph, box.Max.Y*f))
	// Rows: trace components grouped by their vertical middle.
	type seg struct{ y, x0, x1 float64 }
	var segs []seg
	for _, c := range comps {
		if !c.trace || float64(c.w()) < minW {
			continue
		}
		if c.x0 == 0 || c.y0 == 0 || c.x1 == tm.w || c.y1 == tm.h {
			lay.cut = true
		}
		segs = append(segs, seg{float64(c.y0+c.y1) / 2, float64(c.x0), float64(c.x1)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].y < segs[j].y })
	gap := 8 * mmPx / float64(f)
	bw := float64(box.Dx())
	for i := 0; i < len(segs); {
		j := i + 1
		for j < len(segs) && segs[j].y-segs[j-1].y < gap {
			j++
		}
		row := append([]seg(nil), segs[i:j]...)
		sort.Slice(row, func(a, b int) bool { return row[a].x0 < row[b].x0 })
		covered, end, maxGap := 0.0, row[0].x0, 0.0
		for _, s := range row {
			if s.x0 > end {
				maxGap = math.Max(maxGap, s.x0-end)
			}
			if s.x1 > end {
				covered += s.x1 - math.Max(s.x0, end)
				end = s.x1
			}
		}
		if covered >= 0.85*bw && maxGap*float64(f) < 2*mmPx {
			lay.full = true
		}
		i = j
	}
	lay.rows = countRows(tm, labels, comps, mmPx/float64(f))
	return lay
}

// countRows counts the rows of traces as the peaks of the traces'
// projection down the page: each row piles its baseline into a few pixel
// rows, however its waves reach into its neighbours.
func countRows(tm *traceMask, labels []int32, comps []component, mm float64) int {
	prof := make([]float64, tm.h)
	for i, c := range comps {
		if !c.trace {
			continue
		}
		id := int32(i + 1)
		for y := c.y0; y < c.y1; y++ {
			row := labels[y*tm.w:]
			n := 0
			for x := c.x0; x < c.x1; x++ {
				if row[x] == id {
					n++
				}
			}
			prof[y] += float64(n)
		}
	}
	// Smooth over a millimetre.
	r := max(1, int(mm/2))
	sm := make([]float64, tm.h)
	top := 0.0
	for y := range prof {
		s := 0.0
		for k := max(0, y-r); k <= min(tm.h-1, y+r); k++ {
			s += prof[k]
		}
		sm[y] = s
		top = math.Max(top, s)
	}
	if top == 0 {
		return 0
	}
	// Peaks: the highest within ±5 mm and at least 30 % of the top.
	win := max(1, int(5*mm))
	rows := 0
	for y := range sm {
		if sm[y] < 0.3*top {
			continue
		}
		peak := true
		for k := max(0, y-win); k <= min(tm.h-1, y+win) && peak; k++ {
			if sm[k] > sm[y] || sm[k] == sm[y] && k < y {
				peak = false
			}
		}
		if peak {
			rows++
		}
	}
	return rows
}

// TraceBox returns the rectangle of img (in its own pixel coordinates,
// respecting Bounds().Min) that holds the ECG traces, without header text,
// margins or page edges. It is empty when no trace was found.
func TraceBox(img image.Image) image.Rectangle {
	pl := newPlanes(img)
	g := detectGridPlanes(img, pl, 0)
	lay := findTraces(pl, g)
	if !lay.found {
		return image.Rectangle{}
	}
	return lay.box.Add(img.Bounds().Min)
}

// CropMarginMM is the margin AutoCrop leaves around the traces.
const CropMarginMM = 1.0

// AutoCrop proposes the crop (normalised, in img's frame, which should be
// the straight frame) that holds the traces plus a small margin. The grid
// gives the millimetre; without one the margin is 0.5 % of the longer side.
// It returns the whole page when no trace is found.
func AutoCrop(img image.Image, grid Grid) viewer.Rect {
	pl := newPlanes(img)
	lay := findTraces(pl, grid)
	return cropFor(lay, pl.w, pl.h, grid.PxPerMM())
}

func cropFor(lay traceLayout, w, h int, pxPerMM float64) viewer.Rect {
	if !lay.found || w == 0 || h == 0 {
		return viewer.Rect{X0: 0, Y0: 0, X1: 1, Y1: 1}
	}
	m := CropMarginMM * pxPerMM
	if pxPerMM <= 0 {
		m = 0.005 * float64(max(w, h))
	}
	// The mask is block-pooled: a box edge is exact to one block.
	x0 := math.Max(0, float64(lay.box.Min.X)-m)
	y0 := math.Max(0, float64(lay.box.Min.Y)-m)
	x1 := math.Min(float64(w), float64(lay.box.Max.X)+m)
	y1 := math.Min(float64(h), float64(lay.box.Max.Y)+m)
	return viewer.Rect{X0: x0 / float64(w), Y0: y0 / float64(h), X1: x1 / float64(w), Y1: y1 / float64(h)}
}
