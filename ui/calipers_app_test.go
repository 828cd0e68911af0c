package ui

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"pulsedesk/interpret"
	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
)

// dragFrame drags on the app's canvas from one straight-frame point to
// another, as the pointer would.
func dragFrame(a *App, from, to viewer.Point) {
	m := a.canvas.Mapping()
	f, t := m.ToWidget(from), m.ToWidget(to)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(a.canvas)
	test.Drag(a.win.Canvas(), abs.Add(t), t.X-f.X, t.Y-f.Y)
}

func TestCalipersInTheApp(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "paperecg_fullScan.png")
	a.setTool(ToolOverlay)
	waitIdle(t, a)
	cs := a.calip
	if a.tabs.Selected() != cs.tab {
		t.Fatalf("the Calipers tab is not shown with the caliper tool (tab %q)", a.tabs.Selected().Text)
	}
	// The panel fits the 380-unit side panel (it scrolls only up and down).
	if w := cs.panel.Object().MinSize().Width; w > 360 {
		t.Errorf("the calipers panel needs %.0f units across, more than the side panel has", w)
	}
	s := cs.overlay.Scale()
	if s.FrameW != 2200 || s.FrameH != 1700 {
		t.Fatalf("scale frame %vx%v, want the page's 2200×1700", s.FrameW, s.FrameH)
	}
	// The page is a 200 DPI export: its grid gives 7.87 px/mm, shown plainly.
	if s.Source != viewer.CalibrationGrid || math.Abs(s.PxPerMMX-200/25.4) > 0.05 || math.Abs(s.PxPerMMY-200/25.4) > 0.05 {
		t.Fatalf("scale from the grid %+v, want 7.87 px/mm", s)
	}
	if !strings.Contains(cs.panel.scaleText.Text, "7.87 px/mm, from the grid, confidence") || !strings.Contains(a.statusR.Text, "7.87 px/mm from grid") {
		t.Errorf("scale shown as %q, status %q", cs.panel.scaleText.Text, a.statusR.Text)
	}

	// Lay a time caliper across 5 large squares (25 mm = 196.85 px at the
	// page's 200 DPI) and calibrate by hand.
	span := 25 * 200 / 25.4 / 2200
	dragFrame(a, viewer.Point{X: 0.2, Y: 0.4}, viewer.Point{X: 0.2 + span, Y: 0.4})
	waitIdle(t, a)
	if got := cs.overlay.Calipers(); len(got) != 1 {
		t.Fatalf("%d calipers after a drag", len(got))
	}
	if err := cs.panel.Calibrate(25); err != nil {
		t.Fatal(err)
	}
	s = cs.overlay.Scale()
	if math.Abs(s.PxPerMMX-200/25.4) > 0.05 || s.Source != viewer.CalibrationManual || !s.Confirmed {
		t.Fatalf("manual scale %+v, want 7.87 px/mm across, manual, confirmed", s)
	}
	if !strings.Contains(a.statusR.Text, "px/mm manual") {
		t.Errorf("status bar %q does not show the scale", a.statusR.Text)
	}
	if ms := cs.overlay.Measurements(); len(ms) != 1 || math.Abs(ms[0].Value-1000) > 1 {
		t.Fatalf("the calibrating caliper reads %+v, want 1000 ms", ms)
	}

	// An RR caliper of 0.8 s, placed by drag.
	cs.panel.SelectTool("RR")
	dragFrame(a, viewer.Point{X: 0.5, Y: 0.7}, viewer.Point{X: 0.5 + span*0.8, Y: 0.7})
	ms := cs.overlay.Measurements()
	if len(ms) != 2 || ms[1].Kind != calipers.KindRR {
		t.Fatalf("measurements %+v", ms)
	}
	res := calipers.Resolution(s.Calibration, float64(a.canvas.Mapping().Zoom()))
	if math.Abs(ms[1].Value-800) > 2*res.MS+0.5 {
		t.Errorf("RR %.1f ms, want 800 ± %.1f", ms[1].Value, 2*res.MS)
	}
	if !strings.Contains(cs.panel.listText.Text, "RR") || !strings.Contains(cs.panel.listText.Text, "HR") {
		t.Errorf("measurement list %q", cs.panel.listText.Text)
	}

	// A crop keeps the scale and the calipers.
	a.editGeometry(func(e *viewer.Edits) { e.Crop = &viewer.Rect{X0: 0.05, Y0: 0.05, X1: 0.95, Y1: 0.95} })
	waitIdle(t, a)
	if len(cs.overlay.Calipers()) != 2 || cs.overlay.Scale().PxPerMMX != s.PxPerMMX || cs.note.Visible() {
		t.Fatalf("a crop changed the calipers or the scale: %d calipers, %+v", len(cs.overlay.Calipers()), cs.overlay.Scale())
	}
	if got := cs.overlay.Measurements()[1].Value; got != ms[1].Value {
		t.Errorf("RR after crop %.2f, before %.2f", got, ms[1].Value)
	}

	// A fine rotation resets them with a message.
	a.editGeometry(func(e *viewer.Edits) { e.Rotation = 1.5 })
	waitIdle(t, a)
	if len(cs.overlay.Calipers()) != 0 {
		t.Errorf("calipers survived a rotation")
	}
	if sc := cs.overlay.Scale(); sc.Source != viewer.CalibrationGrid || math.Abs(sc.PxPerMMX-200/25.4) > 0.05 {
		t.Errorf("the manual scale survived a rotation, or the grid was not measured again: %+v", sc)
	}
	if !cs.note.Visible() || !strings.Contains(cs.note.Text, "rotated") {
		t.Errorf("no reset message (%v %q)", cs.note.Visible(), cs.note.Text)
	}
	w, h := viewer.StraightSize(2200, 1700, a.doc.edits)
	if sc := cs.overlay.Scale(); int(sc.FrameW) != w || int(sc.FrameH) != h {
		t.Errorf("scale frame %vx%v after rotation, want %dx%d", sc.FrameW, sc.FrameH, w, h)
	}
}

func TestCaliperArrowKeysThroughTheCanvas(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "paperecg_fullScan.png")
	a.setTool(ToolOverlay)
	waitIdle(t, a)
	cs := a.calip
	cs.panel.SetScale(calipers.NewScale(viewer.Calibration{PxPerMMX: 200 / 25.4, PxPerMMY: 200 / 25.4, Source: viewer.CalibrationManual, Confirmed: true}, 2200, 1700))
	dragFrame(a, viewer.Point{X: 0.3, Y: 0.5}, viewer.Point{X: 0.4, Y: 0.5})
	before := cs.overlay.Measurements()[0].Value
	zoom := float64(a.canvas.Mapping().Zoom())
	a.canvas.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	a.canvas.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	after := cs.overlay.Measurements()[0].Value
	// two screen units = 2/zoom frame px = 2/zoom/7.874 mm × 40 ms/mm
	want := before + 2/zoom/(200/25.4)*40
	if math.Abs(after-want) > 0.01 {
		t.Errorf("after two right arrows %.2f ms, want %.2f (from %.2f)", after, want, before)
	}
}

func TestMeasurementsInReportAndInterpret(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "paperecg_fullScan.png")
	a.setTool(ToolOverlay)
	waitIdle(t, a)
	cs := a.calip
	if !strings.Contains(cs.report.Text, "No measurements") {
		t.Errorf("empty report list %q", cs.report.Text)
	}
	// An unconfirmed scale: measurements are listed but not offered to the model.
	cs.panel.SetScale(calipers.NewScale(viewer.Calibration{PxPerMMX: 200 / 25.4, PxPerMMY: 200 / 25.4, Source: viewer.CalibrationDPI, DPI: 200}, 2200, 1700))
	cs.panel.SelectTool("QT")
	span := 0.4 * 25 * 200 / 25.4 / 2200 // 400 ms
	dragFrame(a, viewer.Point{X: 0.3, Y: 0.5}, viewer.Point{X: 0.3 + span, Y: 0.5})
	if !strings.Contains(cs.report.Text, "QT 40") || !strings.Contains(cs.report.Text, "unconfirmed scale") {
		t.Errorf("report list %q", cs.report.Text)
	}
	cs.ask.SetChecked(true)
	if ms, ok := a.QuestionMeasurements(); ok || len(ms) != 0 {
		t.Errorf("unconfirmed measurements offered to the model: %+v", ms)
	}
	if !strings.Contains(cs.askLine.Text, "No confirmed measurement") {
		t.Errorf("interpret line %q", cs.askLine.Text)
	}
	// Confirm by hand (same scale, manual): now they go, and say so.
	cs.panel.SetScale(calipers.NewScale(viewer.Calibration{PxPerMMX: 200 / 25.4, PxPerMMY: 200 / 25.4, Source: viewer.CalibrationManual, Confirmed: true}, 2200, 1700))
	a.refreshMeasurementViews()
	ms, ok := a.QuestionMeasurements()
	if !ok || len(ms) != 1 || ms[0].Name != "QT" || math.Abs(ms[0].Value-400) > 3 {
		t.Fatalf("question measurements %+v %v", ms, ok)
	}
	if !strings.HasPrefix(cs.askLine.Text, "The model will be told: measured: QT 4") {
		t.Errorf("interpret line %q", cs.askLine.Text)
	}
	cs.ask.SetChecked(false)
	if _, ok := a.QuestionMeasurements(); ok {
		t.Error("measurements offered with the box unticked")
	}
	// The model's estimate beside the measurement, flagged.
	a.ShowModelFindings(interpret.ParseFindings(`{"rhythm":"sinus","heart_rate":60,"axis":null,"pr":null,"qrs":null,"qt":340,"qtc":null,"diagnoses":[]}`))
	if !cs.compare.Visible() || !strings.Contains(cs.compare.Text, "⚠ QT: measured 4") || !strings.Contains(cs.compare.Text, "model estimate 340 ms") {
		t.Errorf("comparison %q", cs.compare.Text)
	}
}

func TestMeasurementsSavedWithTheCaseAndRestored(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "paperecg_fullScan.png")
	a.setTool(ToolOverlay)
	waitIdle(t, a)
	cs := a.calip
	uid := a.doc.sess.Case().UID
	// A manual scale (the clinician's own) so that restoring it is visible.
	px := 200 / 25.4
	a.setCaliperScale(calipers.NewScale(viewer.Calibration{PxPerMMX: px * 1.01, PxPerMMY: px * 1.01, SpeedMMPerS: 25, GainMMPerMV: 10,
		Source: viewer.CalibrationManual, Confidence: 1, Confirmed: true}, 2200, 1700))
	cs.panel.SelectTool("RR")
	dragFrame(a, viewer.Point{X: 0.2, Y: 0.8}, viewer.Point{X: 0.3, Y: 0.8})
	cs.panel.SelectTool("QT")
	dragFrame(a, viewer.Point{X: 0.4, Y: 0.5}, viewer.Point{X: 0.44, Y: 0.5})
	cs.panel.SelectTool("Amplitude")
	dragFrame(a, viewer.Point{X: 0.05, Y: 0.6}, viewer.Point{X: 0.05, Y: 0.55})
	want := cs.panel.Measurements() // RR, HR, QT, amplitude, 4 × QTc
	if len(want) != 8 {
		t.Fatalf("%d measurements on the page, want 8", len(want))
	}
	// The session knows the scale: the question may carry the measurements.
	if pc := a.doc.sess.PatientContext(); !pc.CalibrationConfirmed {
		t.Error("the session does not know the confirmed scale")
	}

	a.saveCase()
	waitIdle(t, a)
	a.saveCase() // nothing new: nothing added
	waitIdle(t, a)
	d, err := a.store.CaseDetail(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Measurements) != len(want) {
		t.Fatalf("%d measurements in the case log, want %d", len(d.Measurements), len(want))
	}
	for i, sm := range d.Measurements {
		if sm.Kind != string(want[i].Kind) || sm.Value != want[i].Value || !sm.Confirmed || sm.ModelInputUID == "" {
			t.Errorf("stored %+v, measured %s", sm, want[i].String())
		}
	}
	if len(d.ModelInputs) == 0 || d.ModelInputs[len(d.ModelInputs)-1].PxPerMMX != px*1.01 {
		t.Errorf("the model input does not record the scale: %+v", d.ModelInputs)
	}

	// Another file, then the case again: the calipers and their scale return.
	path, _ := filepath.Abs(filepath.Join("testdata", "paperecg_fullScan.png"))
	a.OpenFile(path)
	waitIdle(t, a)
	if len(cs.overlay.Calipers()) != 0 {
		t.Fatal("calipers followed onto another document")
	}
	a.OpenCase(uid)
	waitIdle(t, a)
	got := cs.panel.Measurements()
	if len(got) != len(want) {
		t.Fatalf("%d measurements after reopening, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("reopened %q, saved %q", got[i].String(), want[i].String())
		}
	}
	if s := cs.overlay.Scale(); s.Source != viewer.CalibrationManual || s.PxPerMMX != px*1.01 {
		t.Errorf("scale after reopening %+v, want the manual one", s)
	}
	// Saving the reopened case adds nothing.
	a.saveCase()
	waitIdle(t, a)
	if d, _ := a.store.CaseDetail(context.Background(), uid); len(d.Measurements) != len(want) {
		t.Errorf("%d measurements after saving the reopened case, want %d", len(d.Measurements), len(want))
	}
}
