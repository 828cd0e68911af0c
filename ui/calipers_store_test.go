package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
)

func TestMeasurementsThroughTheCaseLog(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(filepath.Join(t.TempDir(), "data", storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.CreateCase(ctx, storage.Case{PatientRef: "CAL-1"})
	if err != nil {
		t.Fatal(err)
	}
	s := calipers.NewScale(viewer.Calibration{PxPerMMX: 7.87, PxPerMMY: 7.87, Source: viewer.CalibrationGrid, Confidence: 0.97, Confirmed: true}, 2200, 1700)
	rr, _ := s.Interval(calipers.KindRR, viewer.Point{X: 0.1, Y: 0.3}, viewer.Point{X: 0.1 + s.XForMS(600*3), Y: 0.3}, 3)
	hr, _ := calipers.Rate(rr)
	qt, _ := s.Interval(calipers.KindQT, viewer.Point{X: 0.2, Y: 0.5}, viewer.Point{X: 0.2 + s.XForMS(360), Y: 0.5}, 1)
	qtc, _ := calipers.CorrectQT(calipers.Hodges, qt, rr)
	amp, _ := s.Amplitude("ST V2", viewer.Point{X: 0.4, Y: 0.5}, viewer.Point{X: 0.4, Y: 0.5 - s.YForMV(0.2)})
	ms := []calipers.Measurement{rr, hr, qt, qtc, amp}

	if _, err := saveMeasurements(ctx, st, c.UID, "", "dr test", ms); err != nil {
		t.Fatal(err)
	}
	d, err := st.CaseDetail(ctx, c.UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Measurements) != len(ms) {
		t.Fatalf("%d measurements stored, want %d", len(d.Measurements), len(ms))
	}
	var back []calipers.Measurement
	var rebuilt []Caliper
	for i, sm := range d.Measurements {
		m, err := caliperMeasurement(sm)
		if err != nil {
			t.Fatal(err)
		}
		if m.String() != ms[i].String() || m.Scale != ms[i].Scale {
			t.Errorf("stored %q came back as %q", ms[i].String(), m.String())
		}
		back = append(back, m)
		if c, ok := caliperFromMeasurement(m); ok {
			rebuilt = append(rebuilt, c)
		}
	}
	if got := calipers.ContextLine(back); got != "measured: RR 600 ms (mean of 3), HR 100 bpm (mean of 3), QT 360 ms, QTc 430 ms (Hodges), ST V2 0.20 mV" {
		t.Errorf("context from the case log %q", got)
	}
	// The RR, QT and amplitude calipers come back; HR and QTc are derived.
	if len(rebuilt) != 3 || rebuilt[0].Intervals != 3 || rebuilt[2].Mode != CaliperAmplitude {
		t.Fatalf("rebuilt calipers %+v", rebuilt)
	}
	o := NewCaliperOverlay()
	o.SetScale(s)
	o.SetCalipers(rebuilt)
	if got := o.Measurements(); len(got) != 3 || got[0].String() != rr.String() {
		t.Errorf("measurements of the rebuilt calipers %v", got)
	}
}

func TestQuestionMeasurementsOnlyConfirmed(t *testing.T) {
	conf := calipers.NewScale(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationManual, Confirmed: true}, 2000, 1000)
	unconf := conf
	unconf.Confirmed = false
	qt, _ := conf.Interval(calipers.KindQT, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + conf.XForMS(401.4)}, 1)
	rr, _ := conf.Interval(calipers.KindRR, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + conf.XForMS(800)}, 1)
	qtc, _ := calipers.CorrectQT(calipers.Bazett, qt, rr)
	pr, _ := unconf.Interval(calipers.KindPR, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + conf.XForMS(160)}, 1)

	list, ok := questionMeasurements([]calipers.Measurement{qt, qtc, pr})
	if !ok || len(list) != 2 {
		t.Fatalf("question measurements %+v %v", list, ok)
	}
	pc := interpret.PatientContext{Measurements: list, CalibrationConfirmed: ok}
	lines := strings.Join(pc.Lines(), "\n")
	if !strings.Contains(lines, "QT 401 ms") || !strings.Contains(lines, "QTc (Bazett) 449 ms") || strings.Contains(lines, "PR") {
		t.Errorf("model context %q", lines)
	}
	if l, ok := questionMeasurements([]calipers.Measurement{pr}); ok || len(l) != 0 {
		t.Errorf("unconfirmed measurement offered to the model: %+v", l)
	}
}

func TestDisagreementsWithModelEstimates(t *testing.T) {
	s := calipers.NewScale(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationGrid, Confidence: 0.95, Confirmed: true}, 2000, 1000)
	qt, _ := s.Interval(calipers.KindQT, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + s.XForMS(430)}, 1)
	qrs, _ := s.Interval(calipers.KindQRS, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + s.XForMS(92)}, 1)
	f := interpret.ParseFindings(`{"rhythm":"sinus rhythm","heart_rate":70,"axis":null,"pr":160,"qrs":96,"qt":380,"qtc":null,"diagnoses":[]}`)
	if !f.Available {
		t.Fatalf("findings not parsed: %s", f.Reason)
	}
	text := disagreementText([]calipers.Measurement{qt, qrs}, f)
	if !strings.Contains(text, "⚠ QT: measured 430 ms, model estimate 380 ms") {
		t.Errorf("QT disagreement not flagged: %q", text)
	}
	if !strings.Contains(text, "✓ QRS: measured 92 ms, model estimate 96 ms") {
		t.Errorf("QRS agreement not shown: %q", text)
	}
	if got := disagreementText([]calipers.Measurement{qt}, interpret.Findings{}); got != "" {
		t.Errorf("no findings gave %q", got)
	}
}
