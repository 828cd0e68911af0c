package ui

import (
	"image"

	"pulsedesk/viewer"
)

// previewMaxSide bounds the proxy the previews are computed from: enough
// for a 1366×768 canvas, small enough for a slider to repaint in a frame.
const previewMaxSide = 1600

// document is what the window needs from an opened file (*viewer.Document).
type document interface {
	NumPages() int
	Render(page int, dpi float64) (image.Image, error)
	// RenderIsolated renders a PDF or TIFF page in a child process, so a
	// document that crashes the renderer cannot take the window down.
	RenderIsolated(page int, dpi float64) (image.Image, error)
	Thumbnail(page int, maxSide int) (image.Image, error)
	PageSizePt(page int) (w, h float64, ok bool)
}

// isPaged reports whether pages are rendered at a chosen DPI (PDF, TIFF).
func isPaged(d document) bool {
	_, _, ok := d.PageSizePt(0)
	return ok
}

// newPagePreview makes the preview proxy of a rendered page.
func newPagePreview(img image.Image) *viewer.Preview {
	return viewer.NewPreview(img, previewMaxSide, previewMaxSide)
}
