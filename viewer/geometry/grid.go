package geometry

import (
	"image"
	"math"
	"sort"
	"sync"

	"pulsedesk/viewer"
)

// GridStyle is how the millimetre grid is printed.
type GridStyle string

const (
	GridLines     GridStyle = "lines"      // 1 mm and 5 mm lines
	GridDots      GridStyle = "dots"       // 1 mm dots, usually with 5 mm lines
	GridMajorOnly GridStyle = "major-only" // 5 mm lines only
)

// Grid is the printed ECG grid found on a page.
type Grid struct {
	Found bool `json:"found"`
	// Pixels per millimetre along x (time) and y (amplitude), measured from
	// the period of the 1 mm squares (or the 5 mm squares divided by five).
	PxPerMMX float64 `json:"px_per_mm_x"`
	PxPerMMY float64 `json:"px_per_mm_y"`
	// Color is one of red, pink, orange, green, blue, gray, black.
	Color      string    `json:"color,omitempty"`
	Style      GridStyle `json:"style,omitempty"`
	Confidence float64   `json:"confidence"`
}

// PxPerMM is the mean of the two axes' scales (0 when no grid was found).
func (g Grid) PxPerMM() float64 {
	if !g.Found {
		return 0
	}
	return (g.PxPerMMX + g.PxPerMMY) / 2
}

// ConfirmConfidence is the grid confidence from which a measured scale is
// marked confirmed.
const ConfirmConfidence = 0.6

// Calibration turns the grid into the scale of the straight frame at the
// standard paper speed and gain. A page without a grid gives the zero
// calibration (source none).
func (g Grid) Calibration() viewer.Calibration {
	if !g.Found {
		return viewer.Calibration{SpeedMMPerS: 25, GainMMPerMV: 10}
	}
	return viewer.Calibration{
		PxPerMMX:    g.PxPerMMX,
		PxPerMMY:    g.PxPerMMY,
		SpeedMMPerS: 25,
		GainMMPerMV: 10,
		Source:      viewer.CalibrationGrid,
		Confidence:  g.Confidence,
		Confirmed:   g.Confidence >= ConfirmConfidence,
	}
}

// Scale limits for the search, in pixels per millimetre.
const (
	minPxPerMM = 2.0
	maxPxPerMM = 45.0
)

// DetectGrid finds the ECG grid and measures its scale. The page may be
// turned by up to MaxSkew degrees; the scale is measured along the grid's own
// axes. The DPI written in the file plays no part: the grid wins.
func DetectGrid(img image.Image) Grid {
	pl := newPlanes(img)
	deg, _ := skewPlanes(pl)
	return detectGridPlanes(img, pl, deg)
}

func detectGridPlanes(img image.Image, pl *planes, deg float64) Grid {
	if pl.w < 32 || pl.h < 32 {
		return Grid{}
	}
	pr := projectGrid(pl, deg)
	ax := analyzeAxis(pr.v, pr.vFill)
	ay := analyzeAxis(pr.h, pr.hFill)
	debugf("grid axis x: %+v", ax)
	debugf("grid axis y: %+v", ay)
	if !ax.found || !ay.found {
		return Grid{}
	}
	gx, gy := ax.px, ay.px
	rel := math.Abs(gx-gy) / math.Min(gx, gy)
	if rel > 0.08 {
		// The axes disagree: a periodic trace (heart beats) rather than a grid,
		// or one axis read at the wrong level.
		hiV, loV := math.Max(gx, gy), math.Min(gx, gy)
		k := math.Round(hiV / loV)
		switch {
		case math.Abs(gx/5-gy)/gy < 0.05 && ax.single:
			gx /= 5
		case math.Abs(gy/5-gx)/gx < 0.05 && ay.single:
			gy /= 5
		case k >= 2 && k <= 5 && math.Abs(hiV/loV-k)/k < 0.03:
			// One axis locked on a multiple of the period: believe the
			// surer axis, with less confidence.
			if ax.conf >= ay.conf {
				gy = gx
			} else {
				gx = gy
			}
			ax.conf *= 0.6
			ay.conf *= 0.6
		default:
			return Grid{}
		}
		rel = math.Abs(gx-gy) / math.Min(gx, gy)
	}
	g := Grid{Found: true, PxPerMMX: gx, PxPerMMY: gy}
	g.Confidence = math.Sqrt(ax.conf*ay.conf) * math.Max(0, 1-rel/0.08)
	switch {
	case ax.period5 && ay.period5:
		g.Style = GridMajorOnly
	case ay.fill < 0.5 && ax.fill < 0.5:
		g.Style = GridDots
	default:
		g.Style = GridLines
	}
	g.Color = gridColor(img, pl)
	return g
}

// gridProfiles are projections of the ink onto the normals of the grid's
// horizontal lines (h, indexed by distance down the page) and vertical lines
// (v, distance across), at full resolution, plus the fraction of inked
// pixels in each bin.
type gridProfiles struct {
	h, v         []float64
	hFill, vFill []float64
}

func projectGrid(pl *planes, deg float64) gridProfiles {
	rad := deg * math.Pi / 180
	s, c := math.Sin(rad), math.Cos(rad)
	w, h := pl.w, pl.h
	n := 2*(w+h) + 4
	off := float64(w + h + 1)
	hb, vb := make([]float64, n), make([]float64, n)
	hc, vc := make([]float64, n), make([]float64, n)
	hk, vk := make([]float64, n), make([]float64, n)
	const stride = 4
	const inkThr = 40
	// Two bands of rows, each with its own bins, summed after.
	var mu sync.Mutex
	parallelRows(h, func(ya, yb int) {
		lhb, lvb := make([]float64, n), make([]float64, n)
		lhc, lvc := make([]float64, n), make([]float64, n)
		lhk, lvk := make([]float64, n), make([]float64, n)
		for y := ya; y < yb; y++ {
			row := pl.lo[y*w : (y+1)*w]
			fy := float64(y)
			alongX := y%stride == 0
			for x := 0; x < w; x++ {
				dense := x%stride == 0
				if !dense && !alongX {
					continue
				}
				v := 255 - float64(row[x])
				fx := float64(x)
				if dense {
					r := fy*c + fx*s + off
					ri := int(r)
					fr := r - float64(ri)
					lhb[ri] += v * (1 - fr)
					lhb[ri+1] += v * fr
					lhc[ri]++
					if v > inkThr {
						lhk[ri]++
					}
				}
				if alongX {
					q := fx*c - fy*s + off
					qi := int(q)
					fq := q - float64(qi)
					lvb[qi] += v * (1 - fq)
					lvb[qi+1] += v * fq
					lvc[qi]++
					if v > inkThr {
						lvk[qi]++
					}
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i < n; i++ {
			hb[i] += lhb[i]
			vb[i] += lvb[i]
			hc[i] += lhc[i]
			vc[i] += lvc[i]
			hk[i] += lhk[i]
			vk[i] += lvk[i]
		}
	})
	trim := func(b, cnt, ink []float64) ([]float64, []float64) {
		mx := 0.0
		for _, v := range cnt {
			mx = math.Max(mx, v)
		}
		i0, i1 := 0, len(cnt)
		for i0 < i1 && cnt[i0] < 0.3*mx {
			i0++
		}
		for i1 > i0 && cnt[i1-1] < 0.3*mx {
			i1--
		}
		fill := make([]float64, i1-i0)
		for i := i0; i < i1; i++ {
			if cnt[i] > 0 {
				fill[i-i0] = ink[i] / cnt[i]
			}
		}
		return b[i0:i1], fill
	}
	var g gridProfiles
	g.h, g.hFill = trim(hb, hc, hk)
	g.v, g.vFill = trim(vb, vc, vk)
	return g
}

// axisResult is the period analysis of one projection.
type axisResult struct {
	found  bool
	px     float64 // pixels per millimetre
	conf   float64
	single bool    // no distinct 5:1 structure: one period only
	fill   float64 // median peak fill of the 1 mm rows (lines ≈ 1, dots ≪ 1)

	period5 bool // read as 5 mm lines only
}

func (a axisResult) periodAgrees(px float64) bool { return math.Abs(a.px-px)/px < 0.05 }

// analyzeAxis finds the grid period of one projection from its spectrum: it
// fits a comb of 5 mm harmonics for every candidate scale and keeps the one
// whose predicted harmonics are present and whose gaps are empty.
func analyzeAxis(prof, fill []float64) axisResult {
	if len(prof) < 64 {
		return axisResult{}
	}
	const pad = 4
	p, n := powerSpectrum(prof, pad)
	fLo := 1 / (5 * maxPxPerMM)
	fHi := 0.45
	kLo, kHi := int(fLo*float64(n)), int(fHi*float64(n))
	if kLo < 2*pad {
		kLo = 2 * pad
	}
	if kHi >= len(p) || kHi <= kLo+10 {
		return axisResult{}
	}
	floorAt := localFloor(p, kLo, kHi, pad)
	// level is the log10 height over the floor of the highest bin within
	// ±pad bins of f, widened by the relative step of the candidate search.
	level := func(f float64) float64 {
		k := int(math.Round(f * float64(n)))
		win := pad + int(f*float64(n)*0.0012)
		m := 0.0
		for j := max(0, k-win); j <= min(len(p)-1, k+win); j++ {
			m = math.Max(m, p[j])
		}
		if k < 0 || k >= len(p) {
			return 0
		}
		s := m / floorAt(k)
		if s <= 1 {
			return 0
		}
		return math.Min(3, math.Log10(s))
	}
	const beta = 0.6 // a harmonic 4× over the floor is neutral
	const maxHarm = 120
	type cand struct {
		pp, score float64
		k         int
	}
	best := cand{score: math.Inf(-1)}
	// From minPxPerMM/5: a uniform 1 mm grid is fitted as a comb whose
	// "5 mm" period is its 1 mm period (see single below).
	for pp := minPxPerMM / 5; pp <= maxPxPerMM; pp *= 1.002 {
		fM := 1 / (5 * pp)
		if 2/fM > float64(len(prof)) { // need two 5 mm periods at least
			break
		}
		// The 1 mm fundamental, or the 5 mm one and its octave, must show.
		if level(5*fM) < 1 && (level(fM) < 1 || level(2*fM) < 1) {
			continue
		}
		var sc float64
		k := 0
		for k = 1; k <= maxHarm && float64(k)*fM <= fHi; k++ {
			sc += level(float64(k)*fM) - beta
		}
		if sc > best.score {
			best = cand{pp, sc, k - 1}
		}
	}
	if best.k < 3 || best.score <= 0 {
		return axisResult{}
	}
	// Refine the 5 mm frequency from the precise positions of the present
	// harmonics (parabolic peak interpolation on the log spectrum).
	fM := 1 / (5 * best.pp)
	for iter := 0; iter < 2; iter++ {
		var num, den float64
		for k := 1; k <= maxHarm && float64(k)*fM <= fHi; k++ {
			L := level(float64(k) * fM)
			if L < 1 {
				continue
			}
			fk, ok := refinePeak(p, n, float64(k)*fM, pad+int(float64(k)*fM*float64(n)*0.004))
			if !ok {
				continue
			}
			num += L * float64(k) * fk
			den += L * float64(k*k)
		}
		if den > 0 {
			fM = num / den
		}
	}
	r := axisResult{found: true, px: 1 / (5 * fM)}
	// Present/missing harmonics and the 5:1 structure.
	var present, total int
	var sumL, minorL, otherL float64
	var nMinor, nOther int
	for k := 1; k <= maxHarm && float64(k)*fM <= fHi; k++ {
		L := level(float64(k) * fM)
		total++
		if L >= 1 {
			present++
			sumL += L
		}
		if k%5 == 0 {
			minorL += L
			nMinor++
		} else {
			otherL += L
			nOther++
		}
	}
	frac := float64(present) / float64(total)
	meanL := 0.0
	if present > 0 {
		meanL = sumL / float64(present)
	}
	r.conf = frac * math.Min(1, meanL/2)
	if nMinor > 0 && nOther > 0 {
		mi, ot := minorL/float64(nMinor), otherL/float64(nOther)
		r.single = mi < ot+0.5
	} else if nMinor == 0 {
		r.single = true
	}
	if r.single {
		// One period T only: the comb fitted T as 5 mm. Read it as 1 mm lines
		// when that makes a page-sized strip of paper, else keep 5 mm.
		T := 5 * r.px
		if float64(len(prof))/T >= 100 {
			r.px = T
		} else {
			r.period5 = true
		}
	}
	r.fill = peakFill(fill, r.px)
	return r
}

// localFloor returns the noise floor of a power spectrum as a function of
// the bin: the median over a window of ±25 % in frequency, taken at anchors
// spaced 4 % apart and interpolated in log power.
func localFloor(p []float64, kLo, kHi, pad int) func(k int) float64 {
	var ks, fl []float64
	buf := make([]float64, 0, 1024)
	for k := float64(kLo); k <= float64(kHi)*1.04; k *= 1.04 {
		a := max(1, int(k/1.25))
		b := min(len(p)-1, int(k*1.25)+1)
		if b-a < 16 {
			a, b = max(1, int(k)-8), min(len(p)-1, int(k)+8)
		}
		// The floor of the window maxima that level compares against: the
		// median of the maxima of blocks as wide as level's window.
		win := 2*(pad+int(k*0.0012)) + 1
		buf = buf[:0]
		for j := a; j+win <= b+1; j += win {
			m := 0.0
			for _, v := range p[j : j+win] {
				m = math.Max(m, v)
			}
			buf = append(buf, m)
		}
		if len(buf) == 0 {
			buf = append(buf, p[a])
		}
		sort.Float64s(buf)
		m := buf[len(buf)/2]
		if m <= 0 {
			m = 1e-30
		}
		ks = append(ks, k)
		fl = append(fl, math.Log(m))
	}
	return func(k int) float64 {
		x := float64(k)
		i := sort.SearchFloat64s(ks, x)
		switch {
		case i <= 0:
			return math.Exp(fl[0])
		case i >= len(ks):
			return math.Exp(fl[len(fl)-1])
		}
		t := (x - ks[i-1]) / (ks[i] - ks[i-1])
		return math.Exp(fl[i-1] + t*(fl[i]-fl[i-1]))
	}
}

// refinePeak finds the spectral peak within ±win bins of frequency f and
// interpolates its position.
func refinePeak(p []float64, n int, f float64, win int) (float64, bool) {
	k0 := int(math.Round(f * float64(n)))
	bk := -1
	for k := max(1, k0-win); k <= min(len(p)-2, k0+win); k++ {
		if bk < 0 || p[k] > p[bk] {
			bk = k
		}
	}
	if bk <= 0 || bk >= len(p)-1 || p[bk] <= 0 {
		return 0, false
	}
	a, b, c := math.Log(p[bk-1]+1e-30), math.Log(p[bk]), math.Log(p[bk+1]+1e-30)
	den := a - 2*b + c
	d := 0.0
	if den < 0 {
		d = 0.5 * (a - c) / den
	}
	return (float64(bk) + d) / float64(n), true
}

// peakFill is the median over 1 mm windows of the largest fraction of inked
// pixels in a row: about 1 for ruled lines, the dot size over the period for
// a dot grid.
func peakFill(fill []float64, period float64) float64 {
	if period < 2 || len(fill) < int(3*period) {
		return 1
	}
	var peaks []float64
	for x := 0.0; x+period <= float64(len(fill)); x += period {
		m := 0.0
		for i := int(x); i < int(x+period) && i < len(fill); i++ {
			m = math.Max(m, fill[i])
		}
		if m > 0.02 {
			peaks = append(peaks, m)
		}
	}
	if len(peaks) == 0 {
		return 0
	}
	sort.Float64s(peaks)
	return peaks[len(peaks)/2]
}

// gridColor names the colour of the grid ink: light inked pixels that are
// not the dark trace, each voting for a colour name.
func gridColor(img image.Image, pl *planes) string {
	b := img.Bounds()
	step := max(1, int(math.Sqrt(float64(pl.w*pl.h)/250000)))
	votes := map[string]float64{}
	var nGrey, nAll int
	var sumHi float64
	for y := 0; y < pl.h; y += step {
		for x := 0; x < pl.w; x += step {
			lo, hi := pl.at(x, y)
			if int(lo) > 215 || int(hi)-int(lo) < 30 && hi < 70 { // paper, or the trace
				continue
			}
			nAll++
			chroma := int(hi) - int(lo)
			if chroma < 30 {
				nGrey++
				sumHi += float64(hi)
				continue
			}
			r, g, bl, _ := img.At(x+b.Min.X, y+b.Min.Y).RGBA()
			h := hue(float64(r>>8), float64(g>>8), float64(bl>>8))
			sat := float64(chroma) / float64(hi)
			var name string
			switch {
			case h < 12 || h >= 345:
				name = "red"
				if sat < 0.4 {
					name = "pink"
				}
			case h < 60:
				name = "orange"
			case h < 170:
				name = "green"
			case h < 285:
				name = "blue"
			default:
				name = "pink"
			}
			votes[name] += float64(chroma)
		}
	}
	if nAll == 0 {
		return ""
	}
	best, bv, total := "", 0.0, 0.0
	for _, name := range []string{"red", "pink", "orange", "green", "blue"} {
		total += votes[name]
		if votes[name] > bv {
			best, bv = name, votes[name]
		}
	}
	nCol := nAll - nGrey
	if nCol < nGrey/2 || total == 0 {
		if sumHi/float64(max(1, nGrey)) < 120 {
			return "black"
		}
		return "gray"
	}
	return best
}

func hue(r, g, b float64) float64 {
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	d := mx - mn
	if d == 0 {
		return 0
	}
	var h float64
	switch mx {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h
}
