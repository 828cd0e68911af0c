package ecgpaper

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// gridPalette is the minor and major line colour of a grid.
type gridPalette struct{ minor, major color.NRGBA }

var gridPalettes = map[GridColor]gridPalette{
	GridRed:   {color.NRGBA{250, 188, 188, 255}, color.NRGBA{232, 118, 118, 255}},
	GridGreen: {color.NRGBA{188, 228, 188, 255}, color.NRGBA{104, 184, 104, 255}},
	GridBlue:  {color.NRGBA{188, 208, 244, 255}, color.NRGBA{104, 146, 222, 255}},
	GridGray:  {color.NRGBA{206, 206, 206, 255}, color.NRGBA{150, 150, 150, 255}},
}

var (
	paperColor = color.NRGBA{255, 255, 255, 255}
	inkColor   = color.NRGBA{0, 0, 0, 255}
	textColor  = color.NRGBA{20, 20, 20, 255}
)

// Line widths of the grid in millimetres, and their minimum in pixels.
const (
	minorLineMM = 0.10
	majorLineMM = 0.20
	dotMM       = 0.25
	minMinorPx  = 0.8
	minMajorPx  = 1.2
)

// MaxPixels bounds the size of a rendered page (an A4 page at 600 DPI has
// about 35 million pixels).
const MaxPixels = 40_000_000

// Render draws a record on ECG paper and returns the page with its exact
// geometry.
func Render(rec *Record, opt Options) (*image.NRGBA, *Truth, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", recName(rec), err)
	}
	p, err := layoutPage(rec, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", recName(rec), err)
	}
	ppm := opt.DPI / 25.4
	w, h := PagePixels(p.wMM, opt.DPI), PagePixels(p.hMM, opt.DPI)
	if w*h > MaxPixels {
		return nil, nil, fmt.Errorf("render %s: %dx%d pixels at %g DPI is more than %d", recName(rec), w, h, opt.DPI, MaxPixels)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	t := p.truth(ppm, w, h)
	drawGrid(img, p, ppm)
	if err := drawTexts(img, p, ppm, t); err != nil {
		return nil, nil, fmt.Errorf("render %s: %w", recName(rec), err)
	}
	drawTraces(img, p, ppm, t)
	t.InkBox = t.TraceBox
	for _, pn := range t.Panels {
		t.InkBox = t.InkBox.Union(pn.LabelBox)
	}
	return img, t, nil
}

// PagePixels is the number of pixels a page edge of mm millimetres has at
// dpi, rounded as MuPDF rounds a page's bounds, so a PDF page rendered by
// MuPDF and Render at the same DPI have the same size.
func PagePixels(mm, dpi float64) int {
	return int(math.Ceil(mm*dpi/25.4 - 0.001))
}

// PageSizePt is the size of a paper in points (1/72 inch), landscape.
func PageSizePt(p Paper) (w, h float64) {
	wm, hm := PageSizeMM(p)
	return wm * 72 / 25.4, hm * 72 / 25.4
}

func recName(rec *Record) string {
	if rec == nil {
		return "record"
	}
	if rec.Name == "" {
		return "record"
	}
	return "record " + rec.Name
}

// truth converts the millimetre layout into pixel geometry (the boxes that
// depend on rasterisation are filled in while drawing).
func (p *page) truth(ppm float64, w, h int) *Truth {
	o := p.opt
	t := &Truth{
		Record: p.rec.Name, Fs: p.rec.Fs, DPI: o.DPI, PxPerMM: ppm,
		SpeedMMPerS: o.SpeedMMPerS, GainMMPerMV: o.GainMMPerMV,
		Width: w, Height: h, PageWidthMM: p.wMM, PageHeight: p.hMM,
		Layout: p.layoutName, GridColor: string(o.Grid), GridStyle: string(o.GridStyle),
		TraceWPx: traceWidthPx(o, ppm),
	}
	if o.Grid != GridNone {
		t.GridBox = Rect{p.gridX0 * ppm, p.gridY0 * ppm, p.gridX1 * ppm, p.gridY1 * ppm}
	}
	for _, pn := range p.panels {
		t.Panels = append(t.Panels, Panel{
			Lead: pn.lead, LeadIndex: pn.leadIndex, Row: pn.row, Col: pn.col, Rhythm: pn.rhythm,
			Box: Rect{pn.x0 * ppm, pn.top * ppm, pn.x1 * ppm, pn.bot * ppm},
			X0:  pn.x0 * ppm, BaselineY: pn.baseline * ppm, T0: pn.t0, T1: pn.t1,
			StartSample: pn.s0, EndSample: pn.s1, OffsetMV: pn.offsetMV,
		})
	}
	for _, pu := range p.pulses {
		t.Pulses = append(t.Pulses, Pulse{
			Row: pu.row, X0: pu.x0 * ppm, RiseX: pu.up * ppm, FallX: pu.down * ppm, X1: pu.x1 * ppm,
			BaselineY: pu.baseline * ppm, TopY: pu.top * ppm,
		})
	}
	return t
}

func traceWidthPx(o Options, ppm float64) float64 {
	return math.Max(o.TraceWidthMM*ppm, 1)
}

// overlap is the length of [a0,a1) ∩ [b0,b1).
func overlap(a0, a1, b0, b1 float64) float64 {
	return math.Max(0, math.Min(a1, b1)-math.Max(a0, b0))
}

// lineCoverage returns, for each of n pixels, how much of it lines of width
// wd centred at start + k*step (k = 0..count) cover.
func lineCoverage(n int, start, step float64, count int, every int, wd float64) []float32 {
	cov := make([]float32, n)
	for k := 0; k <= count; k++ {
		if every > 1 && k%every != 0 {
			continue
		}
		c := start + float64(k)*step
		a, b := c-wd/2, c+wd/2
		for i := max(int(math.Floor(a)), 0); i < n && float64(i) < b; i++ {
			cov[i] = float32(math.Min(1, float64(cov[i])+overlap(float64(i), float64(i+1), a, b)))
		}
	}
	return cov
}

func spanCoverage(n int, a, b float64) []float32 {
	cov := make([]float32, n)
	for i := range cov {
		cov[i] = float32(overlap(float64(i), float64(i+1), a, b))
	}
	return cov
}

func drawGrid(img *image.NRGBA, p *page, ppm float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	pal, hasGrid := gridPalettes[p.opt.Grid]
	// Paper.
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = paperColor.R, paperColor.G, paperColor.B, 255
		}
	}
	if !hasGrid {
		return
	}
	gx0, gy0 := p.gridX0*ppm, p.gridY0*ppm
	nx := int(math.Round(p.gridX1 - p.gridX0))
	ny := int(math.Round(p.gridY1 - p.gridY0))
	minorW := math.Max(minorLineMM*ppm, minMinorPx)
	majorW := math.Max(majorLineMM*ppm, minMajorPx)
	colMajor := lineCoverage(w, gx0, ppm, nx, 5, majorW)
	rowMajor := lineCoverage(h, gy0, ppm, ny, 5, majorW)
	var colMinor, rowMinor []float32
	dots := p.opt.GridStyle == GridDots
	switch p.opt.GridStyle {
	case GridLines:
		colMinor = lineCoverage(w, gx0, ppm, nx, 1, minorW)
		rowMinor = lineCoverage(h, gy0, ppm, ny, 1, minorW)
	case GridDots:
		dw := math.Max(dotMM*ppm, 1.2)
		colMinor = lineCoverage(w, gx0, ppm, nx, 1, dw)
		rowMinor = lineCoverage(h, gy0, ppm, ny, 1, dw)
	}
	colIn := spanCoverage(w, gx0-majorW/2, p.gridX1*ppm+majorW/2)
	rowIn := spanCoverage(h, gy0-majorW/2, p.gridY1*ppm+majorW/2)
	blend := func(dst []uint8, c color.NRGBA, a float32) {
		if a <= 0 {
			return
		}
		if a > 1 {
			a = 1
		}
		dst[0] = uint8(float32(dst[0])*(1-a) + float32(c.R)*a + 0.5)
		dst[1] = uint8(float32(dst[1])*(1-a) + float32(c.G)*a + 0.5)
		dst[2] = uint8(float32(dst[2])*(1-a) + float32(c.B)*a + 0.5)
	}
	// Rows crossed by no horizontal line are all alike: draw one, copy it.
	var plain []uint8
	for y := 0; y < h; y++ {
		if rowIn[y] == 0 {
			continue
		}
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		isPlain := rowIn[y] == 1 && rowMajor[y] == 0 && (rowMinor == nil || rowMinor[y] == 0)
		if isPlain && plain != nil {
			copy(row, plain)
			continue
		}
		if isPlain {
			plain = row
		}
		for x := 0; x < w; x++ {
			if colIn[x] == 0 {
				continue
			}
			in := colIn[x] * rowIn[y]
			var cm float32
			if colMinor != nil {
				if dots {
					cm = colMinor[x] * rowMinor[y]
				} else {
					cm = 1 - (1-colMinor[x])*(1-rowMinor[y])
				}
			}
			cM := 1 - (1-colMajor[x])*(1-rowMajor[y])
			px := row[4*x : 4*x+4]
			blend(px, pal.minor, cm*in)
			blend(px, pal.major, cM*in)
		}
	}
}

var (
	fontOnce sync.Once
	fontGo   *sfnt.Font
	fontErr  error
)

func textFont() (*sfnt.Font, error) {
	fontOnce.Do(func() { fontGo, fontErr = opentype.Parse(goregular.TTF) })
	return fontGo, fontErr
}

// textBox measures a text in mm at its em size.
func textFace(sizePx float64) (font.Face, error) {
	f, err := textFont()
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: sizePx, DPI: 72, Hinting: font.HintingNone})
}

func drawTexts(img *image.NRGBA, p *page, ppm float64, t *Truth) error {
	faces := map[float64]font.Face{}
	defer func() {
		for _, f := range faces {
			f.Close()
		}
	}()
	src := image.NewUniform(textColor)
	labels := 0
	for _, tx := range p.texts {
		face, ok := faces[tx.size]
		if !ok {
			var err error
			face, err = textFace(tx.size * ppm)
			if err != nil {
				return err
			}
			faces[tx.size] = face
		}
		d := &font.Drawer{Dst: img, Src: src, Face: face, Dot: fixed.Point26_6{X: fixed.Int26_6(tx.x * ppm * 64), Y: fixed.Int26_6(tx.y * ppm * 64)}}
		b, _ := d.BoundString(tx.s)
		box := Rect{float64(b.Min.X) / 64, float64(b.Min.Y) / 64, float64(b.Max.X) / 64, float64(b.Max.Y) / 64}
		d.DrawString(tx.s)
		if tx.header {
			t.HeaderBox = t.HeaderBox.Union(box)
		} else if labels < len(t.Panels) {
			t.Panels[labels].LabelBox = box
			labels++
		}
	}
	return nil
}

// coverage is an anti-aliased ink mask that records where it was touched.
type coverage struct {
	w, h               int
	a                  []uint8
	bx0, by0, bx1, by1 int // touched pixels, [bx0,bx1) x [by0,by1)
}

func (c *coverage) resetBox() { c.bx0, c.by0, c.bx1, c.by1 = math.MaxInt, math.MaxInt, 0, 0 }

func (c *coverage) box() Rect {
	if c.bx1 <= c.bx0 {
		return Rect{}
	}
	return Rect{float64(c.bx0), float64(c.by0), float64(c.bx1), float64(c.by1)}
}

// capsule inks the segment (ax,ay)-(bx,by) drawn with half width hw.
func (c *coverage) capsule(ax, ay, bx, by, hw float64) {
	r := hw + 0.5
	x0 := max(int(math.Floor(math.Min(ax, bx)-r)), 0)
	x1 := min(int(math.Ceil(math.Max(ax, bx)+r)), c.w)
	y0 := max(int(math.Floor(math.Min(ay, by)-r)), 0)
	y1 := min(int(math.Ceil(math.Max(ay, by)+r)), c.h)
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	scale := 1.0
	if hw < 0.5 {
		scale = 2 * hw
	}
	for y := y0; y < y1; y++ {
		py := float64(y) + 0.5
		for x := x0; x < x1; x++ {
			px := float64(x) + 0.5
			u := 0.0
			if l2 > 0 {
				u = ((px-ax)*dx + (py-ay)*dy) / l2
				u = math.Max(0, math.Min(1, u))
			}
			qx, qy := ax+u*dx-px, ay+u*dy-py
			d := math.Sqrt(qx*qx + qy*qy)
			cv := (hw + 0.5 - d) * scale
			if cv <= 0 {
				continue
			}
			v := uint8(math.Min(cv, 1)*255 + 0.5)
			if v == 0 {
				continue
			}
			i := y*c.w + x
			if v > c.a[i] {
				c.a[i] = v
			}
			c.bx0, c.bx1 = min(c.bx0, x), max(c.bx1, x+1)
			c.by0, c.by1 = min(c.by0, y), max(c.by1, y+1)
		}
	}
}

func (c *coverage) polyline(pts [][2]float64, hw float64) {
	if len(pts) == 1 {
		c.capsule(pts[0][0], pts[0][1], pts[0][0], pts[0][1], hw)
	}
	for i := 1; i < len(pts); i++ {
		c.capsule(pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1], hw)
	}
}

// panelPolylines returns the pixel polylines of a panel's trace (a NaN
// sample breaks the line).
func panelPolylines(rec *Record, t *Truth, i int, scale float64) [][][2]float64 {
	pn := t.Panels[i]
	mv := rec.Leads[pn.LeadIndex].MV
	var out [][][2]float64
	var cur [][2]float64
	for s := pn.StartSample; s < pn.EndSample; s++ {
		v := mv[s]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		x, y := t.PanelPoint(i, float64(s)/t.Fs, v)
		cur = append(cur, [2]float64{x * scale, y * scale})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func pulsePolyline(pu Pulse, scale float64) [][2]float64 {
	pts := [][2]float64{
		{pu.X0, pu.BaselineY}, {pu.RiseX, pu.BaselineY}, {pu.RiseX, pu.TopY},
		{pu.FallX, pu.TopY}, {pu.FallX, pu.BaselineY}, {pu.X1, pu.BaselineY},
	}
	for i := range pts {
		pts[i][0] *= scale
		pts[i][1] *= scale
	}
	return pts
}

func drawTraces(img *image.NRGBA, p *page, ppm float64, t *Truth) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cov := &coverage{w: w, h: h, a: make([]uint8, w*h)}
	cov.resetBox()
	hw := t.TraceWPx / 2
	for _, pu := range t.Pulses {
		cov.polyline(pulsePolyline(pu, 1), hw)
	}
	pulseBox := cov.box()
	cov.resetBox()
	for i := range t.Panels {
		for _, pl := range panelPolylines(p.rec, t, i, 1) {
			cov.polyline(pl, hw)
		}
	}
	t.SignalBox = cov.box()
	t.TraceBox = pulseBox.Union(t.SignalBox)
	box := t.TraceBox.Image()
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			a := cov.a[y*w+x]
			if a == 0 {
				continue
			}
			px := img.Pix[y*img.Stride+4*x : y*img.Stride+4*x+4]
			af := uint32(a)
			px[0] = uint8((uint32(px[0])*(255-af) + uint32(inkColor.R)*af + 127) / 255)
			px[1] = uint8((uint32(px[1])*(255-af) + uint32(inkColor.G)*af + 127) / 255)
			px[2] = uint8((uint32(px[2])*(255-af) + uint32(inkColor.B)*af + 127) / 255)
		}
	}
}
