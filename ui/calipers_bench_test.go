package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2/test"

	"pulsedesk/viewer"
	"pulsedesk/viewer/calipers"
)

// BenchmarkCaliperOverlayObjects is the cost of drawing five calipers (one
// marching) each time the canvas is laid out, e.g. per drag event.
func BenchmarkCaliperOverlayObjects(b *testing.B) {
	test.NewTempApp(b)
	o := NewCaliperOverlay()
	o.SetScale(calipers.NewScale(viewer.Calibration{PxPerMMX: 7.87, PxPerMMY: 7.87, Source: viewer.CalibrationGrid, Confidence: 0.97, Confirmed: true}, 2200, 1700))
	o.SetCalipers([]Caliper{
		{Mode: CaliperTime, Kind: calipers.KindRR, A: viewer.Point{X: 0.2, Y: 0.8}, B: viewer.Point{X: 0.29, Y: 0.8}, March: true},
		{Mode: CaliperTime, Kind: calipers.KindQT, A: viewer.Point{X: 0.3, Y: 0.5}, B: viewer.Point{X: 0.34, Y: 0.5}},
		{Mode: CaliperTime, Kind: calipers.KindPR, A: viewer.Point{X: 0.4, Y: 0.5}, B: viewer.Point{X: 0.42, Y: 0.5}},
		{Mode: CaliperTime, Kind: calipers.KindQRS, A: viewer.Point{X: 0.5, Y: 0.5}, B: viewer.Point{X: 0.51, Y: 0.5}},
		{Mode: CaliperAmplitude, Kind: calipers.KindAmplitude, A: viewer.Point{X: 0.05, Y: 0.6}, B: viewer.Point{X: 0.05, Y: 0.55}},
	})
	m := canvasMapping{zoom: 0.4, frame: image.Pt(2200, 1700)}
	b.ReportAllocs()
	for b.Loop() {
		if objs := o.Objects(m); len(objs) == 0 {
			b.Fatal("nothing drawn")
		}
	}
}
