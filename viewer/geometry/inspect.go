package geometry

import (
	"image"
	"math"

	"pulsedesk/viewer"
)

// Report is what Inspect learns about a page: its size, skew, grid scale,
// where the traces are, what is wrong with it, and the edits it suggests.
type Report struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	// SkewDegrees is the angle by which the content is turned, positive
	// counter-clockwise on screen; the correcting rotation is its negative.
	// It is measured after the perspective correction, when one is suggested.
	SkewDegrees    float64 `json:"skew_degrees"`
	SkewConfidence float64 `json:"skew_confidence"`
	// PxPerMM is the mean grid scale of the straight frame; nil when no grid
	// was found.
	PxPerMM        *float64  `json:"px_per_mm"`
	PxPerMMX       *float64  `json:"px_per_mm_x"`
	PxPerMMY       *float64  `json:"px_per_mm_y"`
	GridFound      bool      `json:"grid_found"`
	GridColor      string    `json:"grid_color"`
	GridStyle      GridStyle `json:"grid_style"`
	GridConfidence float64   `json:"grid_confidence"`
	// Calibration is the grid scale as a viewer calibration (source "grid",
	// confirmed when the confidence is high); source "" without a grid.
	Calibration viewer.Calibration `json:"calibration"`
	// TraceBox is [x0, y0, x1, y1] in pixels of the straight frame of
	// SuggestedEdits (the page after perspective and rotation, before the
	// crop); all zero when no trace was found.
	TraceBox [4]int `json:"trace_box"`
	// PaperQuad is the page outline found in a photo (source frame,
	// normalised), when one was found.
	PaperQuad *[4]viewer.Point `json:"paper_quad,omitempty"`
	// Warnings holds the warning codes; WarningDetails the full warnings.
	Warnings       []string     `json:"warnings"`
	WarningDetails []Warning    `json:"warning_details"`
	SuggestedEdits viewer.Edits `json:"suggested_edits"`
	TraceRows      int          `json:"trace_rows"`
	_              struct{}     `json:"-"`
	layout         traceLayout  // traces in the reduced straight page
	sourceLayout   traceLayout  // traces in the source
	grid           Grid
}

// Grid returns the grid found on the page.
func (r Report) Grid() Grid { return r.grid }

// minSkewToFix is the smallest skew worth a rotation.
const minSkewToFix = 0.05

// Inspect measures a page: perspective (photos with a visible page edge),
// skew, grid and scale, the trace box, quality warnings, and suggested edits
// (straighten, crop to the traces, auto-levels; never grid suppression).
func Inspect(img image.Image) Report {
	b := img.Bounds()
	rep := Report{Width: b.Dx(), Height: b.Dy(), SuggestedEdits: viewer.NewEdits(), Warnings: []string{}, WarningDetails: []Warning{}}
	if b.Dx() < 16 || b.Dy() < 16 {
		rep.WarningDetails = warningsFor(Grid{}, traceLayout{}, traceLayout{}, 0, 0)
		rep.Warnings = codes(rep.WarningDetails)
		return rep
	}
	pl := newPlanes(img)
	work, wpl := img, pl
	if quad, ok, _ := detectPaperQuad(pl); ok {
		q := quad
		rep.PaperQuad = &q
		rep.SuggestedEdits.Perspective = &q
		work = viewer.ApplyGeometry(img, viewer.Edits{Version: viewer.EditsVersion, Perspective: &q})
		wpl = newPlanes(work)
	}
	deg, conf := skewPlanes(wpl)
	rep.SkewDegrees, rep.SkewConfidence = round(deg, 3), round(conf, 3)
	if conf > 0.2 && math.Abs(deg) >= minSkewToFix {
		rep.SuggestedEdits.Rotation = round(-deg, 3)
	}
	g := detectGridPlanes(work, wpl, deg)
	rep.grid = g
	rep.GridFound = g.Found
	rep.GridColor, rep.GridStyle, rep.GridConfidence = g.Color, g.Style, round(g.Confidence, 3)
	rep.Calibration = g.Calibration()
	if g.Found {
		m, x, y := round(g.PxPerMM(), 4), round(g.PxPerMMX, 4), round(g.PxPerMMY, 4)
		rep.PxPerMM, rep.PxPerMMX, rep.PxPerMMY = &m, &x, &y
	}
	// Traces in the source (border cuts) and in the straight frame (the box
	// and the crop). The mask is made on the crisp source, each mask pixel
	// set when any page pixel of its block is dark, so thin traces survive.
	geom := rep.SuggestedEdits
	geom.Crop, geom.AutoLevels = nil, false
	w, h := b.Dx(), b.Dy()
	fw, fh := viewer.StraightSize(w, h, geom)
	var lay traceLayout
	tm, mmPx := traceMaskFor(pl, g)
	if tm != nil {
		rep.sourceLayout = analyzeMask(tm, mmPx, w, h)
		lay = rep.sourceLayout
	}
	switch {
	case tm == nil || geom.IsIdentity():
	case geom.Perspective == nil:
		// Turns and rotation are affine: turn the mask into the straight
		// frame (resampling the image would thin the traces away).
		at := func(x, y float64) (float64, float64) {
			p, _ := viewer.StraightToSource(viewer.Point{X: x / float64(fw), Y: y / float64(fh)}, w, h, geom)
			return p.X * float64(w), p.Y * float64(h)
		}
		ox, oy := at(0, 0)
		ax, ay := at(1, 0)
		bx, by := at(0, 1)
		k := float64(tm.f)
		inv := func(x, y float64) (float64, float64) {
			x, y = x*k, y*k
			return (ox + (ax-ox)*x + (bx-ox)*y) / k, (oy + (ay-oy)*x + (by-oy)*y) / k
		}
		rtm := tm.warp((fw+tm.f-1)/tm.f, (fh+tm.f-1)/tm.f, inv)
		lay = analyzeMask(rtm, mmPx, fw, fh)
	default:
		// A perspective warp: look at a reduced straight copy that keeps
		// the darkest pixel of each block.
		f := factorFor(w, h, 1200)
		sg := g
		sg.PxPerMMX, sg.PxPerMMY = g.PxPerMMX/float64(f), g.PxPerMMY/float64(f)
		straight := viewer.ApplyGeometry(reduceDarkest(pl, f), geom)
		sw, sh := straight.Rect.Dx(), straight.Rect.Dy()
		lay = findTraces(newPlanes(straight), sg)
		kx, ky := float64(fw)/float64(sw), float64(fh)/float64(sh)
		lay.box = image.Rect(int(math.Floor(float64(lay.box.Min.X)*kx)), int(math.Floor(float64(lay.box.Min.Y)*ky)),
			int(math.Ceil(float64(lay.box.Max.X)*kx)), int(math.Ceil(float64(lay.box.Max.Y)*ky))).Intersect(image.Rect(0, 0, fw, fh))
	}
	rep.layout = lay
	rep.TraceRows = lay.rows
	if lay.found {
		crop := cropFor(lay, fw, fh, g.PxPerMM())
		rep.SuggestedEdits.Crop = &crop
		rep.TraceBox = [4]int{lay.box.Min.X, lay.box.Min.Y, lay.box.Max.X, lay.box.Max.Y}
	}
	rep.SuggestedEdits.AutoLevels = needsLevels(pl)
	residual := 0.0
	if rep.SuggestedEdits.Rotation == 0 && conf > 0.2 {
		residual = deg
	}
	rep.WarningDetails = warningsFor(g, lay, rep.sourceLayout, residual, conf)
	rep.Warnings = codes(rep.WarningDetails)
	return rep
}

// AutoEnhance proposes edits for a page: perspective (a photo with a visible
// page edge), straightening (Rotation = -skew, measured after the
// perspective), a crop to the traces (measured in the straight frame) and
// auto-levels when the page is dull. Grid suppression stays off: PULSE was
// trained on printouts with their grid.
func AutoEnhance(img image.Image) (viewer.Edits, Report) {
	r := Inspect(img)
	return r.SuggestedEdits, r
}

// needsLevels reports whether the page's tones leave much of the range
// unused (a grey cast, faint print).
func needsLevels(pl *planes) bool {
	var hist [256]int
	n := 0
	step := max(1, len(pl.lo)/300000)
	for i := 0; i < len(pl.lo); i += step {
		hist[(int(pl.lo[i])+int(pl.hi[i]))/2]++
		n++
	}
	if n == 0 {
		return false
	}
	lo, hi, c := 0, 255, 0
	for v := 0; v < 256; v++ {
		c += hist[v]
		if c > n/200 {
			lo = v
			break
		}
	}
	c = 0
	for v := 255; v >= 0; v-- {
		c += hist[v]
		if c > n/200 {
			hi = v
			break
		}
	}
	return lo > 40 || hi < 225
}

// reduceDarkest shrinks the page by an integer factor keeping, in each
// block, the darkest pixel's strongest channel and its weakest for the
// other two, so the planes of the result are those of the darkest pixels.
func reduceDarkest(pl *planes, f int) *image.NRGBA {
	w, h := max(1, pl.w/f), max(1, pl.h/f)
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	parallelRows(h, func(y0, y1 int) { reduceRows(pl, f, out, y0, y1) })
	return out
}

func reduceRows(pl *planes, f int, out *image.NRGBA, y0, y1 int) {
	w := out.Rect.Dx()
	for y := y0; y < y1; y++ {
		for x := 0; x < w; x++ {
			best, bl, bh, bd := 1<<30, uint8(255), uint8(255), uint8(0)
			for dy := 0; dy < f && y*f+dy < pl.h; dy++ {
				i := (y*f+dy)*pl.w + x*f
				for dx := 0; dx < f && x*f+dx < pl.w; dx++ {
					l, hv := pl.lo[i+dx], pl.hi[i+dx]
					if s := int(l) + int(hv); s < best {
						best, bl, bh, bd = s, l, hv, pl.dom[i+dx]
					}
				}
			}
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = bl, bl, bl, 255
			out.Pix[o+int(bd)] = bh
		}
	}
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
