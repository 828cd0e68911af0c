package viewer

import "image"

// pager is one opened document's pages. Every kind of document (raster
// images, PDF and TIFF through MuPDF, recordings drawn onto paper) provides
// one; Document checks page numbers, DPI and sizes before calling it.
type pager interface {
	NumPages() int
	Render(page int, dpi float64) (image.Image, error)
	PageSizePt(page int) (w, h float64, ok bool)
	Close() error
}

// openRecording opens a signal recording (a WFDB header or a DICOM
// waveform) as pages of ECG paper.
func openRecording(path string, kind Kind) (pager, error) {
	return nil, newErr(path, ErrUnsupported, "%s recordings are not supported in this build", kind)
}
