package ui

import (
	"context"
	"fmt"
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
	"pulsedesk/viewer/geometry"
)

// caliperState joins the caliper overlay and panel to the open page: the
// scale belongs to one page in one straight frame (these edits, this size).
type caliperState struct {
	overlay *CaliperOverlay
	panel   *CaliperPanel
	tab     *container.TabItem
	note    *widget.Label

	doc   *docState
	page  int
	edits viewer.Edits // the geometry the scale and calipers belong to
	gen   uint64       // bumps when the straight frame changes; stale detections are dropped

	detecting bool // a scale search runs
	again     bool // the frame changed while it ran

	report   *widget.Label // the Report tab's list
	compare  *widget.Label // measured beside model estimates
	ask      *widget.Check // Interpret: add measurements to the question
	askLine  *widget.Label
	findings interpret.Findings

	saved map[string]bool // measurements the case log holds (measurementKey)
}

// calibrationDetector finds the scale of the straight frame of page src
// under the geometry of e (crop excluded) from its printed grid. It runs off
// the UI goroutine. Without a grid the fallback is the render DPI of paged
// documents (never confirmed).
var calibrationDetector = func(src image.Image, e viewer.Edits, dpi float64, paged bool) viewer.Calibration {
	e.Crop = nil
	if g := geometry.DetectGrid(viewer.ApplyGeometry(src, e)); g.Found {
		cal := g.Calibration()
		if paged {
			cal.DPI = dpi
		}
		return cal
	}
	return dpiCalibration(dpi, paged)
}

// dpiCalibration is the scale a PDF or TIFF rendered at dpi would have if
// it were printed at 100 %: a last resort, never confirmed.
func dpiCalibration(dpi float64, paged bool) viewer.Calibration {
	if !paged || dpi <= 0 {
		return viewer.Calibration{SpeedMMPerS: calipers.DefaultSpeed, GainMMPerMV: calipers.DefaultGain}
	}
	return viewer.Calibration{PxPerMMX: dpi / 25.4, PxPerMMY: dpi / 25.4, DPI: dpi,
		SpeedMMPerS: calipers.DefaultSpeed, GainMMPerMV: calipers.DefaultGain, Source: viewer.CalibrationDPI}
}

// caliperUI makes the caliper overlay, its panel and the measurement views
// of the Interpret and Report tabs (once).
func (a *App) caliperUI() *caliperState {
	if a.calip != nil {
		return a.calip
	}
	cs := &caliperState{overlay: NewCaliperOverlay()}
	a.calip = cs
	cs.panel = NewCaliperPanel(a.win, a.canvas, cs.overlay)
	cs.note = widget.NewLabel("")
	cs.note.Wrapping = fyne.TextWrapWord
	cs.note.Importance = widget.WarningImportance
	cs.note.Hide()
	cs.report = widget.NewLabel("")
	cs.report.Wrapping = fyne.TextWrapWord
	cs.compare = widget.NewLabel("")
	cs.compare.Wrapping = fyne.TextWrapWord
	cs.compare.Hide()
	cs.askLine = widget.NewLabel("")
	cs.askLine.Wrapping = fyne.TextWrapWord
	cs.askLine.Importance = widget.LowImportance
	cs.ask = widget.NewCheck("Add measurements to the question", func(bool) { a.refreshMeasurementViews() })
	cs.panel.OnScale = func(calipers.Scale) { a.scaleToSession(); a.updateStatus() }
	cs.panel.OnMeasurements = func([]calipers.Measurement) { a.refreshMeasurementViews() }
	a.canvas.AddOverlay(cs.overlay)
	a.canvas.SetPointerTool(cs.overlay)
	a.refreshMeasurementViews()
	return cs
}

// measurementReport is the measurement list of the Report tab, with the
// model's estimates beside them when there are findings.
func (a *App) measurementReport() fyne.CanvasObject {
	cs := a.caliperUI()
	return container.NewVBox(widget.NewLabelWithStyle("Measurements", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), cs.report, cs.compare)
}

// measurementQuestion is the Interpret tab's choice to give the confirmed
// measurements to the model, with the exact line it would get.
func (a *App) measurementQuestion() fyne.CanvasObject {
	cs := a.caliperUI()
	return container.NewVBox(cs.ask, cs.askLine)
}

// refreshMeasurementViews redraws the Report list and the Interpret line.
func (a *App) refreshMeasurementViews() {
	cs := a.calip
	if cs == nil || cs.report == nil {
		return
	}
	ms := cs.panel.Measurements()
	lines := make([]string, 0, len(ms))
	for _, m := range ms {
		lines = append(lines, "• "+m.String())
	}
	if len(lines) == 0 {
		lines = append(lines, "No measurements yet: use the Calipers tool.")
	}
	cs.report.SetText(strings.Join(lines, "\n"))
	if t := disagreementText(ms, cs.findings); t != "" {
		cs.compare.SetText("Measured and " + interpret.EstimateLabel + ":\n" + t)
		cs.compare.Show()
	} else {
		cs.compare.Hide()
	}
	switch line := calipers.ContextLine(ms); {
	case line == "" && len(ms) > 0:
		cs.askLine.SetText("No confirmed measurement: calibrate first (unconfirmed ones never go to the model).")
	case line == "":
		cs.askLine.SetText("No measurements yet.")
	case cs.ask.Checked:
		cs.askLine.SetText("The model will be told: " + line)
	default:
		cs.askLine.SetText(line)
	}
}

// QuestionMeasurements are the measurements to give the model with the next
// question: the confirmed ones, when the clinician chose to add them.
func (a *App) QuestionMeasurements() ([]interpret.Measurement, bool) {
	cs := a.calip
	if cs == nil || !cs.ask.Checked {
		return nil, false
	}
	return questionMeasurements(cs.panel.Measurements())
}

// ShowModelFindings puts the model's estimates beside the measurements in
// the Report tab, flagging disagreements.
func (a *App) ShowModelFindings(f interpret.Findings) {
	cs := a.caliperUI()
	cs.findings = f
	a.refreshMeasurementViews()
}

// buildCalipers adds the Calipers tab to the side panel.
func (a *App) buildCalipers() {
	cs := a.caliperUI()
	help := widget.NewLabel("Drag on the page to place a caliper; drag a leg or the bar to move it; arrow keys nudge what you dragged last (Shift: ×10); Delete removes it.")
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	cs.tab = container.NewTabItem("Calipers", container.NewVScroll(container.NewVBox(cs.note, cs.panel.Object(), help)))
	a.tabs.Append(cs.tab)
	a.calip = cs
}

// calipersSync follows the open page: a new page starts with no calipers
// and a fresh scale; a geometry change that moves the straight frame
// (quarter turn, rotation, perspective, another DPI) resets the scale and
// removes the calipers with a message; crop, redaction and tone keep both.
func (a *App) calipersSync() {
	cs := a.calip
	if cs == nil {
		return
	}
	if a.canvas.CurrentTool() == ToolOverlay && a.tabs.Selected() != cs.tab {
		a.tabs.Select(cs.tab)
	}
	if a.doc == nil {
		if cs.doc != nil {
			cs.doc = nil
			cs.overlay.Clear()
			cs.panel.SetScale(calipers.Scale{})
			a.updateStatus()
		}
		return
	}
	st := a.doc
	w, h := viewer.StraightSize(st.img.Bounds().Dx(), st.img.Bounds().Dy(), st.edits)
	switch {
	case cs.doc != st || cs.page != st.page:
		cs.doc, cs.page = st, st.page
		a.resetCalipers(w, h, "")
	default:
		if bad, why := calipers.Invalidated(cs.edits, st.edits); bad {
			a.resetCalipers(w, h, why)
		} else if bad, why := calipers.FrameChanged(cs.overlay.Scale(), w, h); bad {
			a.resetCalipers(w, h, why)
		}
	}
	cs.edits = cloneEdits(st.edits)
}

// resetCalipers clears the calipers, empties the scale (keeping speed and
// gain) and looks for a new one in the background.
func (a *App) resetCalipers(w, h int, why string) {
	cs := a.calip
	cs.gen++
	hadCalipers := len(cs.overlay.Calipers()) > 0
	cs.overlay.Clear()
	old := cs.overlay.Scale()
	a.setCaliperScale(calipers.Reset(old, w, h))
	if why != "" && (old.PxPerMMX > 0 || hadCalipers) {
		cs.note.SetText(why)
		cs.note.Show()
	} else {
		cs.note.Hide()
	}
	a.detectScale(w, h)
}

// detectScale looks for the scale of the current straight frame in the
// background, one search at a time: a change while a search runs starts one
// more search when it ends (a rotation slider being dragged costs one search,
// not one per step).
func (a *App) detectScale(w, h int) {
	cs := a.calip
	if cs.detecting {
		cs.again = true
		return
	}
	cs.detecting, cs.again = true, false
	st := a.doc
	gen := cs.gen
	img, edits, dpi, paged := st.img, cloneEdits(st.edits), st.dpi, st.paged
	edits.Crop = nil
	a.goWork(func() {
		cal := calibrationDetector(img, edits, dpi, paged)
		a.do(func() {
			cs.detecting = false
			if cs.again && a.doc != nil {
				d := a.doc
				a.detectScale(viewer.StraightSize(d.img.Bounds().Dx(), d.img.Bounds().Dy(), d.edits))
				return
			}
			if cs.gen != gen || a.doc != st {
				return
			}
			s := cs.overlay.Scale()
			if s.SpeedMMPerS != 0 {
				cal.SpeedMMPerS = s.SpeedMMPerS
			}
			if s.GainMMPerMV != 0 {
				cal.GainMMPerMV = s.GainMMPerMV
			}
			a.setCaliperScale(calipers.NewScale(calipers.AutoConfirm(cal), w, h))
		})
	})
}

// calipersStatus is the scale for the status bar ("7.87 px/mm from the grid").
func (a *App) calipersStatus() string {
	if a.calip == nil || a.doc == nil {
		return ""
	}
	s := a.calip.overlay.Scale()
	if s.PxPerMMX <= 0 {
		return "no scale"
	}
	var src string
	switch s.Source {
	case viewer.CalibrationGrid:
		src = "from grid"
	case viewer.CalibrationManual:
		src = "manual"
	case viewer.CalibrationDPI:
		src = "from DPI"
	}
	out := fmt.Sprintf("%.2f px/mm %s", s.PxPerMMX, src)
	if !s.Confirmed {
		out += " (unconfirmed)"
	}
	return out
}

// Measurements are the clinician's caliper measurements on the open page
// (with heart rate for RR and the QTc shown).
func (a *App) Measurements() []calipers.Measurement {
	if a.calip == nil {
		return nil
	}
	return a.calip.panel.Measurements()
}

// setCaliperScale shows a new scale and gives it to the session, so the
// model input records it and the question's context knows whether it is
// confirmed.
func (a *App) setCaliperScale(s calipers.Scale) {
	a.calip.panel.SetScale(s)
	a.scaleToSession()
	a.updateStatus()
}

// scaleToSession gives the current scale to the open session (nil when
// there is none).
func (a *App) scaleToSession() {
	if a.calip == nil || a.doc == nil || a.doc.sess == nil {
		return
	}
	s := a.calip.overlay.Scale()
	if s.PxPerMMX <= 0 && s.PxPerMMY <= 0 {
		a.doc.sess.SetCalibration(nil)
		return
	}
	cal := s.Calibration
	a.doc.sess.SetCalibration(&cal)
}

// measurementKey tells stored measurements apart, so saving a case twice
// does not store the same measurement twice.
func measurementKey(caseUID string, m calipers.Measurement) string {
	pts, _ := m.PointsJSON()
	return fmt.Sprintf("%s|%s|%s|%g|%s|%s|%t", caseUID, m.Kind, m.Unit, m.Value, pts, m.Note(), m.Confirmed)
}

// saveCaseMeasurements adds the measurements on the page that the case log
// does not hold yet to the saved case, with the model input they were made
// on (measurements in the case log never change; a moved caliper is a new
// measurement).
func (a *App) saveCaseMeasurements(sess *interpret.Session, caseUID string) {
	cs := a.calip
	if cs == nil || a.store == nil || sess == nil {
		return
	}
	if cs.saved == nil {
		cs.saved = map[string]bool{}
	}
	var todo []calipers.Measurement
	for _, m := range cs.panel.Measurements() {
		if k := measurementKey(caseUID, m); !cs.saved[k] {
			todo = append(todo, m)
		}
	}
	if len(todo) == 0 {
		return
	}
	st, longSide := a.store, a.modelLongSide()
	a.goWork(func() {
		ctx := context.Background()
		inputUID := ""
		if _, rec, err := sess.Prepare(ctx, longSide); err == nil {
			inputUID = rec.UID
		}
		stored, err := saveMeasurements(ctx, st, caseUID, inputUID, "", todo)
		a.do(func() {
			for i := range stored {
				cs.saved[measurementKey(caseUID, todo[i])] = true
			}
			if err != nil {
				a.showError(err)
				return
			}
			a.statusL.SetText(fmt.Sprintf("%s · %d measurement(s) saved.", strings.TrimSuffix(a.statusL.Text, "."), len(stored)))
		})
	})
}

// restoreMeasurements puts back the calipers of a reopened case: those made
// in the straight frame the case reopens in, the newest of each named
// interval (RR, PR, QRS, QT) and every plain interval and amplitude, on the
// scale they were measured with.
func (a *App) restoreMeasurements(d storage.CaseDetail) {
	cs := a.calip
	if cs == nil || a.doc == nil {
		return
	}
	if cs.saved == nil {
		cs.saved = map[string]bool{}
	}
	edits := map[string]viewer.Edits{}
	for _, in := range d.ModelInputs {
		if e, err := viewer.UnmarshalEdits(in.Edits); err == nil {
			edits[in.UID] = e
		}
	}
	w, h := viewer.StraightSize(a.doc.img.Bounds().Dx(), a.doc.img.Bounds().Dy(), a.doc.edits)
	var kept []Caliper
	var scale *calipers.Scale
	named := map[calipers.Kind]int{}
	seen := map[string]bool{}
	for _, sm := range d.Measurements {
		m, err := caliperMeasurement(sm)
		if err != nil {
			continue
		}
		cs.saved[measurementKey(d.Case.UID, m)] = true
		if e, ok := edits[sm.ModelInputUID]; ok {
			if bad, _ := calipers.Invalidated(e, a.doc.edits); bad {
				continue
			}
		}
		if bad, _ := calipers.FrameChanged(m.Scale, w, h); bad {
			continue
		}
		c, ok := caliperFromMeasurement(m)
		if !ok {
			continue
		}
		key := fmt.Sprintf("%v|%v|%v|%d", c.Kind, c.A, c.B, c.Intervals)
		if seen[key] {
			continue
		}
		seen[key] = true
		s := m.Scale
		scale = &s
		switch c.Kind {
		case calipers.KindRR, calipers.KindPR, calipers.KindQRS, calipers.KindQT:
			if i, ok := named[c.Kind]; ok {
				kept[i] = c
				continue
			}
			named[c.Kind] = len(kept)
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return
	}
	cs.gen++ // the stored scale wins over a search still running
	if scale != nil {
		a.setCaliperScale(*scale)
	}
	cs.overlay.SetCalipers(kept)
	cs.panel.Refresh()
	a.canvas.Refresh()
}
