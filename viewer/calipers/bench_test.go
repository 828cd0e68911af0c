package calipers

import (
	"testing"

	"pulsedesk/viewer"
)

// BenchmarkCaliperDrag is the work done per pointer event while a caliper is
// dragged: measure, describe the resolution and redo the marching positions.
func BenchmarkCaliperDrag(b *testing.B) {
	s := testScale()
	a := viewer.Point{X: 0.2, Y: 0.5}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := viewer.Point{X: 0.3 + float64(i%100)*1e-4, Y: 0.45}
		m, err := s.Interval(KindRR, a, p, 1)
		if err != nil {
			b.Fatal(err)
		}
		_ = m.String()
		_ = Resolution(s.Calibration, 1.5).String()
		_ = March(a, p, 0, 1)
	}
}

func BenchmarkContextLine(b *testing.B) {
	s := testScale()
	rr, _ := s.Interval(KindRR, viewer.Point{X: 0.1}, viewer.Point{X: 0.2}, 1)
	hr, _ := Rate(rr)
	qt, _ := s.Interval(KindQT, viewer.Point{X: 0.1}, viewer.Point{X: 0.14}, 1)
	qtc, _ := CorrectQT(Bazett, qt, rr)
	ms := []Measurement{rr, hr, qt, qtc}
	b.ReportAllocs()
	for b.Loop() {
		_ = ContextLine(ms)
	}
}
