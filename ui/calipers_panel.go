package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/viewer/calipers"
)

// Caliper tools offered in the panel, in order.
var caliperTools = []struct {
	name string
	mode CaliperMode
	kind calipers.Kind
}{
	{"Time", CaliperTime, calipers.KindInterval},
	{"RR", CaliperTime, calipers.KindRR},
	{"PR", CaliperTime, calipers.KindPR},
	{"QRS", CaliperTime, calipers.KindQRS},
	{"QT", CaliperTime, calipers.KindQT},
	{"Amplitude", CaliperAmplitude, calipers.KindAmplitude},
}

const allFormulas = "All four"

// CaliperPanel is the side panel of the caliper tool: the scale and how it
// was found, speed and gain, manual calibration, the caliper kind, marching
// and mean-of-N, the QTc panel and the list of measurements.
type CaliperPanel struct {
	win     fyne.Window
	canvas  *ECGCanvas
	overlay *CaliperOverlay

	scaleText *widget.Label
	speed     *widget.Select
	gain      *widget.Select
	tools     map[string]*widget.Button
	toolName  string
	march     *widget.Check
	intervals *widget.Entry
	formula   *widget.Select
	qtcText   *widget.Label
	listText  *widget.Label
	object    fyne.CanvasObject

	// OnScale is called when the clinician changed the scale (manual
	// calibration, speed or gain), so it can be saved with the case.
	OnScale func(calipers.Scale)
	// OnMeasurements is called whenever the measurements changed.
	OnMeasurements func([]calipers.Measurement)
}

// NewCaliperPanel builds the panel for the overlay drawn on canvas; win
// hosts its dialogs.
func NewCaliperPanel(win fyne.Window, c *ECGCanvas, o *CaliperOverlay) *CaliperPanel {
	p := &CaliperPanel{win: win, canvas: c, overlay: o}
	p.scaleText = widget.NewLabel("")
	p.scaleText.Wrapping = fyne.TextWrapWord
	p.speed = widget.NewSelect([]string{"25 mm/s", "50 mm/s"}, func(s string) { p.setSpeedGain() })
	p.gain = widget.NewSelect([]string{"5 mm/mV", "10 mm/mV", "20 mm/mV"}, func(s string) { p.setSpeedGain() })
	calibrate := widget.NewButton("Calibrate with caliper…", p.ShowCalibrationDialog)

	p.tools = map[string]*widget.Button{}
	toolGrid := container.NewGridWithColumns(3)
	for _, t := range caliperTools {
		name := t.name
		b := widget.NewButton(name, func() { p.SelectTool(name) })
		p.tools[name] = b
		toolGrid.Add(b)
	}
	p.march = widget.NewCheck("Marching", func(on bool) {
		if i := o.Selected(); i >= 0 && o.Calipers()[i].March != on {
			o.Update(i, func(c *Caliper) { c.March = on })
		}
	})
	p.intervals = widget.NewEntry()
	p.intervals.SetPlaceHolder("1")
	p.intervals.OnChanged = func(s string) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100 {
			return
		}
		if i := o.Selected(); i >= 0 && o.Calipers()[i].Intervals != n {
			o.Update(i, func(c *Caliper) { c.Intervals = n })
		}
	}
	remove := widget.NewButton("Remove", func() { o.Remove(o.Selected()) })
	clear := widget.NewButton("Clear all", func() { o.Clear() })

	fnames := []string{allFormulas}
	for _, f := range calipers.Formulas {
		fnames = append(fnames, string(f))
	}
	p.formula = widget.NewSelect(fnames, func(string) { p.Refresh() })
	p.qtcText = widget.NewLabel("")
	p.qtcText.Wrapping = fyne.TextWrapWord
	p.listText = widget.NewLabel("")
	p.listText.Wrapping = fyne.TextWrapWord

	p.object = container.NewVBox(
		widget.NewLabelWithStyle("Scale", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.scaleText,
		container.NewGridWithColumns(2, p.speed, p.gain),
		calibrate,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Calipers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		toolGrid,
		container.NewGridWithColumns(2, p.march, container.NewBorder(nil, nil, widget.NewLabel("intervals"), nil, p.intervals)),
		container.NewGridWithColumns(2, remove, clear),
		widget.NewSeparator(),
		widget.NewLabelWithStyle("QTc", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.formula,
		p.qtcText,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Measurements", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.listText,
	)
	prev := o.OnChange
	o.OnChange = func() {
		if prev != nil {
			prev()
		}
		p.Refresh()
		c.Refresh()
	}
	p.syncScale()
	p.SelectTool(caliperTools[0].name)
	p.formula.SetSelected(allFormulas)
	return p
}

// Object is the panel's content.
func (p *CaliperPanel) Object() fyne.CanvasObject { return p.object }

// SetScale shows a new scale (after opening a page or grid detection).
func (p *CaliperPanel) SetScale(s calipers.Scale) {
	p.overlay.SetScale(s)
	p.syncScale()
	p.Refresh()
	p.canvas.Refresh()
}

func (p *CaliperPanel) syncScale() {
	s := p.overlay.Scale()
	sp, g := s.SpeedMMPerS, s.GainMMPerMV
	if sp == 0 {
		sp = calipers.DefaultSpeed
	}
	if g == 0 {
		g = calipers.DefaultGain
	}
	p.speed.SetSelectedIndex(indexOf(calipers.Speeds, sp))
	p.gain.SetSelectedIndex(indexOf(calipers.Gains, g))
}

func indexOf(vs []float64, v float64) int {
	for i, x := range vs {
		if x == v {
			return i
		}
	}
	return -1
}

func (p *CaliperPanel) setSpeedGain() {
	s := p.overlay.Scale()
	changed := false
	if i := p.speed.SelectedIndex(); i >= 0 && calipers.Speeds[i] != s.SpeedMMPerS {
		cal, err := calipers.WithSpeed(s.Calibration, calipers.Speeds[i])
		if err == nil {
			s.Calibration, changed = cal, true
		}
	}
	if i := p.gain.SelectedIndex(); i >= 0 && calipers.Gains[i] != s.GainMMPerMV {
		cal, err := calipers.WithGain(s.Calibration, calipers.Gains[i])
		if err == nil {
			s.Calibration, changed = cal, true
		}
	}
	if !changed {
		return
	}
	p.overlay.SetScale(s)
	if p.OnScale != nil {
		p.OnScale(s)
	}
	p.Refresh()
	p.canvas.Refresh()
}

// SelectTool chooses what the next caliper measures: Time, RR, PR, QRS,
// QT or Amplitude.
func (p *CaliperPanel) SelectTool(name string) {
	for _, t := range caliperTools {
		if t.name != name {
			continue
		}
		p.overlay.SetMode(t.mode, t.kind)
		p.toolName = name
		for n, b := range p.tools {
			if n == name {
				b.Importance = widget.HighImportance
			} else {
				b.Importance = widget.MediumImportance
			}
			b.Refresh()
		}
	}
}

// QTcText is what the QTc panel shows for the current calipers.
func (p *CaliperPanel) QTcText() string {
	var fs []calipers.Formula
	if sel := p.formula.Selected; sel != "" && sel != allFormulas {
		if f, err := calipers.ParseFormula(sel); err == nil {
			fs = []calipers.Formula{f}
		}
	}
	ms := p.overlay.Measurements()
	res, err := calipers.QTcFromMeasurements(ms, fs...)
	if err != nil {
		return strings.TrimPrefix(err.Error(), "QTc: ")
	}
	var qt, rr calipers.Measurement
	for _, m := range ms {
		switch m.Kind {
		case calipers.KindQT:
			qt = m
		case calipers.KindRR:
			rr = m
		}
	}
	lines := []string{fmt.Sprintf("QT %.0f ms · RR %.0f ms (HR %.0f bpm)", qt.Value, rr.Value, calipers.BPM(rr.Value))}
	for _, m := range res {
		lines = append(lines, fmt.Sprintf("%s  %s = %.0f ms", m.Formula, m.Formula.Expression(), m.Value))
	}
	if len(res) > 0 && !res[0].Confirmed {
		lines = append(lines, "unconfirmed scale: not given to the model")
	}
	return strings.Join(lines, "\n")
}

// QTcMeasurements are the QTc values for the chosen formula (or all four).
func (p *CaliperPanel) QTcMeasurements() []calipers.Measurement {
	var fs []calipers.Formula
	if sel := p.formula.Selected; sel != "" && sel != allFormulas {
		if f, err := calipers.ParseFormula(sel); err == nil {
			fs = []calipers.Formula{f}
		}
	}
	res, err := calipers.QTcFromMeasurements(p.overlay.Measurements(), fs...)
	if err != nil {
		return nil
	}
	return res
}

// Measurements are the calipers' values followed by heart rate for RR and
// the QTc values shown.
func (p *CaliperPanel) Measurements() []calipers.Measurement {
	var out []calipers.Measurement
	for _, m := range p.overlay.Measurements() {
		out = append(out, m)
		if m.Kind == calipers.KindRR {
			if hr, err := calipers.Rate(m); err == nil {
				out = append(out, hr)
			}
		}
	}
	return append(out, p.QTcMeasurements()...)
}

// Refresh redraws the texts from the overlay's calipers and scale.
func (p *CaliperPanel) Refresh() {
	s := p.overlay.Scale()
	p.scaleText.SetText(calipers.Describe(s.Calibration))
	p.qtcText.SetText(p.QTcText())
	ms := p.Measurements()
	lines := make([]string, 0, len(ms))
	for _, m := range ms {
		lines = append(lines, "• "+m.String())
	}
	if len(lines) == 0 {
		lines = append(lines, "Drag on the page to place a caliper.")
	}
	p.listText.SetText(strings.Join(lines, "\n"))
	if i := p.overlay.Selected(); i >= 0 && i < len(p.overlay.Calipers()) {
		c := p.overlay.Calipers()[i]
		p.march.SetChecked(c.March)
	}
	if p.OnMeasurements != nil {
		p.OnMeasurements(ms)
	}
}

// Known intervals offered by the calibration dialog.
func timeChoices(speed float64) []struct {
	name string
	mm   float64
} {
	return []struct {
		name string
		mm   float64
	}{
		{fmt.Sprintf("5 large squares (25 mm = %s s)", trimNum(25/speed)), 25},
		{fmt.Sprintf("1 large square (5 mm = %s ms)", trimNum(5000/speed)), 5},
		{"1 second", calipers.SecondsToMM(1, speed)},
	}
}

func ampChoices(gain float64) []struct {
	name string
	mm   float64
} {
	return []struct {
		name string
		mm   float64
	}{
		{fmt.Sprintf("1 mV calibration pulse (%s mm)", trimNum(gain)), calipers.MillivoltsToMM(1, gain)},
		{"2 large squares (10 mm)", 10},
		{"1 large square (5 mm)", 5},
	}
}

// Calibrate sets the scale from the selected caliper laid across knownMM of
// paper: horizontally for a time caliper, vertically for an amplitude one.
func (p *CaliperPanel) Calibrate(knownMM float64) error {
	i := p.overlay.Selected()
	cs := p.overlay.Calipers()
	if i < 0 || i >= len(cs) {
		return fmt.Errorf("calibrate: place a caliper across a known interval first")
	}
	c := cs[i]
	s := p.overlay.Scale()
	var err error
	if c.Mode == CaliperAmplitude {
		s, err = calipers.CalibrateAmplitude(s, c.A, c.B, knownMM)
	} else {
		s, err = calipers.CalibrateTime(s, c.A, c.B, knownMM)
	}
	if err != nil {
		return err
	}
	p.overlay.SetScale(s)
	if p.OnScale != nil {
		p.OnScale(s)
	}
	p.Refresh()
	p.canvas.Refresh()
	return nil
}

// ShowCalibrationDialog asks what the selected caliper spans and sets the
// scale from it.
func (p *CaliperPanel) ShowCalibrationDialog() {
	i := p.overlay.Selected()
	cs := p.overlay.Calipers()
	if i < 0 || i >= len(cs) {
		dialog.ShowInformation("Calibrate", "Lay a time caliper across a known interval (for example 5 large squares) or an amplitude caliper across the 1 mV pulse, then calibrate.", p.win)
		return
	}
	s := p.overlay.Scale()
	speed, gain := s.SpeedMMPerS, s.GainMMPerMV
	if speed == 0 {
		speed = calipers.DefaultSpeed
	}
	if gain == 0 {
		gain = calipers.DefaultGain
	}
	type choice = struct {
		name string
		mm   float64
	}
	var choices []choice
	what := "The selected time caliper spans:"
	if cs[i].Mode == CaliperAmplitude {
		choices = ampChoices(gain)
		what = "The selected amplitude caliper spans:"
	} else {
		choices = timeChoices(speed)
	}
	names := make([]string, 0, len(choices)+1)
	for _, c := range choices {
		names = append(names, c.name)
	}
	names = append(names, "Another length in mm")
	custom := widget.NewEntry()
	custom.SetPlaceHolder("mm")
	custom.Disable()
	radio := widget.NewRadioGroup(names, func(s string) {
		if s == names[len(names)-1] {
			custom.Enable()
		} else {
			custom.Disable()
		}
	})
	radio.SetSelected(names[0])
	content := container.NewVBox(widget.NewLabel(what), radio, custom)
	dialog.ShowCustomConfirm("Calibrate by hand", "Set scale", "Cancel", content, func(ok bool) {
		if !ok {
			return
		}
		mm := 0.0
		for _, c := range choices {
			if c.name == radio.Selected {
				mm = c.mm
			}
		}
		if radio.Selected == names[len(names)-1] {
			v, err := strconv.ParseFloat(strings.TrimSpace(custom.Text), 64)
			if err != nil {
				dialog.ShowError(fmt.Errorf("calibrate: %q is not a length in mm", custom.Text), p.win)
				return
			}
			mm = v
		}
		if err := p.Calibrate(mm); err != nil {
			dialog.ShowError(err, p.win)
		}
	}, p.win)
}
