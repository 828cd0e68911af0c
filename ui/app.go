// Package ui is the PULSE Desk desktop interface (Fyne): the main window,
// the ECG canvas, the Adjust, Interpret and Report panels, settings and
// dialogs. It holds no clinical logic: documents, edits and the pipeline
// come from viewer, the case log from storage, runs from interpret.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	fstorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/assets"
	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// Options are given on the command line.
type Options struct {
	DataDir string // the case log and settings live here
	File    string // opened at start when set
	// Screen, when set, opens that screen at start (used by the screenshot
	// script): open, adjust, interpret, report, cases, setup.
	Screen string
	// DPI, when set, renders PDF and TIFF pages at this DPI instead of the setting.
	DPI float64
	// Store is the case log (required).
	Store *storage.Store

	// do runs f on the UI goroutine; nil means fyne.Do. Tests queue the
	// calls and run them on the test goroutine (Fyne's test driver would run
	// them inline on the calling goroutine).
	do func(f func())
}

// App is the main window and its state. Fields are touched only on the UI
// goroutine; background work hands results back with fyne.Do.
type App struct {
	fyne     fyne.App
	win      fyne.Window
	opts     Options
	settings Settings

	do          func(func()) // fyne.Do, or the tests' queue
	store       *storage.Store
	started     time.Time           // when the window was made
	checkSeq    int                 // newest quality check
	checkBlocks bool                // the checks found neither grid nor trace
	wf          *interpret.Workflow // replaced when the settings change; sessions keep theirs
	canvas      *ECGCanvas

	interp       *interpretPanel
	report       *reportPanel
	cases        *caseBrowser
	active       *runState // the run in flight, if any
	clientErr    error
	serverStatus interpret.Status
	serverModels []interpret.Model
	prev         *previewer
	doc          *docState
	gen          uint64 // newest preview generation
	pending      atomic.Int64
	testQueue    *uiQueue // tests only: UI calls queued for the test goroutine

	title      *widget.Label
	statusL    *widget.Label
	statusR    *widget.Label
	zoomLabel  *widget.Label
	left       *fyne.Container
	right      *fyne.Container
	tabs       *container.AppTabs
	adjust     *adjustPanel
	toolBtns   map[Tool]*widget.Button
	caseSearch *widget.Entry
	opening    string
	calip      *caliperState
}

// docState is the open document, its page and the edits being made.
type docState struct {
	path    string
	name    string
	doc     document // sess.ViewerDocument()
	page    int
	pages   int
	dpi     float64
	paged   bool            // pages are rendered at a DPI (PDF, TIFF)
	img     image.Image     // the page at full resolution, never modified
	prev    *viewer.Preview // the page's proxy for the canvas
	sess    *interpret.Session
	caseRec storage.Case // the case as last read or saved
	edits   viewer.Edits
	undo    []viewer.Edits
	redo    []viewer.Edits
}

// New builds the main window. Call ShowAndRun (or, in tests, use Window).
func New(fa fyne.App, opts Options) *App {
	a := &App{fyne: fa, opts: opts, settings: LoadSettings(fa.Preferences()), do: opts.do, store: opts.Store, started: time.Now()}
	if opts.DPI > 0 {
		a.settings.DPI = opts.DPI
	}
	if a.do == nil {
		a.do = fyne.Do
	}
	applyTheme(fa, a.settings.Theme)
	a.wf = a.newWorkflow()
	fa.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	a.win = fa.NewWindow("PULSE Desk")
	a.win.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	a.prev = newPreviewer(renderPreview, func(r previewResult) {
		a.do(func() { a.applyPreview(r) })
	})
	a.build()
	a.win.Resize(fyne.NewSize(1366, 768))
	a.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		for _, u := range uris {
			if u.Scheme() == "file" {
				a.OpenFile(u.Path())
				return
			}
		}
	})
	a.win.SetCloseIntercept(func() {
		a.prev.Close()
		a.win.Close()
	})
	return a
}

// Window returns the main window.
func (a *App) Window() fyne.Window { return a.win }

// Canvas returns the ECG canvas widget (for overlays such as calipers).
func (a *App) Canvas() *ECGCanvas { return a.canvas }

// Start opens the file from the options, or the sample on first start.
func (a *App) Start() {
	p := a.fyne.Preferences()
	switch {
	case a.opts.File != "":
		a.OpenFile(a.opts.File)
	case !p.Bool(prefStarted):
		a.openSample()
	}
	p.SetBool(prefStarted, true)
	a.checkServer()
	a.refreshCases()
	if a.opts.Screen != "" {
		go a.playScreen(a.opts.Screen, a.started)
	}
}

// ShowAndRun shows the window and runs the event loop.
func (a *App) ShowAndRun() {
	a.Start()
	a.win.ShowAndRun()
}

// Close releases the document and stops background work.
func (a *App) Close() {
	a.prev.Close()
	a.stopAll()
	if a.doc != nil {
		a.retire(a.doc.sess)
	}
}

func (a *App) openSample() {
	dir := a.opts.DataDir
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, assets.SampleECGName)
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			a.showError(fmt.Errorf("writing the sample ECG to %s: %w", dir, err))
			return
		}
		if err := os.WriteFile(path, assets.SampleECG, 0o600); err != nil {
			a.showError(fmt.Errorf("writing the sample ECG to %s: %w", path, err))
			return
		}
	}
	a.OpenFile(path)
}

// build lays out the window: toolbar, case browser, canvas, side panel, status bar.
func (a *App) build() {
	a.canvas = NewECGCanvas()
	a.canvas.OnView = func(viewer.Rect, image.Point) { a.requestPreview(false) }
	a.canvas.OnZoom = func(p float64) { a.zoomLabel.SetText(fmt.Sprintf("%.0f%%", p)) }
	a.canvas.OnCrop = func(r viewer.Rect) { a.editGeometry(func(e *viewer.Edits) { e.Crop = &r }) }
	a.canvas.OnRedact = func(r viewer.Rect) {
		a.editGeometry(func(e *viewer.Edits) { e.Redactions = append(append([]viewer.Rect(nil), e.Redactions...), r) })
	}
	a.canvas.OnQuad = func(q [4]viewer.Point) { a.editGeometry(func(e *viewer.Edits) { e.Perspective = &q }) }

	a.title = widget.NewLabelWithStyle("No document open", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	a.title.Truncation = fyne.TextTruncateEllipsis
	a.statusL = widget.NewLabel("Model server: not checked yet")
	a.statusL.Truncation = fyne.TextTruncateEllipsis
	a.statusR = widget.NewLabel("")
	a.zoomLabel = widget.NewLabel("100%")

	a.adjust = newAdjustPanel(a)
	a.tabs = container.NewAppTabs(
		container.NewTabItem("Adjust", a.adjust.content),
		container.NewTabItem("Interpret", a.buildInterpret()),
		container.NewTabItem("Report", a.buildReport()),
	)
	a.buildCalipers()
	a.left = container.New(fixedWidth{250}, a.buildCaseBrowser())
	a.right = container.New(fixedWidth{380}, a.tabs)

	status := container.NewBorder(nil, nil, nil, a.statusR, a.statusL)
	centre := container.NewBorder(nil, nil, nil, nil, a.canvas)
	body := container.NewBorder(nil, nil,
		container.NewHBox(a.left, widget.NewSeparator()),
		container.NewHBox(widget.NewSeparator(), a.right), centre)
	a.win.SetContent(container.NewBorder(
		container.NewVBox(a.buildToolbar(), widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), status),
		nil, nil, body))
	a.win.SetMainMenu(a.buildMenu())
	a.addShortcuts()
}

// fixedWidth lays out one object at a fixed width and full height.
type fixedWidth struct{ w float32 }

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(f.w, h)
}

func (a *App) buildToolbar() fyne.CanvasObject {
	btn := func(label string, icon fyne.Resource, f func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, f)
		b.Importance = widget.LowImportance
		return b
	}
	a.toolBtns = map[Tool]*widget.Button{}
	tool := func(label string, icon fyne.Resource, t Tool) *widget.Button {
		b := btn(label, icon, nil)
		b.OnTapped = func() { a.setTool(t) }
		a.toolBtns[t] = b
		return b
	}
	cases := btn("", theme.MenuIcon(), func() { a.toggleLeft() })
	side := btn("", theme.ListIcon(), func() { a.toggleRight() })
	leftBar := container.NewHBox(
		cases,
		btn("Open", theme.FolderOpenIcon(), a.showOpen),
		btn("Save", theme.DocumentSaveIcon(), a.saveCase),
		btn("Export", theme.UploadIcon(), a.exportCase),
		widget.NewSeparator(),
		btn("", theme.MediaReplayIcon(), func() { a.turn(1) }),
		btn("", theme.ViewRefreshIcon(), func() { a.turn(3) }),
		tool("Pan", theme.NavigateNextIcon(), ToolPan),
		tool("Crop", theme.ContentCutIcon(), ToolCrop),
		tool("Redact", theme.VisibilityOffIcon(), ToolRedact),
		tool("Perspective", theme.GridIcon(), ToolPerspective),
		tool("Calipers", theme.ContentRemoveIcon(), ToolOverlay),
		widget.NewSeparator(),
	)
	rightBar := container.NewHBox(
		widget.NewSeparator(),
		btn("", theme.ZoomOutIcon(), func() { a.canvas.ZoomOut() }),
		a.zoomLabel,
		btn("", theme.ZoomInIcon(), func() { a.canvas.ZoomIn() }),
		btn("Fit", theme.ZoomFitIcon(), func() { a.canvas.Fit() }),
		btn("1:1", nil, func() { a.canvas.ActualSize() }),
		side,
	)
	return container.NewBorder(nil, nil, leftBar, rightBar, a.title)
}

func (a *App) buildMenu() *fyne.MainMenu {
	recent := fyne.NewMenuItem("Open recent", nil)
	recent.ChildMenu = fyne.NewMenu("")
	a.fillRecent(recent.ChildMenu)
	settings := fyne.NewMenuItem("Settings…", a.showSettings)
	return fyne.NewMainMenu(
		fyne.NewMenu("File",
			fyne.NewMenuItem("Open…", a.showOpen),
			recent,
			fyne.NewMenuItem("Open sample ECG", a.openSample),
			fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem("Save case", a.saveCase),
			fyne.NewMenuItem("Export…", a.exportCase),
			fyne.NewMenuItem("Print…", a.printCase),
			fyne.NewMenuItemSeparator(),
			settings,
		),
		fyne.NewMenu("View",
			fyne.NewMenuItem("Fit to window", func() { a.canvas.Fit() }),
			fyne.NewMenuItem("Actual size (1:1)", func() { a.canvas.ActualSize() }),
			fyne.NewMenuItem("Zoom in", func() { a.canvas.ZoomIn() }),
			fyne.NewMenuItem("Zoom out", func() { a.canvas.ZoomOut() }),
			fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem("Show or hide cases", a.toggleLeft),
			fyne.NewMenuItem("Show or hide side panel", a.toggleRight),
		),
		fyne.NewMenu("Help",
			fyne.NewMenuItem("Keyboard shortcuts", a.showHelp),
			fyne.NewMenuItem("Model setup", a.showModelSetup),
			fyne.NewMenuItem("About PULSE Desk", a.showAbout),
		),
	)
}

func (a *App) fillRecent(m *fyne.Menu) {
	m.Items = nil
	for _, p := range a.fyne.Preferences().StringList(prefRecent) {
		path := p
		m.Items = append(m.Items, fyne.NewMenuItem(path, func() { a.OpenFile(path) }))
	}
	if len(m.Items) == 0 {
		it := fyne.NewMenuItem("(none yet)", nil)
		it.Disabled = true
		m.Items = append(m.Items, it)
	}
}

func (a *App) addRecent(path string) {
	p := a.fyne.Preferences()
	list := []string{path}
	for _, q := range p.StringList(prefRecent) {
		if q != path && len(list) < 10 {
			list = append(list, q)
		}
	}
	p.SetStringList(prefRecent, list)
	a.win.SetMainMenu(a.buildMenu())
}

func (a *App) addShortcuts() {
	c := a.win.Canvas()
	ctrl := fyne.KeyModifierShortcutDefault
	add := func(k fyne.KeyName, m fyne.KeyModifier, f func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: m}, func(fyne.Shortcut) { f() })
	}
	add(fyne.KeyO, ctrl, a.showOpen)
	add(fyne.KeyS, ctrl, a.saveCase)
	add(fyne.KeyReturn, ctrl, a.runInterpretation)
	add(fyne.KeyEnter, ctrl, a.runInterpretation)
	add(fyne.KeyF, ctrl, a.focusSearch)
	add(fyne.KeyZ, ctrl, a.undo)
	add(fyne.KeyZ, ctrl|fyne.KeyModifierShift, a.redo)
	add(fyne.KeyComma, ctrl, a.showSettings)
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			a.stopInterpretation()
		}
	})
	c.SetOnTypedRune(func(r rune) { a.canvas.TypedRune(r) })
}

func (a *App) focusSearch() {
	if a.left.Hidden {
		a.toggleLeft()
	}
	a.win.Canvas().Focus(a.caseSearch)
}

func (a *App) toggleLeft() {
	a.left.Hidden = !a.left.Hidden
	a.win.Content().Refresh()
}

func (a *App) toggleRight() {
	a.right.Hidden = !a.right.Hidden
	a.win.Content().Refresh()
}

func (a *App) setTool(t Tool) {
	if a.canvas.CurrentTool() == t {
		t = ToolPan
	}
	a.canvas.SetTool(t)
	for k, b := range a.toolBtns {
		if k == t {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
	}
	if t == ToolPerspective && a.doc != nil && a.doc.edits.Perspective == nil {
		q := [4]viewer.Point{{X: 0.02, Y: 0.02}, {X: 0.98, Y: 0.02}, {X: 0.98, Y: 0.98}, {X: 0.02, Y: 0.98}}
		a.canvas.SetMarks(nil, nil, &q)
	}
	a.syncMarks()
	a.gen++
	a.requestPreview(true)
}

// showOpen shows the file dialog filtered to the types PULSE Desk opens.
func (a *App) showOpen() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if rc == nil {
			return
		}
		path := rc.URI().Path()
		rc.Close()
		a.OpenFile(path)
	}, a.win)
	d.SetFilter(fstorage.NewExtensionFileFilter([]string{
		".png", ".jpg", ".jpeg", ".heic", ".heif", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".pdf",
		".PNG", ".JPG", ".JPEG", ".HEIC", ".PDF", ".TIF", ".TIFF", ".hea", ".dcm",
	}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// OpenFile opens a document in the background and shows its first page.
func (a *App) OpenFile(path string) {
	a.opening = path
	a.canvas.SetMessage("Opening " + filepath.Base(path) + "…")
	wf := a.wf
	a.goWork(func() {
		st, err := loadDocument(wf, path)
		a.do(func() {
			if a.opening != path {
				if st != nil {
					a.retire(st.sess)
				}
				return
			}
			a.opening = ""
			if err != nil {
				a.canvas.SetMessage("")
				a.showError(err)
				return
			}
			a.setDocument(st)
			a.addRecent(path)
		})
	})
}

// loadDocument opens path into a new case and renders its first page (off
// the UI goroutine).
func loadDocument(wf *interpret.Workflow, path string) (*docState, error) {
	sess, err := wf.OpenNew(context.Background(), path, storage.Case{})
	if err != nil {
		return nil, err
	}
	return sessionState(sess, wf.DPI, 0, viewer.NewEdits())
}

// sessionState renders page of a session's document with its edits.
func sessionState(sess *interpret.Session, dpi float64, page int, e viewer.Edits) (*docState, error) {
	d := sess.ViewerDocument()
	st := &docState{path: d.Path(), name: filepath.Base(d.Path()), doc: d, sess: sess, pages: d.NumPages(),
		dpi: dpi, paged: isPaged(d), edits: e}
	if err := st.renderPage(page); err != nil {
		sess.Close()
		return nil, err
	}
	if err := sess.SetPage(page); err != nil {
		sess.Close()
		return nil, err
	}
	if err := sess.SetEdits(e); err != nil {
		sess.Close()
		return nil, err
	}
	return st, nil
}

// renderPage renders page (0-based) at the document's DPI and its preview base.
func (st *docState) renderPage(page int) error {
	img, err := st.doc.RenderIsolated(page, st.dpi)
	if err != nil {
		return err
	}
	st.page = page
	st.img = img
	st.prev = newPagePreview(img)
	return nil
}

func (a *App) setDocument(st *docState) {
	changed := a.doc == nil || a.doc.sess != st.sess
	if a.doc != nil && a.doc.sess != st.sess {
		a.retire(a.doc.sess)
	}
	a.doc = st
	if changed {
		a.clearAnswer()
		a.preload()
	}
	if st.sess != nil && st.caseRec.UID == "" {
		st.caseRec = st.sess.Case()
	}
	a.canvas.SetMessage("")
	a.updateTitle()
	a.report.show(storage.CaseDetail{Case: st.caseRec})
	a.refreshCases()
	a.adjust.documentChanged()
	a.syncMarks()
	a.gen++
	a.canvas.Fit()
	a.requestPreview(true)
	a.updateStatus()
}

// goWork runs f in a goroutine and counts it, so tests can wait for quiet.
func (a *App) goWork(f func()) {
	a.pending.Add(1)
	go func() {
		defer a.pending.Add(-1)
		f()
	}()
}

// Idle reports whether no background work is pending.
func (a *App) Idle() bool { return a.pending.Load() == 0 && a.prev.Idle() }

// WaitIdle waits until background work is done (for tests and screenshots).
func (a *App) WaitIdle(timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for !a.Idle() {
		if time.Now().After(end) {
			return errors.New("background work did not finish in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// requestPreview asks for a fresh proxy of what the canvas shows.
func (a *App) requestPreview(final bool) {
	if a.doc == nil || a.doc.prev == nil {
		return
	}
	mode := showStraight
	e := a.doc.edits
	if a.canvas.CurrentTool() == ToolPerspective {
		mode = showSource
	}
	a.prev.Request(previewRequest{
		gen: a.gen, page: a.doc.prev, edits: e, mode: mode,
		visible: a.canvas.VisibleRegion(), final: final,
	})
}

func (a *App) applyPreview(r previewResult) {
	if r.err != nil {
		a.canvas.SetMessage(r.err.Error())
		return
	}
	if r.gen != a.gen {
		// the frame may have changed since: take its size, keep the image
		a.canvas.SetFrame(r.frame)
		a.canvas.SetImage(r.img, r.region)
		return
	}
	a.canvas.SetFrame(r.frame)
	a.canvas.SetImage(r.img, r.region)
}

// syncMarks shows the crop, redactions and quad of the current edits.
func (a *App) syncMarks() {
	a.calipersSync()
	if a.doc == nil {
		a.canvas.SetMarks(nil, nil, nil)
		return
	}
	e := a.doc.edits
	q := e.Perspective
	if q == nil && a.canvas.CurrentTool() == ToolPerspective {
		d := [4]viewer.Point{{X: 0.02, Y: 0.02}, {X: 0.98, Y: 0.02}, {X: 0.98, Y: 0.98}, {X: 0.02, Y: 0.98}}
		q = &d
	}
	a.canvas.SetMarks(e.Crop, e.Redactions, q)
}

// edit changes the edits, records the old value for undo and re-renders.
// final is false while a slider is being dragged.
func (a *App) edit(f func(e *viewer.Edits), record, final bool) {
	if a.doc == nil {
		return
	}
	old := a.doc.edits
	n := cloneEdits(old)
	f(&n)
	if err := n.Validate(); err != nil {
		a.showError(err)
		return
	}
	if record {
		a.doc.undo = append(a.doc.undo, old)
		a.doc.redo = nil
	}
	a.setEdits(n)
	a.syncMarks()
	a.adjust.editsChanged()
	a.requestPreview(final)
}

// setEdits makes e the current edits, for the canvas and the session.
func (a *App) setEdits(e viewer.Edits) {
	a.doc.edits = e
	if a.doc.sess != nil {
		if err := a.doc.sess.SetEdits(e); err != nil {
			a.showError(err)
		}
	}
}

// editGeometry records a geometry change (the frame may change size) and
// checks the page again.
func (a *App) editGeometry(f func(e *viewer.Edits)) {
	a.gen++
	a.edit(f, true, true)
	a.runChecks()
}

func (a *App) turn(q int) {
	a.editGeometry(func(e *viewer.Edits) {
		e.QuarterTurns = ((e.QuarterTurns+q)%4 + 4) % 4
		e.Crop = nil
		e.Redactions = nil
	})
	a.canvas.Fit()
}

func (a *App) undo() {
	if a.doc == nil || len(a.doc.undo) == 0 {
		return
	}
	n := len(a.doc.undo) - 1
	a.doc.redo = append(a.doc.redo, a.doc.edits)
	a.setEdits(a.doc.undo[n])
	a.doc.undo = a.doc.undo[:n]
	a.gen++
	a.syncMarks()
	a.adjust.editsChanged()
	a.requestPreview(true)
}

func (a *App) redo() {
	if a.doc == nil || len(a.doc.redo) == 0 {
		return
	}
	n := len(a.doc.redo) - 1
	a.doc.undo = append(a.doc.undo, a.doc.edits)
	a.setEdits(a.doc.redo[n])
	a.doc.redo = a.doc.redo[:n]
	a.gen++
	a.syncMarks()
	a.adjust.editsChanged()
	a.requestPreview(true)
}

// cloneEdits copies e deeply (the slices and pointers are not shared).
func cloneEdits(e viewer.Edits) viewer.Edits {
	n := e
	if e.Crop != nil {
		c := *e.Crop
		n.Crop = &c
	}
	if e.Perspective != nil {
		q := *e.Perspective
		n.Perspective = &q
	}
	n.Redactions = append([]viewer.Rect(nil), e.Redactions...)
	return n
}

func (a *App) updateStatus() {
	var parts []string
	if a.doc != nil {
		parts = append(parts, fmt.Sprintf("page %d/%d", a.doc.page+1, a.doc.pages))
		if b := a.doc.img.Bounds(); b.Dx() > 0 {
			parts = append(parts, fmt.Sprintf("%d×%d px", b.Dx(), b.Dy()))
		}
		if a.doc.paged {
			parts = append(parts, fmt.Sprintf("%.0f DPI", a.doc.dpi))
		}
		if c := a.calipersStatus(); c != "" {
			parts = append(parts, c)
		}
	}
	a.statusR.SetText(strings.Join(parts, " · "))
}

func (a *App) showError(err error) {
	if err == nil {
		return
	}
	dialog.ShowError(err, a.win)
}

func (a *App) settingsChanged(s Settings) {
	a.settings = s
	a.updateStatus()
}

// imageObject makes a canvas image of a fixed size (thumbnails).
func imageObject(img image.Image, w, h float32) *canvas.Image {
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.SetMinSize(fyne.NewSize(w, h))
	return ci
}
