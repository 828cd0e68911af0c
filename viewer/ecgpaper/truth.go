package ecgpaper

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
)

// Pixel coordinates in Truth are continuous: pixel (i, j) covers
// [i, i+1) x [j, j+1), so its centre is (i+0.5, j+0.5). x grows right, y down.

// Rect is a rectangle in pixels, [X0, X1) x [Y0, Y1). It is written to JSON
// as [x0, y0, x1, y1].
type Rect struct{ X0, Y0, X1, Y1 float64 }

// MarshalJSON writes the rectangle as [x0, y0, x1, y1].
func (r Rect) MarshalJSON() ([]byte, error) {
	return json.Marshal([4]float64{r.X0, r.Y0, r.X1, r.Y1})
}

// UnmarshalJSON reads [x0, y0, x1, y1].
func (r *Rect) UnmarshalJSON(b []byte) error {
	var a [4]float64
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("rectangle: %w", err)
	}
	*r = Rect{a[0], a[1], a[2], a[3]}
	return nil
}

// Image is the smallest image.Rectangle holding r.
func (r Rect) Image() image.Rectangle {
	return image.Rect(int(math.Floor(r.X0)), int(math.Floor(r.Y0)), int(math.Ceil(r.X1)), int(math.Ceil(r.Y1)))
}

// Empty reports whether r holds no area.
func (r Rect) Empty() bool { return !(r.X1 > r.X0 && r.Y1 > r.Y0) }

// Union is the smallest rectangle holding r and s.
func (r Rect) Union(s Rect) Rect {
	if r.Empty() {
		return s
	}
	if s.Empty() {
		return r
	}
	return Rect{math.Min(r.X0, s.X0), math.Min(r.Y0, s.Y0), math.Max(r.X1, s.X1), math.Max(r.Y1, s.Y1)}
}

// Truth is the exact geometry of a rendered page.
type Truth struct {
	Record      string  `json:"record"`
	Fs          float64 `json:"fs"`
	DPI         float64 `json:"dpi"`
	PxPerMM     float64 `json:"px_per_mm"`
	SpeedMMPerS float64 `json:"speed_mm_per_s"`
	GainMMPerMV float64 `json:"gain_mm_per_mv"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	PageWidthMM float64 `json:"page_width_mm"`
	PageHeight  float64 `json:"page_height_mm"`
	Layout      string  `json:"layout"`
	GridColor   string  `json:"grid_color"`
	GridStyle   string  `json:"grid_style"`
	// GridBox is the area the grid covers; grid lines lie at GridBox.X0 +
	// k*PxPerMM and GridBox.Y0 + k*PxPerMM (every 5th one major).
	GridBox Rect `json:"grid_box"`
	// TraceBox holds every pixel the traces and calibration pulses touch
	// (anti-aliasing included); SignalBox only the lead traces.
	TraceBox  Rect `json:"trace_box"`
	SignalBox Rect `json:"signal_box"`
	// InkBox holds the traces, pulses and lead labels: everything drawn on
	// the grid but the header.
	InkBox Rect `json:"ink_box"`
	// HeaderBox holds the header text (empty without a header).
	HeaderBox Rect    `json:"header_box"`
	TraceWPx  float64 `json:"trace_width_px"`
	Panels    []Panel `json:"panels"`
	Pulses    []Pulse `json:"pulses"`
}

// Panel is one lead drawn on the page.
type Panel struct {
	Lead      string  `json:"lead"`
	LeadIndex int     `json:"lead_index"` // index in Record.Leads
	Row       int     `json:"row"`
	Col       int     `json:"col"`
	Rhythm    bool    `json:"rhythm"` // the full-width rhythm strip
	Box       Rect    `json:"box"`    // the panel's cell: its time span by its row band
	X0        float64 `json:"x0"`     // pixel x of time T0
	BaselineY float64 `json:"baseline_y"`
	T0        float64 `json:"t0"` // seconds in the recording at X0
	T1        float64 `json:"t1"`
	// Samples [StartSample, EndSample) of the lead are drawn.
	StartSample int `json:"start_sample"`
	EndSample   int `json:"end_sample"`
	// OffsetMV is the signal value drawn on the baseline (the median of the
	// drawn samples, which takes out the electrode offset).
	OffsetMV float64 `json:"offset_mv"`
	LabelBox Rect    `json:"label_box"`
}

// Pulse is the 1 mV calibration pulse at the start of a row.
type Pulse struct {
	Row       int     `json:"row"`
	X0        float64 `json:"x0"`         // start of its baseline
	RiseX     float64 `json:"rise_x"`     // rising edge
	FallX     float64 `json:"fall_x"`     // falling edge (RiseX + 0.2 s)
	X1        float64 `json:"x1"`         // end of its baseline
	BaselineY float64 `json:"baseline_y"` // 0 mV
	TopY      float64 `json:"top_y"`      // 1 mV
}

// Point maps a time in the recording (seconds) and a value (mV) of a lead to
// page pixels, in the first panel of that lead whose time span holds tSec
// (the lead's own panel before the rhythm strip). ok is false when the lead
// is not drawn at that time.
func (t *Truth) Point(lead string, tSec, mV float64) (x, y float64, ok bool) {
	lead = NormalizeLeadName(lead)
	for i := range t.Panels {
		p := &t.Panels[i]
		if p.Lead == lead && tSec >= p.T0 && tSec <= p.T1 {
			x, y = t.PanelPoint(i, tSec, mV)
			return x, y, true
		}
	}
	return 0, 0, false
}

// PanelPoint maps a time (s) and value (mV) to pixels in panel i, without
// checking the panel's time span.
func (t *Truth) PanelPoint(i int, tSec, mV float64) (x, y float64) {
	p := &t.Panels[i]
	x = p.X0 + (tSec-p.T0)*t.SpeedMMPerS*t.PxPerMM
	y = p.BaselineY - (mV-p.OffsetMV)*t.GainMMPerMV*t.PxPerMM
	return x, y
}

// SampleX is the pixel x of sample s of the recording in panel i.
func (t *Truth) SampleX(i, s int) float64 {
	p := &t.Panels[i]
	return p.X0 + (float64(s)/t.Fs-p.T0)*t.SpeedMMPerS*t.PxPerMM
}

// SamplePoint maps sample s of the recording, whose value is mV, to pixels
// in panel i. ok is false when panel i does not draw sample s.
func (t *Truth) SamplePoint(i, s int, mV float64) (x, y float64, ok bool) {
	if i < 0 || i >= len(t.Panels) {
		return 0, 0, false
	}
	p := &t.Panels[i]
	if s < p.StartSample || s >= p.EndSample {
		return 0, 0, false
	}
	x, y = t.PanelPoint(i, float64(s)/t.Fs, mV)
	return x, y, true
}

// RhythmPanel is the index of the rhythm strip panel, or -1 without one.
func (t *Truth) RhythmPanel() int {
	for i, p := range t.Panels {
		if p.Rhythm {
			return i
		}
	}
	return -1
}

// PixelToTime is the inverse of PanelPoint: the time (s) and value (mV) at
// pixel (x, y) of panel i.
func (t *Truth) PixelToTime(i int, x, y float64) (tSec, mV float64) {
	p := &t.Panels[i]
	tSec = p.T0 + (x-p.X0)/(t.SpeedMMPerS*t.PxPerMM)
	mV = p.OffsetMV + (p.BaselineY-y)/(t.GainMMPerMV*t.PxPerMM)
	return tSec, mV
}

// MM is the pixel position of a point on the page given in millimetres
// from its top-left corner.
func (t *Truth) MM(xmm, ymm float64) (x, y float64) {
	return xmm * t.PxPerMM, ymm * t.PxPerMM
}
