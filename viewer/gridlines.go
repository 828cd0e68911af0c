package viewer

import (
	"image"
	"math"
)

// Line dropout removes the dark, thin, straight lines of a black-and-white
// grid (a photocopy whose grid is printed nearly as dark as the trace),
// which value dropout cannot tell from the trace by darkness alone.
//
// A printed grid is a lattice of thin lines at a fixed period; the trace is
// not. The mean darkness of each column (and of each row) therefore rises
// on every grid line: the autocorrelation of that profile, with its slow
// trend removed, peaks at the grid period. The lattice phase that best fits
// the profile, snapped to the local darkness maximum near each predicted
// line, gives the line positions; each line spans the neighbouring columns
// still darker than 40 % of its peak excess. The page is cut into bands
// (rows for vertical lines, columns for horizontal ones) that are fitted on
// their own, so a slight skew or warp is followed.
//
// A pixel on a line is lifted toward white unless ink continues beside the
// line: a dark pixel (value below the dropout threshold) that lies on no
// grid line, within two pixels across the line. A trace that crosses or
// touches a line is such ink, a lone grid line is not.
//
// Limits: the lines must be straight and run along the pixel axes (straighten
// the page first); a trace running exactly along a grid line, no thicker
// than it, is lifted with it; ink next to a grid line keeps a short piece of
// that line.

// minLineContrast is the smallest mean-darkness excess (0..255 scale) of a
// line over its surroundings that counts as a printed line.
const minLineContrast = 6

// lineMargin is how much darker than a line's mean value (0..255) a pixel
// on it must be to be taken for the trace running along the line.
const lineMargin = 25

// lineBand is the set of grid lines found in one band of the page, across
// one axis: lo[i], hi[i] are the first and last position of the line that
// covers position i, or -1; typ[i] is the mean value (255 − darkness) of
// the band's pixels at position i, the line's usual ink.
type lineBand struct {
	lo, hi []int32
	typ    []uint8
}

func (b *lineBand) on(i int) bool { return b.lo[i] >= 0 }

// lineGrid holds the vertical lines (per band of rows) and the horizontal
// lines (per band of columns) of a page.
type lineGrid struct {
	vBand, hBand int        // band heights (rows) and widths (columns)
	v, h         []lineBand // v[y/vBand] indexed by x; h[x/hBand] indexed by y
}

// achromatic reports whether nearly no pixel of img has visible colour.
func achromatic(img *image.NRGBA) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	step := 1
	for (w/step)*(h/step) > 400_000 {
		step++
	}
	total, coloured := 0, 0
	for y := 0; y < h; y += step {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x += step {
			p := row[4*x : 4*x+3 : 4*x+3]
			total++
			if int(max(p[0], p[1], p[2]))-int(min(p[0], p[1], p[2])) >= 25 {
				coloured++
			}
		}
	}
	return total > 0 && coloured*200 < total
}

// findGridLines locates the lines of a periodic grid in img. ok is false
// when neither axis shows a periodic line pattern.
func findGridLines(img *image.NRGBA) (g lineGrid, ok bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 32 || h < 32 {
		return g, false
	}
	// darkness sums: per column for each band of rows, per row for each
	// band of columns
	g.vBand = bandSize(h)
	g.hBand = bandSize(w)
	nv, nh := (h+g.vBand-1)/g.vBand, (w+g.hBand-1)/g.hBand
	colSum := make([][]float64, nv) // [row band][x]
	rowSum := make([][]float64, nh) // [column band][y]
	for i := range colSum {
		colSum[i] = make([]float64, w)
	}
	for i := range rowSum {
		rowSum[i] = make([]float64, h)
	}
	parallelRows(nv, func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			cs := colSum[b]
			for y := b * g.vBand; y < min(h, (b+1)*g.vBand); y++ {
				row := img.Pix[y*img.Stride : y*img.Stride+4*w]
				for x := 0; x < w; x++ {
					p := row[4*x : 4*x+3 : 4*x+3]
					d := float64(255 - max(p[0], p[1], p[2]))
					cs[x] += d
					rowSum[x/g.hBand][y] += d
				}
			}
		}
	})
	g.v = linesOnAxis(colSum, w, func(b int) int { return min(h, (b+1)*g.vBand) - b*g.vBand })
	g.h = linesOnAxis(rowSum, h, func(b int) int { return min(w, (b+1)*g.hBand) - b*g.hBand })
	return g, g.v != nil || g.h != nil
}

// bandSize cuts a side of n pixels into bands of 256 to 512 pixels.
func bandSize(n int) int {
	if n < 512 {
		return n
	}
	return n / (n / 256)
}

// linesOnAxis finds the lines across one axis (length n) from the darkness
// sums of each band (count(b) pixels summed at each position of band b),
// or nil when the summed profile is not periodic.
func linesOnAxis(sums [][]float64, n int, count func(b int) int) []lineBand {
	total := make([]float64, n)
	for _, s := range sums {
		for i, v := range s {
			total[i] += v
		}
	}
	period, ok := gridPeriod(highPass(total, 0))
	if !ok {
		return nil
	}
	out := make([]lineBand, len(sums))
	found := false
	for b, s := range sums {
		out[b] = bandLines(highPass(s, 0), period)
		if out[b].lo != nil {
			found = true
		}
		out[b].typ = make([]uint8, n)
		for i, v := range s {
			out[b].typ[i] = uint8(255 - math.Round(v/float64(count(b))))
		}
	}
	if !found {
		return nil
	}
	for b := range out {
		if out[b].lo == nil {
			out[b] = emptyBand(n)
		}
	}
	return out
}

func emptyBand(n int) lineBand {
	lb := lineBand{lo: make([]int32, n), hi: make([]int32, n)}
	for i := range lb.lo {
		lb.lo[i], lb.hi[i] = -1, -1
	}
	return lb
}

// highPass removes the slow trend from a profile (a box mean of radius r,
// or 3 grid periods' worth when r is 0) and returns the excess darkness.
func highPass(p []float64, r int) []float64 {
	n := len(p)
	if r == 0 {
		r = min(64, max(8, n/16))
	}
	pre := make([]float64, n+1)
	for i, v := range p {
		pre[i+1] = pre[i] + v
	}
	out := make([]float64, n)
	for i := range p {
		a, b := max(0, i-r), min(n, i+r+1)
		out[i] = p[i] - (pre[b]-pre[a])/float64(b-a)
	}
	return out
}

// gridPeriod estimates the line period of a high-passed profile from its
// autocorrelation: the first clear peak at a lag of 3 pixels or more,
// refined to a fraction of a pixel on a far multiple of it. ok is false
// when no lag correlates strongly (no grid, or not along this axis).
func gridPeriod(hp []float64) (float64, bool) {
	n := len(hp)
	maxLag := min(n/4, 400)
	if maxLag < 8 {
		return 0, false
	}
	ac := make([]float64, maxLag+2)
	for l := range ac {
		var s float64
		for i := 0; i+l < n; i++ {
			s += hp[i] * hp[i+l]
		}
		ac[l] = s / float64(n-l)
	}
	if ac[0] <= 0 {
		return 0, false
	}
	for l := range ac {
		ac[l] /= ac[0]
	}
	first := 0
	best := 0.0
	for l := 3; l <= maxLag; l++ {
		best = math.Max(best, ac[l])
	}
	for l := 3; l <= maxLag; l++ {
		if ac[l] >= ac[l-1] && ac[l] >= ac[l+1] && ac[l] >= 0.3 && ac[l] >= 0.5*best {
			first = l
			break
		}
	}
	if first == 0 {
		return 0, false
	}
	// refine on the farthest multiple whose peak is still clear
	p := float64(first)
	for m := maxLag / first; m >= 2; m-- {
		c := int(math.Round(p * float64(m)))
		lo, hi := max(1, c-m/2-1), min(maxLag, c+m/2+1)
		k := lo
		for l := lo; l <= hi; l++ {
			if ac[l] > ac[k] {
				k = l
			}
		}
		if ac[k] >= 0.3 && k > lo && k < hi {
			// parabolic vertex of the peak
			d := ac[k-1] - 2*ac[k] + ac[k+1]
			off := 0.0
			if d < 0 {
				off = 0.5 * (ac[k-1] - ac[k+1]) / d
			}
			return (float64(k) + off) / float64(m), true
		}
	}
	return p, true
}

// bandLines fits a lattice of the given period to one band's high-passed
// profile and returns the lines found on it; lo is nil when fewer than half
// of the lattice positions carry a line (no grid there).
func bandLines(hp []float64, period float64) lineBand {
	n := len(hp)
	lb := emptyBand(n)
	// phase of the lattice that collects the most darkness
	bestPhi, bestScore := 0.0, math.Inf(-1)
	for phi := 0.0; phi < period; phi += 0.25 {
		var s float64
		for x := phi; x < float64(n); x += period {
			s += hp[int(x)]
		}
		if s > bestScore {
			bestPhi, bestScore = phi, s
		}
	}
	snap := max(1, int(period/4))
	halfW := max(1, int(period/4))
	half := max(2, int(period/2))
	slots, lines := 0, 0
	// follow the lattice line by line from the best phase, so that a
	// period that drifts across the page (scaling, warp) is followed
	for x := bestPhi; x < float64(n); x += period {
		c0 := min(n-1, int(math.Round(x)))
		c := c0
		for i := max(0, c0-snap); i <= min(n-1, c0+snap); i++ {
			if hp[i] > hp[c] {
				c = i
			}
		}
		// contrast over the lightest position within half a period
		base := hp[c]
		for i := max(0, c-half); i <= min(n-1, c+half); i++ {
			base = math.Min(base, hp[i])
		}
		e := hp[c] - base
		slots++
		if e < minLineContrast {
			continue
		}
		lines++
		x = float64(c) // the next line is one period from this one
		lo, hi := c, c
		for lo > 0 && c-lo < halfW && hp[lo-1]-base > 0.4*e {
			lo--
		}
		for hi < n-1 && hi-c < halfW && hp[hi+1]-base > 0.4*e {
			hi++
		}
		for i := lo; i <= hi; i++ {
			if lb.lo[i] < 0 {
				lb.lo[i], lb.hi[i] = int32(lo), int32(hi)
			}
		}
	}
	if lines*2 < slots {
		return lineBand{} // not a lattice of lines: no grid in this band
	}
	return lb
}

// lineDropout lifts the pixels of the lines in g toward white by s, except
// where ink that is on no line lies beside them (dark: value below t).
// img is changed in place; only line pixels are written and only pixels on
// no line are read as evidence, so the result does not depend on the order.
func lineDropout(img *image.NRGBA, g lineGrid, s float64, t uint8) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	const reach = 2 // pixels beside the line that are searched for ink
	free := func(x, y int) bool {
		if g.v != nil && g.v[y/g.vBand].on(x) {
			return false
		}
		if g.h != nil && g.h[x/g.hBand].on(y) {
			return false
		}
		return true
	}
	ink := func(x, y int) bool {
		if x < 0 || y < 0 || x >= w || y >= h {
			return false
		}
		i := y*img.Stride + 4*x
		p := img.Pix[i : i+3 : i+3]
		return max(p[0], p[1], p[2]) < t && free(x, y)
	}
	// inkAcross looks for ink within reach beside the band [lo,hi], across
	// the line, on positions along it from a-1 to a+1.
	inkBeside := func(lo, hi, a int, vertical bool) bool {
		for d := 1; d <= reach; d++ {
			for k := -1; k <= 1; k++ {
				if vertical {
					if ink(lo-d, a+k) || ink(hi+d, a+k) {
						return true
					}
				} else if ink(a+k, lo-d) || ink(a+k, hi+d) {
					return true
				}
			}
		}
		return false
	}
	// lineInk: a pixel on a line, darker than the usual ink of every line
	// it is on; a run of such pixels along the line is the trace on it
	lineInk := func(x, y int) bool {
		if x < 0 || y < 0 || x >= w || y >= h {
			return false
		}
		i := y*img.Stride + 4*x
		p := img.Pix[i : i+3 : i+3]
		v := int(max(p[0], p[1], p[2]))
		if v >= int(t) {
			return false
		}
		on := false
		if g.v != nil {
			if b := &g.v[y/g.vBand]; b.on(x) {
				on = true
				if v+lineMargin >= int(b.typ[x]) {
					return false
				}
			}
		}
		if g.h != nil {
			if b := &g.h[x/g.hBand]; b.on(y) {
				on = true
				if v+lineMargin >= int(b.typ[y]) {
					return false
				}
			}
		}
		return on
	}
	// taken before any pixel changes: the lift below writes line pixels
	inkOnLine := make([]bool, w*h)
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			for x := 0; x < w; x++ {
				inkOnLine[y*w+x] = lineInk(x, y)
			}
		}
	})
	const minRun = 5
	at := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && inkOnLine[y*w+x] }
	lineInkRun := func(x, y, dx, dy int) int {
		if !at(x, y) {
			return 0
		}
		n := 1
		for k := 1; k < minRun && at(x+k*dx, y+k*dy); k++ {
			n++
		}
		for k := 1; k < minRun && at(x-k*dx, y-k*dy); k++ {
			n++
		}
		return n
	}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			var vb *lineBand
			if g.v != nil {
				vb = &g.v[y/g.vBand]
			}
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for x := 0; x < w; x++ {
				onV := vb != nil && vb.on(x)
				var hb *lineBand
				if g.h != nil {
					hb = &g.h[x/g.hBand]
				}
				onH := hb != nil && hb.on(y)
				if !onV && !onH {
					continue
				}
				if onV && lineInkRun(x, y, 0, 1) >= minRun || onH && lineInkRun(x, y, 1, 0) >= minRun {
					continue // the trace running along the line
				}
				px := row[4*x : 4*x+3 : 4*x+3]
				if onV && inkBeside(int(vb.lo[x]), int(vb.hi[x]), y, true) {
					continue
				}
				if onH && inkBeside(int(hb.lo[y]), int(hb.hi[y]), x, false) {
					continue
				}
				for k := 0; k < 3; k++ {
					o := float64(px[k])
					px[k] = uint8(o + (255-o)*s + 0.5)
				}
			}
		}
	})
}
