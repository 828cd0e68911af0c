package geometry

import (
	"math"
	"math/bits"
)

// fft computes an in-place radix-2 FFT of re+i·im; len must be a power of two.
func fft(re, im []float64) {
	n := len(re)
	if n <= 1 {
		return
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := 0; i < n; i++ {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := -2 * math.Pi / float64(size)
		wr, wi := math.Cos(step), math.Sin(step)
		for start := 0; start < n; start += size {
			cr, ci := 1.0, 0.0
			for k := 0; k < half; k++ {
				a, b := start+k, start+k+half
				tr := re[b]*cr - im[b]*ci
				ti := re[b]*ci + im[b]*cr
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a] += tr
				im[a] += ti
				cr, ci = cr*wr-ci*wi, cr*wi+ci*wr
			}
		}
	}
}

// powerSpectrum returns |DFT|² of the mean-removed, Hann-windowed signal,
// zero-padded to at least pad times its length (a power of two). Bin k is
// frequency k/n cycles per sample.
func powerSpectrum(x []float64, pad int) (p []float64, n int) {
	n = 1
	for n < pad*len(x) {
		n <<= 1
	}
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	re, im := make([]float64, n), make([]float64, n)
	L := float64(len(x) - 1)
	for i, v := range x {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/L)
		re[i] = (v - mean) * w
	}
	fft(re, im)
	p = make([]float64, n/2+1)
	for k := range p {
		p[k] = re[k]*re[k] + im[k]*im[k]
	}
	return p, n
}
