package ui

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"fyne.io/fyne/v2/widget"

	"pulsedesk/viewer"
	"pulsedesk/viewer/geometry"
)

// The automatic steps run on the page's preview proxy (the frames are
// normalised, so the result holds at full resolution), off the UI goroutine.

// autoStep computes new edits from the proxy and the current edits.
func (a *App) autoStep(what string, f func(proxy image.Image, e viewer.Edits) (viewer.Edits, error)) {
	if a.doc == nil || a.doc.prev == nil {
		return
	}
	d := a.doc
	proxy := d.prev.Proxy()
	e := cloneEdits(d.edits)
	a.canvas.SetMessage(what + "…")
	a.goWork(func() {
		n, err := f(proxy, e)
		a.do(func() {
			a.canvas.SetMessage("")
			if a.doc != d {
				return
			}
			if err != nil {
				a.showError(fmt.Errorf("%s: %w", strings.ToLower(what), err))
				return
			}
			a.editGeometry(func(cur *viewer.Edits) { *cur = n })
			a.canvas.Fit()
			a.runChecks()
		})
	})
}

func (a *App) autoStraighten() {
	a.autoStep("Straightening", func(proxy image.Image, e viewer.Edits) (viewer.Edits, error) {
		g := viewer.Edits{Version: viewer.EditsVersion, Perspective: e.Perspective, QuarterTurns: e.QuarterTurns}
		page := proxy
		if !g.IsIdentity() {
			page = viewer.ApplyGeometry(proxy, g)
		}
		deg, conf := geometry.Skew(page)
		if conf == 0 {
			return e, errors.New("no grid lines or trace baselines were found to measure the tilt")
		}
		e.Rotation = math.Max(-20, math.Min(20, -deg))
		e.Crop, e.Redactions = nil, nil
		return e, nil
	})
}

func (a *App) autoCrop() {
	a.autoStep("Cropping", func(proxy image.Image, e viewer.Edits) (viewer.Edits, error) {
		g := cloneEdits(e)
		g.Crop, g.Redactions = nil, nil
		straight := viewer.ApplyGeometry(proxy, g)
		r := geometry.AutoCrop(straight, geometry.DetectGrid(straight))
		if r.Empty() || (r.X0 == 0 && r.Y0 == 0 && r.X1 == 1 && r.Y1 == 1) {
			return e, errors.New("no ECG trace was found to crop to")
		}
		e.Crop = &r
		return e, nil
	})
}

func (a *App) autoPerspective() {
	a.autoStep("Finding the paper", func(proxy image.Image, e viewer.Edits) (viewer.Edits, error) {
		q, ok, _ := geometry.DetectPaperQuad(proxy)
		if !ok {
			return e, errors.New("no paper edge was found; drag the four corners by hand")
		}
		e.Perspective = &q
		e.Crop, e.Redactions = nil, nil
		return e, nil
	})
}

func (a *App) autoEnhance() {
	if a.doc != nil && len(a.doc.edits.Redactions) > 0 {
		a.showError(errors.New("auto-enhance changes the geometry: clear the redactions first, then redact again"))
		return
	}
	a.autoStep("Enhancing", func(proxy image.Image, e viewer.Edits) (viewer.Edits, error) {
		s, _ := geometry.AutoEnhance(proxy)
		s.Version = viewer.EditsVersion
		// keep the clinician's tone settings; take geometry and levels
		s.Brightness, s.Contrast, s.Gamma = e.Brightness, e.Contrast, e.Gamma
		s.Sharpen, s.Denoise, s.GridSuppression = e.Sharpen, e.Denoise, e.GridSuppression
		s.Grayscale, s.Invert = e.Grayscale, e.Invert
		return s, nil
	})
}

// runChecks runs the page's quality checks at full resolution in the
// background and shows them plainly; a page with neither grid nor trace
// needs an explicit override before it is sent.
func (a *App) runChecks() {
	if a.doc == nil || a.doc.img == nil {
		return
	}
	d := a.doc
	img, e := d.img, cloneEdits(d.edits)
	a.checkSeq++
	seq := a.checkSeq
	a.adjust.checks.SetText("Checking the page…")
	a.goWork(func() {
		ws := geometry.Check(img, e)
		a.do(func() {
			if a.doc != d || a.checkSeq != seq {
				return
			}
			a.showChecks(ws)
		})
	})
}

func (a *App) showChecks(ws []geometry.Warning) {
	block := false
	var lines []string
	for _, w := range ws {
		mark := "⚠ "
		if w.Severity == geometry.SeverityBlock {
			mark = "⛔ "
			block = true
		}
		lines = append(lines, mark+w.Message)
	}
	if len(lines) == 0 {
		a.adjust.checks.SetText("✔ Grid and traces found; no problem seen.")
		a.adjust.checks.Importance = widget.SuccessImportance
	} else {
		a.adjust.checks.SetText(strings.Join(lines, "\n"))
		a.adjust.checks.Importance = widget.WarningImportance
	}
	a.adjust.checks.Refresh()
	a.canvas.SetMessage("")
	if block {
		a.canvas.SetMessage("⚠ " + ws[0].Message)
	}
	a.checkBlocks = block
	a.interp.overBox.Hidden = !block
	a.interp.overBox.Refresh()
}
