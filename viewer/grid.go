package viewer

import (
	"image"
	"math"
)

// Grid suppression lightens the printed grid and keeps the trace dark,
// with one method for coloured and black-and-white grids: value dropout.
//
// A pixel's value V = max(R,G,B) is how much light it reflects in its
// brightest channel. Grid ink, coloured or grey, is printed light: a red,
// pink, orange, green or blue grid line is bright in at least one channel,
// and a photocopied grid is mid-grey. The trace is dark in every channel.
// The page's dark level D (0.3rd percentile of V) and paper level P (90th
// percentile) set a threshold T = D + 0.5·(P−D); pixels whose V is above T
// are lifted toward white (fully from T+12, not at all below T−12), scaled by
// the strength. Pixels below T — the trace — are left exactly as they were.
//
// When the page has a clear grid hue (the peak of the hue histogram of
// bright, saturated pixels), hue refines this: saturated pixels of the grid's
// hue are lifted however dark they are (dark major lines, a dark blue grid),
// in proportion to their chroma, so a black trace (no chroma) keeps its
// core; saturated pixels whose hue is more than 45° from the grid's (a blue
// trace on an orange grid) are protected from the lift.
//
// On an achromatic page, line dropout (gridlines.go) first removes grid
// lines printed as dark as the trace. Limits: near-black major lines of a
// coloured grid stay; light parts of the trace (antialiased edges, a faint
// trace) are lifted with the grid, so the trace gets a little thinner; a
// strong shadow across a photo moves P and T, so correct it with auto-levels
// or brightness first.
func suppressGrid(img *image.NRGBA, s float64) *image.NRGBA {
	if s <= 0 {
		return img
	}
	s = math.Min(s, 1)
	t, ok := dropoutThreshold(img)
	if !ok {
		return img // no contrast between ink and paper to work with
	}
	hue, hasHue := gridHue(img)
	if !hasHue && achromatic(img) {
		if g, ok := findGridLines(img); ok {
			lineDropout(img, g, s, uint8(t))
		}
	}
	valueDropout(img, s, t, hue, hasHue)
	return img
}

// dropoutThreshold returns T = D + ½(P−D) from the page's dark level D
// (0.3rd percentile of the value) and paper level P (90th percentile); ok is
// false when P−D < 40.
func dropoutThreshold(img *image.NRGBA) (float64, bool) {
	var hist [256]int
	w, h := img.Rect.Dx(), img.Rect.Dy()
	step := 1
	for (w/step)*(h/step) > 1_000_000 {
		step++
	}
	n := 0
	for y := 0; y < h; y += step {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x += step {
			p := row[4*x : 4*x+3 : 4*x+3]
			hist[max(p[0], p[1], p[2])]++
			n++
		}
	}
	pct := func(q float64) int {
		acc, lim := 0, int(q*float64(n))
		for v := 0; v < 256; v++ {
			acc += hist[v]
			if acc > lim {
				return v
			}
		}
		return 255
	}
	d, p := pct(0.003), pct(0.90)
	if p-d < 40 {
		return 0, false
	}
	return float64(d) + 0.5*float64(p-d), true
}

func valueDropout(img *image.NRGBA, s, t, gridHue float64, hasHue bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var lift [256]float64
	for v := range lift {
		lift[v] = s * clamp01((float64(v)-t+12)/24)
	}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				px := row[i : i+3 : i+3]
				a := lift[max(px[0], px[1], px[2])]
				if hasHue {
					hu, c, _ := rgbHue(px[0], px[1], px[2])
					if c >= 40 {
						dh := math.Abs(hu - gridHue)
						if dh > 180 {
							dh = 360 - dh
						}
						if dh > 45 {
							// another colour than the grid: a coloured trace
							a *= clamp01((75 - dh) / 30)
						} else {
							// the grid's own colour, however dark (major lines)
							a = math.Max(a, s*clamp01(float64(c-40)/40)*clamp01((60-dh)/30))
						}
					}
				}
				if a == 0 {
					continue
				}
				for k := 0; k < 3; k++ {
					o := float64(px[k])
					px[k] = uint8(o + (255-o)*a + 0.5)
				}
			}
		}
	})
}

// rgbHue returns the hue in degrees [0,360), the chroma and the value.
func rgbHue(r, g, b uint8) (hue float64, chroma, val int) {
	mx := max(r, g, b)
	mn := min(r, g, b)
	c := int(mx) - int(mn)
	if c == 0 {
		return 0, 0, int(mx)
	}
	fr, fg, fb, fc := float64(r), float64(g), float64(b), float64(c)
	switch mx {
	case r:
		hue = 60 * math.Mod((fg-fb)/fc+6, 6)
	case g:
		hue = 60 * ((fb-fr)/fc + 2)
	default:
		hue = 60 * ((fr-fg)/fc + 4)
	}
	return hue, c, int(mx)
}

// gridHue finds the dominant hue among saturated, bright pixels. ok is
// false when fewer than 1 % of the pixels are such (a colourless page).
func gridHue(img *image.NRGBA) (float64, bool) {
	var hist [36]int
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
			hue, c, _ := rgbHue(p[0], p[1], p[2])
			if c >= 30 && lumaOf(p[0], p[1], p[2]) >= 120 {
				hist[int(hue/10)%36]++
				coloured++
			}
		}
	}
	if total == 0 || coloured*100 < total {
		return 0, false
	}
	best := 0
	for i := range hist {
		if hist[i]+hist[(i+35)%36]+hist[(i+1)%36] > hist[best]+hist[(best+35)%36]+hist[(best+1)%36] {
			best = i
		}
	}
	// centroid of the peak and its neighbours
	var sx, sy float64
	for d := -1; d <= 1; d++ {
		i := (best + d + 36) % 36
		a := (float64(i)*10 + 5) * math.Pi / 180
		sx += float64(hist[i]) * math.Cos(a)
		sy += float64(hist[i]) * math.Sin(a)
	}
	hue := math.Atan2(sy, sx) * 180 / math.Pi
	if hue < 0 {
		hue += 360
	}
	return hue, true
}
