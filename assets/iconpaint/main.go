//go:build ignore

// Command iconpaint draws assets/icon.png: a heart-rhythm trace on a rounded
// square over a faint ECG grid. Run from the repository root:
//
//	go run assets/iconpaint/main.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	// The trace: a flat line, a P wave, a QRS spike and a T wave, in icon units (0..1).
	trace := []struct{ x, y float64 }{
		{0.10, 0.56}, {0.24, 0.56}, {0.28, 0.51}, {0.32, 0.56}, {0.38, 0.56},
		{0.42, 0.62}, {0.48, 0.22}, {0.54, 0.76}, {0.58, 0.56}, {0.66, 0.56},
		{0.72, 0.47}, {0.78, 0.56}, {0.90, 0.56},
	}
	const ss = 4 // supersampling per axis
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / size
					y := (float64(py) + (float64(sy)+0.5)/ss) / size
					if !inRoundedSquare(x, y, 0.04, 0.18) {
						continue
					}
					// paper: warm white with a red grid every 1/10
					cr, cg, cb := 0.99, 0.96, 0.94
					if gridLine(x, 0.1, 0.006) || gridLine(y, 0.1, 0.006) {
						cr, cg, cb = 0.96, 0.70, 0.70
					}
					if distPolyline(x, y, trace) < 0.024 {
						cr, cg, cb = 0.55, 0.05, 0.12
					}
					r += cr
					g += cg
					b += cb
					a++
				}
			}
			n := float64(ss * ss)
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(255 * r / a), G: uint8(255 * g / a), B: uint8(255 * b / a), A: uint8(255 * a / n),
			})
		}
	}
	f, err := os.Create("assets/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
}

func inRoundedSquare(x, y, margin, radius float64) bool {
	lo, hi := margin+radius, 1-margin-radius
	cx := math.Max(lo, math.Min(hi, x))
	cy := math.Max(lo, math.Min(hi, y))
	if x < margin || x > 1-margin || y < margin || y > 1-margin {
		return false
	}
	return math.Hypot(x-cx, y-cy) <= radius
}

func gridLine(v, step, half float64) bool {
	m := math.Mod(v, step)
	return m < half || step-m < half
}

func distPolyline(x, y float64, pts []struct{ x, y float64 }) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(pts); i++ {
		ax, ay, bx, by := pts[i].x, pts[i].y, pts[i+1].x, pts[i+1].y
		dx, dy := bx-ax, by-ay
		t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		d := math.Hypot(x-(ax+t*dx), y-(ay+t*dy))
		best = math.Min(best, d)
	}
	return best
}
