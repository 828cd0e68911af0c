package viewer

import (
	"errors"
	"image"
	"sync"

	"pulsedesk/viewer/ecgpaper"
)

// pager is one opened document's pages. Every kind of document (raster
// images, PDF and TIFF through MuPDF, recordings drawn onto paper) provides
// one; Document checks page numbers, DPI and sizes before calling it.
type pager interface {
	NumPages() int
	Render(page int, dpi float64) (image.Image, error)
	PageSizePt(page int) (w, h float64, ok bool)
	Close() error
}

// recordingSeconds is how much of a WFDB record is read to draw it.
const recordingSeconds = 60

// openRecording opens a signal recording (a WFDB header or a DICOM
// waveform) as one page of ECG paper: a 3x4 printout with a lead II rhythm
// strip (or one strip per lead for a record without the twelve standard
// leads) on A4 landscape, 25 mm/s, 10 mm/mV, red grid.
func openRecording(path string, kind Kind) (pager, error) {
	var rec *ecgpaper.Record
	var err error
	switch kind {
	case KindDICOM:
		rec, err = ecgpaper.ReadDICOM(path)
	default:
		// A printout shows 10 s; a long Holter record is read no further
		// than its first minute.
		rec, err = ecgpaper.ReadWFDBFirst(path, recordingSeconds)
	}
	if err != nil {
		problem := ErrTruncated
		if errors.Is(err, ecgpaper.ErrNotRecording) {
			problem = ErrNotDocument
		}
		return nil, &Error{Path: path, Problem: problem, Err: err}
	}
	return &recordingPager{rec: rec, opt: ecgpaper.Options{Layout: ecgpaper.Layout3x4}}, nil
}

// recordingPager draws a recording on paper, keeping the last two renders
// (typically the page and its thumbnail).
type recordingPager struct {
	rec *ecgpaper.Record
	opt ecgpaper.Options

	mu    sync.Mutex
	cache []renderedPage
}

type renderedPage struct {
	dpi float64
	img image.Image
}

func (p *recordingPager) NumPages() int { return 1 }

func (p *recordingPager) Render(page int, dpi float64) (image.Image, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	for _, c := range p.cache {
		if c.dpi == dpi {
			return c.img, nil
		}
	}
	opt := p.opt
	opt.DPI = dpi
	img, _, err := ecgpaper.Render(p.rec, opt)
	if err != nil {
		return nil, err
	}
	p.cache = append([]renderedPage{{dpi, img}}, p.cache[:min(len(p.cache), 1)]...)
	return img, nil
}

func (p *recordingPager) PageSizePt(page int) (w, h float64, ok bool) {
	w, h = ecgpaper.PageSizePt(ecgpaper.PaperA4)
	return w, h, true
}

func (p *recordingPager) Close() error {
	p.mu.Lock()
	p.cache = nil
	p.mu.Unlock()
	return nil
}
