package viewer

import (
	"image"
	"math"
)

// Apply returns a new image: img with the edits e applied. It is pure and
// deterministic, never modifies img and respects img.Bounds().Min (the
// result starts at (0,0)). The order of operations:
//
//	geometry   perspective → quarter turns → fine rotation → crop   (transform.go)
//	redaction  every rectangle filled opaque black, burned in
//	tone       one lookup table: auto-levels → contrast → brightness → gamma
//	           denoise (edge-preserving smoothing)
//	           grid suppression (grid.go)
//	           sharpen (unsharp mask)
//	           grayscale
//	           invert
//
// Redaction comes before tone, so the tone steps see (and may lighten or
// invert) the black boxes, but never the pixels under them.
func Apply(img image.Image, e Edits) *image.NRGBA {
	out := applyGeometryRedact(img, e)
	return applyTone(out, e, false, nil)
}

// applyGeometryRedact is the geometry and redaction stage. The result is
// always a new image.
func applyGeometryRedact(img image.Image, e Edits) *image.NRGBA {
	src := toNRGBA(img)
	g := newGeometry(src.Rect.Dx(), src.Rect.Dy(), e)
	crop := g.cropRect(e.Crop)
	out := g.warp(src, crop)
	for _, r := range e.Redactions {
		fillBlack(out, g.redactRect(r).Sub(crop.Min))
	}
	return out
}

func fillBlack(img *image.NRGBA, r image.Rectangle) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[y*img.Stride+4*r.Min.X : y*img.Stride+4*r.Max.X]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = 0, 0, 0, 255
		}
	}
}

// toneLUT builds the single lookup table for levels, contrast, brightness
// and gamma. lo and hi are the input levels mapped to black and white.
func toneLUT(e Edits, lo, hi int) *[256]uint8 {
	var lut [256]uint8
	c := math.Max(-1, math.Min(e.Contrast, 0.95))
	k := (1 + c) / (1 - c) // slope at mid-grey: 1 unchanged, 39 at the top
	gamma := e.Gamma
	if gamma <= 0 {
		gamma = 1
	}
	if hi <= lo {
		lo, hi = 0, 255
	}
	for v := 0; v < 256; v++ {
		x := (float64(v) - float64(lo)) / float64(hi-lo)
		x = clamp01(x)
		x = (x-0.5)*k + 0.5
		x = clamp01(x + e.Brightness)
		if gamma != 1 {
			x = math.Pow(x, 1/gamma)
		}
		lut[v] = uint8(math.Round(clamp01(x) * 255))
	}
	return &lut
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// levels finds the luminance levels below and above which 0.5 % of the
// pixels lie (auto-levels).
func levels(img *image.NRGBA) (lo, hi int) {
	var hist [256]int
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// every pixel of small images, a regular sample of large ones
	step := 1
	for (w/step)*(h/step) > 1_000_000 {
		step++
	}
	n := 0
	for y := 0; y < h; y += step {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x += step {
			p := row[4*x : 4*x+3 : 4*x+3]
			hist[lumaOf(p[0], p[1], p[2])]++
			n++
		}
	}
	clip := n / 200
	acc := 0
	for lo = 0; lo < 255; lo++ {
		acc += hist[lo]
		if acc > clip {
			break
		}
	}
	acc = 0
	for hi = 255; hi > 0; hi-- {
		acc += hist[hi]
		if acc > clip {
			break
		}
	}
	if hi-lo < 8 {
		return 0, 255
	}
	return lo, hi
}

// lumaOf is Rec. 601 luma in integer arithmetic.
func lumaOf(r, g, b uint8) uint8 {
	return uint8((299*int(r) + 587*int(g) + 114*int(b) + 500) / 1000)
}

// toneCache carries what the preview path keeps between tone updates.
type toneCache struct {
	lo, hi int
	valid  bool
}

// applyTone runs the tone stage on img, which it owns and may overwrite.
// fast skips denoise and sharpen (the preview while a slider moves). lv,
// when not nil, supplies cached auto-levels.
func applyTone(img *image.NRGBA, e Edits, fast bool, lv *toneCache) *image.NRGBA {
	lo, hi := 0, 255
	if e.AutoLevels {
		if lv != nil && lv.valid {
			lo, hi = lv.lo, lv.hi
		} else {
			lo, hi = levels(img)
			if lv != nil {
				lv.lo, lv.hi, lv.valid = lo, hi, true
			}
		}
	}
	lutActive := lo != 0 || hi != 255 || e.Contrast != 0 || e.Brightness != 0 || (e.Gamma > 0 && e.Gamma != 1)
	denoise := !fast && e.Denoise > 0
	sharpen := !fast && e.Sharpen > 0
	grid := e.GridSuppression > 0
	spatial := denoise || grid || sharpen
	if !spatial {
		// one pass for everything
		if lutActive || e.Grayscale || e.Invert {
			pointPass(img, toneLUTIf(lutActive, e, lo, hi), e.Grayscale, e.Invert)
		}
		return img
	}
	if lutActive {
		pointPass(img, toneLUT(e, lo, hi), false, false)
	}
	if denoise {
		img = denoiseImage(img, e.Denoise)
	}
	if grid {
		img = suppressGrid(img, e.GridSuppression)
	}
	if sharpen {
		img = sharpenImage(img, e.Sharpen)
	}
	if e.Grayscale || e.Invert {
		pointPass(img, nil, e.Grayscale, e.Invert)
	}
	return img
}

func toneLUTIf(active bool, e Edits, lo, hi int) *[256]uint8 {
	if !active {
		return nil
	}
	return toneLUT(e, lo, hi)
}

// pointPass applies a lookup table (if any), grayscale and invert in place,
// in one pass over the pixels.
func pointPass(img *image.NRGBA, lut *[256]uint8, gray, inv bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			if lut != nil && !gray && !inv {
				for i := 0; i < len(row); i += 4 {
					p := row[i : i+3 : i+3]
					p[0], p[1], p[2] = lut[p[0]], lut[p[1]], lut[p[2]]
				}
				continue
			}
			for i := 0; i < len(row); i += 4 {
				p := row[i : i+3 : i+3]
				r, g, b := p[0], p[1], p[2]
				if lut != nil {
					r, g, b = lut[r], lut[g], lut[b]
				}
				if gray {
					l := lumaOf(r, g, b)
					r, g, b = l, l, l
				}
				if inv {
					r, g, b = 255-r, 255-g, 255-b
				}
				p[0], p[1], p[2] = r, g, b
			}
		}
	})
}

// denoiseImage smooths small differences (noise, paper texture, JPEG
// artefacts) and keeps large ones (trace edges): each channel moves toward
// a blur (σ ≈ 1 px, or 1.4 px above strength 0.5) by s·t²/(t²+d²), d being
// its distance from the blur.
func denoiseImage(img *image.NRGBA, s float64) *image.NRGBA {
	blur := blur5(img)
	if s > 0.5 {
		blur = blur5(blur)
	}
	const t = 18.0
	var wt [256]int32 // weights ×256
	for d := range wt {
		wt[d] = int32(math.Round(256 * s * t * t / (t*t + float64(d*d))))
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			brow := blur.Pix[y*blur.Stride:]
			for i := 0; i < len(row); i += 4 {
				for c := 0; c < 3; c++ {
					v, b := int32(row[i+c]), int32(brow[i+c])
					d := b - v
					ad := d
					if ad < 0 {
						ad = -ad
					}
					row[i+c] = uint8(v + (d*wt[ad]+128)>>8)
				}
			}
		}
	})
	return img
}

// sharpenImage is an unsharp mask: v + a·(v − blur(v)), a = 2·s, blur σ ≈ 1 px.
func sharpenImage(img *image.NRGBA, s float64) *image.NRGBA {
	blur := blur5(img)
	a := int32(math.Round(2 * s * 256))
	w, h := img.Rect.Dx(), img.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			brow := blur.Pix[y*blur.Stride:]
			for i := 0; i < len(row); i += 4 {
				for c := 0; c < 3; c++ {
					v := int32(row[i+c])
					v += (a*(v-int32(brow[i+c])) + 128) >> 8
					row[i+c] = uint8(min(max(v, 0), 255))
				}
			}
		}
	})
	return img
}
