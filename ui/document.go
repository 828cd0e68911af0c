package ui

import (
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the interim opener
	_ "image/png"
	"os"

	"github.com/disintegration/imaging"
)

// document is what the window needs from an opened file.
type document interface {
	NumPages() int
	Render(page int, dpi float64) (image.Image, error)
	Thumbnail(page int, maxSide int) (image.Image, error)
	Close() error
}

// openDocument opens a file for the window.
var openDocument = func(path string) (document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return imageDoc{img}, nil
}

// isPaged reports whether pages are rendered at a chosen DPI.
func isPaged(d document) bool { return false }

type imageDoc struct{ img image.Image }

func (d imageDoc) NumPages() int                            { return 1 }
func (d imageDoc) Render(int, float64) (image.Image, error) { return d.img, nil }
func (d imageDoc) Thumbnail(_ int, side int) (image.Image, error) {
	return imaging.Fit(d.img, side, side, imaging.Box), nil
}
func (d imageDoc) Close() error { return nil }
