package viewer

import (
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
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
// touches a line is such ink, a lone grid line is not. A pixel is also kept
// when it lies in a run along the line of pixels clearly darker than the
// line's mean, longer than any line is wide: the trace running on the line
// (where another line crosses, the dark run is only as long as that line
// is wide).
//
// Limits: the lines must be straight and run along the pixel axes (straighten
// the page first); a trace running exactly along a grid line and no darker
// than it is lifted with it; ink next to a grid line keeps a short piece of
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
	parallelBands(nv, func(b int) {
		cs := colSum[b]
		for y := b * g.vBand; y < min(h, (b+1)*g.vBand); y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for cb := range rowSum {
				var rs float64
				for x := cb * g.hBand; x < min(w, (cb+1)*g.hBand); x++ {
					p := row[4*x : 4*x+3 : 4*x+3]
					d := float64(255 - max(p[0], p[1], p[2]))
					cs[x] += d
					rs += d
				}
				rowSum[cb][y] = rs
			}
		}
	})
	g.v = linesOnAxis(colSum, w, func(b int) int { return min(h, (b+1)*g.vBand) - b*g.vBand })
	g.h = linesOnAxis(rowSum, h, func(b int) int { return min(w, (b+1)*g.hBand) - b*g.hBand })
	return g, g.v != nil || g.h != nil
}

// parallelBands runs f(0..n-1) on up to GOMAXPROCS goroutines.
func parallelBands(n int, f func(b int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := int(next.Add(1) - 1); b < n; b = int(next.Add(1) - 1) {
				f(b)
			}
		}()
	}
	wg.Wait()
}

// bandSize cuts a side of n pixels into equal bands of 256 to 511 pixels.
func bandSize(n int) int {
	if n < 512 {
		return n
	}
	nb := n / 256
	return (n + nb - 1) / nb
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
	const (
		reach = 2 // pixels beside the line that are searched for ink

		onV     = 1 // on a vertical line
		onH     = 2 // on a horizontal line
		freeInk = 4 // ink on no line
		lineInk = 8 // on a line, darker than the usual ink of every line it is on
	)
	// a run of dark pixels along a line longer than any line is wide is the
	// trace running on it (a crossing line makes a shorter dark run)
	minRun := 5
	for _, bands := range [][]lineBand{g.v, g.h} {
		for _, b := range bands {
			for i := range b.lo {
				minRun = max(minRun, int(b.hi[i]-b.lo[i])+3)
			}
		}
	}
	// the horizontal-line band of each column (nil without horizontal lines)
	hOf := make([]*lineBand, w)
	if g.h != nil {
		for x := range hOf {
			hOf[x] = &g.h[x/g.hBand]
		}
	}
	var lift [256]uint8
	for v := range lift {
		lift[v] = uint8(float64(v) + (255-float64(v))*s + 0.5)
	}
	// each pixel's class, taken before any pixel changes: the lift below
	// writes line pixels
	cls := make([]uint8, w*h)
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			var vb *lineBand
			if g.v != nil {
				vb = &g.v[y/g.vBand]
			}
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			c := cls[y*w : (y+1)*w]
			for x := range c {
				p := row[4*x : 4*x+3 : 4*x+3]
				v := int(max(p[0], p[1], p[2]))
				var k uint8
				darker := v < int(t)
				if vb != nil && vb.on(x) {
					k |= onV
					darker = darker && v+lineMargin < int(vb.typ[x])
				}
				if hb := hOf[x]; hb != nil && hb.on(y) {
					k |= onH
					darker = darker && v+lineMargin < int(hb.typ[y])
				}
				switch {
				case k == 0 && v < int(t):
					k = freeInk
				case k != 0 && darker:
					k |= lineInk
				}
				c[x] = k
			}
		}
	})
	is := func(x, y int, bit uint8) bool {
		return x >= 0 && y >= 0 && x < w && y < h && cls[y*w+x]&bit != 0
	}
	// inkBeside: ink on no line within reach beside the band [lo,hi], on
	// positions a-1..a+1 along the line
	inkBeside := func(lo, hi, a int, vertical bool) bool {
		for d := 1; d <= reach; d++ {
			for k := -1; k <= 1; k++ {
				if vertical {
					if is(lo-d, a+k, freeInk) || is(hi+d, a+k, freeInk) {
						return true
					}
				} else if is(a+k, lo-d, freeInk) || is(a+k, hi+d, freeInk) {
					return true
				}
			}
		}
		return false
	}
	run := func(x, y, dx, dy int) int {
		if !is(x, y, lineInk) {
			return 0
		}
		n := 1
		for k := 1; k < minRun && is(x+k*dx, y+k*dy, lineInk); k++ {
			n++
		}
		for k := 1; k < minRun && is(x-k*dx, y-k*dy, lineInk); k++ {
			n++
		}
		return n
	}
	parallelRows(h, func(y0, y1 int) {
		// evidence beside a line is the same along its whole width: kept
		// for the current vertical band of the row and, per column, for the
		// current horizontal band
		hLo := make([]int32, w)
		hInk := make([]bool, w)
		for i := range hLo {
			hLo[i] = -1
		}
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			c := cls[y*w : (y+1)*w]
			vLo, vInk := int32(-1), false
			var vb *lineBand
			if g.v != nil {
				vb = &g.v[y/g.vBand]
			}
			for x, k := range c {
				if k&(onV|onH) == 0 {
					continue
				}
				v, hz := k&onV != 0, k&onH != 0
				if k&lineInk != 0 && (v && run(x, y, 0, 1) >= minRun || hz && run(x, y, 1, 0) >= minRun) {
					continue // the trace running along the line
				}
				if v {
					b := vb
					if b.lo[x] != vLo {
						vLo, vInk = b.lo[x], inkBeside(int(b.lo[x]), int(b.hi[x]), y, true)
					}
					if vInk {
						continue
					}
				}
				if hz {
					b := hOf[x]
					if b.lo[y] != hLo[x] {
						hLo[x], hInk[x] = b.lo[y], inkBeside(int(b.lo[y]), int(b.hi[y]), x, false)
					}
					if hInk[x] {
						continue
					}
				}
				px := row[4*x : 4*x+3 : 4*x+3]
				px[0], px[1], px[2] = lift[px[0]], lift[px[1]], lift[px[2]]
			}
		}
	})
}
