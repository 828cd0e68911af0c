// Package assets embeds what the binaries ship: the sample ECG, the icon,
// fonts for the PDF report, the PULSE Modelfile and prompt texts.
package assets

import _ "embed"

// SampleECG is a real 12-lead printout (see ATTRIBUTION.md), shown on first start.
//
//go:embed sample_ecg.png
var SampleECG []byte

// SampleECGName is the file name the sample is opened under.
const SampleECGName = "sample_ecg.png"
