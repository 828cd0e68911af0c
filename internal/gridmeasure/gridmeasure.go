// Package gridmeasure measures the printed grid of a rendered page
// independently of the detectors under test, for tests of the renderer and
// of opening recordings.
package gridmeasure

import (
	"image"
	"math"
	"math/cmplx"
)

// PeriodX measures the period, in pixels, of the red grid along x in
// rows [y0, y1): the strongest Fourier component of the column profile of
// redness (R - G) between lo and hi pixels.
func PeriodX(img *image.NRGBA, y0, y1 int, lo, hi float64) float64 {
	w := img.Rect.Dx()
	prof := make([]float64, w)
	for y := y0; y < y1; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[y*img.Stride+4*x:]
			prof[x] += float64(p[0]) - float64(p[1])
		}
	}
	mean := 0.0
	for _, v := range prof {
		mean += v
	}
	mean /= float64(w)
	power := func(P float64) float64 {
		var s complex128
		ph := complex(1, 0)
		step := cmplx.Exp(complex(0, -2*math.Pi/P))
		for _, v := range prof {
			s += complex(v-mean, 0) * ph
			ph *= step
		}
		return cmplx.Abs(s)
	}
	best, bestP := 0.0, 0.0
	for P := lo; P <= hi; P *= 1.002 {
		if a := power(P); a > best {
			best, bestP = a, P
		}
	}
	for P := bestP * 0.998; P <= bestP*1.002; P += bestP * 0.00005 {
		if a := power(P); a > best {
			best, bestP = a, P
		}
	}
	return bestP
}
