package viewer

import "image"

// blur5 returns a new image: img's colour channels blurred with the
// binomial kernel [1 4 6 4 1]/16 in both directions (close to a Gaussian of
// σ = 1 px), edges clamped, alpha copied. Integer arithmetic throughout.
func blur5(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return out
	}
	tmp := make([]uint16, w*h*3) // horizontal sums, ×16
	cx := func(x int) int { return min(max(x, 0), w-1) }
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride:]
			t := tmp[y*w*3 : (y+1)*w*3]
			for x := 0; x < w; x++ {
				a, b, c, d, e := 4*cx(x-2), 4*cx(x-1), 4*x, 4*cx(x+1), 4*cx(x+2)
				for k := 0; k < 3; k++ {
					t[3*x+k] = uint16(row[a+k]) + 4*uint16(row[b+k]) + 6*uint16(row[c+k]) + 4*uint16(row[d+k]) + uint16(row[e+k])
				}
			}
		}
	})
	cy := func(y int) int { return min(max(y, 0), h-1) }
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			ra, rb, rc, rd, re := tmp[cy(y-2)*w*3:], tmp[cy(y-1)*w*3:], tmp[y*w*3:], tmp[cy(y+1)*w*3:], tmp[cy(y+2)*w*3:]
			o := out.Pix[y*out.Stride : y*out.Stride+4*w]
			src := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				for k := 0; k < 3; k++ {
					i := 3*x + k
					s := uint32(ra[i]) + 4*uint32(rb[i]) + 6*uint32(rc[i]) + 4*uint32(rd[i]) + uint32(re[i])
					o[4*x+k] = uint8((s + 128) >> 8)
				}
				o[4*x+3] = src[4*x+3]
			}
		}
	})
	return out
}
