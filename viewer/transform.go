package viewer

import (
	"image"
	"math"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
)

// The geometry of Apply, in this order (DESIGN.md, "Coordinates and
// conventions"):
//
//  1. perspective: the quad Edits.Perspective (source frame, TL TR BR BL)
//     is warped onto an upright rectangle whose width is the longer of the
//     quad's top and bottom edges and whose height is the longer of its left
//     and right edges (in source pixels);
//  2. quarter turns, counter-clockwise;
//  3. fine rotation by Edits.Rotation degrees, counter-clockwise on screen,
//     about the centre; the canvas grows to keep the whole page and the new
//     area is white;
//  4. crop, a rectangle of the straight frame (the result of 1-3).
//
// All resampling happens once: every output pixel is mapped back through
// the steps to the source and sampled bilinearly. Pixel centres are at
// half-integers, so quarter turns and crops alone copy pixels exactly.

// geometry is the pixel-level plan for one Edits on one source size.
type geometry struct {
	srcW, srcH int
	persp      bool
	hom        [9]float64 // rectified pixel (u,v) -> source pixel
	inv        [9]float64 // source pixel -> rectified pixel
	pw, ph     int        // after perspective
	q          int        // quarter turns 0..3
	qw, qh     int        // after quarter turns
	rotated    bool
	cos, sin   float64
	sw, sh     int // straight frame size
}

func newGeometry(srcW, srcH int, e Edits) *geometry {
	g := &geometry{srcW: srcW, srcH: srcH, pw: srcW, ph: srcH}
	if e.Perspective != nil {
		g.setPerspective(*e.Perspective)
	}
	g.q = ((e.QuarterTurns % 4) + 4) % 4
	g.qw, g.qh = g.pw, g.ph
	if g.q%2 == 1 {
		g.qw, g.qh = g.ph, g.pw
	}
	g.sw, g.sh = g.qw, g.qh
	rot := math.Mod(e.Rotation, 360)
	if rot != 0 && !math.IsNaN(rot) {
		a := rot * math.Pi / 180
		g.rotated = true
		g.cos, g.sin = math.Cos(a), math.Sin(a)
		ac, as := math.Abs(g.cos), math.Abs(g.sin)
		g.sw = max(1, int(math.Ceil(float64(g.qw)*ac+float64(g.qh)*as-1e-6)))
		g.sh = max(1, int(math.Ceil(float64(g.qw)*as+float64(g.qh)*ac-1e-6)))
	}
	return g
}

func (g *geometry) setPerspective(q [4]Point) {
	var x, y [4]float64
	for i, p := range q {
		x[i], y[i] = p.X*float64(g.srcW), p.Y*float64(g.srcH)
	}
	// Area (shoelace) must be clearly positive for a usable quad.
	area := 0.0
	for i := 0; i < 4; i++ {
		j := (i + 1) % 4
		area += x[i]*y[j] - x[j]*y[i]
	}
	if math.Abs(area)/2 < 16 {
		return
	}
	sx := x[0] - x[1] + x[2] - x[3]
	sy := y[0] - y[1] + y[2] - y[3]
	var a, b, c, d, e, f, gg, h float64
	if math.Abs(sx) < 1e-9 && math.Abs(sy) < 1e-9 {
		a, b, c = x[1]-x[0], x[3]-x[0], x[0]
		d, e, f = y[1]-y[0], y[3]-y[0], y[0]
	} else {
		dx1, dx2 := x[1]-x[2], x[3]-x[2]
		dy1, dy2 := y[1]-y[2], y[3]-y[2]
		den := dx1*dy2 - dx2*dy1
		if math.Abs(den) < 1e-12 {
			return
		}
		gg = (sx*dy2 - dx2*sy) / den
		h = (dx1*sy - sx*dy1) / den
		a, b, c = x[1]-x[0]+gg*x[1], x[3]-x[0]+h*x[3], x[0]
		d, e, f = y[1]-y[0]+gg*y[1], y[3]-y[0]+h*y[3], y[0]
	}
	dist := func(i, j int) float64 { return math.Hypot(x[i]-x[j], y[i]-y[j]) }
	pw := int(math.Round(math.Max(dist(0, 1), dist(3, 2))))
	ph := int(math.Round(math.Max(dist(0, 3), dist(1, 2))))
	if pw < 1 || ph < 1 {
		return
	}
	// Unit square (s,t) -> source; rectified pixel (u,v) = (s*pw, t*ph).
	fw, fh := float64(pw), float64(ph)
	m := [9]float64{a / fw, b / fh, c, d / fw, e / fh, f, gg / fw, h / fh, 1}
	inv, ok := invert3(m)
	if !ok {
		return
	}
	g.persp, g.hom, g.inv, g.pw, g.ph = true, m, inv, pw, ph
}

func invert3(m [9]float64) ([9]float64, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	if math.Abs(det) < 1e-15 {
		return [9]float64{}, false
	}
	r := [9]float64{A, -(b*i - c*h), b*f - c*e, B, a*i - c*g, -(a*f - c*d), C, -(a*h - b*g), a*e - b*d}
	for k := range r {
		r[k] /= det
	}
	return r, true
}

// toSource maps a continuous straight-frame pixel position to the source.
// ok is false where the perspective maps it behind the horizon.
func (g *geometry) toSource(x, y float64) (sx, sy float64, ok bool) {
	// undo the fine rotation
	if g.rotated {
		dx, dy := x-float64(g.sw)/2, y-float64(g.sh)/2
		x = dx*g.cos - dy*g.sin + float64(g.qw)/2
		y = dx*g.sin + dy*g.cos + float64(g.qh)/2
	}
	// undo the quarter turns
	pw, ph := float64(g.pw), float64(g.ph)
	switch g.q {
	case 1:
		x, y = pw-y, x
	case 2:
		x, y = pw-x, ph-y
	case 3:
		x, y = y, ph-x
	}
	if !g.persp {
		return x, y, true
	}
	m := &g.hom
	w := m[6]*x + m[7]*y + m[8]
	if w <= 1e-12 {
		return 0, 0, false
	}
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w, true
}

// toStraight maps a continuous source pixel position to the straight frame.
func (g *geometry) toStraight(x, y float64) (sx, sy float64, ok bool) {
	ok = true
	if g.persp {
		m := &g.inv
		w := m[6]*x + m[7]*y + m[8]
		if math.Abs(w) <= 1e-12 {
			return 0, 0, false
		}
		x, y = (m[0]*x+m[1]*y+m[2])/w, (m[3]*x+m[4]*y+m[5])/w
		ok = w > 0
	}
	pw, ph := float64(g.pw), float64(g.ph)
	switch g.q {
	case 1:
		x, y = y, pw-x
	case 2:
		x, y = pw-x, ph-y
	case 3:
		x, y = ph-y, x
	}
	if g.rotated {
		dx, dy := x-float64(g.qw)/2, y-float64(g.qh)/2
		x = dx*g.cos + dy*g.sin + float64(g.sw)/2
		y = -dx*g.sin + dy*g.cos + float64(g.sh)/2
	}
	return x, y, ok
}

// cropRect is the crop in straight pixels (the whole frame when nil).
func (g *geometry) cropRect(c *Rect) image.Rectangle {
	full := image.Rect(0, 0, g.sw, g.sh)
	if c == nil || c.Empty() {
		return full
	}
	r := image.Rect(
		int(math.Round(c.X0*float64(g.sw))), int(math.Round(c.Y0*float64(g.sh))),
		int(math.Round(c.X1*float64(g.sw))), int(math.Round(c.Y1*float64(g.sh))),
	).Intersect(full)
	if r.Dx() < 1 || r.Dy() < 1 {
		// keep at least one pixel where the rectangle is thinner than a pixel
		x0 := min(max(int(c.X0*float64(g.sw)), 0), g.sw-1)
		y0 := min(max(int(c.Y0*float64(g.sh)), 0), g.sh-1)
		r = image.Rect(x0, y0, x0+max(r.Dx(), 1), y0+max(r.Dy(), 1)).Intersect(full)
	}
	return r
}

// redactRect is a redaction in straight pixels, grown to whole pixels so it
// covers every pixel it touches.
func (g *geometry) redactRect(r Rect) image.Rectangle {
	return image.Rect(
		int(math.Floor(r.X0*float64(g.sw))), int(math.Floor(r.Y0*float64(g.sh))),
		int(math.Ceil(r.X1*float64(g.sw))), int(math.Ceil(r.Y1*float64(g.sh))),
	).Intersect(image.Rect(0, 0, g.sw, g.sh))
}

// StraightSize returns the pixel size of the straight frame (after
// perspective, quarter turns and fine rotation, before the crop) for a
// source of srcW×srcH pixels.
func StraightSize(srcW, srcH int, e Edits) (w, h int) {
	g := newGeometry(srcW, srcH, e)
	return g.sw, g.sh
}

// OutputSize returns the pixel size Apply produces for a source of
// srcW×srcH pixels (the straight frame after the crop).
func OutputSize(srcW, srcH int, e Edits) (w, h int) {
	g := newGeometry(srcW, srcH, e)
	r := g.cropRect(e.Crop)
	return r.Dx(), r.Dy()
}

// StraightToSource maps a point of the straight frame to the source frame
// (both normalised) for a source of srcW×srcH pixels. ok is false where the
// perspective has no preimage.
func StraightToSource(p Point, srcW, srcH int, e Edits) (Point, bool) {
	g := newGeometry(srcW, srcH, e)
	x, y, ok := g.toSource(p.X*float64(g.sw), p.Y*float64(g.sh))
	return Point{x / float64(srcW), y / float64(srcH)}, ok
}

// SourceToStraight maps a point of the source frame to the straight frame
// (both normalised) for a source of srcW×srcH pixels.
func SourceToStraight(p Point, srcW, srcH int, e Edits) (Point, bool) {
	g := newGeometry(srcW, srcH, e)
	x, y, ok := g.toStraight(p.X*float64(srcW), p.Y*float64(srcH))
	return Point{x / float64(g.sw), y / float64(g.sh)}, ok
}

// ApplyGeometry returns img with only the geometry of e applied
// (perspective, quarter turns, fine rotation, crop): no redaction, no tone.
// Detectors use it to look at the straight page.
func ApplyGeometry(img image.Image, e Edits) *image.NRGBA {
	src := toNRGBA(img)
	g := newGeometry(src.Rect.Dx(), src.Rect.Dy(), e)
	return g.warp(src, g.cropRect(e.Crop))
}

// toNRGBA returns img as an *image.NRGBA with its origin at (0,0). An
// *image.NRGBA already at the origin is returned as is (it is only read).
func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	return imaging.Clone(img)
}

// parallelRows runs f over [0,h) split in bands, one per CPU.
func parallelRows(h int, f func(y0, y1 int)) {
	n := runtime.GOMAXPROCS(0)
	if n > h/16 {
		n = max(1, h/16)
	}
	if n <= 1 {
		f(0, h)
		return
	}
	var wg sync.WaitGroup
	step := (h + n - 1) / n
	for y := 0; y < h; y += step {
		y0, y1 := y, min(y+step, h)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(y0, y1)
		}()
	}
	wg.Wait()
}

// warp renders the crop rectangle (straight pixels) of the straight frame.
func (g *geometry) warp(src *image.NRGBA, crop image.Rectangle) *image.NRGBA {
	w, h := crop.Dx(), crop.Dy()
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	if !g.persp && !g.rotated {
		g.copyTurned(src, dst, crop)
		return dst
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	// Without perspective the map is affine: step it along each row.
	var ax0, ay0, axx, ayx, axy, ayy float64
	if !g.persp {
		ox, oy := float64(crop.Min.X)+0.5, float64(crop.Min.Y)+0.5
		ax0, ay0, _ = g.toSource(ox, oy)
		x1, y1, _ := g.toSource(ox+1, oy)
		x2, y2, _ := g.toSource(ox, oy+1)
		axx, ayx, axy, ayy = x1-ax0, y1-ay0, x2-ax0, y2-ay0
	}
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				var sx, sy float64
				ok := true
				if g.persp {
					sx, sy, ok = g.toSource(float64(crop.Min.X+x)+0.5, float64(crop.Min.Y+y)+0.5)
				} else {
					fx, fy := float64(x), float64(y)
					sx, sy = ax0+axx*fx+axy*fy, ay0+ayx*fx+ayy*fy
				}
				o := row[4*x : 4*x+4 : 4*x+4]
				if !ok || sx < 0 || sy < 0 || sx > float64(sw) || sy > float64(sh) {
					o[0], o[1], o[2], o[3] = 255, 255, 255, 255
					continue
				}
				bilinear(src, sx-0.5, sy-0.5, o)
			}
		}
	})
	return dst
}

// bilinear samples src at the pixel-index position (fx, fy), clamping at
// the edges, into o. Weights are 8-bit fixed point.
func bilinear(src *image.NRGBA, fx, fy float64, o []byte) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	x0f, y0f := math.Floor(fx), math.Floor(fy)
	ax, ay := int32((fx-x0f)*256+0.5), int32((fy-y0f)*256+0.5)
	x0, y0 := int(x0f), int(y0f)
	x1, y1 := min(max(x0+1, 0), w-1), min(max(y0+1, 0), h-1)
	x0, y0 = min(max(x0, 0), w-1), min(max(y0, 0), h-1)
	r0, r1 := src.Pix[y0*src.Stride:], src.Pix[y1*src.Stride:]
	p00, p10 := r0[4*x0:4*x0+4:4*x0+4], r0[4*x1:4*x1+4:4*x1+4]
	p01, p11 := r1[4*x0:4*x0+4:4*x0+4], r1[4*x1:4*x1+4:4*x1+4]
	for c := 0; c < 4; c++ {
		top := int32(p00[c])*(256-ax) + int32(p10[c])*ax
		bot := int32(p01[c])*(256-ax) + int32(p11[c])*ax
		o[c] = uint8((top*(256-ay) + bot*ay + 32768) >> 16)
	}
}

// copyTurned is warp for quarter turns and crop only: an exact copy.
func (g *geometry) copyTurned(src, dst *image.NRGBA, crop image.Rectangle) {
	w, h := crop.Dx(), crop.Dy()
	pw, ph := g.pw, g.ph
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			sy := crop.Min.Y + y
			drow := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			if g.q == 0 {
				copy(drow, src.Pix[sy*src.Stride+4*crop.Min.X:])
				continue
			}
			for x := 0; x < w; x++ {
				sx := crop.Min.X + x
				var ix, iy int
				switch g.q {
				case 1:
					ix, iy = pw-1-sy, sx
				case 2:
					ix, iy = pw-1-sx, ph-1-sy
				case 3:
					ix, iy = sy, ph-1-sx
				}
				copy(drow[4*x:4*x+4], src.Pix[iy*src.Stride+4*ix:])
			}
		}
	})
}
