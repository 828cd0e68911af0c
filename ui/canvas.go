package ui

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/viewer"
)

// Tool says what a primary-button drag on the ECG canvas does.
type Tool int

const (
	ToolPan         Tool = iota // drag moves the page
	ToolCrop                    // drag draws the crop rectangle
	ToolRedact                  // drag draws a redaction box
	ToolPerspective             // drag moves the nearest paper corner
	ToolOverlay                 // drags go to the registered pointer tool (calipers)
)

// Mapping converts between a normalised frame (the one the canvas shows) and
// widget coordinates. Overlays use it to place their objects.
type Mapping interface {
	// ToWidget maps a frame point to a position inside the canvas widget.
	ToWidget(p viewer.Point) fyne.Position
	// ToFrame maps a widget position to the frame (may fall outside 0..1).
	ToFrame(pos fyne.Position) viewer.Point
	// FramePixels is the full-resolution pixel size of the frame shown.
	FramePixels() image.Point
	// Zoom is widget units per full-resolution frame pixel.
	Zoom() float32
}

// Overlay draws above the page in the straight frame (calipers, markers).
// Objects is called on the UI goroutine whenever the view changes.
type Overlay interface {
	Objects(m Mapping) []fyne.CanvasObject
}

// PointerTool receives primary-button drags in ToolOverlay mode, in frame
// coordinates. It returns true from PointerDown to claim the drag.
type PointerTool interface {
	PointerDown(p viewer.Point) bool
	PointerDrag(p viewer.Point)
	PointerUp(p viewer.Point)
}

// ECGCanvas shows one page (a preview proxy) with its crop box, redactions,
// perspective handles and registered overlays. It supports fit, zoom
// (Ctrl+wheel, +/-, 1:1) and pan (middle drag, space+drag, or the pan tool).
//
// Every method must be called on the UI goroutine (inside fyne.Do from other
// goroutines).
type ECGCanvas struct {
	widget.BaseWidget

	img       image.Image // proxy image covering imgRegion of the frame
	imgRegion viewer.Rect
	frame     image.Point // full-resolution size of the frame shown
	zoom      float32     // widget units per frame pixel
	offset    fyne.Position
	fit       bool
	size      fyne.Size

	tool       Tool
	crop       *viewer.Rect
	redactions []viewer.Rect
	quad       *[4]viewer.Point // shown in ToolPerspective (source frame)
	rubber     *viewer.Rect
	message    string

	overlays []Overlay
	pointer  PointerTool

	// drag state
	button     desktop.MouseButton
	dragging   bool
	dragStart  fyne.Position
	dragTool   Tool
	quadCorner int
	spaceDown  bool

	// OnCrop is called when a rubber-band crop is finished (straight frame).
	OnCrop func(viewer.Rect)
	// OnRedact is called when a redaction box is drawn (straight frame).
	OnRedact func(viewer.Rect)
	// OnQuad is called when a perspective corner was moved (source frame).
	OnQuad func([4]viewer.Point)
	// OnView is called when the zoom, pan or widget size changed, so a
	// fresh proxy can be rendered for the visible region at this size.
	OnView func(visible viewer.Rect, pixels image.Point)
	// OnZoom reports the zoom as a percentage of full resolution.
	OnZoom func(percent float64)
}

// NewECGCanvas returns an empty canvas in fit mode.
func NewECGCanvas() *ECGCanvas {
	c := &ECGCanvas{fit: true, zoom: 1}
	c.ExtendBaseWidget(c)
	return c
}

// SetFrame sets the full-resolution size of the frame that will be shown and
// clears the image. Keeps the view when the size is unchanged.
func (c *ECGCanvas) SetFrame(px image.Point) {
	if px == c.frame {
		return
	}
	c.frame = px
	c.img = nil
	if c.fit {
		c.fitView()
	} else {
		c.clampView()
	}
	c.Refresh()
	c.notifyView()
}

// SetImage shows img, a rendering of region of the frame.
func (c *ECGCanvas) SetImage(img image.Image, region viewer.Rect) {
	c.img = img
	c.imgRegion = region
	c.Refresh()
}

// Image returns the image shown now (for tests and screenshots).
func (c *ECGCanvas) Image() image.Image { return c.img }

// SetMessage shows a short line of text over the page (empty hides it).
func (c *ECGCanvas) SetMessage(s string) { c.message = s; c.Refresh() }

// SetTool chooses what primary drags do.
func (c *ECGCanvas) SetTool(t Tool) { c.tool = t; c.rubber = nil; c.Refresh() }

// CurrentTool returns the active tool.
func (c *ECGCanvas) CurrentTool() Tool { return c.tool }

// SetMarks sets the crop box, redactions and the perspective quad to draw.
func (c *ECGCanvas) SetMarks(crop *viewer.Rect, redactions []viewer.Rect, quad *[4]viewer.Point) {
	c.crop = crop
	c.redactions = append([]viewer.Rect(nil), redactions...)
	c.quad = quad
	c.Refresh()
}

// AddOverlay registers an overlay drawn above the page.
func (c *ECGCanvas) AddOverlay(o Overlay) { c.overlays = append(c.overlays, o); c.Refresh() }

// SetPointerTool sets the tool that receives drags in ToolOverlay mode.
func (c *ECGCanvas) SetPointerTool(t PointerTool) { c.pointer = t }

// Mapping returns the current frame ↔ widget mapping.
func (c *ECGCanvas) Mapping() Mapping { return canvasMapping{c.zoom, c.offset, c.frame} }

type canvasMapping struct {
	zoom   float32
	offset fyne.Position
	frame  image.Point
}

func (m canvasMapping) ToWidget(p viewer.Point) fyne.Position {
	return fyne.NewPos(m.offset.X+float32(p.X)*float32(m.frame.X)*m.zoom, m.offset.Y+float32(p.Y)*float32(m.frame.Y)*m.zoom)
}

func (m canvasMapping) ToFrame(pos fyne.Position) viewer.Point {
	if m.frame.X == 0 || m.frame.Y == 0 || m.zoom == 0 {
		return viewer.Point{}
	}
	return viewer.Point{
		X: float64((pos.X - m.offset.X) / (float32(m.frame.X) * m.zoom)),
		Y: float64((pos.Y - m.offset.Y) / (float32(m.frame.Y) * m.zoom)),
	}
}

func (m canvasMapping) FramePixels() image.Point { return m.frame }
func (m canvasMapping) Zoom() float32            { return m.zoom }

// Fit scales the page to the widget and centres it.
func (c *ECGCanvas) Fit() {
	c.fit = true
	c.fitView()
	c.Refresh()
	c.notifyView()
}

// ActualSize shows the page at full resolution (one frame pixel per unit).
func (c *ECGCanvas) ActualSize() { c.zoomAround(1, c.centre()) }

// ZoomIn and ZoomOut change the zoom by one step around the centre.
func (c *ECGCanvas) ZoomIn()  { c.zoomAround(c.zoom*1.25, c.centre()) }
func (c *ECGCanvas) ZoomOut() { c.zoomAround(c.zoom/1.25, c.centre()) }

// ZoomPercent is the zoom as a percentage of full resolution.
func (c *ECGCanvas) ZoomPercent() float64 { return float64(c.zoom) * 100 }

// VisibleRegion is the part of the frame in view, clamped to 0..1.
func (c *ECGCanvas) VisibleRegion() viewer.Rect {
	m := c.Mapping()
	a := m.ToFrame(fyne.NewPos(0, 0))
	b := m.ToFrame(fyne.NewPos(c.size.Width, c.size.Height))
	return viewer.Rect{X0: clamp01(a.X), Y0: clamp01(a.Y), X1: clamp01(b.X), Y1: clamp01(b.Y)}
}

func (c *ECGCanvas) centre() fyne.Position { return fyne.NewPos(c.size.Width/2, c.size.Height/2) }

func (c *ECGCanvas) fitView() {
	if c.frame.X == 0 || c.frame.Y == 0 || c.size.Width <= 0 || c.size.Height <= 0 {
		return
	}
	pad := float32(8)
	w, h := c.size.Width-2*pad, c.size.Height-2*pad
	c.zoom = float32(math.Min(float64(w)/float64(c.frame.X), float64(h)/float64(c.frame.Y)))
	if c.zoom <= 0 {
		c.zoom = 0.01
	}
	c.offset = fyne.NewPos((c.size.Width-float32(c.frame.X)*c.zoom)/2, (c.size.Height-float32(c.frame.Y)*c.zoom)/2)
	if c.OnZoom != nil {
		c.OnZoom(c.ZoomPercent())
	}
}

func (c *ECGCanvas) zoomAround(z float32, at fyne.Position) {
	if c.frame.X == 0 {
		return
	}
	z = float32(math.Max(0.02, math.Min(8, float64(z))))
	p := c.Mapping().ToFrame(at)
	c.fit = false
	c.zoom = z
	c.offset = fyne.NewPos(at.X-float32(p.X)*float32(c.frame.X)*z, at.Y-float32(p.Y)*float32(c.frame.Y)*z)
	c.clampView()
	c.Refresh()
	c.notifyView()
	if c.OnZoom != nil {
		c.OnZoom(c.ZoomPercent())
	}
}

// PanBy moves the page by d widget units.
func (c *ECGCanvas) PanBy(dx, dy float32) {
	c.fit = false
	c.offset = c.offset.Add(fyne.NewDelta(dx, dy))
	c.clampView()
	c.Refresh()
	c.notifyView()
}

// clampView keeps at least a quarter of the widget covered by the page.
func (c *ECGCanvas) clampView() {
	w, h := float32(c.frame.X)*c.zoom, float32(c.frame.Y)*c.zoom
	minX, maxX := c.size.Width/4-w, c.size.Width*3/4
	minY, maxY := c.size.Height/4-h, c.size.Height*3/4
	c.offset.X = float32(math.Max(float64(minX), math.Min(float64(maxX), float64(c.offset.X))))
	c.offset.Y = float32(math.Max(float64(minY), math.Min(float64(maxY), float64(c.offset.Y))))
}

func (c *ECGCanvas) notifyView() {
	if c.OnView == nil || c.frame.X == 0 || c.size.Width <= 0 {
		return
	}
	vis := c.VisibleRegion()
	if vis.Empty() {
		return
	}
	scale := float32(1)
	if d := fyne.CurrentApp(); d != nil {
		if w := d.Driver().CanvasForObject(c); w != nil {
			scale = w.Scale()
		}
	}
	px := image.Pt(
		int(math.Ceil(float64(float32(vis.X1-vis.X0)*float32(c.frame.X)*c.zoom*scale))),
		int(math.Ceil(float64(float32(vis.Y1-vis.Y0)*float32(c.frame.Y)*c.zoom*scale))),
	)
	c.OnView(vis, px)
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// --- input ---

// Scrolled zooms with Ctrl held (around the pointer) and pans otherwise.
func (c *ECGCanvas) Scrolled(ev *fyne.ScrollEvent) {
	if ctrlHeld() {
		f := float32(math.Pow(1.0015, float64(ev.Scrolled.DY)))
		c.zoomAround(c.zoom*f, ev.Position)
		return
	}
	c.PanBy(ev.Scrolled.DX, ev.Scrolled.DY)
}

func ctrlHeld() bool {
	a := fyne.CurrentApp()
	if a == nil {
		return false
	}
	if d, ok := a.Driver().(desktop.Driver); ok {
		m := d.CurrentKeyModifiers()
		return m&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
	}
	return false
}

// MouseDown remembers the button, so middle drags pan.
func (c *ECGCanvas) MouseDown(ev *desktop.MouseEvent) {
	c.button = ev.Button
	if a := fyne.CurrentApp(); a != nil {
		if cv := a.Driver().CanvasForObject(c); cv != nil {
			cv.Focus(c)
		}
	}
}

// MouseUp ends a press.
func (c *ECGCanvas) MouseUp(*desktop.MouseEvent) {}

// Dragged handles pan, crop, redaction, perspective and overlay drags.
func (c *ECGCanvas) Dragged(ev *fyne.DragEvent) {
	if !c.dragging {
		c.dragging = true
		c.dragStart = ev.Position.Subtract(ev.Dragged)
		c.dragTool = c.tool
		if c.button == desktop.MouseButtonTertiary || c.spaceDown {
			c.dragTool = ToolPan
		}
		switch c.dragTool {
		case ToolPerspective:
			c.quadCorner = c.nearestCorner(c.dragStart)
		case ToolOverlay:
			if c.pointer == nil || !c.pointer.PointerDown(c.Mapping().ToFrame(c.dragStart)) {
				c.dragTool = ToolPan
			}
		}
	}
	m := c.Mapping()
	switch c.dragTool {
	case ToolPan:
		c.PanBy(ev.Dragged.DX, ev.Dragged.DY)
	case ToolCrop, ToolRedact:
		r := normRect(m.ToFrame(c.dragStart), m.ToFrame(ev.Position))
		c.rubber = &r
		c.Refresh()
	case ToolPerspective:
		if c.quad != nil && c.quadCorner >= 0 {
			q := *c.quad
			p := m.ToFrame(ev.Position)
			q[c.quadCorner] = viewer.Point{X: math.Max(-0.5, math.Min(1.5, p.X)), Y: math.Max(-0.5, math.Min(1.5, p.Y))}
			c.quad = &q
			c.Refresh()
		}
	case ToolOverlay:
		c.pointer.PointerDrag(m.ToFrame(ev.Position))
		c.Refresh()
	}
}

// DragEnd finishes the gesture and reports its result.
func (c *ECGCanvas) DragEnd() {
	if !c.dragging {
		return
	}
	c.dragging = false
	c.button = 0
	switch c.dragTool {
	case ToolCrop, ToolRedact:
		r := c.rubber
		c.rubber = nil
		c.Refresh()
		if r == nil || r.X1-r.X0 < 0.01 || r.Y1-r.Y0 < 0.01 {
			return
		}
		if c.dragTool == ToolCrop && c.OnCrop != nil {
			c.OnCrop(*r)
		}
		if c.dragTool == ToolRedact && c.OnRedact != nil {
			c.OnRedact(*r)
		}
	case ToolPerspective:
		if c.quad != nil && c.OnQuad != nil {
			c.OnQuad(*c.quad)
		}
	case ToolOverlay:
		if c.pointer != nil {
			c.pointer.PointerUp(viewer.Point{})
		}
		c.Refresh()
	}
}

func (c *ECGCanvas) nearestCorner(pos fyne.Position) int {
	if c.quad == nil {
		return -1
	}
	m := c.Mapping()
	best, bestD := -1, float32(math.MaxFloat32)
	for i, p := range c.quad {
		w := m.ToWidget(p)
		d := (w.X-pos.X)*(w.X-pos.X) + (w.Y-pos.Y)*(w.Y-pos.Y)
		if d < bestD {
			best, bestD = i, d
		}
	}
	if bestD > 40*40 {
		return -1
	}
	return best
}

// normRect orders two points into a rectangle clamped to the frame.
func normRect(a, b viewer.Point) viewer.Rect {
	return viewer.Rect{
		X0: clamp01(math.Min(a.X, b.X)), Y0: clamp01(math.Min(a.Y, b.Y)),
		X1: clamp01(math.Max(a.X, b.X)), Y1: clamp01(math.Max(a.Y, b.Y)),
	}
}

// FocusGained, FocusLost, TypedRune, TypedKey, KeyDown and KeyUp make the
// canvas keyboard-aware (space+drag pans; + - 0 1 zoom).
func (c *ECGCanvas) FocusGained() {}
func (c *ECGCanvas) FocusLost()   { c.spaceDown = false }
func (c *ECGCanvas) TypedRune(r rune) {
	switch r {
	case '+', '=':
		c.ZoomIn()
	case '-':
		c.ZoomOut()
	case '0':
		c.Fit()
	case '1':
		c.ActualSize()
	}
}
func (c *ECGCanvas) TypedKey(ev *fyne.KeyEvent) {
	// the overlay tool (calipers) may take keys: arrows nudge its handles
	if k, ok := c.pointer.(interface{ TypedKey(*fyne.KeyEvent) bool }); ok && c.tool == ToolOverlay && k.TypedKey(ev) {
		c.Refresh()
	}
}
func (c *ECGCanvas) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeySpace {
		c.spaceDown = true
	}
}
func (c *ECGCanvas) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeySpace {
		c.spaceDown = false
	}
}

// MinSize is small: the canvas takes whatever room the window gives it.
func (c *ECGCanvas) MinSize() fyne.Size { return fyne.NewSize(200, 150) }

// CreateRenderer draws the page and the marks.
func (c *ECGCanvas) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillStretch
	img.ScaleMode = canvas.ImageScaleSmooth
	msg := canvas.NewText("", theme.Color(theme.ColorNameForeground))
	msg.Alignment = fyne.TextAlignCenter
	msg.TextStyle = fyne.TextStyle{Bold: true}
	msgBg := canvas.NewRectangle(color.NRGBA{R: 255, G: 243, B: 205, A: 235})
	r := &canvasRenderer{c: c, bg: bg, img: img, msg: msg, msgBg: msgBg}
	r.Refresh()
	return r
}

type canvasRenderer struct {
	c       *ECGCanvas
	bg      *canvas.Rectangle
	img     *canvas.Image
	shown   image.Image
	msg     *canvas.Text
	msgBg   *canvas.Rectangle
	objects []fyne.CanvasObject
}

var (
	cropColour    = color.NRGBA{R: 0, G: 120, B: 215, A: 255}
	dimColour     = color.NRGBA{A: 110}
	redactColour  = color.NRGBA{A: 255}
	handleColour  = color.NRGBA{R: 230, G: 120, B: 0, A: 255}
	rubberOutline = color.NRGBA{R: 0, G: 120, B: 215, A: 255}
)

func (r *canvasRenderer) Destroy() {}

func (r *canvasRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *canvasRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *canvasRenderer) Layout(size fyne.Size) {
	c := r.c
	if size != c.size {
		c.size = size
		if c.fit {
			c.fitView()
		} else {
			c.clampView()
		}
		r.build()
		c.notifyView()
		return
	}
	r.build()
}

func (r *canvasRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.build()
	canvas.Refresh(r.c)
}

// build lays out every object for the current state.
func (r *canvasRenderer) build() {
	c := r.c
	m := c.Mapping()
	r.bg.Resize(c.size)
	r.bg.Move(fyne.NewPos(0, 0))
	objs := []fyne.CanvasObject{r.bg}
	if c.img != nil && c.frame.X > 0 {
		if r.shown != c.img {
			r.img.Image = c.img
			r.shown = c.img
			r.img.Refresh()
		}
		a := m.ToWidget(viewer.Point{X: c.imgRegion.X0, Y: c.imgRegion.Y0})
		b := m.ToWidget(viewer.Point{X: c.imgRegion.X1, Y: c.imgRegion.Y1})
		r.img.Move(a)
		r.img.Resize(fyne.NewSize(b.X-a.X, b.Y-a.Y))
		objs = append(objs, r.img)
	}
	rect := func(rr viewer.Rect, fill, stroke color.Color, width float32) fyne.CanvasObject {
		o := canvas.NewRectangle(fill)
		o.StrokeColor = stroke
		o.StrokeWidth = width
		a := m.ToWidget(viewer.Point{X: rr.X0, Y: rr.Y0})
		b := m.ToWidget(viewer.Point{X: rr.X1, Y: rr.Y1})
		o.Move(a)
		o.Resize(fyne.NewSize(b.X-a.X, b.Y-a.Y))
		return o
	}
	if c.frame.X > 0 && c.tool != ToolPerspective {
		for _, red := range c.redactions {
			objs = append(objs, rect(red, redactColour, nil, 0))
		}
		if cr := c.crop; cr != nil {
			// dim what the crop leaves out, then outline the crop
			for _, d := range []viewer.Rect{
				{X0: 0, Y0: 0, X1: 1, Y1: cr.Y0}, {X0: 0, Y0: cr.Y1, X1: 1, Y1: 1},
				{X0: 0, Y0: cr.Y0, X1: cr.X0, Y1: cr.Y1}, {X0: cr.X1, Y0: cr.Y0, X1: 1, Y1: cr.Y1},
			} {
				if !d.Empty() {
					objs = append(objs, rect(d, dimColour, nil, 0))
				}
			}
			objs = append(objs, rect(*cr, color.Transparent, cropColour, 2))
		}
		for _, o := range c.overlays {
			objs = append(objs, o.Objects(m)...)
		}
	}
	if c.tool == ToolPerspective && c.quad != nil {
		for i := range c.quad {
			a, b := m.ToWidget(c.quad[i]), m.ToWidget(c.quad[(i+1)%4])
			l := canvas.NewLine(handleColour)
			l.StrokeWidth = 2
			l.Position1, l.Position2 = a, b
			objs = append(objs, l)
		}
		for _, p := range c.quad {
			w := m.ToWidget(p)
			h := canvas.NewCircle(color.NRGBA{R: 255, G: 255, B: 255, A: 200})
			h.StrokeColor = handleColour
			h.StrokeWidth = 3
			h.Move(w.Subtract(fyne.NewPos(9, 9)))
			h.Resize(fyne.NewSize(18, 18))
			objs = append(objs, h)
		}
	}
	if c.rubber != nil {
		fill := color.Color(color.NRGBA{R: 0, G: 120, B: 215, A: 40})
		if c.dragTool == ToolRedact {
			fill = color.NRGBA{A: 160}
		}
		objs = append(objs, rect(*c.rubber, fill, rubberOutline, 1))
	}
	if c.message != "" {
		r.msg.Text = c.message
		r.msg.Color = color.NRGBA{R: 90, G: 60, B: 0, A: 255}
		ms := r.msg.MinSize()
		bw := ms.Width + 24
		r.msgBg.Resize(fyne.NewSize(bw, ms.Height+12))
		r.msgBg.Move(fyne.NewPos((c.size.Width-bw)/2, c.size.Height-ms.Height-24))
		r.msg.Resize(fyne.NewSize(bw, ms.Height))
		r.msg.Move(fyne.NewPos((c.size.Width-bw)/2, c.size.Height-ms.Height-18))
		r.msg.Refresh()
		objs = append(objs, r.msgBg, r.msg)
	}
	r.objects = objs
}
