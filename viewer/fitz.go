package viewer

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"

	fitz "github.com/gen2brain/go-fitz"
)

// mupdfMu guards every call into MuPDF. go-fitz's page count and rendering
// are not safe to call concurrently, and the race detector cannot see races
// inside C.
var mupdfMu sync.Mutex

// fitzPager holds a PDF or TIFF opened by MuPDF. Pages are loaded only when
// their size or pixels are asked for.
type fitzPager struct {
	kind  Kind
	doc   *fitz.Document
	n     int
	sizes map[int][2]float64 // page bounds in points, read lazily
}

func openFitz(path string, kind Kind, lim Limits) (p pager, err error) {
	mupdfMu.Lock()
	defer mupdfMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, problem(ErrTruncated, "MuPDF could not open it: %v", r)
		}
	}()
	doc, err := fitz.New(path)
	if err != nil {
		if doc != nil {
			// go-fitz returns a live document (or a half-made one) with its
			// errors; release what it holds.
			doc.Close()
		}
		switch {
		case errors.Is(err, fitz.ErrNeedsPassword):
			return nil, problem(ErrPassword, "")
		case errors.Is(err, fitz.ErrNoSuchFile):
			return nil, problem(ErrNotFound, "")
		case errors.Is(err, fitz.ErrOpenDocument):
			return nil, problem(ErrTruncated, "MuPDF cannot open this %s", kindName(kind))
		}
		return nil, problem(ErrUnreadable, "MuPDF: %w", err)
	}
	n := doc.NumPage()
	switch {
	case n <= 0 && kind == KindPDF && !pdfHasEOF(path):
		doc.Close()
		return nil, problem(ErrTruncated, "the PDF ends before its end-of-file marker and no page could be recovered")
	case n <= 0:
		doc.Close()
		return nil, problem(ErrNoPages, "")
	case n > lim.MaxPages:
		doc.Close()
		return nil, problem(ErrTooLarge, "the document has %d pages, the limit is %d", n, lim.MaxPages)
	}
	return &fitzPager{kind: kind, doc: doc, n: n, sizes: map[int][2]float64{}}, nil
}

// pdfHasEOF reports whether the last kilobyte of the file holds "%%EOF".
func pdfHasEOF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false
	}
	off := max(0, st.Size()-1024)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return bytes.Contains(buf, []byte("%%EOF"))
}

func kindName(k Kind) string {
	switch k {
	case KindPDF:
		return "PDF"
	case KindTIFF:
		return "TIFF"
	}
	return string(k)
}

func (p *fitzPager) NumPages() int { return p.n }

// PageSizePt returns the page bounds MuPDF reports (whole points). A page
// whose bounds do not start at the origin is refused (ok false): go-fitz
// copies pixmaps assuming they do.
func (p *fitzPager) PageSizePt(page int) (w, h float64, ok bool) {
	if page < 0 || page >= p.n || p.doc == nil {
		return 0, 0, false
	}
	mupdfMu.Lock()
	defer mupdfMu.Unlock()
	if s, ok := p.sizes[page]; ok {
		return s[0], s[1], s[0] > 0
	}
	b, err := p.doc.Bound(page)
	if err != nil || b.Min.X != 0 || b.Min.Y != 0 || b.Dx() <= 0 || b.Dy() <= 0 {
		p.sizes[page] = [2]float64{}
		return 0, 0, false
	}
	// Bound truncates to whole points (Document.Render checks sizes with one
	// point more, the safe side of MuPDF's own rounding).
	s := [2]float64{float64(b.Max.X), float64(b.Max.Y)}
	p.sizes[page] = s
	return s[0], s[1], true
}

// Render draws a page with MuPDF. Document.Render has checked the size.
func (p *fitzPager) Render(page int, dpi float64) (img image.Image, err error) {
	if p.doc == nil {
		return nil, problem(ErrClosed, "")
	}
	if _, _, ok := p.PageSizePt(page); !ok {
		return nil, problem(ErrTruncated, "page %d cannot be read", page+1)
	}
	mupdfMu.Lock()
	defer mupdfMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, problem(ErrTruncated, "MuPDF failed on page %d: %v", page+1, r)
		}
	}()
	rgba, err := p.doc.ImageDPI(page, dpi)
	if err != nil {
		return nil, problem(ErrTruncated, "MuPDF cannot render page %d: %w", page+1, err)
	}
	// MuPDF draws onto an opaque white pixmap, so the premultiplied RGBA is
	// also valid straight (non-premultiplied) alpha: reuse the pixels.
	return &image.NRGBA{Pix: rgba.Pix, Stride: rgba.Stride, Rect: rgba.Rect}, nil
}

func (p *fitzPager) Close() error {
	mupdfMu.Lock()
	defer mupdfMu.Unlock()
	if p.doc == nil {
		return nil
	}
	err := p.doc.Close()
	p.doc = nil
	if err != nil {
		return fmt.Errorf("closing the %s: %w", kindName(p.kind), err)
	}
	return nil
}
