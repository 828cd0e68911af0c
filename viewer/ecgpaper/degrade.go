package ecgpaper

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"github.com/disintegration/imaging"
)

// Degradation describes how a clean page is spoiled, as a scan or a photo
// would spoil it. Every field's zero value leaves the page alone.
type Degradation struct {
	// RotateDeg turns the content by this angle, positive counter-clockwise
	// on screen. The canvas grows to keep the whole page; new area is white.
	RotateDeg float64 `json:"rotate_deg"`
	// Perspective moves each corner of the page by up to this fraction of
	// the shorter side, at random (a phone held off-square).
	Perspective float64 `json:"perspective"`
	Noise       float64 `json:"noise"`        // standard deviation of Gaussian noise, in 0-255 levels
	Blur        float64 `json:"blur"`         // Gaussian blur sigma, pixels
	JPEGQuality int     `json:"jpeg_quality"` // 1-100: the page goes through JPEG at this quality
	PaperTint   float64 `json:"paper_tint"`   // 0-1: how far the paper is toned towards cream
	Gray        bool    `json:"gray"`         // a black-and-white copy: colour becomes luminance
	Seed        uint64  `json:"seed"`         // seeds the noise and the perspective corners
}

// DegradeTruth maps pixel coordinates of the clean page (Truth
// coordinates) to the degraded image.
type DegradeTruth struct {
	RotateDeg float64    `json:"rotate_deg"`
	H         [9]float64 `json:"homography"` // row-major 3x3, clean -> degraded
	Width     int        `json:"width"`
	Height    int        `json:"height"`
	// Corners are where the clean page's corners (top-left, top-right,
	// bottom-right, bottom-left) land.
	Corners [4][2]float64 `json:"corners"`
}

// Map maps a point of the clean page to the degraded image.
func (d DegradeTruth) Map(x, y float64) (float64, float64) {
	h := d.H
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// MapRect is the bounding box of a clean-page rectangle in the degraded image.
func (d DegradeTruth) MapRect(r Rect) Rect {
	out := Rect{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range [][2]float64{{r.X0, r.Y0}, {r.X1, r.Y0}, {r.X1, r.Y1}, {r.X0, r.Y1}} {
		x, y := d.Map(p[0], p[1])
		out.X0, out.Y0 = math.Min(out.X0, x), math.Min(out.Y0, y)
		out.X1, out.Y1 = math.Max(out.X1, x), math.Max(out.Y1, y)
	}
	return out
}

// Identity reports whether the mapping leaves coordinates unchanged.
func (d DegradeTruth) Identity() bool {
	return d.H == [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
}

// Degrade returns a spoiled copy of img and the mapping of its coordinates.
// It is deterministic for a given Seed. img is not modified.
func Degrade(img image.Image, d Degradation) (*image.NRGBA, DegradeTruth, error) {
	src := toNRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if w == 0 || h == 0 {
		return nil, DegradeTruth{}, fmt.Errorf("degrade: empty image")
	}
	if math.IsNaN(d.RotateDeg) || math.Abs(d.RotateDeg) > 360 || !(d.Perspective >= 0 && d.Perspective <= 0.25) ||
		!(d.Noise >= 0 && d.Noise <= 255) || !(d.Blur >= 0 && d.Blur <= 50) || d.JPEGQuality < 0 || d.JPEGQuality > 100 ||
		!(d.PaperTint >= 0 && d.PaperTint <= 1) {
		return nil, DegradeTruth{}, fmt.Errorf("degrade: parameters out of range (%+v)", d)
	}
	rng := rand.New(rand.NewPCG(d.Seed, d.Seed^0x9e3779b97f4a7c15))
	out := src
	if d.PaperTint > 0 {
		out = tint(out, d.PaperTint)
	}
	if d.Gray {
		out = gray(out)
	}
	dt := DegradeTruth{RotateDeg: d.RotateDeg, H: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, Width: w, Height: h}
	if d.RotateDeg != 0 || d.Perspective > 0 {
		H, ow, oh := geometry(w, h, d, rng)
		if ow*oh > MaxPixels {
			return nil, DegradeTruth{}, fmt.Errorf("degrade: output of %dx%d pixels is too large", ow, oh)
		}
		out = warp(out, H, ow, oh)
		dt.H, dt.Width, dt.Height = H, ow, oh
	}
	for i, c := range [][2]float64{{0, 0}, {float64(w), 0}, {float64(w), float64(h)}, {0, float64(h)}} {
		dt.Corners[i][0], dt.Corners[i][1] = dt.Map(c[0], c[1])
	}
	if d.Blur > 0 {
		out = imaging.Blur(out, d.Blur)
	}
	if d.Noise > 0 {
		if out == src {
			out = imaging.Clone(src)
		}
		for i := 0; i < len(out.Pix); i += 4 {
			n := rng.NormFloat64() * d.Noise
			for c := 0; c < 3; c++ {
				if c > 0 && !d.Gray { // a grey copy has the same noise in every channel
					n = rng.NormFloat64() * d.Noise
				}
				v := float64(out.Pix[i+c]) + n
				out.Pix[i+c] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
		}
	}
	if d.JPEGQuality > 0 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: d.JPEGQuality}); err != nil {
			return nil, DegradeTruth{}, fmt.Errorf("degrade: JPEG: %w", err)
		}
		j, err := jpeg.Decode(&buf)
		if err != nil {
			return nil, DegradeTruth{}, fmt.Errorf("degrade: JPEG: %w", err)
		}
		out = toNRGBA(j)
	}
	if out == src && src == img {
		out = imaging.Clone(src)
	}
	return out, dt, nil
}

func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

func tint(src *image.NRGBA, s float64) *image.NRGBA {
	out := imaging.Clone(src)
	cream := [3]float64{247, 236, 208}
	for i := 0; i < len(out.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			f := 1 - s*(1-cream[c]/255)
			out.Pix[i+c] = uint8(float64(out.Pix[i+c])*f + 0.5)
		}
	}
	return out
}

func gray(src *image.NRGBA) *image.NRGBA {
	out := imaging.Clone(src)
	for i := 0; i < len(out.Pix); i += 4 {
		y := uint8((299*uint32(out.Pix[i]) + 587*uint32(out.Pix[i+1]) + 114*uint32(out.Pix[i+2]) + 500) / 1000)
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = y, y, y
	}
	return out
}

// geometry builds the clean -> degraded homography and the output size.
func geometry(w, h int, d Degradation, rng *rand.Rand) ([9]float64, int, int) {
	th := d.RotateDeg * math.Pi / 180
	cs, sn := math.Cos(th), math.Sin(th)
	fw, fh := float64(w), float64(h)
	// Rotation about the centre, positive counter-clockwise on screen (y down).
	rw := math.Abs(fw*cs) + math.Abs(fh*sn)
	rh := math.Abs(fw*sn) + math.Abs(fh*cs)
	cx, cy := fw/2, fh/2
	R := [9]float64{
		cs, sn, rw/2 - cs*cx - sn*cy,
		-sn, cs, rh/2 + sn*cx - cs*cy,
		0, 0, 1,
	}
	if d.Perspective <= 0 {
		ow, oh := int(math.Ceil(rw-1e-9)), int(math.Ceil(rh-1e-9))
		return R, ow, oh
	}
	// Jitter the corners of the rotated canvas, then shift into view.
	j := d.Perspective * math.Min(rw, rh)
	srcQ := [4][2]float64{{0, 0}, {rw, 0}, {rw, rh}, {0, rh}}
	var dstQ [4][2]float64
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, c := range srcQ {
		dstQ[i] = [2]float64{c[0] + (rng.Float64()*2-1)*j, c[1] + (rng.Float64()*2-1)*j}
		minX, minY = math.Min(minX, dstQ[i][0]), math.Min(minY, dstQ[i][1])
		maxX, maxY = math.Max(maxX, dstQ[i][0]), math.Max(maxY, dstQ[i][1])
	}
	for i := range dstQ {
		dstQ[i][0] -= minX
		dstQ[i][1] -= minY
	}
	P := quadToQuad(srcQ, dstQ)
	return mul3(P, R), int(math.Ceil(maxX - minX)), int(math.Ceil(maxY - minY))
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}

func inv3(m [9]float64) [9]float64 {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	return [9]float64{
		A / det, -(b*i - c*h) / det, (b*f - c*e) / det,
		B / det, (a*i - c*g) / det, -(a*f - c*d) / det,
		C / det, -(a*h - b*g) / det, (a*e - b*d) / det,
	}
}

// squareToQuad maps the unit square onto a quad (Heckbert).
func squareToQuad(q [4][2]float64) [9]float64 {
	x0, y0, x1, y1, x2, y2, x3, y3 := q[0][0], q[0][1], q[1][0], q[1][1], q[2][0], q[2][1], q[3][0], q[3][1]
	sx := x0 - x1 + x2 - x3
	sy := y0 - y1 + y2 - y3
	if math.Abs(sx) < 1e-12 && math.Abs(sy) < 1e-12 {
		return [9]float64{x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0, 0, 1}
	}
	dx1, dx2 := x1-x2, x3-x2
	dy1, dy2 := y1-y2, y3-y2
	den := dx1*dy2 - dx2*dy1
	g := (sx*dy2 - dx2*sy) / den
	h := (dx1*sy - sx*dy1) / den
	return [9]float64{
		x1 - x0 + g*x1, x3 - x0 + h*x3, x0,
		y1 - y0 + g*y1, y3 - y0 + h*y3, y0,
		g, h, 1,
	}
}

// quadToQuad is the homography taking quad a onto quad b.
func quadToQuad(a, b [4][2]float64) [9]float64 {
	return mul3(squareToQuad(b), inv3(squareToQuad(a)))
}

// warp resamples src through H (src -> dst) into a white ow x oh canvas,
// bilinearly.
func warp(src *image.NRGBA, H [9]float64, ow, oh int) *image.NRGBA {
	inv := inv3(H)
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	sp, stride := src.Pix, src.Stride
	var white = [4]uint8{255, 255, 255, 255}
	px := func(x, y int) []uint8 {
		if x < 0 || y < 0 || x >= sw || y >= sh {
			return white[:]
		}
		return sp[y*stride+4*x : y*stride+4*x+4]
	}
	for y := 0; y < oh; y++ {
		py := float64(y) + 0.5
		// Homogeneous source coordinates of pixel centre (0.5, py), stepped along x.
		hx := inv[0]*0.5 + inv[1]*py + inv[2]
		hy := inv[3]*0.5 + inv[4]*py + inv[5]
		hz := inv[6]*0.5 + inv[7]*py + inv[8]
		o := out.Pix[y*out.Stride : y*out.Stride+4*ow]
		for x := 0; x < ow; x, hx, hy, hz = x+1, hx+inv[0], hy+inv[3], hz+inv[6] {
			u := hx/hz - 0.5
			v := hy/hz - 0.5
			d := o[4*x : 4*x+4]
			if u < -1 || v < -1 || u > float64(sw) || v > float64(sh) {
				d[0], d[1], d[2], d[3] = 255, 255, 255, 255
				continue
			}
			x0, y0 := int(math.Floor(u)), int(math.Floor(v))
			fx, fy := u-float64(x0), v-float64(y0)
			var p00, p10, p01, p11 []uint8
			if x0 >= 0 && y0 >= 0 && x0+1 < sw && y0+1 < sh {
				i := y0*stride + 4*x0
				p00, p10 = sp[i:i+4], sp[i+4:i+8]
				p01, p11 = sp[i+stride:i+stride+4], sp[i+stride+4:i+stride+8]
			} else {
				p00, p10, p01, p11 = px(x0, y0), px(x0+1, y0), px(x0, y0+1), px(x0+1, y0+1)
			}
			w00, w10 := (1-fx)*(1-fy), fx*(1-fy)
			w01, w11 := (1-fx)*fy, fx*fy
			for c := 0; c < 3; c++ {
				d[c] = uint8(float64(p00[c])*w00 + float64(p10[c])*w10 + float64(p01[c])*w01 + float64(p11[c])*w11 + 0.5)
			}
			d[3] = 255
		}
	}
	return out
}
