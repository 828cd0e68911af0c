package main

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"pulsedesk/viewer"
)

func init() {
	register(command{
		name:    "render",
		summary: "render a page with edits applied to a PNG",
		run:     runRender,
	})
}

func runRender(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", stderr)
	page := fs.Int("page", 1, "page to render (1-based)")
	dpi := fs.Float64("dpi", viewer.DefaultDPI, "resolution for PDF and TIFF pages")
	editsPath := fs.String("edits", "", "edits JSON file to apply")
	out := fs.String("o", "", "output PNG file (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl render FILE [--page N] [--dpi D] [--edits EDITS.json] -o OUT.png")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	switch {
	case *out == "":
		return usagef("-o OUT.png is required")
	case *page < 1:
		return usagef("--page must be 1 or more")
	case *dpi <= 0:
		return usagef("--dpi must be positive")
	}
	edits := viewer.NewEdits()
	if *editsPath != "" {
		data, err := os.ReadFile(*editsPath)
		if err != nil {
			return fmt.Errorf("edits file %s: %w", *editsPath, err)
		}
		if edits, err = viewer.UnmarshalEdits(data); err != nil {
			return fmt.Errorf("edits file %s: %w", *editsPath, err)
		}
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
	res := viewer.Apply(img, edits)
	return writePNG(*out, res, stdout)
}

// writePNG writes the image to path through a temporary file, so a failed
// write never leaves half a PNG behind.
func writePNG(path string, img *image.NRGBA, stdout io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pulsectl-*.png")
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(bw, img); err != nil {
		tmp.Close()
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: %d×%d\n", path, b.Dx(), b.Dy())
	return nil
}
