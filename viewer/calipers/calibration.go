// Package calipers is the arithmetic behind calibrated ECG calipers: the
// scale of the straight frame (from the grid or set by hand), time and
// amplitude calipers, marching calipers, QTc formulas and measurements as
// plain data for the case log and as context for the model.
//
// Every point is in the straight frame, normalised to [0,1]×[0,1] (see
// viewer.Edits). A Scale joins a viewer.Calibration with the size in pixels
// of the straight frame it was measured on, so a caliper stays right through
// zoom and crop: zoom changes only how the frame is shown, and crop changes
// the model frame, not the straight frame.
package calipers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"pulsedesk/viewer"
	"pulsedesk/viewer/geometry"
)

// Paper speeds and gains a printout may use.
var (
	Speeds = []float64{25, 50}    // mm/s
	Gains  = []float64{5, 10, 20} // mm/mV
)

// Defaults when a printout says nothing.
const (
	DefaultSpeed = 25.0 // mm/s
	DefaultGain  = 10.0 // mm/mV
)

// ConfirmThreshold is the grid-detection confidence at or above which a scale
// from the grid counts as confirmed without the clinician's word (the grid
// detector's own threshold).
const ConfirmThreshold = geometry.ConfirmConfidence

// Errors a caliper or calibration can return.
var (
	ErrNoScale     = errors.New("no scale: calibrate from the grid or by hand")
	ErrNoFrame     = errors.New("the straight frame size is unknown")
	ErrShortSpan   = errors.New("the caliper is too short to calibrate from")
	ErrBadSpeed    = errors.New("paper speed must be 25 or 50 mm/s")
	ErrBadGain     = errors.New("gain must be 5, 10 or 20 mm/mV")
	ErrBadInterval = errors.New("the known interval must be positive")
)

// Scale is a calibration in the straight frame: the viewer.Calibration (px/mm
// of the straight frame at a render DPI, paper speed, gain, source,
// confidence, confirmed) and the straight frame's size in pixels at that DPI,
// which turns normalised points into pixels. Its JSON is the calibration
// JSON kept with each measurement.
type Scale struct {
	viewer.Calibration
	FrameW float64 `json:"frame_width_px"`  // straight frame width in pixels at Calibration.DPI
	FrameH float64 `json:"frame_height_px"` // straight frame height in pixels at Calibration.DPI
}

// NewScale joins a calibration with the straight frame size it belongs to.
// A zero speed or gain takes the default (25 mm/s, 10 mm/mV).
func NewScale(cal viewer.Calibration, frameW, frameH int) Scale {
	if cal.SpeedMMPerS == 0 {
		cal.SpeedMMPerS = DefaultSpeed
	}
	if cal.GainMMPerMV == 0 {
		cal.GainMMPerMV = DefaultGain
	}
	return Scale{Calibration: cal, FrameW: float64(frameW), FrameH: float64(frameH)}
}

// AutoConfirm marks a scale from the grid as confirmed when its confidence
// reaches ConfirmThreshold. Other sources are returned unchanged: a manual
// scale is confirmed when it is set, a DPI scale never is.
func AutoConfirm(cal viewer.Calibration) viewer.Calibration {
	if cal.Source == viewer.CalibrationGrid && cal.Confidence >= ConfirmThreshold && cal.PxPerMMX > 0 && cal.PxPerMMY > 0 {
		cal.Confirmed = true
	}
	if cal.Source == viewer.CalibrationDPI {
		cal.Confirmed = false
	}
	return cal
}

// HasTime reports whether the scale can measure time.
func (s Scale) HasTime() bool {
	return s.PxPerMMX > 0 && s.SpeedMMPerS > 0 && s.FrameW > 0 && finite(s.PxPerMMX, s.SpeedMMPerS, s.FrameW)
}

// HasAmplitude reports whether the scale can measure amplitude.
func (s Scale) HasAmplitude() bool {
	return s.PxPerMMY > 0 && s.GainMMPerMV > 0 && s.FrameH > 0 && finite(s.PxPerMMY, s.GainMMPerMV, s.FrameH)
}

// MarshalScale writes the scale as the calibration JSON kept with a measurement.
func MarshalScale(s Scale) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	return b, nil
}

// UnmarshalScale reads calibration JSON written by MarshalScale, refusing
// values that cannot be a scale.
func UnmarshalScale(data []byte) (Scale, error) {
	var s Scale
	if err := json.Unmarshal(data, &s); err != nil {
		return Scale{}, fmt.Errorf("calibration: %w", err)
	}
	if !finite(s.PxPerMMX, s.PxPerMMY, s.FrameW, s.FrameH, s.SpeedMMPerS, s.GainMMPerMV, s.DPI, s.Confidence) ||
		s.PxPerMMX < 0 || s.PxPerMMY < 0 || s.FrameW < 0 || s.FrameH < 0 || s.SpeedMMPerS < 0 || s.GainMMPerMV < 0 {
		return Scale{}, fmt.Errorf("calibration: negative or non-finite value in %s", data)
	}
	return s, nil
}

// Describe says plainly what a calibration is, for the status bar and the
// calipers panel: "25 mm/s · 10 mm/mV · 7.87 px/mm, from the grid,
// confidence 0.97", with "unconfirmed" when it is not confirmed. Separate
// horizontal and vertical scales are both shown when they differ.
func Describe(cal viewer.Calibration) string {
	if cal.PxPerMMX <= 0 && cal.PxPerMMY <= 0 {
		return "no scale · calibrate by hand"
	}
	speed, gain := cal.SpeedMMPerS, cal.GainMMPerMV
	if speed == 0 {
		speed = DefaultSpeed
	}
	if gain == 0 {
		gain = DefaultGain
	}
	var px string
	if math.Abs(cal.PxPerMMX-cal.PxPerMMY) < 0.005 {
		px = fmt.Sprintf("%.2f px/mm", cal.PxPerMMX)
	} else {
		px = fmt.Sprintf("%.2f px/mm across · %.2f px/mm up", cal.PxPerMMX, cal.PxPerMMY)
	}
	parts := []string{fmt.Sprintf("%s mm/s · %s mm/mV · %s", num(speed), num(gain), px)}
	switch cal.Source {
	case viewer.CalibrationGrid:
		parts = append(parts, "from the grid", fmt.Sprintf("confidence %.2f", cal.Confidence))
	case viewer.CalibrationManual:
		parts = append(parts, "manual")
	case viewer.CalibrationDPI:
		if cal.DPI > 0 {
			parts = append(parts, fmt.Sprintf("from the file's %s DPI", num(cal.DPI)))
		} else {
			parts = append(parts, "from the file's DPI")
		}
	}
	if !cal.Confirmed {
		parts = append(parts, "unconfirmed")
	}
	return strings.Join(parts, ", ")
}

// WithSpeed sets the paper speed (25 or 50 mm/s). The px/mm scale is that of
// the paper and does not change.
func WithSpeed(cal viewer.Calibration, mmPerS float64) (viewer.Calibration, error) {
	if !oneOf(mmPerS, Speeds) {
		return cal, fmt.Errorf("paper speed %s mm/s: %w", num(mmPerS), ErrBadSpeed)
	}
	cal.SpeedMMPerS = mmPerS
	return cal, nil
}

// WithGain sets the gain (5, 10 or 20 mm/mV).
func WithGain(cal viewer.Calibration, mmPerMV float64) (viewer.Calibration, error) {
	if !oneOf(mmPerMV, Gains) {
		return cal, fmt.Errorf("gain %s mm/mV: %w", num(mmPerMV), ErrBadGain)
	}
	cal.GainMMPerMV = mmPerMV
	return cal, nil
}

// Known intervals for manual calibration, in millimetres of paper.
const (
	LargeSquareMM = 5.0 // one large square
	SmallSquareMM = 1.0 // one small square
)

// SecondsToMM is the paper length of a time interval at a paper speed.
func SecondsToMM(seconds, speedMMPerS float64) float64 { return seconds * speedMMPerS }

// MillivoltsToMM is the paper height of an amplitude at a gain.
func MillivoltsToMM(mV, gainMMPerMV float64) float64 { return mV * gainMMPerMV }

// minCalibrationPx is the shortest caliper, in straight-frame pixels, that
// may set a scale: shorter spans make the scale too coarse to trust.
const minCalibrationPx = 10

// CalibrateTime sets the horizontal scale by hand from a caliper a–b laid
// across a known paper length (for example 5 large squares = 25 mm = 1 s at
// 25 mm/s). Only the horizontal component of the caliper counts: time runs
// along x in the straight frame. The result is manual and confirmed; the
// vertical scale is kept.
func CalibrateTime(s Scale, a, b viewer.Point, knownMM float64) (Scale, error) {
	if !(knownMM > 0) || math.IsInf(knownMM, 0) {
		return s, fmt.Errorf("calibrate time from %s mm: %w", num(knownMM), ErrBadInterval)
	}
	if s.FrameW <= 0 {
		return s, fmt.Errorf("calibrate time: %w", ErrNoFrame)
	}
	dx := math.Abs(b.X-a.X) * s.FrameW
	if !(dx >= minCalibrationPx) {
		return s, fmt.Errorf("calibrate time across %.1f px: %w", dx, ErrShortSpan)
	}
	s.PxPerMMX = dx / knownMM
	return manual(s), nil
}

// CalibrateAmplitude sets the vertical scale by hand from a caliper a–b laid
// across a known paper height (for example the 1 mV calibration pulse =
// 10 mm at 10 mm/mV). Only the vertical component counts.
func CalibrateAmplitude(s Scale, a, b viewer.Point, knownMM float64) (Scale, error) {
	if !(knownMM > 0) || math.IsInf(knownMM, 0) {
		return s, fmt.Errorf("calibrate amplitude from %s mm: %w", num(knownMM), ErrBadInterval)
	}
	if s.FrameH <= 0 {
		return s, fmt.Errorf("calibrate amplitude: %w", ErrNoFrame)
	}
	dy := math.Abs(b.Y-a.Y) * s.FrameH
	if !(dy >= minCalibrationPx) {
		return s, fmt.Errorf("calibrate amplitude across %.1f px: %w", dy, ErrShortSpan)
	}
	s.PxPerMMY = dy / knownMM
	return manual(s), nil
}

func manual(s Scale) Scale {
	s.Source = viewer.CalibrationManual
	s.Confidence = 1
	s.Confirmed = true
	if s.SpeedMMPerS == 0 {
		s.SpeedMMPerS = DefaultSpeed
	}
	if s.GainMMPerMV == 0 {
		s.GainMMPerMV = DefaultGain
	}
	return s
}

// Invalidated reports whether going from old to new edits makes a scale
// measured in the old straight frame wrong, and why. Quarter turns, fine
// rotation and perspective change the straight frame; crop, redaction and
// tone do not.
func Invalidated(oldEdits, newEdits viewer.Edits) (bool, string) {
	if mod4(oldEdits.QuarterTurns) != mod4(newEdits.QuarterTurns) {
		return true, "the page was turned a quarter turn, so its scale was reset: calibrate again"
	}
	if math.Abs(oldEdits.Rotation-newEdits.Rotation) > 1e-6 {
		return true, fmt.Sprintf("the page was rotated (%.2f° → %.2f°), so its scale was reset: calibrate again", oldEdits.Rotation, newEdits.Rotation)
	}
	if !samePerspective(oldEdits.Perspective, newEdits.Perspective) {
		return true, "the perspective correction changed, so the scale was reset: calibrate again"
	}
	return false, ""
}

// FrameChanged reports whether the straight frame is now a different size in
// pixels than the scale was measured on (the page was rendered at another
// DPI), which resets the scale, and why.
func FrameChanged(s Scale, frameW, frameH int) (bool, string) {
	if s.FrameW == 0 && s.FrameH == 0 {
		return false, ""
	}
	if math.Abs(s.FrameW-float64(frameW)) > 0.5 || math.Abs(s.FrameH-float64(frameH)) > 0.5 {
		return true, fmt.Sprintf("the page is now %d×%d px instead of %.0f×%.0f px (a different render DPI), so its scale was reset: calibrate again",
			frameW, frameH, s.FrameW, s.FrameH)
	}
	return false, ""
}

// Reset returns an empty scale for the given frame size, keeping the paper
// speed and gain the clinician chose.
func Reset(s Scale, frameW, frameH int) Scale {
	return NewScale(viewer.Calibration{SpeedMMPerS: s.SpeedMMPerS, GainMMPerMV: s.GainMMPerMV}, frameW, frameH)
}

func samePerspective(a, b *[4]viewer.Point) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	for i := range a {
		if math.Abs(a[i].X-b[i].X) > 1e-9 || math.Abs(a[i].Y-b[i].Y) > 1e-9 {
			return false
		}
	}
	return true
}

func mod4(n int) int { return ((n % 4) + 4) % 4 }

func oneOf(v float64, set []float64) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// num formats a number without trailing zeros: 25, 12.5, 7.87.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
