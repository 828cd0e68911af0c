package geometry

import (
	"fmt"
	"image"
	"math"

	"pulsedesk/viewer"
)

// Severity says whether a warning blocks a model run.
type Severity string

const (
	SeverityWarn  Severity = "warning" // shown before the run
	SeverityBlock Severity = "block"   // the run needs an explicit override
)

// Warning codes. They are stable: the app and saved runs refer to them.
const (
	WarnNoGrid        = "no_grid"
	WarnNoTrace       = "no_trace"
	WarnNotECG        = "not_ecg"
	WarnLowResolution = "low_resolution"
	WarnTraceCut      = "trace_cut_at_border"
	WarnFewLeads      = "few_leads"
	WarnNoRhythmStrip = "no_rhythm_strip"
	WarnTilt          = "tilt"
)

// Warning is one quality problem of a page.
type Warning struct {
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// MinPxPerMM is the scale under which the trace cannot be resolved.
const MinPxPerMM = 4.0

// TiltLimit is the skew (degrees) left after the edits that is warned about.
const TiltLimit = 1.0

// Check returns the quality warnings for a page as it will look after the
// geometry of e (perspective, turns, rotation, crop). A page with neither
// grid nor trace gets not_ecg with block severity.
func Check(img image.Image, e viewer.Edits) []Warning {
	g := viewer.Edits{Version: viewer.EditsVersion, Perspective: e.Perspective, QuarterTurns: e.QuarterTurns, Rotation: e.Rotation, Crop: e.Crop}
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return warningsFor(Grid{}, traceLayout{}, traceLayout{}, 0, 0)
	}
	page := img
	if !g.IsIdentity() {
		page = viewer.ApplyGeometry(img, g)
	}
	pl := newPlanes(page)
	deg, conf := skewPlanes(pl)
	grid := detectGridPlanes(page, pl, deg)
	lay := findTraces(pl, grid)
	return warningsFor(grid, lay, lay, deg, conf)
}

func codes(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Code
	}
	return out
}

// warningsFor turns measurements into warnings. lay is the straight page's
// trace layout, src the one used for border cuts; residual is the skew left
// after the edits.
func warningsFor(g Grid, lay, src traceLayout, residual, skewConf float64) []Warning {
	ws := []Warning{}
	add := func(code string, sev Severity, format string, a ...any) {
		ws = append(ws, Warning{Code: code, Message: fmt.Sprintf(format, a...), Severity: sev})
	}
	if !g.Found && !lay.found {
		add(WarnNotECG, SeverityBlock, "Neither an ECG grid nor a trace was found: this is probably not an ECG printout.")
	}
	if !g.Found {
		add(WarnNoGrid, SeverityWarn, "No grid found: the scale is unknown; calibrate by hand.")
	}
	if !lay.found {
		add(WarnNoTrace, SeverityWarn, "No ECG trace found: this is probably not an ECG.")
	}
	if g.Found && g.PxPerMM() < MinPxPerMM {
		add(WarnLowResolution, SeverityWarn, "Low resolution: %.1f pixels per millimetre (under %.0f) is too coarse to resolve the trace.", g.PxPerMM(), MinPxPerMM)
	}
	if src.found && src.cut {
		add(WarnTraceCut, SeverityWarn, "A trace runs into the edge of the image: part of the ECG may be cut off.")
	}
	if lay.found {
		if lay.rows < 3 {
			add(WarnFewLeads, SeverityWarn, "Only %d row(s) of traces: fewer lead panels than a 12-lead layout.", lay.rows)
		}
		if !lay.full {
			add(WarnNoRhythmStrip, SeverityWarn, "No rhythm strip (a trace running the full width) was found.")
		}
	}
	if skewConf > 0.2 && math.Abs(residual) > TiltLimit {
		add(WarnTilt, SeverityWarn, "The page is still tilted by %.1f°: straighten it first.", residual)
	}
	return ws
}
