package geometry

import (
	"image"
	"math"

	"pulsedesk/viewer"
)

// DetectPaperQuad finds the outline of a sheet of paper photographed on a
// darker background: the corners (top-left, top-right, bottom-right,
// bottom-left) in the normalised source frame, as viewer.Edits.Perspective
// takes them. ok is false when no page edge is visible (a scan, a crop
// inside the page) or the outline is not a clean quadrilateral.
func DetectPaperQuad(img image.Image) (quad [4]viewer.Point, ok bool, confidence float64) {
	return detectPaperQuad(newPlanes(img))
}

func detectPaperQuad(pl *planes) ([4]viewer.Point, bool, float64) {
	var none [4]viewer.Point
	f := factorFor(pl.w, pl.h, 400)
	w, h := pl.w/f, pl.h/f
	if w < 32 || h < 32 {
		return none, false, 0
	}
	// Lightness at low resolution.
	lum := make([]uint8, w*h)
	var hist [256]int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Four samples of the block are enough for a page outline.
			s := 0
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				i := (y*f+d[1]*f/2)*pl.w + x*f + d[0]*f/2
				s += int(pl.lo[i]) + int(pl.hi[i])
			}
			v := uint8(s / 8)
			lum[y*w+x] = v
			hist[v]++
		}
	}
	t := otsu(hist[:])
	// The paper must be clearly lighter than the background.
	var mb, mf, nb, nf float64
	for v, c := range hist {
		if v <= t {
			mb += float64(v * c)
			nb += float64(c)
		} else {
			mf += float64(v * c)
			nf += float64(c)
		}
	}
	if nb == 0 || nf == 0 || mf/nf-mb/nb < 60 {
		return none, false, 0
	}
	// Largest light component (4-connected).
	label := make([]int32, w*h)
	bestID, bestN := int32(0), 0
	var stack []int32
	id := int32(0)
	for i := range lum {
		if lum[i] <= uint8(t) || label[i] != 0 {
			continue
		}
		id++
		n := 0
		label[i] = id
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			j := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			n++
			x, y := j%w, j/w
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				xx, yy := x+d[0], y+d[1]
				if xx < 0 || yy < 0 || xx >= w || yy >= h {
					continue
				}
				k := yy*w + xx
				if lum[k] > uint8(t) && label[k] == 0 {
					label[k] = id
					stack = append(stack, int32(k))
				}
			}
		}
		if n > bestN {
			bestID, bestN = id, n
		}
	}
	frac := float64(bestN) / float64(w*h)
	if frac < 0.2 || frac > 0.97 {
		return none, false, 0
	}
	// Corners: extremes of x+y and x-y; background must show on two sides.
	var tl, tr, br, bl [2]int
	sMin, sMax, dMin, dMax := math.MaxInt, math.MinInt, math.MaxInt, math.MinInt
	touch := [4]bool{}
	for i, l := range label {
		if l != bestID {
			continue
		}
		x, y := i%w, i/w
		if s := x + y; s < sMin {
			sMin, tl = s, [2]int{x, y}
		}
		if s := x + y; s > sMax {
			sMax, br = s, [2]int{x, y}
		}
		if d := x - y; d > dMax {
			dMax, tr = d, [2]int{x, y}
		}
		if d := x - y; d < dMin {
			dMin, bl = d, [2]int{x, y}
		}
		touch[0] = touch[0] || x == 0
		touch[1] = touch[1] || x == w-1
		touch[2] = touch[2] || y == 0
		touch[3] = touch[3] || y == h-1
	}
	free := 0
	for _, t := range touch {
		if !t {
			free++
		}
	}
	if free < 2 {
		return none, false, 0
	}
	pts := [4][2]int{tl, tr, br, bl}
	// An outline hugging the image corners (a scan with a thin frame, a
	// page filling the photo) needs no perspective.
	corners := [4][2]int{{0, 0}, {w - 1, 0}, {w - 1, h - 1}, {0, h - 1}}
	hug := true
	for i, p := range pts {
		if math.Hypot(float64(p[0]-corners[i][0]), float64(p[1]-corners[i][1])) > 0.03*float64(max(w, h)) {
			hug = false
		}
	}
	if hug {
		return none, false, 0
	}
	// Shoelace area of the quad against the component's area.
	area := 0.0
	for i := 0; i < 4; i++ {
		a, b := pts[i], pts[(i+1)%4]
		area += float64(a[0]*b[1] - b[0]*a[1])
	}
	area = math.Abs(area) / 2
	if area <= 0 {
		return none, false, 0
	}
	fill := float64(bestN) / area
	if fill < 0.9 || fill > 1.1 {
		return none, false, 0
	}
	var q [4]viewer.Point
	for i, p := range pts {
		q[i] = viewer.Point{X: (float64(p[0]) + 0.5) / float64(w), Y: (float64(p[1]) + 0.5) / float64(h)}
	}
	conf := math.Max(0, 1-math.Abs(1-fill)*5)
	return q, conf > 0.5, conf
}

// otsu returns the threshold that best splits a histogram in two classes.
func otsu(hist []int) int {
	var total, sum float64
	for v, c := range hist {
		total += float64(c)
		sum += float64(v * c)
	}
	var wb, sb, best float64
	t := 0
	for v, c := range hist {
		wb += float64(c)
		if wb == 0 {
			continue
		}
		wf := total - wb
		if wf == 0 {
			break
		}
		sb += float64(v * c)
		mb, mf := sb/wb, (sum-sb)/wf
		if between := wb * wf * (mb - mf) * (mb - mf); between > best {
			best, t = between, v
		}
	}
	return t
}
