package ui

import (
	"image"

	"github.com/disintegration/imaging"

	"pulsedesk/viewer"
)

// applyEdits is the edit pipeline used for previews.
func applyEdits(img image.Image, e viewer.Edits) image.Image {
	out := image.Image(img)
	switch ((e.QuarterTurns % 4) + 4) % 4 {
	case 1:
		out = imaging.Rotate90(out)
	case 2:
		out = imaging.Rotate180(out)
	case 3:
		out = imaging.Rotate270(out)
	}
	return out
}
