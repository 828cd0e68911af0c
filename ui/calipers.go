package ui

import (
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
)

// CaliperMode says what a new caliper measures.
type CaliperMode int

const (
	CaliperTime      CaliperMode = iota // two vertical legs: milliseconds (and bpm for RR)
	CaliperAmplitude                    // two horizontal legs: millivolts
)

// Caliper is one caliper on the page, in the straight frame.
type Caliper struct {
	Mode CaliperMode
	// Kind names a time caliper (interval, RR, PR, QRS, QT).
	Kind calipers.Kind
	// Label names an amplitude caliper ("ST V2").
	Label string
	// A and B are the two legs. A time caliper's crossbar runs at A.Y; an
	// amplitude caliper's at A.X.
	A, B viewer.Point
	// Intervals is how many intervals the caliper spans (mean of N).
	Intervals int
	// March repeats the interval across the page.
	March bool
}

// Measure turns the caliper into a measurement on the scale.
func (c Caliper) Measure(s calipers.Scale) (calipers.Measurement, error) {
	if c.Mode == CaliperAmplitude {
		return s.Amplitude(c.Label, c.A, c.B)
	}
	kind := c.Kind
	if kind == "" {
		kind = calipers.KindInterval
	}
	return s.Interval(kind, c.A, c.B, c.Intervals)
}

// CaliperOverlay draws calipers over the ECG canvas and moves them: it is
// both the canvas Overlay and its PointerTool. A drag on empty page places a
// new caliper of the current mode; a drag on a leg moves that leg; a drag on
// the crossbar moves the whole caliper. Arrow keys nudge what was dragged
// last by one screen pixel (ten with Shift).
//
// All methods run on the UI goroutine.
type CaliperOverlay struct {
	scale    calipers.Scale
	list     []*Caliper
	mode     CaliperMode
	kind     calipers.Kind
	selected int // index in list, -1 for none
	leg      int // 0 = A, 1 = B, 2 = the whole caliper
	grabbed  bool
	grabAt   viewer.Point
	grabA    viewer.Point
	grabB    viewer.Point
	lastMap  Mapping

	// OnChange is called after a caliper was placed, moved, nudged or removed.
	OnChange func()
}

// NewCaliperOverlay returns an overlay with no calipers, placing time
// calipers.
func NewCaliperOverlay() *CaliperOverlay {
	return &CaliperOverlay{selected: -1, kind: calipers.KindInterval}
}

// SetScale sets the calibration the values are measured with.
func (o *CaliperOverlay) SetScale(s calipers.Scale) { o.scale = s }

// Scale is the calibration in use.
func (o *CaliperOverlay) Scale() calipers.Scale { return o.scale }

// SetMode chooses what a new caliper measures and, for time, its kind.
func (o *CaliperOverlay) SetMode(m CaliperMode, kind calipers.Kind) {
	o.mode = m
	if kind == "" {
		kind = calipers.KindInterval
	}
	o.kind = kind
}

// Calipers returns copies of the calipers on the page.
func (o *CaliperOverlay) Calipers() []Caliper {
	out := make([]Caliper, len(o.list))
	for i, c := range o.list {
		out[i] = *c
	}
	return out
}

// SetCalipers replaces the calipers (for a reopened case).
func (o *CaliperOverlay) SetCalipers(cs []Caliper) {
	o.list = o.list[:0]
	for _, c := range cs {
		c := c
		o.list = append(o.list, &c)
	}
	o.selected = len(o.list) - 1
}

// Selected returns the selected caliper's index, or -1.
func (o *CaliperOverlay) Selected() int { return o.selected }

// Select makes caliper i the selected one (leg B for nudging).
func (o *CaliperOverlay) Select(i int) {
	if i >= 0 && i < len(o.list) {
		o.selected, o.leg = i, 1
	}
}

// Update changes caliper i with f (for kind, label, intervals, marching).
func (o *CaliperOverlay) Update(i int, f func(*Caliper)) {
	if i < 0 || i >= len(o.list) {
		return
	}
	f(o.list[i])
	o.normalise(o.list[i])
	o.changed()
}

// Remove deletes caliper i.
func (o *CaliperOverlay) Remove(i int) {
	if i < 0 || i >= len(o.list) {
		return
	}
	o.list = append(o.list[:i], o.list[i+1:]...)
	if o.selected >= len(o.list) {
		o.selected = len(o.list) - 1
	}
	o.changed()
}

// Clear removes every caliper.
func (o *CaliperOverlay) Clear() {
	o.list, o.selected = nil, -1
	o.changed()
}

// Measurements are the calipers' values on the current scale, in order;
// calipers that cannot be measured (no scale) are left out.
func (o *CaliperOverlay) Measurements() []calipers.Measurement {
	var out []calipers.Measurement
	for _, c := range o.list {
		if m, err := c.Measure(o.scale); err == nil {
			out = append(out, m)
		}
	}
	return out
}

func (o *CaliperOverlay) changed() {
	if o.OnChange != nil {
		o.OnChange()
	}
}

// grabRadius is how close (widget units) a press must be to a leg to take it.
const grabRadius = 10

// PointerDown takes the leg or crossbar under p, or starts a new caliper.
func (o *CaliperOverlay) PointerDown(p viewer.Point) bool {
	o.grabbed = true
	o.grabAt = p
	if i, leg, ok := o.hit(p); ok {
		o.selected, o.leg = i, leg
		o.grabA, o.grabB = o.list[i].A, o.list[i].B
		return true
	}
	c := &Caliper{Mode: o.mode, Kind: o.kind, A: p, B: p}
	if o.mode == CaliperAmplitude {
		c.Kind = calipers.KindAmplitude
	}
	o.list = append(o.list, c)
	o.selected, o.leg = len(o.list)-1, 1
	o.grabA, o.grabB = c.A, c.B
	return true
}

// PointerDrag moves what PointerDown took.
func (o *CaliperOverlay) PointerDrag(p viewer.Point) {
	if !o.grabbed || o.selected < 0 || o.selected >= len(o.list) {
		return
	}
	c := o.list[o.selected]
	switch o.leg {
	case 0:
		c.A = p
	case 1:
		c.B = p
	default:
		d := viewer.Point{X: p.X - o.grabAt.X, Y: p.Y - o.grabAt.Y}
		c.A = viewer.Point{X: o.grabA.X + d.X, Y: o.grabA.Y + d.Y}
		c.B = viewer.Point{X: o.grabB.X + d.X, Y: o.grabB.Y + d.Y}
	}
	o.normalise(c)
}

// PointerUp ends the drag; a caliper left with no length is dropped.
func (o *CaliperOverlay) PointerUp(viewer.Point) {
	if !o.grabbed {
		return
	}
	o.grabbed = false
	if o.selected >= 0 && o.selected < len(o.list) {
		c := o.list[o.selected]
		if c.A == c.B {
			o.list = append(o.list[:o.selected], o.list[o.selected+1:]...)
			o.selected = len(o.list) - 1
			return
		}
	}
	o.changed()
}

// Nudge moves the selected leg (or the whole caliper) by dx, dy widget
// units at the current zoom.
func (o *CaliperOverlay) Nudge(dx, dy float32) bool {
	if o.selected < 0 || o.selected >= len(o.list) {
		return false
	}
	fx, fy := o.unitsToFrame(dx, dy)
	c := o.list[o.selected]
	move := func(p *viewer.Point) { p.X += fx; p.Y += fy }
	switch o.leg {
	case 0:
		move(&c.A)
	case 1:
		move(&c.B)
	default:
		move(&c.A)
		move(&c.B)
	}
	o.normalise(c)
	o.changed()
	return true
}

// TypedKey nudges the leg (or caliper) last dragged with the arrow keys
// (Shift for ten steps) and deletes the selected caliper with Delete. It
// returns true when it used the key.
func (o *CaliperOverlay) TypedKey(ev *fyne.KeyEvent) bool {
	step := float32(1)
	if shiftHeld() {
		step = 10
	}
	switch ev.Name {
	case fyne.KeyLeft:
		return o.Nudge(-step, 0)
	case fyne.KeyRight:
		return o.Nudge(step, 0)
	case fyne.KeyUp:
		return o.Nudge(0, -step)
	case fyne.KeyDown:
		return o.Nudge(0, step)
	case fyne.KeyDelete, fyne.KeyBackspace:
		if o.selected < 0 {
			return false
		}
		o.Remove(o.selected)
		return true
	}
	return false
}

// normalise keeps a time caliper's legs on one crossbar and an amplitude
// caliper's legs on one vertical.
func (o *CaliperOverlay) normalise(c *Caliper) {
	if c.Mode == CaliperAmplitude {
		c.B.X = c.A.X
	} else {
		c.B.Y = c.A.Y
	}
}

func (o *CaliperOverlay) unitsToFrame(dx, dy float32) (float64, float64) {
	m := o.lastMap
	if m == nil || m.Zoom() <= 0 || m.FramePixels().X == 0 || m.FramePixels().Y == 0 {
		return float64(dx) / 1000, float64(dy) / 1000
	}
	px := m.FramePixels()
	return float64(dx / m.Zoom() / float32(px.X)), float64(dy / m.Zoom() / float32(px.Y))
}

// hit finds the caliper leg (0, 1) or crossbar (2) under p.
func (o *CaliperOverlay) hit(p viewer.Point) (int, int, bool) {
	rx, ry := o.unitsToFrame(grabRadius, grabRadius)
	for i := len(o.list) - 1; i >= 0; i-- {
		c := o.list[i]
		if c.Mode == CaliperAmplitude {
			inX := math.Abs(p.X-c.A.X) <= legLengthFrame(o, true)
			switch {
			case inX && math.Abs(p.Y-c.A.Y) <= ry:
				return i, 0, true
			case inX && math.Abs(p.Y-c.B.Y) <= ry:
				return i, 1, true
			case math.Abs(p.X-c.A.X) <= rx && between(p.Y, c.A.Y, c.B.Y):
				return i, 2, true
			}
			continue
		}
		inY := math.Abs(p.Y-c.A.Y) <= legLengthFrame(o, false)
		switch {
		case inY && math.Abs(p.X-c.A.X) <= rx:
			return i, 0, true
		case inY && math.Abs(p.X-c.B.X) <= rx:
			return i, 1, true
		case math.Abs(p.Y-c.A.Y) <= ry && between(p.X, c.A.X, c.B.X):
			return i, 2, true
		}
	}
	return 0, 0, false
}

// legHalf is half the drawn length of a caliper leg, in widget units.
const legHalf = 60

func legLengthFrame(o *CaliperOverlay, horizontal bool) float64 {
	fx, fy := o.unitsToFrame(legHalf, legHalf)
	if horizontal {
		return fx
	}
	return fy
}

func between(v, a, b float64) bool { return v >= math.Min(a, b) && v <= math.Max(a, b) }

var (
	caliperColour    = color.NRGBA{R: 0, G: 90, B: 200, A: 255}
	caliperSelColour = color.NRGBA{R: 200, G: 0, B: 120, A: 255}
	marchColour      = color.NRGBA{R: 0, G: 90, B: 200, A: 110}
	labelBg          = color.NRGBA{R: 255, G: 255, B: 255, A: 225}
	unconfirmedInk   = color.NRGBA{R: 170, G: 80, B: 0, A: 255}
)

// Label is the text drawn next to caliper i: its value and the resolution
// at the current zoom, or why it has no value.
func (o *CaliperOverlay) Label(i int) string {
	if i < 0 || i >= len(o.list) {
		return ""
	}
	c := o.list[i]
	zoom := 1.0
	if o.lastMap != nil {
		zoom = float64(o.lastMap.Zoom())
	}
	res := calipers.Resolution(o.scale.Calibration, zoom)
	m, err := c.Measure(o.scale)
	if err != nil {
		return "no scale: calibrate first"
	}
	text := m.Name() + " " + m.ValueText()
	if c.Mode == CaliperTime {
		if m.Intervals > 1 {
			text += fmt.Sprintf(" (mean of %d)", m.Intervals)
		}
		if m.Kind == calipers.KindRR {
			text += fmt.Sprintf(" · %.0f bpm", calipers.BPM(m.Value))
		}
		text += fmt.Sprintf(" · ±%s ms/px", trimNum(res.MS))
	} else {
		text += fmt.Sprintf(" · ±%s mV/px", trimNum(res.MV))
	}
	if !m.Confirmed {
		text += " · unconfirmed scale"
	}
	return text
}

func trimNum(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// Objects draws the calipers for the canvas.
func (o *CaliperOverlay) Objects(m Mapping) []fyne.CanvasObject {
	o.lastMap = m
	var objs []fyne.CanvasObject
	line := func(a, b fyne.Position, col color.Color, w float32) {
		l := canvas.NewLine(col)
		l.StrokeWidth = w
		l.Position1, l.Position2 = a, b
		objs = append(objs, l)
	}
	for i, c := range o.list {
		col := color.Color(caliperColour)
		if i == o.selected {
			col = caliperSelColour
		}
		a, b := m.ToWidget(c.A), m.ToWidget(c.B)
		var labelAt fyne.Position
		if c.Mode == CaliperAmplitude {
			line(fyne.NewPos(a.X-legHalf, a.Y), fyne.NewPos(a.X+legHalf, a.Y), col, 2)
			line(fyne.NewPos(b.X-legHalf, b.Y), fyne.NewPos(b.X+legHalf, b.Y), col, 2)
			line(a, b, col, 1.5)
			labelAt = fyne.NewPos(a.X+legHalf+6, (a.Y+b.Y)/2-10)
		} else {
			if c.March {
				for _, x := range calipers.March(c.A, c.B, 0, 1) {
					if x == math.Min(c.A.X, c.B.X) || x == math.Max(c.A.X, c.B.X) {
						continue
					}
					p := m.ToWidget(viewer.Point{X: x, Y: c.A.Y})
					line(fyne.NewPos(p.X, p.Y-legHalf), fyne.NewPos(p.X, p.Y+legHalf), marchColour, 1.5)
				}
			}
			line(fyne.NewPos(a.X, a.Y-legHalf), fyne.NewPos(a.X, a.Y+legHalf), col, 2)
			line(fyne.NewPos(b.X, b.Y-legHalf), fyne.NewPos(b.X, b.Y+legHalf), col, 2)
			line(a, b, col, 1.5)
			labelAt = fyne.NewPos(float32(math.Min(float64(a.X), float64(b.X))), a.Y-legHalf-20)
		}
		text := canvas.NewText(o.Label(i), col)
		text.TextSize = 13
		text.TextStyle = fyne.TextStyle{Bold: true}
		if !o.scale.Confirmed {
			text.Color = unconfirmedInk
		}
		sz := text.MinSize()
		bg := canvas.NewRectangle(labelBg)
		bg.CornerRadius = 3
		bg.Move(labelAt.Subtract(fyne.NewPos(3, 1)))
		bg.Resize(fyne.NewSize(sz.Width+6, sz.Height+2))
		text.Move(labelAt)
		text.Resize(sz)
		objs = append(objs, bg, text)
	}
	return objs
}

func shiftHeld() bool {
	a := fyne.CurrentApp()
	if a == nil {
		return false
	}
	if d, ok := a.Driver().(interface {
		CurrentKeyModifiers() fyne.KeyModifier
	}); ok {
		return d.CurrentKeyModifiers()&fyne.KeyModifierShift != 0
	}
	return false
}
