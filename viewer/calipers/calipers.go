package calipers

import (
	"fmt"
	"math"

	"pulsedesk/viewer"
)

// TimeMS is the time between two points in milliseconds: the horizontal
// distance (time runs along x in the straight frame), always ≥ 0.
func (s Scale) TimeMS(a, b viewer.Point) (float64, error) {
	if !s.HasTime() {
		return 0, fmt.Errorf("time caliper: %w", ErrNoScale)
	}
	if !finite(a.X, b.X) {
		return 0, fmt.Errorf("time caliper: point is not a number")
	}
	mm := math.Abs(b.X-a.X) * s.FrameW / s.PxPerMMX
	return mm / s.SpeedMMPerS * 1000, nil
}

// AmplitudeMV is the voltage from a to b in millivolts: the vertical distance,
// positive when b is above a (y grows downwards on the page).
func (s Scale) AmplitudeMV(a, b viewer.Point) (float64, error) {
	if !s.HasAmplitude() {
		return 0, fmt.Errorf("amplitude caliper: %w", ErrNoScale)
	}
	if !finite(a.Y, b.Y) {
		return 0, fmt.Errorf("amplitude caliper: point is not a number")
	}
	mm := (a.Y - b.Y) * s.FrameH / s.PxPerMMY
	return mm / s.GainMMPerMV, nil
}

// XForMS is the normalised horizontal span of a time interval: the inverse of
// TimeMS, for drawing and nudging.
func (s Scale) XForMS(ms float64) float64 {
	if !s.HasTime() {
		return 0
	}
	return ms / 1000 * s.SpeedMMPerS * s.PxPerMMX / s.FrameW
}

// YForMV is the normalised vertical span of an amplitude: the inverse of
// AmplitudeMV.
func (s Scale) YForMV(mV float64) float64 {
	if !s.HasAmplitude() {
		return 0
	}
	return mV * s.GainMMPerMV * s.PxPerMMY / s.FrameH
}

// Res is what one screen pixel is worth at the current zoom.
type Res struct {
	MS float64 // milliseconds per screen pixel (0 when time is not calibrated)
	MV float64 // millivolts per screen pixel (0 when amplitude is not calibrated)
}

// String is "1 px = 5.1 ms · 0.013 mV".
func (r Res) String() string {
	switch {
	case r.MS > 0 && r.MV > 0:
		return fmt.Sprintf("1 px = %s ms · %s mV", sig(r.MS), sig(r.MV))
	case r.MS > 0:
		return fmt.Sprintf("1 px = %s ms", sig(r.MS))
	case r.MV > 0:
		return fmt.Sprintf("1 px = %s mV", sig(r.MV))
	}
	return "1 px = ? (no scale)"
}

// Resolution is what one screen pixel is worth when the straight frame is
// shown at screenPxPerStraightPx screen pixels per straight-frame pixel:
// the finest step a caliper can resolve at this zoom.
func Resolution(cal viewer.Calibration, screenPxPerStraightPx float64) Res {
	var r Res
	if !(screenPxPerStraightPx > 0) || math.IsInf(screenPxPerStraightPx, 0) {
		return r
	}
	speed, gain := cal.SpeedMMPerS, cal.GainMMPerMV
	if speed == 0 {
		speed = DefaultSpeed
	}
	if gain == 0 {
		gain = DefaultGain
	}
	if cal.PxPerMMX > 0 {
		r.MS = 1 / screenPxPerStraightPx / cal.PxPerMMX / speed * 1000
	}
	if cal.PxPerMMY > 0 {
		r.MV = 1 / screenPxPerStraightPx / cal.PxPerMMY / gain
	}
	return r
}

// March returns the horizontal positions (normalised) of marching calipers:
// the interval a–b repeated left and right of a across the strip
// [from, to], in increasing order. a and b are included. An interval shorter
// than a thousandth of the frame returns just a and b.
func March(a, b viewer.Point, from, to float64) []float64 {
	if from > to {
		from, to = to, from
	}
	step := math.Abs(b.X - a.X)
	start := math.Min(a.X, b.X)
	if !(step >= 1e-3) || !finite(from, to, start) {
		return []float64{math.Min(a.X, b.X), math.Max(a.X, b.X)}
	}
	const eps = 1e-9
	k0 := math.Ceil((from - start - eps) / step)
	k1 := math.Floor((to - start + eps) / step)
	if k1-k0 > 10000 {
		k1 = k0 + 10000
	}
	var xs []float64
	for k := k0; k <= k1; k++ {
		xs = append(xs, start+k*step)
	}
	return xs
}

// MeanIntervalMS is the mean interval when a caliper a–b spans n intervals
// (for example 5 beats of an irregular rhythm).
func (s Scale) MeanIntervalMS(a, b viewer.Point, n int) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("mean interval over %d intervals: need at least one", n)
	}
	ms, err := s.TimeMS(a, b)
	if err != nil {
		return 0, err
	}
	return ms / float64(n), nil
}

// Mean is the arithmetic mean of values (0 for none).
func Mean(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// BPM is the heart rate for an RR interval in milliseconds.
func BPM(rrMS float64) float64 {
	if !(rrMS > 0) {
		return 0
	}
	return 60000 / rrMS
}

// sig formats with about three significant digits.
func sig(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
