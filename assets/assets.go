// Package assets embeds what the binaries ship: the sample ECG, the icon,
// fonts for the PDF report, the PULSE Modelfile and prompt texts.
package assets

import _ "embed"

// SampleECG is a 12-lead printout drawn from a real recording (see
// ATTRIBUTION.md), shown on first start.
//
//go:embed sample_ecg.png
var SampleECG []byte

// SampleECGName is the file name the sample is opened under.
const SampleECGName = "sample_ecg.png"

// Icon is the application icon (512×512 PNG), drawn by iconpaint/main.go.
//
//go:embed icon.png
var Icon []byte

// Attribution lists the bundled material and its sources (ATTRIBUTION.md).
//
//go:embed ATTRIBUTION.md
var Attribution string
