package ui

import (
	"context"
	"fmt"
	"math"
	"strings"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer/calipers"
)

// storedMeasurement is a caliper measurement as the case log keeps it.
func storedMeasurement(m calipers.Measurement, caseUID, inputUID, author string) (storage.Measurement, error) {
	pts, err := m.PointsJSON()
	if err != nil {
		return storage.Measurement{}, err
	}
	cal, err := m.CalibrationJSON()
	if err != nil {
		return storage.Measurement{}, err
	}
	return storage.Measurement{CaseUID: caseUID, ModelInputUID: inputUID, Kind: string(m.Kind), Value: m.Value, Unit: m.Unit,
		Points: pts, Calibration: cal, Confirmed: m.Confirmed, Note: m.Note(), Author: author}, nil
}

// caliperMeasurement reads a measurement back from the case log.
func caliperMeasurement(sm storage.Measurement) (calipers.Measurement, error) {
	m, err := calipers.FromRecord(sm.Kind, sm.Value, sm.Unit, sm.Points, sm.Calibration, sm.Confirmed, sm.Note)
	if err != nil {
		return calipers.Measurement{}, fmt.Errorf("measurement %s of case %s: %w", sm.UID, sm.CaseUID, err)
	}
	return m, nil
}

// saveMeasurements adds the measurements to the case (measurements in the
// case log never change: each save adds the set measured now).
func saveMeasurements(ctx context.Context, st *storage.Store, caseUID, inputUID, author string, ms []calipers.Measurement) ([]storage.Measurement, error) {
	out := make([]storage.Measurement, 0, len(ms))
	for _, m := range ms {
		sm, err := storedMeasurement(m, caseUID, inputUID, author)
		if err != nil {
			return out, err
		}
		saved, err := st.AddMeasurement(ctx, sm)
		if err != nil {
			return out, fmt.Errorf("saving %s of case %s: %w", m.String(), caseUID, err)
		}
		out = append(out, saved)
	}
	return out, nil
}

// caliperFromMeasurement rebuilds the caliper a stored time or amplitude
// measurement was taken with (derived values such as HR and QTc have none).
func caliperFromMeasurement(m calipers.Measurement) (Caliper, bool) {
	if len(m.Points) != 2 {
		return Caliper{}, false
	}
	switch m.Unit {
	case calipers.UnitMV:
		return Caliper{Mode: CaliperAmplitude, Kind: calipers.KindAmplitude, Label: m.Label, A: m.Points[0], B: m.Points[1]}, true
	case calipers.UnitMS:
		if m.Kind == calipers.KindQTc {
			return Caliper{}, false
		}
		return Caliper{Mode: CaliperTime, Kind: m.Kind, Label: m.Label, A: m.Points[0], B: m.Points[1], Intervals: m.Intervals}, true
	}
	return Caliper{}, false
}

// questionMeasurements are the measurements that may go to the model with a
// question: confirmed ones only, rounded as read ("QTc (Bazett) 430 ms").
// confirmed is false when none may go.
func questionMeasurements(ms []calipers.Measurement) (out []interpret.Measurement, confirmed bool) {
	for _, m := range ms {
		if !m.Confirmed || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			continue
		}
		name := m.Name()
		if m.Formula != "" {
			name += " (" + string(m.Formula) + ")"
		}
		v := math.Round(m.Value)
		if m.Unit == calipers.UnitMV {
			v = math.Round(m.Value*100) / 100
		}
		out = append(out, interpret.Measurement{Name: name, Value: v, Unit: m.Unit})
	}
	return out, len(out) > 0
}

// findingKinds maps the model's structured findings to measurement kinds.
var findingKinds = map[string]calipers.Kind{
	"heart_rate": calipers.KindHR, "pr": calipers.KindPR, "qrs": calipers.KindQRS, "qt": calipers.KindQT, "qtc": calipers.KindQTc,
}

// modelEstimates are the model's interval and rate estimates as data to
// compare with the calipers.
func modelEstimates(f interpret.Findings) []calipers.Estimate {
	if !f.Available {
		return nil
	}
	var out []calipers.Estimate
	for _, key := range []string{"heart_rate", "pr", "qrs", "qt", "qtc"} {
		if v := f.Values[key]; v != nil {
			out = append(out, calipers.Estimate{Kind: findingKinds[key], Value: v.Value, Unit: v.Unit})
		}
	}
	return out
}

// disagreementText shows each measurement beside the model's estimate,
// flagging those that differ: "⚠ QT: measured 430 ms, model estimate 380 ms".
func disagreementText(ms []calipers.Measurement, f interpret.Findings) string {
	var lines []string
	for _, d := range calipers.Compare(ms, modelEstimates(f)) {
		mark := "✓"
		if d.Flagged {
			mark = "⚠"
		}
		est := calipers.Measurement{Value: d.Estimate.Value, Unit: d.Estimate.Unit}
		name := d.Measured.Name()
		if d.Measured.Formula != "" {
			name += " (" + string(d.Measured.Formula) + ")"
		}
		line := fmt.Sprintf("%s %s: measured %s, %s %s", mark, name, d.Measured.ValueText(), interpret.EstimateLabel, est.ValueText())
		if !d.Measured.Confirmed {
			line += " (unconfirmed scale)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
