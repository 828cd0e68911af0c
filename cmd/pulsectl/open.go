package main

import (
	"encoding/json"
	"fmt"
	"io"

	"pulsedesk/viewer"
)

func init() {
	register(command{
		name:    "open",
		summary: "show a document's type, page count and page sizes",
		run:     runOpen,
	})
}

type openPage struct {
	Page     int     `json:"page"` // 1-based
	WidthPx  int     `json:"width_px"`
	HeightPx int     `json:"height_px"`
	WidthPt  float64 `json:"width_pt,omitempty"`
	HeightPt float64 `json:"height_pt,omitempty"`
}

type openInfo struct {
	Path      string     `json:"path"`
	Kind      string     `json:"kind"`
	MediaType string     `json:"media_type"`
	Pages     int        `json:"pages"`
	DPI       float64    `json:"dpi,omitempty"`
	PageSizes []openPage `json:"page_sizes"`
}

func runOpen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("open", stderr)
	page := fs.Int("page", 0, "show only this page (1-based); 0 = every page")
	dpi := fs.Float64("dpi", viewer.DefaultDPI, "resolution for PDF and TIFF pages")
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl open FILE [--page N] [--dpi D] [--json]")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	if *page < 0 {
		return usagef("--page must be 1 or more")
	}
	if *dpi <= 0 {
		return usagef("--dpi must be positive")
	}
	doc, err := viewer.Open(arg)
	if err != nil {
		return err
	}
	defer doc.Close()
	info := openInfo{Path: doc.Path(), Kind: string(doc.Kind()), MediaType: doc.MediaType(), Pages: doc.NumPages()}
	first, last := 0, info.Pages-1
	if *page > 0 {
		if *page > info.Pages {
			return fmt.Errorf("%s: page %d is out of range (the document has %d)", doc.Path(), *page, info.Pages)
		}
		first, last = *page-1, *page-1
	}
	// Listing a long document stops after 200 pages unless one is asked for.
	if last-first >= 200 {
		last = first + 199
	}
	if _, _, ok := doc.PageSizePt(first); ok {
		info.DPI = *dpi
	}
	for p := first; p <= last; p++ {
		w, h, err := doc.PixelSize(p, *dpi)
		if err != nil {
			return err
		}
		op := openPage{Page: p + 1, WidthPx: w, HeightPx: h}
		if wpt, hpt, ok := doc.PageSizePt(p); ok {
			op.WidthPt, op.HeightPt = wpt, hpt
		}
		info.PageSizes = append(info.PageSizes, op)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "%s\ntype:  %s (%s)\npages: %d\n", info.Path, info.Kind, info.MediaType, info.Pages)
	for _, p := range info.PageSizes {
		if p.WidthPt > 0 {
			fmt.Fprintf(stdout, "page %d: %d×%d px at %g DPI (%.0f×%.0f pt)\n", p.Page, p.WidthPx, p.HeightPx, info.DPI, p.WidthPt, p.HeightPt)
		} else {
			fmt.Fprintf(stdout, "page %d: %d×%d px\n", p.Page, p.WidthPx, p.HeightPx)
		}
	}
	if shown := len(info.PageSizes); shown < info.Pages && *page == 0 {
		fmt.Fprintf(stdout, "(%d more pages; use --page N)\n", info.Pages-shown)
	}
	return nil
}
