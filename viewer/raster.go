package viewer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/gen2brain/heic"
	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// rasterPager is a single-page pixel image. The file's bytes are read at
// open (they are bounded by Limits.MaxFileBytes) and decoded on the first
// Render; the decoded page is kept and the bytes dropped.
type rasterPager struct {
	kind   Kind
	orient int // EXIF orientation 1..8 (JPEG)
	w, h   int // upright size (orientation applied)

	mu   sync.Mutex
	data []byte
	img  image.Image
	err  error
}

type decodeFuncs struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var decoders = map[Kind]decodeFuncs{
	KindPNG:  {png.DecodeConfig, png.Decode},
	KindJPEG: {jpeg.DecodeConfig, jpeg.Decode},
	KindGIF:  {gif.DecodeConfig, gif.Decode},
	KindBMP:  {bmp.DecodeConfig, bmp.Decode},
	KindWebP: {webp.DecodeConfig, webp.Decode},
	KindHEIC: {heic.DecodeConfig, heic.Decode},
}

func openRaster(path string, kind Kind, size int64, lim Limits) (pager, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, problem(ErrUnreadable, "%w", unwrapPathErr(err))
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, problem(ErrTooLarge, "file is %s, the limit is %s", humanBytes(int64(len(data))), humanBytes(lim.MaxFileBytes))
	}
	dec := decoders[kind]
	cfg, err := safeConfig(dec.config, data)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, problem(ErrTruncated, "%s header: %w", kind, err)
		}
		return nil, problem(ErrTruncated, "%s header cannot be read: %w", kind, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, problem(ErrTruncated, "%s image has no pixels (%d×%d)", kind, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, problem(ErrTooLarge, "the %s image is %d×%d pixels, the limit is %d megapixels", kind, cfg.Width, cfg.Height, lim.MaxPixels/1_000_000)
	}
	if err := checkTrailer(kind, data); err != nil {
		return nil, err
	}
	p := &rasterPager{kind: kind, orient: 1, w: cfg.Width, h: cfg.Height, data: data}
	if kind == KindJPEG {
		p.orient = jpegOrientation(data)
		if p.orient >= 5 {
			p.w, p.h = p.h, p.w
		}
	}
	return p, nil
}

// checkTrailer finds files cut short without decoding them, by walking
// their structure to its end: a PNG's chunks to IEND, a JPEG's segments and
// entropy-coded data to its end-of-image marker. Data after the end (a
// phone's motion-photo video, a vendor trailer) is allowed.
func checkTrailer(kind Kind, data []byte) error {
	switch kind {
	case KindPNG:
		if !pngComplete(data) {
			return problem(ErrTruncated, "the PNG data ends before its IEND chunk")
		}
	case KindJPEG:
		if !jpegComplete(data) {
			return problem(ErrTruncated, "the JPEG data ends before its end-of-image marker")
		}
	}
	return nil
}

func pngComplete(b []byte) bool {
	i := 8
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b) {
			return false
		}
		if typ == "IEND" {
			return true
		}
		i += 12 + n
	}
	return false
}

func jpegComplete(b []byte) bool {
	i := 2
	for i+2 <= len(b) {
		if b[i] != 0xff {
			return false
		}
		m := b[i+1]
		switch {
		case m == 0xff:
			i++
			continue
		case m == 0xd9:
			return true
		case m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7:
			i += 2
			continue
		}
		if i+4 > len(b) {
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		i += 2 + n
		if m != 0xda {
			continue
		}
		// entropy-coded data: runs to the next marker that is neither a
		// stuffed 0xFF00 nor a restart marker
		for {
			j := bytes.IndexByte(b[min(i, len(b)):], 0xff)
			if j < 0 {
				return false
			}
			i += j
			if i+1 >= len(b) {
				return false
			}
			if n := b[i+1]; n == 0x00 || n >= 0xd0 && n <= 0xd7 || n == 0xff {
				i++
				if n != 0xff {
					i++
				}
				continue
			}
			break
		}
	}
	return false
}

// safeConfig and safeDecode turn a decoder panic on hostile input into an error.
func safeConfig(f func(io.Reader) (image.Config, error), data []byte) (cfg image.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return f(bytes.NewReader(data))
}

func safeDecode(f func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return f(bytes.NewReader(data))
}

func (p *rasterPager) NumPages() int { return 1 }

func (p *rasterPager) PageSizePt(int) (float64, float64, bool) { return 0, 0, false }

func (p *rasterPager) pixelSize(int) (int, int) { return p.w, p.h }

func (p *rasterPager) Render(int, float64) (image.Image, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.img != nil || p.err != nil {
		return p.img, p.err
	}
	img, err := safeDecode(decoders[p.kind].decode, p.data)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			p.err = problem(ErrTruncated, "%s data: %w", p.kind, err)
		} else {
			p.err = problem(ErrTruncated, "%s data cannot be decoded: %w", p.kind, err)
		}
		p.data = nil
		return nil, p.err
	}
	p.img = orient(img, p.orient)
	p.data = nil
	return p.img, nil
}

func (p *rasterPager) Close() error {
	p.mu.Lock()
	p.img, p.data = nil, nil
	p.mu.Unlock()
	return nil
}

// orient turns a decoded image upright according to its EXIF orientation.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
