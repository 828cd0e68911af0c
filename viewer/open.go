package viewer

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"

	"github.com/disintegration/imaging"
)

// Kind is a document's format, found from its content (never its name).
type Kind string

// The formats Open recognises.
const (
	KindPNG   Kind = "png"
	KindJPEG  Kind = "jpeg"
	KindHEIC  Kind = "heic"
	KindWebP  Kind = "webp"
	KindBMP   Kind = "bmp"
	KindGIF   Kind = "gif"
	KindTIFF  Kind = "tiff"
	KindPDF   Kind = "pdf"
	KindWFDB  Kind = "wfdb"
	KindDICOM Kind = "dicom"
)

// MediaType returns the IANA media type of the kind.
func (k Kind) MediaType() string {
	switch k {
	case KindPNG:
		return "image/png"
	case KindJPEG:
		return "image/jpeg"
	case KindHEIC:
		return "image/heic"
	case KindWebP:
		return "image/webp"
	case KindBMP:
		return "image/bmp"
	case KindGIF:
		return "image/gif"
	case KindTIFF:
		return "image/tiff"
	case KindPDF:
		return "application/pdf"
	case KindWFDB:
		return "text/x-wfdb-header"
	case KindDICOM:
		return "application/dicom"
	}
	return "application/octet-stream"
}

// isRaster reports whether pages of this kind are pixel images whose size
// does not depend on a DPI.
func (k Kind) isRaster() bool {
	switch k {
	case KindPNG, KindJPEG, KindHEIC, KindWebP, KindBMP, KindGIF:
		return true
	}
	return false
}

// DefaultDPI is the resolution PDF and TIFF pages render at when none is given.
const DefaultDPI = 200

// hardMaxPixels bounds every render whatever the Limits say: MuPDF's pixmap
// and go-fitz's copy of it use 32-bit sizes.
const hardMaxPixels = 1 << 28

// Limits bound what Open and Render accept. They are checked before any
// decoding or rendering allocates.
type Limits struct {
	MaxFileBytes int64   // largest file accepted
	MaxPixels    int64   // largest page image (width × height) decoded or rendered
	MaxPages     int     // most pages a document may have
	MaxDPI       float64 // highest render resolution for PDF and TIFF pages
}

// DefaultLimits suits an 8 GB laptop: 512 MiB files, 100 megapixel pages
// (a letter page at 600 DPI is 34 MP), 10,000 pages, 600 DPI.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 512 << 20, MaxPixels: 100_000_000, MaxPages: 10_000, MaxDPI: 600}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	l.MaxPixels = min(l.MaxPixels, hardMaxPixels)
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.MaxDPI <= 0 {
		l.MaxDPI = d.MaxDPI
	}
	return l
}

// pixelSizer is implemented by pagers whose page size is in pixels (raster
// images) rather than points.
type pixelSizer interface {
	pixelSize(page int) (w, h int)
}

// Document is an opened file: its kind and its pages, rendered on demand.
// A Document is safe for concurrent use.
type Document struct {
	path string
	kind Kind
	lim  Limits

	mu     sync.Mutex
	p      pager
	closed bool
}

// Open opens the document at path with DefaultLimits.
func Open(path string) (*Document, error) { return OpenLimits(path, DefaultLimits()) }

// OpenLimits opens the document at path. Its format is found from its
// content. Sizes are checked against lim before anything is decoded; zero
// fields take their defaults. Every error is an *Error naming the file.
func OpenLimits(path string, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, wrapErr(path, ErrNotFound, nil)
	case err != nil:
		return nil, wrapErr(path, ErrUnreadable, unwrapPathErr(err))
	case st.IsDir():
		return nil, wrapErr(path, ErrIsDir, nil)
	case !st.Mode().IsRegular():
		return nil, newErr(path, ErrUnreadable, "not a regular file")
	case st.Size() == 0:
		return nil, wrapErr(path, ErrEmpty, nil)
	case st.Size() > lim.MaxFileBytes:
		return nil, newErr(path, ErrTooLarge, "file is %s, the limit is %s", humanBytes(st.Size()), humanBytes(lim.MaxFileBytes))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, wrapErr(path, ErrUnreadable, unwrapPathErr(err))
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, wrapErr(path, ErrUnreadable, unwrapPathErr(err))
	}
	head = head[:n]
	kind, err := sniff(head)
	if err != nil {
		return nil, wrapErr(path, kindOf(err), errCause(err))
	}
	var p pager
	switch {
	case kind.isRaster():
		p, err = openRaster(path, kind, st.Size(), lim)
	case kind == KindPDF || kind == KindTIFF:
		p, err = openFitz(path, kind, lim)
	default:
		p, err = openRecording(path, kind)
	}
	if err != nil {
		return nil, asErr(path, err)
	}
	return &Document{path: path, kind: kind, lim: lim, p: p}, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// kindErr carries a problem kind and its cause out of helpers that do not know the path.
type kindErr struct {
	kind  ErrorKind
	cause error
}

func (e *kindErr) Error() string {
	if e.cause == nil {
		return string(e.kind)
	}
	return string(e.kind) + ": " + e.cause.Error()
}

func (e *kindErr) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func problem(kind ErrorKind, format string, a ...any) error {
	var c error
	if format != "" {
		c = fmt.Errorf(format, a...)
	}
	return &kindErr{kind, c}
}

func kindOf(err error) ErrorKind {
	var ke *kindErr
	if errors.As(err, &ke) {
		return ke.kind
	}
	return ErrUnreadable
}

func errCause(err error) error {
	var ke *kindErr
	if errors.As(err, &ke) {
		return ke.cause
	}
	return err
}

// asErr turns a helper's error into an *Error for the file at path.
func asErr(path string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ke *kindErr
	if errors.As(err, &ke) {
		return &Error{Path: path, Problem: ke.kind, Err: ke.cause}
	}
	return &Error{Path: path, Problem: ErrUnreadable, Err: err}
}

func (d *Document) docErr(err error) error { return asErr(d.path, err) }

// Path returns the file the document was opened from.
func (d *Document) Path() string { return d.path }

// Kind returns the format found from the file's content.
func (d *Document) Kind() Kind { return d.kind }

// MediaType returns the IANA media type of the document.
func (d *Document) MediaType() string { return d.kind.MediaType() }

// NumPages returns the number of pages (1 for single images).
func (d *Document) NumPages() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0
	}
	return d.p.NumPages()
}

func (d *Document) checkPage(page int) error {
	if d.closed {
		return &Error{Path: d.path, Problem: ErrClosed}
	}
	if n := d.p.NumPages(); page < 0 || page >= n {
		return newErr(d.path, ErrPageRange, "page %d of %d", page+1, n)
	}
	return nil
}

func (d *Document) dpiOf(dpi float64) (float64, error) {
	if dpi == 0 || math.IsNaN(dpi) {
		return DefaultDPI, nil
	}
	if dpi < 1 {
		return 0, newErr(d.path, ErrUnsupported, "resolution %.3g DPI is below 1", dpi)
	}
	if dpi > d.lim.MaxDPI {
		return 0, newErr(d.path, ErrTooLarge, "resolution %.0f DPI is above the limit of %.0f DPI", dpi, d.lim.MaxDPI)
	}
	return dpi, nil
}

// PageSizePt returns a page's size in points (1/72 inch; whole points for
// PDF and TIFF pages, as MuPDF reports them) for PDF and TIFF pages and
// recordings; ok is false for raster images, which have no physical size.
func (d *Document) PageSizePt(page int) (w, h float64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.checkPage(page) != nil {
		return 0, 0, false
	}
	return d.p.PageSizePt(page)
}

// pixelSize is the size a render at dpi will have, without rendering. With
// margin, PDF and TIFF sizes are taken one point larger than MuPDF's whole
// point bounds, an upper bound for size checks. Called with d.mu held.
func (d *Document) pixelSize(page int, dpi float64, margin bool) (w, h int, err error) {
	if err := d.checkPage(page); err != nil {
		return 0, 0, err
	}
	if ps, ok := d.p.(pixelSizer); ok {
		w, h = ps.pixelSize(page)
		return w, h, nil
	}
	wpt, hpt, ok := d.p.PageSizePt(page)
	if !ok {
		return 0, 0, newErr(d.path, ErrTruncated, "the size of page %d cannot be read", page+1)
	}
	if margin {
		wpt, hpt = wpt+1, hpt+1
	}
	return ptToPx(wpt, dpi), ptToPx(hpt, dpi), nil
}

// ptToPx is MuPDF's rounding of a page edge at a DPI (fz_round_rect).
func ptToPx(pt, dpi float64) int {
	v := math.Ceil(pt*dpi/72 - 0.001)
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(v)
}

// PixelSize returns the size page will have when rendered at dpi (0 =
// DefaultDPI; ignored for raster images), without rendering it. For PDF and
// TIFF pages the size comes from the page bounds MuPDF reports in whole
// points, so the render may be up to DPI/72 pixels larger on each side.
func (d *Document) PixelSize(page int, dpi float64) (w, h int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.kind.isRaster() {
		if dpi, err = d.dpiOf(dpi); err != nil {
			return 0, 0, err
		}
	}
	return d.pixelSize(page, dpi, false)
}

func (d *Document) checkPixels(page int, w, h int, dpi float64) error {
	if w <= 0 || h <= 0 {
		return newErr(d.path, ErrTruncated, "page %d has no area", page+1)
	}
	if int64(w)*int64(h) > d.lim.MaxPixels {
		at := ""
		if !d.kind.isRaster() {
			at = fmt.Sprintf(" at %.0f DPI", dpi)
		}
		return newErr(d.path, ErrTooLarge, "page %d would be %d×%d pixels%s, the limit is %d megapixels", page+1, w, h, at, d.lim.MaxPixels/1_000_000)
	}
	return nil
}

// Render returns page (0-based) as an image. PDF and TIFF pages render at
// dpi (0 = DefaultDPI, at most Limits.MaxDPI); raster images ignore dpi.
// The size is checked against the limits before anything is rendered. The
// returned image may be shared with later calls: do not modify it.
func (d *Document) Render(page int, dpi float64) (image.Image, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.kind.isRaster() {
		var err error
		if dpi, err = d.dpiOf(dpi); err != nil {
			return nil, err
		}
	}
	w, h, err := d.pixelSize(page, dpi, true)
	if err != nil {
		return nil, d.docErr(err)
	}
	if err := d.checkPixels(page, w, h, dpi); err != nil {
		return nil, err
	}
	img, err := d.p.Render(page, dpi)
	if err != nil {
		return nil, d.docErr(err)
	}
	return img, nil
}

// Thumbnail returns page scaled to fit in maxSide×maxSide pixels. PDF and
// TIFF pages are rendered at the DPI that gives that size (checked like
// Render); raster images are decoded and scaled down.
func (d *Document) Thumbnail(page int, maxSide int) (image.Image, error) {
	if maxSide < 1 {
		maxSide = 1
	}
	d.mu.Lock()
	var dpi float64
	if !d.kind.isRaster() {
		if err := d.checkPage(page); err != nil {
			d.mu.Unlock()
			return nil, err
		}
		wpt, hpt, ok := d.p.PageSizePt(page)
		if !ok || wpt <= 0 || hpt <= 0 {
			d.mu.Unlock()
			return nil, newErr(d.path, ErrTruncated, "the size of page %d cannot be read", page+1)
		}
		dpi = float64(maxSide) * 72 / math.Max(wpt, hpt)
		dpi = math.Min(dpi, d.lim.MaxDPI)
		if dpi < 1 {
			dpi = 1
		}
	}
	d.mu.Unlock()
	img, err := d.Render(page, dpi)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() <= maxSide && b.Dy() <= maxSide {
		return img, nil
	}
	return imaging.Fit(img, maxSide, maxSide, imaging.Box), nil
}

// Close releases the document's resources (MuPDF's among them). Calling it
// again does nothing.
func (d *Document) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.p.Close()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sniff finds the format from the first bytes of a file.
func sniff(b []byte) (Kind, error) {
	has := func(off int, sig string) bool {
		return len(b) >= off+len(sig) && string(b[off:off+len(sig)]) == sig
	}
	switch {
	case has(0, "\x89PNG\r\n\x1a\n"):
		return KindPNG, nil
	case has(0, "\xff\xd8\xff"):
		return KindJPEG, nil
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return KindGIF, nil
	case has(0, "RIFF") && has(8, "WEBP"):
		return KindWebP, nil
	case has(0, "BM") && len(b) >= 26 && bmpHeaderOK(b):
		return KindBMP, nil
	case has(0, "II*\x00"), has(0, "MM\x00*"), has(0, "II+\x00"), has(0, "MM\x00+"):
		return KindTIFF, nil
	case has(128, "DICM"):
		return KindDICOM, nil
	case has(4, "ftyp"):
		brand := ""
		if len(b) >= 12 {
			brand = string(b[8:12])
		}
		switch brand {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1", "mif2":
			return KindHEIC, nil
		case "avif", "avis":
			return "", problem(ErrUnsupported, "AVIF images are not supported; convert the picture to JPEG or PNG")
		case "jxl ":
			return "", problem(ErrUnsupported, "JPEG XL images are not supported; convert the picture to JPEG or PNG")
		case "qt  ", "isom", "mp41", "mp42", "M4V ", "3gp4", "3gp5":
			return "", problem(ErrUnsupported, "video files are not supported")
		}
		return "", problem(ErrUnsupported, "an ISO media file (brand %q) is not supported", brand)
	}
	if i := bytes.Index(b, []byte("%PDF-")); i >= 0 && i < 1024 {
		return KindPDF, nil
	}
	switch {
	case has(0, "\x00\x00\x00\x0cjP  "), has(0, "\xff\x4f\xff\x51"):
		return "", problem(ErrUnsupported, "JPEG 2000 images are not supported")
	case has(0, "\xff\x0a"), has(0, "\x00\x00\x00\x0cJXL "):
		return "", problem(ErrUnsupported, "JPEG XL images are not supported")
	case has(0, "8BPS"):
		return "", problem(ErrUnsupported, "Photoshop documents are not supported")
	case has(0, "%!PS"):
		return "", problem(ErrUnsupported, "PostScript files are not supported; print to PDF instead")
	case has(0, "AT&TFORM"):
		return "", problem(ErrUnsupported, "DjVu documents are not supported")
	case has(0, "\x00\x00\x01\x00"):
		return "", problem(ErrUnsupported, "icon files are not supported")
	case has(0, "PK\x03\x04"):
		return "", problem(ErrUnsupported, "ZIP archives and office documents are not supported; export the ECG as PDF or an image")
	case has(0, "\xd0\xcf\x11\xe0"):
		return "", problem(ErrUnsupported, "old office documents are not supported; export the ECG as PDF or an image")
	case has(0, "gimp xcf"):
		return "", problem(ErrUnsupported, "GIMP images are not supported")
	}
	if isWFDBHeader(b) {
		return KindWFDB, nil
	}
	t := bytes.TrimLeft(b, " \t\r\n\xef\xbb\xbf")
	if bytes.HasPrefix(t, []byte("<svg")) || (bytes.HasPrefix(t, []byte("<?xml")) && bytes.Contains(b, []byte("<svg"))) {
		return "", problem(ErrUnsupported, "SVG drawings are not supported")
	}
	if looksLikeText(b) {
		return "", problem(ErrNotDocument, "it is a text file")
	}
	return "", problem(ErrNotDocument, "the content is not a known image or document format")
}

func bmpHeaderOK(b []byte) bool {
	// BITMAPFILEHEADER reserved fields are zero and the info header size is one of the known ones.
	if b[6] != 0 || b[7] != 0 || b[8] != 0 || b[9] != 0 {
		return false
	}
	switch le32(b[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func looksLikeText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	bad := 0
	for _, c := range b {
		if c == 0 {
			return false
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			bad++
		}
	}
	return bad*20 < len(b)
}
