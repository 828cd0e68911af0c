package calipers

import (
	"fmt"
	"math"
	"strings"
)

// Formula is a QT correction for heart rate.
type Formula string

// The four QTc formulas, by the names clinicians know them.
const (
	Bazett     Formula = "Bazett"     // QT / √RR
	Fridericia Formula = "Fridericia" // QT / ∛RR
	Framingham Formula = "Framingham" // QT + 154 ms × (1 − RR)
	Hodges     Formula = "Hodges"     // QT + 1.75 ms × (HR − 60)
)

// Formulas lists every formula, in the order they are shown.
var Formulas = []Formula{Bazett, Fridericia, Framingham, Hodges}

// Expression is the formula written out, RR in seconds, HR in bpm.
func (f Formula) Expression() string {
	switch f {
	case Bazett:
		return "QT / √RR"
	case Fridericia:
		return "QT / ∛RR"
	case Framingham:
		return "QT + 154 × (1 − RR)"
	case Hodges:
		return "QT + 1.75 × (HR − 60)"
	}
	return "?"
}

// ParseFormula reads a formula name, case-insensitively.
func ParseFormula(name string) (Formula, error) {
	for _, f := range Formulas {
		if strings.EqualFold(string(f), strings.TrimSpace(name)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("QTc formula %q: expected Bazett, Fridericia, Framingham or Hodges", name)
}

// QTc corrects a QT interval (ms) for the RR interval (ms) by the formula.
func QTc(f Formula, qtMS, rrMS float64) (float64, error) {
	if !(qtMS > 0) || !(rrMS > 0) || math.IsInf(qtMS, 0) || math.IsInf(rrMS, 0) {
		return 0, fmt.Errorf("QTc (%s) from QT %.0f ms and RR %.0f ms: both must be positive", f, qtMS, rrMS)
	}
	rr := rrMS / 1000
	switch f {
	case Bazett:
		return qtMS / math.Sqrt(rr), nil
	case Fridericia:
		return qtMS / math.Cbrt(rr), nil
	case Framingham:
		return qtMS + 154*(1-rr), nil
	case Hodges:
		return qtMS + 1.75*(60/rr-60), nil
	}
	return 0, fmt.Errorf("QTc: unknown formula %q", f)
}

// QTcResult is one corrected QT with its formula named.
type QTcResult struct {
	Formula Formula
	MS      float64
}

// String is "QTc 465 ms (Bazett: QT / √RR)".
func (r QTcResult) String() string {
	return fmt.Sprintf("QTc %.0f ms (%s: %s)", r.MS, r.Formula, r.Formula.Expression())
}

// AllQTc corrects QT by every formula at once.
func AllQTc(qtMS, rrMS float64) ([]QTcResult, error) {
	out := make([]QTcResult, 0, len(Formulas))
	for _, f := range Formulas {
		v, err := QTc(f, qtMS, rrMS)
		if err != nil {
			return nil, err
		}
		out = append(out, QTcResult{Formula: f, MS: v})
	}
	return out, nil
}

// QTcFromMeasurements corrects the last QT among ms by the last RR (a mean
// RR counts as RR) with each formula given, as QTc measurements confirmed
// only when both QT and RR are. It says what is missing when there is no QT
// or no RR.
func QTcFromMeasurements(ms []Measurement, formulas ...Formula) ([]Measurement, error) {
	var qt, rr *Measurement
	for i := range ms {
		switch ms[i].Kind {
		case KindQT:
			qt = &ms[i]
		case KindRR:
			rr = &ms[i]
		}
	}
	switch {
	case qt == nil && rr == nil:
		return nil, fmt.Errorf("QTc: measure a QT and an RR interval first")
	case qt == nil:
		return nil, fmt.Errorf("QTc: measure a QT interval first")
	case rr == nil:
		return nil, fmt.Errorf("QTc: measure an RR interval first")
	}
	if len(formulas) == 0 {
		formulas = Formulas
	}
	out := make([]Measurement, 0, len(formulas))
	for _, f := range formulas {
		m, err := CorrectQT(f, *qt, *rr)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
