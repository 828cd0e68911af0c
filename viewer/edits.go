package viewer

import (
	"encoding/json"
	"fmt"
)

// EditsVersion is the format version written into every Edits value.
// Readers accept any version up to this one.
const EditsVersion = 1

// Point is a position in a normalised frame: x and y in [0,1], x right, y down.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Rect is an axis-aligned rectangle in a normalised frame, [X0,X1)×[Y0,Y1).
type Rect struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

// Empty reports whether the rectangle has no area.
func (r Rect) Empty() bool { return r.X1 <= r.X0 || r.Y1 <= r.Y0 }

// Edits fully describes how the model input is made from one page. It is a
// plain value: the zero value (apart from Version) means "the page as it is".
//
// Frames (see DESIGN.md, "Coordinates and conventions"):
//   - Perspective is in the source frame (the page as decoded, EXIF applied).
//   - Crop and Redactions are in the straight frame (after quarter turns,
//     perspective and fine rotation).
//
// Both frames are normalised to [0,1], so an Edits value survives a change of
// render DPI.
type Edits struct {
	Version int `json:"version"`

	// Geometry, applied in this order: perspective, quarter turns, fine rotation, crop.

	// Perspective, when set, holds the four corners of the paper in the source
	// frame, in the order top-left, top-right, bottom-right, bottom-left. The
	// quad is warped to an upright rectangle.
	Perspective *[4]Point `json:"perspective,omitempty"`
	// QuarterTurns counter-clockwise (0..3; other values are taken modulo 4).
	QuarterTurns int `json:"quarter_turns"`
	// Rotation in degrees, positive counter-clockwise as seen on screen. To
	// correct a measured skew s, Rotation = -s.
	Rotation float64 `json:"rotation_degrees"`
	// Crop in the straight frame; nil keeps the whole page.
	Crop *Rect `json:"crop,omitempty"`

	// Redactions in the straight frame, filled black and burned in.
	Redactions []Rect `json:"redactions,omitempty"`

	// Tone, applied after geometry and redaction.

	// AutoLevels stretches the histogram (per image, ignoring 0.5 % at each end).
	AutoLevels bool `json:"auto_levels"`
	// Brightness in [-1,1], 0 = unchanged.
	Brightness float64 `json:"brightness"`
	// Contrast in [-1,1], 0 = unchanged.
	Contrast float64 `json:"contrast"`
	// Gamma > 0; 0 or 1 = unchanged.
	Gamma float64 `json:"gamma"`
	// Sharpen strength in [0,1]; 0 = off.
	Sharpen float64 `json:"sharpen"`
	// Denoise strength in [0,1]; 0 = off.
	Denoise float64 `json:"denoise"`
	// GridSuppression strength in [0,1]; 0 = off (the default: PULSE was
	// trained on printouts with their grid).
	GridSuppression float64 `json:"grid_suppression"`
	Grayscale       bool    `json:"grayscale"`
	Invert          bool    `json:"invert"`
}

// NewEdits returns the identity edits with the current format version.
func NewEdits() Edits { return Edits{Version: EditsVersion} }

// IsIdentity reports whether the edits leave the page unchanged.
func (e Edits) IsIdentity() bool {
	z := e
	z.Version = 0
	return z.Perspective == nil && z.Crop == nil && len(z.Redactions) == 0 &&
		z.QuarterTurns%4 == 0 && z.Rotation == 0 && !z.AutoLevels &&
		z.Brightness == 0 && z.Contrast == 0 && (z.Gamma == 0 || z.Gamma == 1) &&
		z.Sharpen == 0 && z.Denoise == 0 && z.GridSuppression == 0 &&
		!z.Grayscale && !z.Invert
}

// MarshalEdits writes e as JSON with its format version set.
func MarshalEdits(e Edits) ([]byte, error) {
	if e.Version == 0 {
		e.Version = EditsVersion
	}
	return json.Marshal(e)
}

// UnmarshalEdits reads Edits JSON, refusing a newer format than this build
// understands and values outside their ranges.
func UnmarshalEdits(data []byte) (Edits, error) {
	var e Edits
	if err := json.Unmarshal(data, &e); err != nil {
		return Edits{}, fmt.Errorf("edits: %w", err)
	}
	if e.Version > EditsVersion {
		return Edits{}, fmt.Errorf("edits: format version %d is newer than this app understands (%d)", e.Version, EditsVersion)
	}
	if e.Version == 0 {
		e.Version = EditsVersion
	}
	return e, e.Validate()
}

// Validate checks that every field is within its range.
func (e Edits) Validate() error {
	in01 := func(v float64) bool { return v >= 0 && v <= 1 }
	inpm1 := func(v float64) bool { return v >= -1 && v <= 1 }
	switch {
	case e.Rotation < -180 || e.Rotation > 180:
		return fmt.Errorf("edits: rotation %.2f° is outside -180..180", e.Rotation)
	case !inpm1(e.Brightness):
		return fmt.Errorf("edits: brightness %.2f is outside -1..1", e.Brightness)
	case !inpm1(e.Contrast):
		return fmt.Errorf("edits: contrast %.2f is outside -1..1", e.Contrast)
	case e.Gamma < 0 || e.Gamma > 10:
		return fmt.Errorf("edits: gamma %.2f is outside 0..10", e.Gamma)
	case !in01(e.Sharpen), !in01(e.Denoise), !in01(e.GridSuppression):
		return fmt.Errorf("edits: sharpen, denoise and grid suppression must be within 0..1")
	}
	if e.Crop != nil {
		if err := checkRect("crop", *e.Crop); err != nil {
			return err
		}
	}
	for i, r := range e.Redactions {
		if err := checkRect(fmt.Sprintf("redaction %d", i+1), r); err != nil {
			return err
		}
	}
	if e.Perspective != nil {
		for i, p := range e.Perspective {
			if p.X < -0.5 || p.X > 1.5 || p.Y < -0.5 || p.Y > 1.5 {
				return fmt.Errorf("edits: perspective corner %d (%.3f, %.3f) is far outside the page", i+1, p.X, p.Y)
			}
		}
	}
	return nil
}

func checkRect(name string, r Rect) error {
	if r.Empty() || r.X0 < 0 || r.Y0 < 0 || r.X1 > 1 || r.Y1 > 1 {
		return fmt.Errorf("edits: %s (%.3f,%.3f)-(%.3f,%.3f) must be a non-empty rectangle within 0..1", name, r.X0, r.Y0, r.X1, r.Y1)
	}
	return nil
}

// CalibrationSource says where a scale came from.
type CalibrationSource string

const (
	CalibrationNone   CalibrationSource = ""       // no scale known
	CalibrationGrid   CalibrationSource = "grid"   // measured from the printed grid
	CalibrationManual CalibrationSource = "manual" // set by the clinician with a caliper
	CalibrationDPI    CalibrationSource = "dpi"    // from the file's stated DPI (never confirmed)
)

// Calibration is the scale of the straight frame: pixels per millimetre at a
// stated render DPI, the paper speed and the gain. Horizontal (time) and
// vertical (amplitude) scales are kept apart.
type Calibration struct {
	PxPerMMX    float64           `json:"px_per_mm_x"`
	PxPerMMY    float64           `json:"px_per_mm_y"`
	DPI         float64           `json:"dpi"`            // render DPI the scale was measured at (0 for raster files)
	SpeedMMPerS float64           `json:"speed_mm_per_s"` // 25 unless told
	GainMMPerMV float64           `json:"gain_mm_per_mv"` // 10 unless told
	Source      CalibrationSource `json:"source"`
	Confidence  float64           `json:"confidence"` // 0..1
	Confirmed   bool              `json:"confirmed"`  // from the grid with good confidence, or by hand
}
