package ui

import (
	"fmt"
	"image"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
)

// caliperRig is an ECG canvas of a 2000×1000 px straight frame at 8 px/mm
// shown at exactly 0.5 widget units per frame pixel, with the caliper overlay.
func caliperRig(t *testing.T, confirmed bool) (fyne.Window, *ECGCanvas, *CaliperOverlay) {
	t.Helper()
	a := test.NewTempApp(t)
	c := NewECGCanvas()
	w := a.NewWindow("calipers")
	w.SetPadded(false)
	w.SetContent(c)
	w.Resize(fyne.NewSize(1016, 516))
	c.SetFrame(image.Pt(2000, 1000))
	c.Fit()
	if math.Abs(float64(c.Mapping().Zoom())-0.5) > 1e-6 {
		t.Fatalf("zoom %v, want 0.5", c.Mapping().Zoom())
	}
	o := NewCaliperOverlay()
	o.SetScale(calipers.NewScale(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationGrid, Confidence: 0.97, Confirmed: confirmed}, 2000, 1000))
	c.AddOverlay(o)
	c.SetPointerTool(o)
	c.SetTool(ToolOverlay)
	return w, c, o
}

// drag moves the pointer from one widget position to another on the canvas.
func drag(w fyne.Window, c *ECGCanvas, from, to fyne.Position) {
	abs := c.Position().Add(to)
	test.Drag(w.Canvas(), abs, to.X-from.X, to.Y-from.Y)
}

func TestCaliperPlaceByDragAndRead(t *testing.T) {
	w, c, o := caliperRig(t, true)
	m := c.Mapping()
	// An RR caliper: 100 widget units = 200 frame px = 25 mm = 1000 ms.
	o.SetMode(CaliperTime, calipers.KindRR)
	from := m.ToWidget(viewer.Point{X: 0.2, Y: 0.5})
	drag(w, c, from, from.Add(fyne.NewPos(100, 3)))
	cs := o.Calipers()
	if len(cs) != 1 {
		t.Fatalf("%d calipers after one drag", len(cs))
	}
	ms := o.Measurements()
	if len(ms) != 1 || ms[0].Kind != calipers.KindRR {
		t.Fatalf("measurements %+v", ms)
	}
	if math.Abs(ms[0].Value-1000) > 0.5 {
		t.Errorf("RR = %.2f ms, want 1000", ms[0].Value)
	}
	label := o.Label(0)
	// At 0.5 units per px one unit is 2 frame px = 0.25 mm = 10 ms.
	for _, want := range []string{"RR 1000 ms", "60 bpm", "±10 ms/px"} {
		if !strings.Contains(label, want) {
			t.Errorf("label %q lacks %q", label, want)
		}
	}
	if strings.Contains(label, "unconfirmed") {
		t.Errorf("confirmed scale labelled %q", label)
	}
	// The label is drawn on the canvas.
	if !strings.Contains(test.RenderObjectToMarkup(c), "RR 1000 ms") {
		t.Error("the caliper value is not drawn on the canvas")
	}

	// Drag the right leg 20 units further: 1200 ms.
	right := m.ToWidget(o.Calipers()[0].B)
	drag(w, c, right, right.Add(fyne.NewPos(20, 0)))
	if got := o.Measurements()[0].Value; math.Abs(got-1200) > 0.5 {
		t.Errorf("after moving the leg RR = %.2f, want 1200", got)
	}
	if len(o.Calipers()) != 1 {
		t.Fatalf("moving a leg made a new caliper")
	}
	// Drag the crossbar: the whole caliper moves, the value stays.
	mid := m.ToWidget(viewer.Point{X: (o.Calipers()[0].A.X + o.Calipers()[0].B.X) / 2, Y: o.Calipers()[0].A.Y})
	drag(w, c, mid, mid.Add(fyne.NewPos(40, 30)))
	moved := o.Calipers()[0]
	if math.Abs(moved.A.X-0.24) > 1e-3 || math.Abs(o.Measurements()[0].Value-1200) > 0.5 {
		t.Errorf("after moving the caliper A=%v RR=%.2f", moved.A, o.Measurements()[0].Value)
	}

	// Keyboard: one arrow step moves the selected leg one unit (10 ms).
	o.Select(0)
	o.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if got := o.Measurements()[0].Value; math.Abs(got-1210) > 0.5 {
		t.Errorf("after a right nudge RR = %.2f, want 1210", got)
	}
	o.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	o.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if got := o.Measurements()[0].Value; math.Abs(got-1190) > 0.5 {
		t.Errorf("after two left nudges RR = %.2f, want 1190", got)
	}

	// An amplitude caliper: 40 units up = 80 px = 10 mm = 1 mV.
	o.SetMode(CaliperAmplitude, "")
	start := m.ToWidget(viewer.Point{X: 0.7, Y: 0.6})
	drag(w, c, start, start.Add(fyne.NewPos(2, -40)))
	ms = o.Measurements()
	if len(ms) != 2 || ms[1].Unit != calipers.UnitMV || math.Abs(ms[1].Value-1) > 0.01 {
		t.Fatalf("amplitude %+v", ms)
	}
	if !strings.Contains(o.Label(1), "1.00 mV") || !strings.Contains(o.Label(1), "mV/px") {
		t.Errorf("amplitude label %q", o.Label(1))
	}
	if line := calipers.ContextLine(ms); !strings.Contains(line, "RR 1190 ms") || !strings.Contains(line, "amplitude 1.00 mV") {
		t.Errorf("context line %q", line)
	}
}

func TestCaliperUnconfirmedAndZoom(t *testing.T) {
	w, c, o := caliperRig(t, false)
	o.SetMode(CaliperTime, calipers.KindQT)
	from := c.Mapping().ToWidget(viewer.Point{X: 0.4, Y: 0.3})
	drag(w, c, from, from.Add(fyne.NewPos(40, 0)))
	label := o.Label(0)
	if !strings.Contains(label, "QT 400 ms") || !strings.Contains(label, "unconfirmed scale") {
		t.Errorf("label %q", label)
	}
	if calipers.ContextLine(o.Measurements()) != "" {
		t.Error("an unconfirmed caliper reached the model context")
	}
	// Zoom to 1:1: one unit is now one frame pixel = 5 ms; the value stays.
	c.ActualSize()
	test.RenderObjectToMarkup(c)
	if got := o.Label(0); !strings.Contains(got, "QT 400 ms") || !strings.Contains(got, "±5.0 ms/px") {
		t.Errorf("label at 100 %% %q", got)
	}
	// A click without a drag leaves nothing behind; Delete removes.
	o.PointerDown(viewer.Point{X: 0.9, Y: 0.9})
	o.PointerUp(viewer.Point{})
	if len(o.Calipers()) != 1 {
		t.Errorf("a click made a caliper: %d", len(o.Calipers()))
	}
	o.Select(0)
	o.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if len(o.Calipers()) != 0 {
		t.Error("Delete left the caliper")
	}
}

func TestCaliperNoScale(t *testing.T) {
	w, c, o := caliperRig(t, true)
	o.SetScale(calipers.Scale{})
	from := c.Mapping().ToWidget(viewer.Point{X: 0.4, Y: 0.3})
	drag(w, c, from, from.Add(fyne.NewPos(40, 0)))
	if len(o.Measurements()) != 0 || !strings.Contains(o.Label(0), "calibrate") {
		t.Errorf("without a scale: %v %q", o.Measurements(), o.Label(0))
	}
}

func TestCaliperPanelQTcAndManualCalibration(t *testing.T) {
	w, c, o := caliperRig(t, true)
	p := NewCaliperPanel(w, c, o)
	w.SetContent(container.NewHSplit(c, p.Object()))
	w.Resize(fyne.NewSize(1400, 700))
	var saved []calipers.Measurement
	p.OnMeasurements = func(ms []calipers.Measurement) { saved = ms }
	if !strings.Contains(p.QTcText(), "QT and an RR") {
		t.Errorf("QTc text with no calipers %q", p.QTcText())
	}
	c.Fit()
	m := c.Mapping()
	units := func(ms float64) float32 { return float32(ms / 1000 * 25 * 8 * float64(c.Mapping().Zoom())) }
	// RR 600 ms and QT 360 ms, placed by drag with the panel's tool buttons.
	p.SelectTool("RR")
	from := m.ToWidget(viewer.Point{X: 0.2, Y: 0.3})
	drag(w, c, from, from.Add(fyne.NewPos(units(600), 0)))
	m = c.Mapping()
	p.SelectTool("QT")
	from = m.ToWidget(viewer.Point{X: 0.2, Y: 0.6})
	drag(w, c, from, from.Add(fyne.NewPos(units(360), 0)))
	m = c.Mapping()
	text := p.QTcText()
	for _, want := range []string{"QT 360 ms · RR 600 ms (HR 100 bpm)", "Bazett  QT / √RR = 465 ms", "Fridericia", "Framingham", "Hodges  QT + 1.75 × (HR − 60) = 430 ms"} {
		if !strings.Contains(text, want) {
			t.Errorf("QTc panel %q lacks %q", text, want)
		}
	}
	if !strings.Contains(p.qtcText.Text, "Bazett") {
		t.Errorf("QTc panel label not refreshed: %q", p.qtcText.Text)
	}
	p.formula.SetSelected("Fridericia")
	if got := calipers.ContextLine(p.QTcMeasurements()); got != "measured: QTc 427 ms (Fridericia)" {
		t.Errorf("QTc context %q", got)
	}
	// RR, HR, QT, QTc reach the listener.
	kinds := []calipers.Kind{}
	for _, m := range saved {
		kinds = append(kinds, m.Kind)
	}
	if fmt.Sprint(kinds) != "[RR HR QT QTc]" {
		t.Errorf("measurements passed on: %v", kinds)
	}

	// Manual calibration: an amplitude caliper across 60 units taken as the
	// 1 mV pulse gives 60/zoom px per 10 mm up, manual and confirmed.
	var scaled calipers.Scale
	p.OnScale = func(s calipers.Scale) { scaled = s }
	p.SelectTool("Amplitude")
	from = m.ToWidget(viewer.Point{X: 0.8, Y: 0.8})
	drag(w, c, from, from.Add(fyne.NewPos(0, -60)))
	if err := p.Calibrate(10); err != nil {
		t.Fatal(err)
	}
	wantY := 60 / float64(m.Zoom()) / 10
	if math.Abs(scaled.PxPerMMY-wantY) > 0.01 || scaled.Source != viewer.CalibrationManual || !scaled.Confirmed || scaled.PxPerMMX != 8 {
		t.Errorf("manual scale %+v", scaled)
	}
	if !strings.Contains(p.scaleText.Text, "manual") {
		t.Errorf("scale text %q", p.scaleText.Text)
	}
	// 50 mm/s halves every time.
	p.speed.SetSelected("50 mm/s")
	if scaled.SpeedMMPerS != 50 || !strings.Contains(p.qtcText.Text, "RR 300 ms") {
		t.Errorf("after 50 mm/s: speed %v, QTc %q", scaled.SpeedMMPerS, p.qtcText.Text)
	}
}
