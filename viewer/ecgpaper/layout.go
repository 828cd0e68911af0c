package ecgpaper

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Layout is how leads are arranged on the page.
type Layout string

// Layouts.
const (
	Layout3x4  Layout = "3x4"  // 3 rows x 4 columns of 2.5 s, and a lead II rhythm strip
	Layout6x2  Layout = "6x2"  // 6 rows x 2 columns of 5 s
	Layout12x1 Layout = "12x1" // 12 rows of 10 s
)

// GridColor names the colour of the paper grid.
type GridColor string

// Grid colours.
const (
	GridRed   GridColor = "red"
	GridGreen GridColor = "green"
	GridBlue  GridColor = "blue"
	GridGray  GridColor = "gray"
	GridNone  GridColor = "none"
)

// GridStyle is how the grid is drawn.
type GridStyle string

// Grid styles.
const (
	GridLines GridStyle = "lines" // 1 mm minor and 5 mm major lines
	GridDots  GridStyle = "dots"  // 1 mm dots and 5 mm lines
	GridMajor GridStyle = "major" // 5 mm lines only
)

// Paper is a page size, landscape.
type Paper string

// Paper sizes.
const (
	PaperA4     Paper = "a4"     // 297 x 210 mm
	PaperLetter Paper = "letter" // 279.4 x 215.9 mm
)

// Options set how a record is drawn. The zero value draws a 3x4 page on A4
// landscape at 200 DPI, 25 mm/s, 10 mm/mV on a red grid.
type Options struct {
	DPI          float64   // 100-600; default 200
	SpeedMMPerS  float64   // paper speed, default 25
	GainMMPerMV  float64   // default 10
	Layout       Layout    // default 3x4
	Paper        Paper     // default A4
	Grid         GridColor // default red
	GridStyle    GridStyle // default lines
	RhythmLead   string    // lead of the rhythm strip, default II
	StartSec     float64   // first second of the recording drawn
	TraceWidthMM float64   // default 0.3 mm
	MarginMM     float64   // white border around the grid, default 8 mm
	NoHeader     bool      // leave out the header text
}

// Validate reports the first option out of range (zero fields take their
// defaults).
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

func (o Options) withDefaults() (Options, error) {
	if o.DPI == 0 {
		o.DPI = 200
	}
	if !(o.DPI >= 10 && o.DPI <= 1200) {
		return o, fmt.Errorf("DPI %g is out of range (10-1200)", o.DPI)
	}
	if o.SpeedMMPerS == 0 {
		o.SpeedMMPerS = 25
	}
	if !(o.SpeedMMPerS >= 5 && o.SpeedMMPerS <= 200) {
		return o, fmt.Errorf("paper speed %g mm/s is out of range (5-200)", o.SpeedMMPerS)
	}
	if o.GainMMPerMV == 0 {
		o.GainMMPerMV = 10
	}
	if !(o.GainMMPerMV >= 1 && o.GainMMPerMV <= 100) {
		return o, fmt.Errorf("gain %g mm/mV is out of range (1-100)", o.GainMMPerMV)
	}
	if o.Layout == "" {
		o.Layout = Layout3x4
	}
	switch o.Layout {
	case Layout3x4, Layout6x2, Layout12x1:
	default:
		return o, fmt.Errorf("layout %q is not one of 3x4, 6x2, 12x1", o.Layout)
	}
	if o.Paper == "" {
		o.Paper = PaperA4
	}
	o.Paper = Paper(strings.ToLower(string(o.Paper)))
	if o.Paper != PaperA4 && o.Paper != PaperLetter {
		return o, fmt.Errorf("paper %q is not a4 or letter", o.Paper)
	}
	if o.Grid == "" {
		o.Grid = GridRed
	}
	if _, ok := gridPalettes[o.Grid]; !ok && o.Grid != GridNone {
		return o, fmt.Errorf("grid colour %q is not red, green, blue, gray or none", o.Grid)
	}
	if o.GridStyle == "" {
		o.GridStyle = GridLines
	}
	switch o.GridStyle {
	case GridLines, GridDots, GridMajor:
	default:
		return o, fmt.Errorf("grid style %q is not lines, dots or major", o.GridStyle)
	}
	if o.RhythmLead == "" {
		o.RhythmLead = "II"
	}
	if o.TraceWidthMM == 0 {
		o.TraceWidthMM = 0.3
	}
	if !(o.TraceWidthMM > 0 && o.TraceWidthMM <= 2) {
		return o, fmt.Errorf("trace width %g mm is out of range", o.TraceWidthMM)
	}
	if o.MarginMM == 0 {
		o.MarginMM = 8
	}
	if !(o.MarginMM >= 0 && o.MarginMM <= 40) {
		return o, fmt.Errorf("margin %g mm is out of range", o.MarginMM)
	}
	if !(o.StartSec >= 0) || math.IsInf(o.StartSec, 0) {
		return o, fmt.Errorf("start %g s is not a time in the recording", o.StartSec)
	}
	return o, nil
}

// PageSizeMM is the landscape size of a paper in millimetres.
func PageSizeMM(p Paper) (w, h float64) {
	if strings.EqualFold(string(p), string(PaperLetter)) {
		return 279.4, 215.9
	}
	return 297, 210
}

// Page geometry in millimetres, independent of DPI.
const (
	traceAreaMM  = 250.0 // width of the lead columns
	headerMM     = 22.0  // header band at the top of the grid
	pulseLeadMM  = 2.0   // baseline before the calibration pulse
	pulseTailMM  = 3.0   // baseline after it
	labelSizeMM  = 3.2   // lead label text height
	headerSizeMM = 3.6
)

// mmPanel is one lead panel in millimetres.
type mmPanel struct {
	lead       string
	leadIndex  int
	row, col   int
	rhythm     bool
	x0, x1     float64 // time axis extent, mm
	top, bot   float64 // row band, mm
	baseline   float64 // mm
	t0, t1     float64 // seconds in the recording
	s0, s1     int     // samples drawn [s0, s1)
	offsetMV   float64 // value drawn on the baseline
	labelX     float64
	labelY     float64 // text baseline
	labelAbove bool
}

type mmPulse struct {
	row           int
	x0, up, down  float64 // start of baseline, rising and falling edge, mm
	x1            float64 // end of baseline
	baseline, top float64
}

type mmText struct {
	x, y   float64 // left end of the text baseline, mm
	size   float64 // cap-to-descender text height, mm
	s      string
	header bool
}

// page is the drawing of a record in millimetres.
type page struct {
	opt            Options
	rec            *Record
	wMM, hMM       float64
	gridX0, gridY0 float64
	gridX1, gridY1 float64
	panels         []mmPanel
	pulses         []mmPulse
	texts          []mmText
	layoutName     string
}

// ErrNoLeads is wrapped when a record has nothing to draw.
var ErrNoLeads = errors.New("record has no leads to draw")

func layoutPage(rec *Record, opt Options) (*page, error) {
	if rec == nil || len(rec.Leads) == 0 {
		return nil, ErrNoLeads
	}
	if !(rec.Fs > 0) || math.IsInf(rec.Fs, 0) {
		return nil, fmt.Errorf("record %s: sampling frequency %g is not positive", rec.Name, rec.Fs)
	}
	if d := rec.Duration(); opt.StartSec >= d {
		return nil, fmt.Errorf("record %s: start %g s is past its end (%.3g s)", rec.Name, opt.StartSec, d)
	}
	p := &page{opt: opt, rec: rec}
	p.wMM, p.hMM = PageSizeMM(opt.Paper)
	m := opt.MarginMM
	p.gridX0, p.gridY0 = m, m
	p.gridX1 = m + math.Floor(p.wMM-2*m)
	p.gridY1 = m + math.Floor(p.hMM-2*m)

	// Which lead goes where: columns of rows, with column durations.
	idx := map[string]int{}
	for i, l := range rec.Leads {
		if _, dup := idx[l.Name]; !dup {
			idx[l.Name] = i
		}
	}
	has12 := true
	for _, n := range StandardLeads {
		if _, ok := idx[n]; !ok {
			has12 = false
		}
	}
	var cols [][]string
	var rhythm string
	p.layoutName = string(opt.Layout)
	switch {
	case !has12:
		// Not a 12-lead record: one full-width strip per lead.
		var col []string
		for _, l := range rec.Leads {
			if len(col) < 12 {
				col = append(col, l.Name)
			}
		}
		cols = [][]string{col}
		p.layoutName = fmt.Sprintf("%dx1", len(col))
	case opt.Layout == Layout3x4:
		cols = [][]string{{"I", "II", "III"}, {"aVR", "aVL", "aVF"}, {"V1", "V2", "V3"}, {"V4", "V5", "V6"}}
		rhythm = NormalizeLeadName(opt.RhythmLead)
		if _, ok := idx[rhythm]; !ok {
			rhythm = "II"
		}
	case opt.Layout == Layout6x2:
		cols = [][]string{StandardLeads[:6], StandardLeads[6:]}
	default:
		cols = [][]string{StandardLeads}
	}
	nrows := len(cols[0])
	if rhythm != "" {
		nrows++
	}
	speed := opt.SpeedMMPerS
	pulseW := 0.2 * speed // a 200 ms pulse
	pulseArea := pulseLeadMM + pulseW + pulseTailMM
	total := pulseArea + traceAreaMM
	left := p.gridX0 + math.Round((p.gridX1-p.gridX0-total)/2)
	if left < p.gridX0 {
		left = p.gridX0
	}
	traceX0 := left + pulseArea
	top := p.gridY0 + headerMM
	if opt.NoHeader {
		top = p.gridY0 + 5
	}
	bottom := p.gridY1 - 3
	pitch := (bottom - top) / float64(nrows)
	colW := traceAreaMM / float64(len(cols))
	colSec := colW / speed
	for r := 0; r < nrows; r++ {
		rowTop := top + float64(r)*pitch
		base := math.Round(rowTop + pitch*0.62) // on a 1 mm line, a little below the middle
		p.pulses = append(p.pulses, mmPulse{
			row: r, x0: left, up: left + pulseLeadMM, down: left + pulseLeadMM + pulseW, x1: traceX0,
			baseline: base, top: base - opt.GainMMPerMV,
		})
		isRhythm := rhythm != "" && r == nrows-1
		ncols := len(cols)
		if isRhythm {
			ncols = 1
		}
		for c := 0; c < ncols; c++ {
			name := rhythm
			w, sec := colW, colSec
			if isRhythm {
				w, sec = traceAreaMM, traceAreaMM/speed
			} else {
				name = cols[c][r]
			}
			li := idx[name]
			x0 := traceX0 + float64(c)*colW
			t0 := opt.StartSec + float64(c)*colSec
			if isRhythm {
				x0, t0 = traceX0, opt.StartSec
			}
			t1 := t0 + sec
			s0 := int(math.Ceil(t0*rec.Fs - 1e-9))
			s1 := int(math.Floor(t1*rec.Fs-1e-9)) + 1
			n := len(rec.Leads[li].MV)
			s0, s1 = min(max(s0, 0), n), min(max(s1, 0), n)
			pn := mmPanel{
				lead: name, leadIndex: li, row: r, col: c, rhythm: isRhythm,
				x0: x0, x1: x0 + w, top: rowTop, bot: rowTop + pitch, baseline: base,
				t0: t0, t1: t1, s0: s0, s1: s1,
				offsetMV: medianOf(rec.Leads[li].MV[s0:s1]),
				labelX:   x0 + 1, labelY: base - 6,
			}
			if pn.labelY < rowTop+labelSizeMM {
				pn.labelY = rowTop + labelSizeMM
			}
			p.panels = append(p.panels, pn)
			p.texts = append(p.texts, mmText{x: pn.labelX, y: pn.labelY, size: labelSizeMM, s: name})
		}
	}
	if !opt.NoHeader {
		p.texts = append(p.texts, headerTexts(rec, opt, left)...)
	}
	return p, nil
}

func headerTexts(rec *Record, opt Options, left float64) []mmText {
	age := "age unknown"
	if rec.Age >= 0 {
		age = fmt.Sprintf("age %d", rec.Age)
	}
	sex := rec.Sex
	if sex == "" {
		sex = "sex unknown"
	}
	line1 := fmt.Sprintf("%s   %s   %s   %g mm/s   %g mm/mV   %g Hz", rec.Name, age, sex, opt.SpeedMMPerS, opt.GainMMPerMV, rec.Fs)
	var dx []string
	for _, d := range rec.Dx {
		if d.Name != "" {
			dx = append(dx, d.Name)
		} else {
			dx = append(dx, "SNOMED "+d.Code)
		}
	}
	y := opt.MarginMM + 7
	out := []mmText{{x: left, y: y, size: headerSizeMM, s: line1, header: true}}
	if len(dx) > 0 {
		line2 := strings.Join(dx, "; ")
		if len(line2) > 150 {
			line2 = line2[:147] + "..."
		}
		out = append(out, mmText{x: left, y: y + 6, size: headerSizeMM * 0.85, s: line2, header: true})
	}
	return out
}

// medianOf is the median of the finite values of v (0 when there are none).
func medianOf(v []float64) float64 {
	f := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			f = append(f, x)
		}
	}
	if len(f) == 0 {
		return 0
	}
	sort.Float64s(f)
	return f[len(f)/2]
}
