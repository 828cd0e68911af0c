package assets

import _ "embed"

// ReportFont is DejaVu Sans (see fonts/LICENSE-DejaVu.txt), the Unicode
// TrueType font of the PDF case report. It covers Latin (with its
// extensions), Greek and Cyrillic, among other scripts.
//
//go:embed fonts/DejaVuSans.ttf
var ReportFont []byte

// ReportFontName is the family name of ReportFont.
const ReportFontName = "DejaVuSans"
