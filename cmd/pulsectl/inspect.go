package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"pulsedesk/viewer"
	"pulsedesk/viewer/geometry"
)

func init() {
	register(command{
		name:    "inspect",
		summary: "measure a page: skew, grid scale, trace box, warnings, suggested edits",
		run:     runInspect,
	})
}

const inspectHelp = `usage: pulsectl inspect FILE [--page N] [--dpi D] [--json]

Measures one page of an ECG printout and suggests edits for it.
  skew_degrees    the angle by which the content is turned, positive =
                  counter-clockwise on screen; the correction turns it
                  clockwise (suggested rotation = -skew)
  px_per_mm       the scale from the printed grid (null when no grid is
                  found); the DPI written in the file plays no part
  trace_box       [x0, y0, x1, y1] pixels of the traces in the straight page
                  (after the suggested perspective and rotation)
  warnings        stable codes: not_ecg, no_grid, no_trace, low_resolution,
                  trace_cut_at_border, few_leads, no_rhythm_strip, tilt
`

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	page := fs.Int("page", 1, "page to inspect (1-based)")
	dpi := fs.Float64("dpi", viewer.DefaultDPI, "resolution for PDF and TIFF pages")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprint(stderr, inspectHelp)
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	switch {
	case *page < 1:
		return usagef("--page must be 1 or more")
	case *dpi <= 0:
		return usagef("--dpi must be positive")
	}
	doc, err := viewer.Open(arg)
	if err != nil {
		return err
	}
	defer doc.Close()
	img, err := doc.Render(*page-1, *dpi)
	if err != nil {
		return err
	}
	rep := geometry.Inspect(img)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
		return nil
	}
	printReport(stdout, arg, *page, rep)
	return nil
}

func printReport(w io.Writer, name string, page int, r geometry.Report) {
	fmt.Fprintf(w, "%s, page %d: %d×%d px\n", name, page, r.Width, r.Height)
	fmt.Fprintf(w, "skew:      %+.2f° (confidence %.2f; positive = turned counter-clockwise)\n", r.SkewDegrees, r.SkewConfidence)
	if r.PxPerMM != nil {
		fmt.Fprintf(w, "grid:      %.3f px/mm (x %.3f, y %.3f), %s %s, confidence %.2f\n",
			*r.PxPerMM, *r.PxPerMMX, *r.PxPerMMY, r.GridColor, r.GridStyle, r.GridConfidence)
	} else {
		fmt.Fprintln(w, "grid:      no grid found")
	}
	if r.TraceBox != [4]int{} {
		fmt.Fprintf(w, "traces:    [%d, %d, %d, %d] px, %d row(s)\n", r.TraceBox[0], r.TraceBox[1], r.TraceBox[2], r.TraceBox[3], r.TraceRows)
	} else {
		fmt.Fprintln(w, "traces:    none found")
	}
	e := r.SuggestedEdits
	var sug []string
	if e.Perspective != nil {
		sug = append(sug, "perspective")
	}
	if e.Rotation != 0 {
		sug = append(sug, fmt.Sprintf("rotate %+.2f°", e.Rotation))
	}
	if e.Crop != nil {
		sug = append(sug, fmt.Sprintf("crop (%.3f, %.3f)-(%.3f, %.3f)", e.Crop.X0, e.Crop.Y0, e.Crop.X1, e.Crop.Y1))
	}
	if e.AutoLevels {
		sug = append(sug, "auto-levels")
	}
	if len(sug) == 0 {
		sug = append(sug, "none")
	}
	fmt.Fprintf(w, "suggested: %s\n", strings.Join(sug, ", "))
	for _, wn := range r.WarningDetails {
		fmt.Fprintf(w, "warning:   %s: %s\n", wn.Code, wn.Message)
	}
}
