package viewer

import (
	"image"
	"math"
)

// Grid suppression lightens the printed grid and keeps the trace dark. It
// works in one of two modes, chosen per image:
//
// Colour dropout, when enough of the page is clearly coloured (red, pink,
// orange, green, blue grids). The grid's hue is the peak of the hue
// histogram of the saturated pixels. Each pixel near that hue is moved, in
// proportion to its saturation and the strength, toward a grey of its HSV
// value max(R,G,B), and lifted toward white: grid ink is bright in at least
// one channel, while a black trace is dark in all three and keeps its
// darkness. A trace of another hue (a blue trace on an orange grid) is left
// alone.
//
// Intensity dropout, for black-and-white grids (photocopies, faxes). The
// ink darker than the paper is split in two classes with Otsu's threshold;
// pixels in the lighter class (the grid lines, usually thinner and lighter
// than the trace) are lifted toward white. Where the grid is printed as dark
// as the trace this cannot tell them apart and leaves both.
func suppressGrid(img *image.NRGBA, s float64) *image.NRGBA {
	if s <= 0 {
		return img
	}
	s = math.Min(s, 1)
	if hue, ok := gridHue(img); ok {
		colourDropout(img, hue, s)
	} else {
		intensityDropout(img, s)
	}
	return img
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

// gridHue finds the dominant hue among saturated, not-dark pixels. ok is
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
			hue, c, v := rgbHue(p[0], p[1], p[2])
			if c >= 30 && v >= 110 {
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

func colourDropout(img *image.NRGBA, gridHue, s float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				p := row[i : i+3 : i+3]
				hue, c, v := rgbHue(p[0], p[1], p[2])
				if c < 8 {
					continue
				}
				dh := math.Abs(hue - gridHue)
				if dh > 180 {
					dh = 360 - dh
				}
				var wh float64
				switch {
				case dh <= 30:
					wh = 1
				case dh < 60:
					wh = (60 - dh) / 30
				default:
					continue
				}
				wc := math.Min(1, float64(c-8)/32)
				a := s * wh * wc
				// grey of the HSV value, lifted toward white
				target := float64(v) + (255-float64(v))*0.6*a
				for k := 0; k < 3; k++ {
					o := float64(p[k])
					p[k] = uint8(o + (target-o)*a + 0.5)
				}
			}
		}
	})
}

func intensityDropout(img *image.NRGBA, s float64) {
	var hist [256]int
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+3 : 4*x+3]
			hist[lumaOf(p[0], p[1], p[2])]++
		}
	}
	// paper: the 75th percentile of luminance; ink: everything clearly darker
	n := w * h
	acc, paper := 0, 255
	for v := 0; v < 256; v++ {
		acc += hist[v]
		if acc*4 >= n*3 {
			paper = v
			break
		}
	}
	inkMax := paper - 24
	if inkMax < 16 {
		return
	}
	t := otsu(hist[:inkMax])
	if t <= 0 {
		return
	}
	var lift [256]uint8
	for v := 0; v < 256; v++ {
		// ramp from t-6 (kept) to t+10 (fully lifted)
		a := clamp01((float64(v)-float64(t)+6)/16) * s
		lift[v] = uint8(float64(v) + (255-float64(v))*a + 0.5)
	}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				p := row[i : i+3 : i+3]
				l := lumaOf(p[0], p[1], p[2])
				d := int(lift[l]) - int(l)
				if d == 0 {
					continue
				}
				for k := 0; k < 3; k++ {
					p[k] = uint8(min(255, int(p[k])+d))
				}
			}
		}
	})
}

// otsu returns the threshold splitting hist into two classes with the
// largest between-class variance.
func otsu(hist []int) int {
	total, sum := 0, 0.0
	for v, c := range hist {
		total += c
		sum += float64(v * c)
	}
	if total == 0 {
		return 0
	}
	best, bestVar := 0, -1.0
	wB, sumB := 0, 0.0
	for v, c := range hist {
		wB += c
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(v * c)
		mB := sumB / float64(wB)
		mF := (sum - sumB) / float64(wF)
		bv := float64(wB) * float64(wF) * (mB - mF) * (mB - mF)
		if bv > bestVar {
			bestVar, best = bv, v
		}
	}
	return best + 1
}
