package calipers

import (
	"errors"
	"math"
	"strings"
	"testing"

	"pulsedesk/viewer"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %g", what, got, want, tol)
	}
}

func TestQTcWorkedValues(t *testing.T) {
	want := map[Formula]float64{Bazett: 464.8, Fridericia: 426.8, Framingham: 421.6, Hodges: 430.0}
	for f, w := range want {
		got, err := QTc(f, 360, 600)
		if err != nil {
			t.Fatal(err)
		}
		near(t, string(f), got, w, 0.05)
	}
	all, err := AllQTc(360, 600)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("AllQTc gave %d results", len(all))
	}
	for _, r := range all {
		near(t, "all "+string(r.Formula), r.MS, want[r.Formula], 0.05)
		if !strings.Contains(r.String(), string(r.Formula)) || !strings.Contains(r.String(), "QT") {
			t.Errorf("result %q does not name its formula", r.String())
		}
	}
	// At 60 bpm every formula leaves QT unchanged.
	for _, f := range Formulas {
		got, _ := QTc(f, 400, 1000)
		near(t, string(f)+" at 60 bpm", got, 400, 1e-9)
	}
}

func TestQTcRejectsBadInput(t *testing.T) {
	for _, c := range [][2]float64{{0, 600}, {360, 0}, {-1, 600}, {math.NaN(), 600}, {360, math.Inf(1)}} {
		if _, err := QTc(Bazett, c[0], c[1]); err == nil {
			t.Errorf("QTc(%v, %v) gave no error", c[0], c[1])
		}
	}
	if _, err := QTc("Rautaharju", 360, 600); err == nil {
		t.Error("unknown formula accepted")
	}
	if f, err := ParseFormula(" fridericia "); err != nil || f != Fridericia {
		t.Errorf("ParseFormula = %v, %v", f, err)
	}
	if _, err := ParseFormula("nope"); err == nil {
		t.Error("ParseFormula accepted nonsense")
	}
}

// A4-ish straight frame: 2000×1000 px at 8 px/mm.
func testScale() Scale {
	return NewScale(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, DPI: 203.2, Source: viewer.CalibrationGrid, Confidence: 0.97, Confirmed: true}, 2000, 1000)
}

func TestTimeAndAmplitude(t *testing.T) {
	s := testScale()
	// 200 px = 25 mm = 1 s at 25 mm/s.
	ms, err := s.TimeMS(viewer.Point{X: 0.1, Y: 0.5}, viewer.Point{X: 0.2, Y: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "time", ms, 1000, 1e-9)
	// Backwards gives the same time.
	ms2, _ := s.TimeMS(viewer.Point{X: 0.2}, viewer.Point{X: 0.1})
	near(t, "time backwards", ms2, 1000, 1e-9)
	// 80 px up = 10 mm = 1 mV at 10 mm/mV.
	mv, err := s.AmplitudeMV(viewer.Point{X: 0.5, Y: 0.5}, viewer.Point{X: 0.5, Y: 0.42})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "amplitude", mv, 1, 1e-9)
	mvDown, _ := s.AmplitudeMV(viewer.Point{Y: 0.42}, viewer.Point{Y: 0.5})
	near(t, "amplitude downwards", mvDown, -1, 1e-9)

	// 50 mm/s halves the time; 20 mm/mV halves the voltage.
	cal, err := WithSpeed(s.Calibration, 50)
	if err != nil {
		t.Fatal(err)
	}
	cal, err = WithGain(cal, 20)
	if err != nil {
		t.Fatal(err)
	}
	s2 := Scale{Calibration: cal, FrameW: s.FrameW, FrameH: s.FrameH}
	ms, _ = s2.TimeMS(viewer.Point{X: 0.1}, viewer.Point{X: 0.2})
	near(t, "time at 50 mm/s", ms, 500, 1e-9)
	mv, _ = s2.AmplitudeMV(viewer.Point{Y: 0.5}, viewer.Point{Y: 0.42})
	near(t, "amplitude at 20 mm/mV", mv, 0.5, 1e-9)
	cal5, _ := WithGain(cal, 5)
	mv, _ = Scale{Calibration: cal5, FrameW: 2000, FrameH: 1000}.AmplitudeMV(viewer.Point{Y: 0.5}, viewer.Point{Y: 0.42})
	near(t, "amplitude at 5 mm/mV", mv, 2, 1e-9)

	if _, err := WithSpeed(cal, 30); !errors.Is(err, ErrBadSpeed) {
		t.Errorf("speed 30 mm/s: %v", err)
	}
	if _, err := WithGain(cal, 7); !errors.Is(err, ErrBadGain) {
		t.Errorf("gain 7 mm/mV: %v", err)
	}
	// Inverses.
	near(t, "XForMS", s.XForMS(1000), 0.1, 1e-12)
	near(t, "YForMV", s.YForMV(1), 0.08, 1e-12)
}

func TestNoScale(t *testing.T) {
	var s Scale
	if _, err := s.TimeMS(viewer.Point{}, viewer.Point{X: 1}); !errors.Is(err, ErrNoScale) {
		t.Errorf("time without scale: %v", err)
	}
	if _, err := s.AmplitudeMV(viewer.Point{}, viewer.Point{Y: 1}); !errors.Is(err, ErrNoScale) {
		t.Errorf("amplitude without scale: %v", err)
	}
	if got := Describe(viewer.Calibration{}); !strings.Contains(got, "no scale") {
		t.Errorf("Describe(empty) = %q", got)
	}
	if r := Resolution(viewer.Calibration{}, 1); r.MS != 0 || r.MV != 0 || !strings.Contains(r.String(), "no scale") {
		t.Errorf("resolution without scale = %+v %q", r, r)
	}
}

func TestDescribe(t *testing.T) {
	cal := viewer.Calibration{PxPerMMX: 7.87, PxPerMMY: 7.87, SpeedMMPerS: 25, GainMMPerMV: 10, Source: viewer.CalibrationGrid, Confidence: 0.97, Confirmed: true}
	if got, want := Describe(cal), "25 mm/s · 10 mm/mV · 7.87 px/mm, from the grid, confidence 0.97"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	cal.Confirmed = false
	cal.Confidence = 0.55
	if got, want := Describe(cal), "25 mm/s · 10 mm/mV · 7.87 px/mm, from the grid, confidence 0.55, unconfirmed"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	man := viewer.Calibration{PxPerMMX: 8, PxPerMMY: 6.5, SpeedMMPerS: 50, GainMMPerMV: 20, Source: viewer.CalibrationManual, Confirmed: true}
	if got, want := Describe(man), "50 mm/s · 20 mm/mV · 8.00 px/mm across · 6.50 px/mm up, manual"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	dpi := viewer.Calibration{PxPerMMX: 11.81, PxPerMMY: 11.81, DPI: 300, Source: viewer.CalibrationDPI}
	if got := Describe(dpi); !strings.Contains(got, "300 DPI") || !strings.HasSuffix(got, "unconfirmed") {
		t.Errorf("Describe(dpi) = %q", got)
	}
}

func TestAutoConfirm(t *testing.T) {
	c := AutoConfirm(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationGrid, Confidence: 0.95})
	if !c.Confirmed {
		t.Error("grid at 0.95 not confirmed")
	}
	c = AutoConfirm(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationGrid, Confidence: ConfirmThreshold - 0.05})
	if c.Confirmed {
		t.Error("grid below the threshold confirmed")
	}
	c = AutoConfirm(viewer.Calibration{PxPerMMX: 8, PxPerMMY: 8, Source: viewer.CalibrationDPI, Confidence: 1, Confirmed: true})
	if c.Confirmed {
		t.Error("a DPI scale was confirmed")
	}
}

func TestManualCalibration(t *testing.T) {
	// Start with an unconfirmed, wrong DPI scale and no known truth.
	s := NewScale(viewer.Calibration{PxPerMMX: 5, PxPerMMY: 5, Source: viewer.CalibrationDPI}, 3000, 1500)
	// Five large squares span 0.10 → 0.35 of a 3000 px frame = 750 px, so
	// 30 px/mm across.
	s, err := CalibrateTime(s, viewer.Point{X: 0.10, Y: 0.5}, viewer.Point{X: 0.35, Y: 0.52}, 5*LargeSquareMM)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "px/mm across", s.PxPerMMX, 30, 1e-9)
	near(t, "px/mm up kept", s.PxPerMMY, 5, 1e-9)
	if s.Source != viewer.CalibrationManual || !s.Confirmed {
		t.Errorf("manual scale: source %q confirmed %v", s.Source, s.Confirmed)
	}
	ms, _ := s.TimeMS(viewer.Point{X: 0.10}, viewer.Point{X: 0.35})
	near(t, "1 s back", ms, 1000, 1e-9)
	// The 1 mV pulse stands 0.2 of a 1500 px frame = 300 px → 30 px/mm up.
	s, err = CalibrateAmplitude(s, viewer.Point{X: 0.05, Y: 0.6}, viewer.Point{X: 0.05, Y: 0.4}, MillivoltsToMM(1, s.GainMMPerMV))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "px/mm up", s.PxPerMMY, 30, 1e-9)
	mv, _ := s.AmplitudeMV(viewer.Point{Y: 0.6}, viewer.Point{Y: 0.4})
	near(t, "1 mV back", mv, 1, 1e-9)
	near(t, "SecondsToMM", SecondsToMM(1, 25), 25, 0)

	if _, err := CalibrateTime(s, viewer.Point{X: 0.1}, viewer.Point{X: 0.1001}, 25); !errors.Is(err, ErrShortSpan) {
		t.Errorf("tiny span: %v", err)
	}
	if _, err := CalibrateTime(s, viewer.Point{X: 0.1}, viewer.Point{X: 0.3}, 0); !errors.Is(err, ErrBadInterval) {
		t.Errorf("zero interval: %v", err)
	}
	if _, err := CalibrateAmplitude(s, viewer.Point{Y: 0.1}, viewer.Point{Y: 0.3}, math.NaN()); !errors.Is(err, ErrBadInterval) {
		t.Errorf("NaN interval: %v", err)
	}
	if _, err := CalibrateAmplitude(Scale{}, viewer.Point{Y: 0.1}, viewer.Point{Y: 0.3}, 10); !errors.Is(err, ErrNoFrame) {
		t.Errorf("no frame: %v", err)
	}
}

func TestScaleSurvivesCropAndZoom(t *testing.T) {
	s := testScale()
	a, b := viewer.Point{X: 0.3, Y: 0.4}, viewer.Point{X: 0.45, Y: 0.4}
	before, _ := s.TimeMS(a, b)
	old := viewer.NewEdits()
	cropped := old
	cropped.Crop = &viewer.Rect{X0: 0.2, Y0: 0.1, X1: 0.8, Y1: 0.9}
	cropped.Brightness = 0.2
	cropped.Redactions = []viewer.Rect{{X0: 0, Y0: 0, X1: 0.1, Y1: 0.1}}
	if bad, why := Invalidated(old, cropped); bad {
		t.Fatalf("crop/tone/redaction invalidated the scale: %s", why)
	}
	after, _ := s.TimeMS(a, b)
	near(t, "time after crop", after, before, 0)
	// Zoom changes only the resolution, in proportion.
	r1, r2 := Resolution(s.Calibration, 1), Resolution(s.Calibration, 2)
	near(t, "ms per px at 100%", r1.MS, 1000.0/8/25, 1e-12)
	near(t, "mV per px at 100%", r1.MV, 1.0/8/10, 1e-12)
	near(t, "ms per px at 200%", r2.MS, r1.MS/2, 1e-12)
	if got := r1.String(); got != "1 px = 5.00 ms · 0.0125 mV" {
		t.Errorf("resolution text %q", got)
	}
}

func TestInvalidated(t *testing.T) {
	base := viewer.NewEdits()
	base.Rotation = -2.5
	cases := []struct {
		name string
		mod  func(e *viewer.Edits)
		want bool
		word string
	}{
		{"quarter turn", func(e *viewer.Edits) { e.QuarterTurns = 1 }, true, "quarter"},
		{"full turn", func(e *viewer.Edits) { e.QuarterTurns = 4 }, false, ""},
		{"rotation", func(e *viewer.Edits) { e.Rotation = -1.5 }, true, "rotated"},
		{"perspective", func(e *viewer.Edits) {
			e.Perspective = &[4]viewer.Point{{X: 0.01, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}, {X: 0, Y: 1}}
		}, true, "perspective"},
		{"crop", func(e *viewer.Edits) { e.Crop = &viewer.Rect{X0: 0.1, Y0: 0.1, X1: 0.9, Y1: 0.9} }, false, ""},
		{"tone", func(e *viewer.Edits) { e.Gamma = 1.5; e.Invert = true }, false, ""},
	}
	for _, c := range cases {
		n := base
		c.mod(&n)
		bad, why := Invalidated(base, n)
		if bad != c.want || !strings.Contains(why, c.word) {
			t.Errorf("%s: invalidated %v (%q), want %v", c.name, bad, why, c.want)
		}
	}
	// Same perspective, different pointer.
	p1 := &[4]viewer.Point{{X: 0.1}, {X: 0.9}, {X: 0.9, Y: 1}, {Y: 1}}
	p2 := *p1
	a, b := base, base
	a.Perspective, b.Perspective = p1, &p2
	if bad, why := Invalidated(a, b); bad {
		t.Errorf("equal perspective invalidated: %s", why)
	}

	s := testScale()
	if bad, _ := FrameChanged(s, 2000, 1000); bad {
		t.Error("same frame size reported as changed")
	}
	bad, why := FrameChanged(s, 3000, 1500)
	if !bad || !strings.Contains(why, "DPI") {
		t.Errorf("DPI change: %v %q", bad, why)
	}
	r := Reset(s, 3000, 1500)
	if r.PxPerMMX != 0 || r.Confirmed || r.FrameW != 3000 || r.SpeedMMPerS != 25 {
		t.Errorf("reset scale %+v", r)
	}
}

func TestMarch(t *testing.T) {
	xs := March(viewer.Point{X: 0.3}, viewer.Point{X: 0.4}, 0.05, 0.95)
	want := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	if len(xs) != len(want) {
		t.Fatalf("March = %v, want %v", xs, want)
	}
	for i := range want {
		near(t, "march", xs[i], want[i], 1e-12)
	}
	// Reversed caliper and reversed strip give the same positions.
	ys := March(viewer.Point{X: 0.4}, viewer.Point{X: 0.3}, 0.95, 0.05)
	if len(ys) != len(xs) {
		t.Errorf("reversed march %v", ys)
	}
	// A degenerate caliper does not loop forever.
	if z := March(viewer.Point{X: 0.3}, viewer.Point{X: 0.3}, 0, 1); len(z) != 2 {
		t.Errorf("zero-width march %v", z)
	}
}

func TestMeanAndRate(t *testing.T) {
	s := testScale()
	// A caliper over 5 RR intervals spanning 0.4 of 2000 px = 800 px = 100 mm = 4 s.
	m, err := s.Interval(KindRR, viewer.Point{X: 0.1}, viewer.Point{X: 0.5}, 5)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean RR", m.Value, 800, 1e-9)
	if m.Intervals != 5 || !strings.Contains(m.String(), "mean of 5") {
		t.Errorf("mean RR %q", m.String())
	}
	hr, err := Rate(m)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "HR", hr.Value, 75, 1e-9)
	if hr.Unit != UnitBPM || !hr.Confirmed {
		t.Errorf("HR %+v", hr)
	}
	near(t, "Mean", Mean([]float64{600, 800, 1000}), 800, 1e-12)
	if Mean(nil) != 0 || BPM(0) != 0 {
		t.Error("empty mean or zero RR")
	}
	if _, err := s.MeanIntervalMS(viewer.Point{}, viewer.Point{X: 1}, 0); err == nil {
		t.Error("zero intervals accepted")
	}
	if _, err := Rate(Measurement{Kind: KindAmplitude, Value: 1, Unit: UnitMV}); err == nil {
		t.Error("rate from an amplitude")
	}
}

func TestContextLineOnlyConfirmed(t *testing.T) {
	conf := testScale()
	unconf := conf
	unconf.Confirmed = false
	unconf.Confidence = 0.5

	rr, _ := conf.Interval(KindRR, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + conf.XForMS(833.33)}, 1)
	hr, _ := Rate(rr)
	qt, _ := conf.Interval(KindQT, viewer.Point{X: 0.2}, viewer.Point{X: 0.2 + conf.XForMS(399.6)}, 1)
	qtc, err := CorrectQT(Bazett, qt, rr)
	if err != nil {
		t.Fatal(err)
	}
	// QT 399.6 / √0.83333 = 437.7
	near(t, "QTc", qtc.Value, 399.6/math.Sqrt(0.8333333), 0.05)
	pr, _ := unconf.Interval(KindPR, viewer.Point{X: 0.3}, viewer.Point{X: 0.32}, 1)

	got := ContextLine([]Measurement{hr, qtc, pr})
	if want := "measured: HR 72 bpm, QTc 438 ms (Bazett)"; got != want {
		t.Errorf("ContextLine = %q, want %q", got, want)
	}
	if strings.Contains(got, "PR") {
		t.Error("an unconfirmed measurement reached the model context")
	}
	if ContextLine([]Measurement{pr}) != "" {
		t.Error("context line from unconfirmed measurements only")
	}
	// A QTc from an unconfirmed RR is unconfirmed.
	rrU, _ := unconf.Interval(KindRR, viewer.Point{X: 0.1}, viewer.Point{X: 0.2}, 1)
	q2, _ := CorrectQT(Fridericia, qt, rrU)
	if q2.Confirmed {
		t.Error("QTc from an unconfirmed RR is confirmed")
	}
	if !strings.Contains(pr.String(), "unconfirmed") {
		t.Errorf("unconfirmed measurement text %q", pr.String())
	}
	amp, _ := conf.Amplitude("ST V2", viewer.Point{Y: 0.5}, viewer.Point{Y: 0.5 - conf.YForMV(0.15)})
	if got := ContextLine([]Measurement{amp}); got != "measured: ST V2 0.15 mV" {
		t.Errorf("amplitude context %q", got)
	}
}

func TestCompare(t *testing.T) {
	s := testScale()
	mk := func(k Kind, ms float64) Measurement {
		m, _ := s.Interval(k, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + s.XForMS(ms)}, 1)
		return m
	}
	qt := mk(KindQT, 400)
	qrs := mk(KindQRS, 100)
	pr := mk(KindPR, 160)
	rr := mk(KindRR, 1000)
	est := []Estimate{
		{Kind: "qt", Value: 430, Unit: "ms"},  // 30 ms apart: flagged (> 20 ms)
		{Kind: "QRS", Value: 95, Unit: "ms"},  // 5 ms, 5 %: fine
		{Kind: "PR", Value: 178, Unit: "ms"},  // 18 ms but 11 %: flagged
		{Kind: "HR", Value: 61, Unit: "bpm"},  // RR 984 ms vs 1000: fine
		{Kind: "QTc", Value: 450, Unit: "ms"}, // nothing measured: not paired
	}
	ds := Compare([]Measurement{qt, qrs, pr, rr}, est)
	if len(ds) != 4 {
		t.Fatalf("Compare paired %d, want 4: %+v", len(ds), ds)
	}
	flags := map[Kind]bool{}
	for _, d := range ds {
		flags[d.Kind] = d.Flagged
		if d.Flagged && !strings.Contains(d.Reason, "model estimate") {
			t.Errorf("reason %q", d.Reason)
		}
	}
	want := map[Kind]bool{KindQT: true, KindQRS: false, KindPR: true, KindRR: false}
	for k, w := range want {
		if flags[k] != w {
			t.Errorf("%s flagged %v, want %v", k, flags[k], w)
		}
	}
	near(t, "QT diff", ds[0].Diff, 30, 1e-6)
	// HR measured vs RR estimate, far apart.
	hr, _ := Rate(rr)
	ds = Compare([]Measurement{hr}, []Estimate{{Kind: "RR", Value: 750, Unit: "ms"}})
	if len(ds) != 1 || !ds[0].Flagged {
		t.Errorf("HR 60 vs RR 750 ms: %+v", ds)
	}
	// Unit mismatch is not compared.
	if ds := Compare([]Measurement{qt}, []Estimate{{Kind: "QT", Value: 0.4, Unit: "s"}}); len(ds) != 0 {
		t.Errorf("unit mismatch compared: %+v", ds)
	}
}

func TestScaleJSONRoundTrip(t *testing.T) {
	s := testScale()
	m, _ := s.Interval(KindQT, viewer.Point{X: 0.25, Y: 0.5}, viewer.Point{X: 0.45, Y: 0.5}, 1)
	cj, err := m.CalibrationJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"px_per_mm_x":8`, `"frame_width_px":2000`, `"source":"grid"`, `"confirmed":true`} {
		if !strings.Contains(string(cj), key) {
			t.Errorf("calibration JSON %s lacks %s", cj, key)
		}
	}
	back, err := UnmarshalScale(cj)
	if err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Errorf("scale round trip %+v != %+v", back, s)
	}
	pj, _ := m.PointsJSON()
	pts, err := ParsePoints(pj)
	if err != nil || len(pts) != 2 || pts[1] != m.Points[1] {
		t.Errorf("points round trip %v %v", pts, err)
	}
	if _, err := UnmarshalScale([]byte(`{"px_per_mm_x":-3}`)); err == nil {
		t.Error("negative scale accepted")
	}
	if _, err := UnmarshalScale([]byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
	if _, err := ParsePoints([]byte(`{}`)); err == nil {
		t.Error("points object accepted")
	}
}

func TestQTcFromMeasurements(t *testing.T) {
	s := testScale()
	mk := func(k Kind, ms float64, n int) Measurement {
		m, err := s.Interval(k, viewer.Point{X: 0.1}, viewer.Point{X: 0.1 + s.XForMS(ms*float64(n))}, n)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if _, err := QTcFromMeasurements(nil); err == nil || !strings.Contains(err.Error(), "QT and an RR") {
		t.Errorf("empty: %v", err)
	}
	if _, err := QTcFromMeasurements([]Measurement{mk(KindQT, 360, 1)}); err == nil || !strings.Contains(err.Error(), "RR") {
		t.Errorf("no RR: %v", err)
	}
	// A mean RR over 4 intervals of 600 ms, an older QT that is replaced.
	ms := []Measurement{mk(KindQT, 300, 1), mk(KindRR, 600, 4), mk(KindQT, 360, 1)}
	all, err := QTcFromMeasurements(ms)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{464.8, 426.8, 421.6, 430.0}
	for i, m := range all {
		near(t, string(m.Formula), m.Value, want[i], 0.05)
		if m.Kind != KindQTc || !m.Confirmed {
			t.Errorf("%+v", m)
		}
	}
	one, err := QTcFromMeasurements(ms, Hodges)
	if err != nil || len(one) != 1 || one[0].Formula != Hodges {
		t.Errorf("Hodges only: %v %v", one, err)
	}
	if got := ContextLine(one); got != "measured: QTc 430 ms (Hodges)" {
		t.Errorf("context %q", got)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	s := testScale()
	rr, _ := s.Interval(KindRR, viewer.Point{X: 0.1, Y: 0.4}, viewer.Point{X: 0.5, Y: 0.4}, 5)
	qt, _ := s.Interval(KindQT, viewer.Point{X: 0.2, Y: 0.6}, viewer.Point{X: 0.25, Y: 0.6}, 1)
	qtc, _ := CorrectQT(Framingham, qt, rr)
	amp, _ := s.Amplitude("ST; V2", viewer.Point{X: 0.3, Y: 0.5}, viewer.Point{X: 0.3, Y: 0.49})
	for _, m := range []Measurement{rr, qt, qtc, amp} {
		pj, err := m.PointsJSON()
		if err != nil {
			t.Fatal(err)
		}
		cj, err := m.CalibrationJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromRecord(string(m.Kind), m.Value, m.Unit, pj, cj, m.Confirmed, m.Note())
		if err != nil {
			t.Fatal(err)
		}
		if back.String() != strings.Replace(m.String(), "ST; V2", "ST, V2", 1) || back.Scale != m.Scale || len(back.Points) != len(m.Points) {
			t.Errorf("round trip %q → %q (%+v)", m.String(), back.String(), back)
		}
	}
	if got := qtc.Note(); got != "formula=Framingham" {
		t.Errorf("QTc note %q", got)
	}
	if got := rr.Note(); got != "intervals=5" {
		t.Errorf("mean RR note %q", got)
	}
	if _, err := FromRecord("", 1, "ms", nil, nil, false, ""); err == nil {
		t.Error("no kind accepted")
	}
	if _, err := FromRecord("QT", 400, "ms", []byte(`nonsense`), nil, false, ""); err == nil {
		t.Error("broken points accepted")
	}
	if m, err := FromRecord("QT", 400, "ms", []byte("null"), []byte("null"), false, "intervals=x; junk"); err != nil || m.Intervals != 0 {
		t.Errorf("null JSON and junk note: %+v %v", m, err)
	}
}
