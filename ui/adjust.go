package ui

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/viewer"
)

// adjustPanel is the Adjust tab: page picker, geometry, tone, undo and the
// page's quality checks. It changes only the Edits; the original page is
// never modified.
type adjustPanel struct {
	a       *App
	content fyne.CanvasObject
	syncing bool

	pageBox  *fyne.Container
	pageSel  *widget.Select
	thumbs   *fyne.Container
	rotation *slider
	bright   *slider
	contrast *slider
	gamma    *slider
	sharpen  *slider
	denoise  *slider
	grid     *slider
	invert   *widget.Check
	gray     *widget.Check
	levels   *widget.Check
	checks   *widget.Label
	undoBtn  *widget.Button
	redoBtn  *widget.Button
	autoBtns []*widget.Button

	dragStart *viewer.Edits // the edits before a slider drag began
}

// slider is a labelled slider showing its value.
type slider struct {
	s     *widget.Slider
	value *widget.Label
	box   fyne.CanvasObject
	form  string
}

func newSlider(name string, min, max, step float64, form string, onChange func(float64, bool)) *slider {
	sl := &slider{s: widget.NewSlider(min, max), value: widget.NewLabel(""), form: form}
	sl.s.Step = step
	sl.s.OnChanged = func(v float64) { sl.value.SetText(fmt.Sprintf(form, v)); onChange(v, false) }
	sl.s.OnChangeEnded = func(v float64) { onChange(v, true) }
	name0 := widget.NewLabel(name)
	sl.box = container.NewBorder(nil, nil, container.New(fixedWidth{92}, name0), container.New(fixedWidth{52}, sl.value), sl.s)
	return sl
}

func (s *slider) set(v float64) {
	s.s.Value = v
	s.s.Refresh()
	s.value.SetText(fmt.Sprintf(s.form, v))
}

func newAdjustPanel(a *App) *adjustPanel {
	p := &adjustPanel{a: a}
	tone := func(f func(e *viewer.Edits, v float64)) func(float64, bool) {
		return func(v float64, ended bool) {
			if p.syncing || a.doc == nil {
				return
			}
			if ended {
				// record one undo step per drag: the value before it began
				a.edit(func(e *viewer.Edits) { f(e, v) }, false, true)
				p.recordDrag()
				return
			}
			p.beginDrag()
			a.edit(func(e *viewer.Edits) { f(e, v) }, false, false)
		}
	}
	p.rotation = newSlider("Angle", -20, 20, 0.1, "%+.1f°", func(v float64, ended bool) {
		if p.syncing || a.doc == nil {
			return
		}
		a.gen++
		tone(func(e *viewer.Edits, v float64) { e.Rotation = v })(v, ended)
	})
	p.bright = newSlider("Brightness", -1, 1, 0.01, "%+.2f", tone(func(e *viewer.Edits, v float64) { e.Brightness = v }))
	p.contrast = newSlider("Contrast", -1, 1, 0.01, "%+.2f", tone(func(e *viewer.Edits, v float64) { e.Contrast = v }))
	p.gamma = newSlider("Gamma", 0.2, 3, 0.01, "%.2f", tone(func(e *viewer.Edits, v float64) { e.Gamma = v }))
	p.sharpen = newSlider("Sharpen", 0, 1, 0.01, "%.2f", tone(func(e *viewer.Edits, v float64) { e.Sharpen = v }))
	p.denoise = newSlider("Denoise", 0, 1, 0.01, "%.2f", tone(func(e *viewer.Edits, v float64) { e.Denoise = v }))
	p.grid = newSlider("Grid", 0, 1, 0.01, "%.2f", tone(func(e *viewer.Edits, v float64) { e.GridSuppression = v }))
	check := func(label string, f func(e *viewer.Edits, on bool)) *widget.Check {
		return widget.NewCheck(label, func(on bool) {
			if p.syncing || a.doc == nil {
				return
			}
			a.edit(func(e *viewer.Edits) { f(e, on) }, true, true)
		})
	}
	p.invert = check("Invert", func(e *viewer.Edits, on bool) { e.Invert = on })
	p.gray = check("Grey", func(e *viewer.Edits, on bool) { e.Grayscale = on })
	p.levels = check("Auto levels", func(e *viewer.Edits, on bool) { e.AutoLevels = on })

	p.pageSel = widget.NewSelect(nil, func(s string) {
		if p.syncing || a.doc == nil {
			return
		}
		var n int
		fmt.Sscanf(s, "Page %d", &n)
		p.showPage(n - 1)
	})
	p.thumbs = container.NewHBox()
	p.pageBox = container.NewVBox(p.pageSel, container.NewHScroll(p.thumbs))
	p.pageBox.Hide()

	p.checks = widget.NewLabel("Open a page to see its checks.")
	p.checks.Wrapping = fyne.TextWrapWord

	p.undoBtn = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), a.undo)
	p.redoBtn = widget.NewButtonWithIcon("Redo", theme.ContentRedoIcon(), a.redo)
	reset := widget.NewButtonWithIcon("Reset", theme.DeleteIcon(), func() {
		a.editGeometry(func(e *viewer.Edits) { *e = viewer.NewEdits() })
		a.canvas.Fit()
	})
	turnL := widget.NewButtonWithIcon("", theme.MediaReplayIcon(), func() { a.turn(1) })
	turnR := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { a.turn(3) })
	cropBtn := widget.NewButton("Crop…", func() { a.setTool(ToolCrop) })
	clearCrop := widget.NewButton("Clear", func() { a.editGeometry(func(e *viewer.Edits) { e.Crop = nil }) })
	persp := widget.NewButton("Corners…", func() { a.setTool(ToolPerspective) })
	clearPersp := widget.NewButton("Clear", func() { a.editGeometry(func(e *viewer.Edits) { e.Perspective = nil }) })
	redact := widget.NewButton("Redact…", func() { a.setTool(ToolRedact) })
	clearRed := widget.NewButton("Clear", func() { a.editGeometry(func(e *viewer.Edits) { e.Redactions = nil }) })

	head := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	autoStraight := p.autoButton("Auto", a.autoStraighten)
	autoCrop := p.autoButton("Auto", a.autoCrop)
	autoPersp := p.autoButton("Auto", a.autoPerspective)
	autoEnh := p.autoButton("Auto-enhance", a.autoEnhance)
	geometry := container.NewVBox(
		head("Geometry"),
		container.NewHBox(widget.NewLabel("Turn"), turnL, turnR, layout.NewSpacer(), widget.NewLabel("Straighten"), autoStraight),
		p.rotation.box,
		container.NewGridWithColumns(3, cropBtn, autoCrop, clearCrop),
		container.NewGridWithColumns(3, persp, autoPersp, clearPersp),
		container.NewGridWithColumns(3, redact, widget.NewLabel(""), clearRed),
	)
	toneBox := container.NewVBox(
		head("Tone"),
		p.bright.box, p.contrast.box, p.gamma.box, p.sharpen.box, p.denoise.box, p.grid.box,
		container.NewHBox(p.levels, p.gray, p.invert),
		autoEnh,
	)
	gridNote := widget.NewLabel("Grid removal is for your eyes: the model was trained on printouts with their grid.")
	gridNote.Wrapping = fyne.TextWrapWord
	gridNote.Importance = widget.LowImportance
	body := container.NewVBox(
		p.pageBox,
		geometry,
		widget.NewSeparator(),
		toneBox, gridNote,
		widget.NewSeparator(),
		head("Checks"), p.checks,
	)
	p.content = container.NewBorder(nil,
		container.NewVBox(widget.NewSeparator(), container.NewGridWithColumns(3, p.undoBtn, p.redoBtn, reset)),
		nil, nil, container.NewVScroll(padRight(body)))
	p.editsChanged()
	return p
}

// autoButton makes a button for an automatic step; it stays disabled while
// the step is not available in this build.
func (p *adjustPanel) autoButton(label string, f func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, theme.MediaFastForwardIcon(), f)
	if f == nil {
		b.Disable()
	}
	p.autoBtns = append(p.autoBtns, b)
	return b
}

// beginDrag remembers the edits before a slider drag, for one undo step.
func (p *adjustPanel) beginDrag() {
	if p.a.doc != nil && p.dragStart == nil {
		e := cloneEdits(p.a.doc.edits)
		p.dragStart = &e
	}
}

func (p *adjustPanel) recordDrag() {
	d := p.a.doc
	if d == nil {
		return
	}
	if p.dragStart != nil {
		d.undo = append(d.undo, *p.dragStart)
		p.dragStart = nil
	} else {
		// a click on the track with no drag: the value before is the last undo's successor
		d.undo = append(d.undo, d.edits)
	}
	d.redo = nil
	p.editsChanged()
}

// editsChanged shows the current edits in the controls.
func (p *adjustPanel) editsChanged() {
	p.syncing = true
	defer func() { p.syncing = false }()
	e := viewer.NewEdits()
	if p.a.doc != nil {
		e = p.a.doc.edits
	}
	p.rotation.set(e.Rotation)
	p.bright.set(e.Brightness)
	p.contrast.set(e.Contrast)
	g := e.Gamma
	if g == 0 {
		g = 1
	}
	p.gamma.set(g)
	p.sharpen.set(e.Sharpen)
	p.denoise.set(e.Denoise)
	p.grid.set(e.GridSuppression)
	p.invert.SetChecked(e.Invert)
	p.gray.SetChecked(e.Grayscale)
	p.levels.SetChecked(e.AutoLevels)
	if p.a.doc != nil && len(p.a.doc.undo) > 0 {
		p.undoBtn.Enable()
	} else {
		p.undoBtn.Disable()
	}
	if p.a.doc != nil && len(p.a.doc.redo) > 0 {
		p.redoBtn.Enable()
	} else {
		p.redoBtn.Disable()
	}
}

// documentChanged fills the page picker for a new document.
func (p *adjustPanel) documentChanged() {
	d := p.a.doc
	p.editsChanged()
	p.a.runChecks()
	if d == nil || d.pages <= 1 {
		p.pageBox.Hide()
		return
	}
	p.syncing = true
	opts := make([]string, d.pages)
	for i := range opts {
		opts[i] = fmt.Sprintf("Page %d of %d", i+1, d.pages)
	}
	p.pageSel.Options = opts
	p.pageSel.SetSelected(opts[d.page])
	p.syncing = false
	p.pageBox.Show()
	p.thumbs.RemoveAll()
	doc := d.doc
	n := min(d.pages, 24)
	p.a.goWork(func() {
		imgs := make([]image.Image, n)
		for i := range n {
			if t, err := doc.Thumbnail(i, 96); err == nil {
				imgs[i] = t
			}
		}
		p.a.do(func() {
			if p.a.doc == nil || p.a.doc.doc != doc {
				return
			}
			for i, t := range imgs {
				page := i
				btn := widget.NewButton(fmt.Sprint(i+1), func() { p.showPage(page) })
				var obj fyne.CanvasObject = btn
				if t != nil {
					obj = container.NewVBox(imageObject(t, 72, 72), btn)
				}
				p.thumbs.Add(obj)
			}
		})
	})
}

// showPage renders another page of the document in the background.
func (p *adjustPanel) showPage(page int) {
	d := p.a.doc
	if d == nil || page < 0 || page >= d.pages || page == d.page {
		return
	}
	p.a.canvas.SetMessage(fmt.Sprintf("Rendering page %d…", page+1))
	doc := d.doc
	dpi := d.dpi
	p.a.goWork(func() {
		img, err := doc.RenderIsolated(page, dpi)
		var prev *viewer.Preview
		if err == nil {
			prev = newPagePreview(img)
		}
		p.a.do(func() {
			if p.a.doc == nil || p.a.doc.doc != doc {
				return
			}
			p.a.canvas.SetMessage("")
			if err != nil {
				p.a.showError(err)
				return
			}
			d.page, d.img, d.prev = page, img, prev
			_ = d.sess.SetPage(page)
			_ = d.sess.SetEdits(viewer.NewEdits())
			d.edits = viewer.NewEdits()
			d.undo, d.redo = nil, nil
			p.syncing = true
			p.pageSel.SetSelected(p.pageSel.Options[page])
			p.syncing = false
			p.a.gen++
			p.a.syncMarks()
			p.editsChanged()
			p.a.canvas.Fit()
			p.a.requestPreview(true)
			p.a.updateStatus()
			p.a.runChecks()
		})
	})
}
