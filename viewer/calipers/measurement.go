package calipers

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"pulsedesk/viewer"
)

// Kind names what a measurement is.
type Kind string

// Kinds of measurement. Interval and Amplitude are unnamed calipers; the
// others are the intervals a clinician names.
const (
	KindRR        Kind = "RR"
	KindHR        Kind = "HR"
	KindPR        Kind = "PR"
	KindQRS       Kind = "QRS"
	KindQT        Kind = "QT"
	KindQTc       Kind = "QTc"
	KindInterval  Kind = "interval"
	KindAmplitude Kind = "amplitude"
)

// Units of a measurement value.
const (
	UnitMS  = "ms"
	UnitBPM = "bpm"
	UnitMV  = "mV"
)

// TimeKinds are the kinds a time caliper can be named as.
var TimeKinds = []Kind{KindInterval, KindRR, KindPR, KindQRS, KindQT}

// Measurement is one measured value as plain data: what the case log keeps
// (kind, value, unit, points in the straight frame, the calibration JSON, the
// confirmed flag) and what may become context for the model.
type Measurement struct {
	Kind  Kind    `json:"kind"`
	Label string  `json:"label,omitempty"` // free text, e.g. "ST V2" or "lead II"
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Formula names the QTc correction; empty for other kinds.
	Formula Formula `json:"formula,omitempty"`
	// Intervals is how many intervals a time caliper spans (its value is the
	// mean); 0 or 1 for a single interval.
	Intervals int `json:"intervals,omitempty"`
	// Points are the caliper's ends in the straight frame (normalised).
	Points []viewer.Point `json:"points"`
	// Scale is the calibration the value was measured with.
	Scale Scale `json:"calibration"`
	// Confirmed is true only when the calibration was confirmed; an
	// unconfirmed measurement is never given to the model as fact.
	Confirmed bool `json:"confirmed"`
}

// Interval measures a time caliper a–b spanning n intervals (n ≤ 1 means one)
// and names it kind (RR, PR, QRS, QT or a plain interval).
func (s Scale) Interval(kind Kind, a, b viewer.Point, n int) (Measurement, error) {
	if n < 1 {
		n = 1
	}
	ms, err := s.MeanIntervalMS(a, b, n)
	if err != nil {
		return Measurement{}, fmt.Errorf("%s: %w", kind, err)
	}
	m := Measurement{Kind: kind, Value: ms, Unit: UnitMS, Points: []viewer.Point{a, b}, Scale: s, Confirmed: s.Confirmed}
	if n > 1 {
		m.Intervals = n
	}
	return m, nil
}

// Rate turns an RR measurement into a heart rate in bpm, keeping its points,
// scale and confirmation.
func Rate(rr Measurement) (Measurement, error) {
	if rr.Unit != UnitMS || !(rr.Value > 0) {
		return Measurement{}, fmt.Errorf("heart rate: needs an RR interval in ms, got %s %v %s", rr.Kind, rr.Value, rr.Unit)
	}
	hr := rr
	hr.Kind, hr.Value, hr.Unit = KindHR, BPM(rr.Value), UnitBPM
	return hr, nil
}

// Amplitude measures an amplitude caliper from a to b (positive when b is
// above a).
func (s Scale) Amplitude(label string, a, b viewer.Point) (Measurement, error) {
	mv, err := s.AmplitudeMV(a, b)
	if err != nil {
		return Measurement{}, err
	}
	return Measurement{Kind: KindAmplitude, Label: label, Value: mv, Unit: UnitMV, Points: []viewer.Point{a, b}, Scale: s, Confirmed: s.Confirmed}, nil
}

// CorrectQT makes a QTc measurement from a QT and an RR measurement by the
// formula. It is confirmed only when both are.
func CorrectQT(f Formula, qt, rr Measurement) (Measurement, error) {
	if qt.Unit != UnitMS || rr.Unit != UnitMS {
		return Measurement{}, fmt.Errorf("QTc: needs QT and RR in ms, got %s and %s", qt.Unit, rr.Unit)
	}
	v, err := QTc(f, qt.Value, rr.Value)
	if err != nil {
		return Measurement{}, err
	}
	pts := append(append([]viewer.Point{}, qt.Points...), rr.Points...)
	return Measurement{Kind: KindQTc, Value: v, Unit: UnitMS, Formula: f, Points: pts, Scale: qt.Scale,
		Confirmed: qt.Confirmed && rr.Confirmed}, nil
}

// ValueText is the value with its unit, rounded as a clinician reads it:
// "430 ms", "72 bpm", "0.15 mV".
func (m Measurement) ValueText() string {
	switch m.Unit {
	case UnitMV:
		return fmt.Sprintf("%.2f mV", m.Value)
	case "":
		return fmt.Sprintf("%.0f", m.Value)
	}
	return fmt.Sprintf("%.0f %s", m.Value, m.Unit)
}

// Name is the kind, or its label for an amplitude or a plain interval.
func (m Measurement) Name() string {
	if m.Label != "" && (m.Kind == KindAmplitude || m.Kind == KindInterval) {
		return m.Label
	}
	return string(m.Kind)
}

// String is "QTc 430 ms (Bazett)", with "(mean of 5)" for a mean and
// "unconfirmed scale" when the calibration was not confirmed.
func (m Measurement) String() string {
	s := m.Name() + " " + m.ValueText()
	if m.Formula != "" {
		s += " (" + string(m.Formula) + ")"
	}
	if m.Intervals > 1 {
		s += fmt.Sprintf(" (mean of %d)", m.Intervals)
	}
	if !m.Confirmed {
		s += " · unconfirmed scale"
	}
	return s
}

// PointsJSON is the points as JSON, for the case log.
func (m Measurement) PointsJSON() ([]byte, error) {
	pts := m.Points
	if pts == nil {
		pts = []viewer.Point{}
	}
	b, err := json.Marshal(pts)
	if err != nil {
		return nil, fmt.Errorf("measurement %s points: %w", m.Kind, err)
	}
	return b, nil
}

// CalibrationJSON is the scale as JSON, for the case log.
func (m Measurement) CalibrationJSON() ([]byte, error) { return MarshalScale(m.Scale) }

// ParsePoints reads points JSON written by PointsJSON.
func ParsePoints(data []byte) ([]viewer.Point, error) {
	var pts []viewer.Point
	if err := json.Unmarshal(data, &pts); err != nil {
		return nil, fmt.Errorf("measurement points: %w", err)
	}
	return pts, nil
}

// ContextLine is the measurements given to the model as context:
// "measured: HR 72 bpm, QTc 430 ms (Bazett)". Only confirmed measurements
// appear; unconfirmed ones are never given as fact. Empty when none is
// confirmed.
func ContextLine(ms []Measurement) string {
	var parts []string
	for _, m := range ms {
		if !m.Confirmed || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			continue
		}
		s := m.Name() + " " + m.ValueText()
		if m.Formula != "" {
			s += " (" + string(m.Formula) + ")"
		}
		if m.Intervals > 1 {
			s += fmt.Sprintf(" (mean of %d)", m.Intervals)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return "measured: " + strings.Join(parts, ", ")
}

// Estimate is a value the model gave (a "model estimate"), as plain data.
type Estimate struct {
	Kind  Kind
	Value float64
	Unit  string
}

// Tolerance says how far a model estimate may be from a measurement before
// the two are flagged as disagreeing. Either limit flags.
type Tolerance struct {
	Relative float64 // fraction of the measured value, e.g. 0.10
	MS       float64 // absolute limit for intervals, e.g. 20 ms
	BPM      float64 // absolute limit for rates (0 = relative only)
	MV       float64 // absolute limit for amplitudes (0 = relative only)
}

// DefaultTolerance flags a difference over 10 % or over 20 ms.
var DefaultTolerance = Tolerance{Relative: 0.10, MS: 20}

// Disagreement pairs a measurement with the model's estimate of the same
// thing, flagged when they differ by more than the tolerance.
type Disagreement struct {
	Kind     Kind
	Measured Measurement
	Estimate Estimate
	Diff     float64 // estimate − measured, in the measurement's unit
	Flagged  bool
	Reason   string // why it is flagged ("model 380 ms vs measured 430 ms: 50 ms apart")
}

// Compare pairs each measurement with the model estimate of the same kind
// (case-insensitive; an HR estimate is compared with a measured RR as a rate
// and the other way round) and flags those that disagree by more than
// DefaultTolerance, so both can be shown.
func Compare(measured []Measurement, estimates []Estimate) []Disagreement {
	return CompareWithin(measured, estimates, DefaultTolerance)
}

// CompareWithin is Compare with a chosen tolerance.
func CompareWithin(measured []Measurement, estimates []Estimate, tol Tolerance) []Disagreement {
	var out []Disagreement
	for _, m := range measured {
		if m.Kind == KindInterval || m.Kind == KindAmplitude {
			continue
		}
		for _, e := range estimates {
			ev, ok := convert(e, m)
			if !ok {
				continue
			}
			d := Disagreement{Kind: m.Kind, Measured: m, Estimate: e, Diff: ev - m.Value}
			abs := math.Abs(d.Diff)
			rel := abs / math.Abs(m.Value)
			var limit float64
			switch m.Unit {
			case UnitMS:
				limit = tol.MS
			case UnitBPM:
				limit = tol.BPM
			case UnitMV:
				limit = tol.MV
			}
			if (tol.Relative > 0 && rel > tol.Relative) || (limit > 0 && abs > limit) {
				d.Flagged = true
				d.Reason = fmt.Sprintf("model estimate %s vs measured %s: %s apart", Measurement{Value: ev, Unit: m.Unit}.ValueText(),
					m.ValueText(), Measurement{Value: abs, Unit: m.Unit}.ValueText())
			}
			out = append(out, d)
			break
		}
	}
	return out
}

// convert returns the estimate in the measurement's kind and unit.
func convert(e Estimate, m Measurement) (float64, bool) {
	if !(e.Value > 0) || !(m.Value > 0) || math.IsInf(e.Value, 0) {
		return 0, false
	}
	ek, mk := strings.ToUpper(string(e.Kind)), strings.ToUpper(string(m.Kind))
	unitOK := func(want string) bool { return e.Unit == "" || strings.EqualFold(e.Unit, want) }
	switch {
	case ek == mk && unitOK(m.Unit):
		return e.Value, true
	case ek == "HR" && mk == "RR" && unitOK(UnitBPM):
		return 60000 / e.Value, true
	case ek == "RR" && mk == "HR" && unitOK(UnitMS):
		return 60000 / e.Value, true
	}
	return 0, false
}

// Note is what a measurement holds besides kind, value, unit, points and
// scale, as a short text for the case log's note column:
// "formula=Bazett; intervals=5; label=ST V2" (empty when there is nothing).
func (m Measurement) Note() string {
	var parts []string
	if m.Formula != "" {
		parts = append(parts, "formula="+string(m.Formula))
	}
	if m.Intervals > 1 {
		parts = append(parts, fmt.Sprintf("intervals=%d", m.Intervals))
	}
	if l := strings.TrimSpace(m.Label); l != "" {
		l = strings.NewReplacer(";", ",", "\n", " ").Replace(l)
		parts = append(parts, "label="+l)
	}
	return strings.Join(parts, "; ")
}

// FromRecord rebuilds a measurement from what the case log keeps: kind,
// value, unit, points JSON, calibration JSON, the confirmed flag and the
// note written by Note. Unknown note entries are ignored.
func FromRecord(kind string, value float64, unit string, points, calibration []byte, confirmed bool, note string) (Measurement, error) {
	if strings.TrimSpace(kind) == "" {
		return Measurement{}, fmt.Errorf("measurement: no kind")
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return Measurement{}, fmt.Errorf("measurement %s: value is not a number", kind)
	}
	m := Measurement{Kind: Kind(kind), Value: value, Unit: unit, Confirmed: confirmed}
	if len(points) > 0 && string(points) != "null" {
		pts, err := ParsePoints(points)
		if err != nil {
			return Measurement{}, fmt.Errorf("measurement %s: %w", kind, err)
		}
		m.Points = pts
	}
	if len(calibration) > 0 && string(calibration) != "null" {
		s, err := UnmarshalScale(calibration)
		if err != nil {
			return Measurement{}, fmt.Errorf("measurement %s: %w", kind, err)
		}
		m.Scale = s
	}
	for _, part := range strings.Split(note, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "formula":
			if f, err := ParseFormula(v); err == nil {
				m.Formula = f
			}
		case "intervals":
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err == nil && n > 1 && n <= 1000 {
				m.Intervals = n
			}
		case "label":
			m.Label = v
		}
	}
	return m, nil
}
