package interpret

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/disintegration/imaging"
)

// ModelInput is the exact image the model is given: a PNG, its SHA-256 and
// the scale from the processed (straight, cropped) image to it.
type ModelInput struct {
	PNG    []byte
	SHA256 string // hex of the PNG bytes
	Width  int
	Height int
	// Scale is model pixels per processed-image pixel (≤ 1; 1 when not shrunk).
	Scale float64
}

var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}
func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// Prepare makes the model input from the processed page: shrunk with an
// area-averaging filter (imaging's Box filter widened by the shrink ratio,
// i.e. each output pixel is the mean of the input pixels it covers) so its
// long side is longSide, never enlarged (the model's own preprocessing
// resizes up, and enlarging adds nothing), and encoded as PNG. longSide ≤ 0
// means FallbackLongSide. The input image is not changed.
func Prepare(img image.Image, longSide int) (ModelInput, error) {
	if img == nil {
		return ModelInput{}, errors.New("prepare model input: no image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return ModelInput{}, fmt.Errorf("prepare model input: the image is empty (%d×%d)", w, h)
	}
	if longSide <= 0 {
		longSide = FallbackLongSide
	}
	long := max(w, h)
	scale := 1.0
	var out image.Image = img
	if long > longSide {
		scale = float64(longSide) / float64(long)
		nw, nh := w, h
		if w >= h {
			nw, nh = longSide, max(1, int(float64(h)*scale+0.5))
		} else {
			nw, nh = max(1, int(float64(w)*scale+0.5)), longSide
		}
		out = imaging.Resize(img, nw, nh, imaging.Box)
	} else if _, ok := img.(*image.NRGBA); !ok {
		out = imaging.Clone(img)
	}
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, out); err != nil {
		return ModelInput{}, fmt.Errorf("prepare model input: encoding PNG: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	ob := out.Bounds()
	return ModelInput{PNG: buf.Bytes(), SHA256: hex.EncodeToString(sum[:]), Width: ob.Dx(), Height: ob.Dy(), Scale: scale}, nil
}
