package geometry

import (
	"image"
	"testing"

	"pulsedesk/viewer"
)

// FuzzInspect feeds arbitrary small pages to the detectors: they must not
// panic and must return values in range.
func FuzzInspect(f *testing.F) {
	f.Add(uint8(40), uint8(30), []byte{0, 255, 128, 7})
	f.Add(uint8(1), uint8(1), []byte{})
	f.Add(uint8(200), uint8(17), []byte{255, 0, 0, 255, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, w, h uint8, data []byte) {
		img := image.NewNRGBA(image.Rect(3, 5, 3+int(w), 5+int(h)))
		for i := range img.Pix {
			if len(data) > 0 {
				img.Pix[i] = data[i%len(data)] ^ uint8(i*7)
			}
		}
		rep := Inspect(img)
		if rep.Width != int(w) || rep.Height != int(h) {
			t.Fatalf("size %dx%d, want %dx%d", rep.Width, rep.Height, w, h)
		}
		if rep.SkewConfidence < 0 || rep.SkewConfidence > 1 || rep.GridConfidence < 0 || rep.GridConfidence > 1 {
			t.Fatalf("confidence out of range: %+v", rep)
		}
		if err := rep.SuggestedEdits.Validate(); err != nil {
			t.Fatalf("suggested edits invalid: %v", err)
		}
		_ = Check(img, viewer.NewEdits())
		_, _, _ = DetectPaperQuad(img)
	})
}
