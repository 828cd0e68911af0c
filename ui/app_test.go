package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// newTestApp makes the window on Fyne's test driver at laptop size.
func newTestApp(t *testing.T) *App { return newTestAppServer(t, "") }

// newTestAppServer makes the window with the model server at url.
func newTestAppServer(t *testing.T, url string) *App {
	t.Helper()
	fa := test.NewTempApp(t)
	if url != "" {
		fa.Preferences().SetString(prefServerURL, url)
	}
	q := &uiQueue{}
	dir := t.TempDir()
	st, err := storage.OpenDir(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := New(fa, Options{DataDir: dir, do: q.push, Store: st})
	a.testQueue = q
	a.Start()
	waitIdle(t, a)
	a.win.Resize(fyne.NewSize(1366, 768))
	t.Cleanup(a.Close)
	return a
}

// waitIdle runs queued UI calls on the test goroutine until no background
// work is left.
func waitIdle(t *testing.T, a *App) {
	t.Helper()
	end := time.Now().Add(60 * time.Second)
	for {
		n := a.testQueue.drain()
		if n == 0 && a.Idle() && a.testQueue.len() == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatal("background work did not settle within a minute")
		}
		if n == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func openTestFile(t *testing.T, a *App, name string) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	a.OpenFile(path)
	waitIdle(t, a)
	if a.doc == nil {
		t.Fatalf("%s did not open", name)
	}
}

func TestOpenPrintoutShowsPage(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "paperecg_fullScan.png")
	if got := a.doc.img.Bounds().Size(); got.X != 2200 || got.Y != 1700 {
		t.Fatalf("page size %v, want 2200×1700", got)
	}
	img := a.canvas.Image()
	if img == nil {
		t.Fatal("the canvas shows no image after opening")
	}
	if f := a.canvas.frame; f.X != 2200 || f.Y != 1700 {
		t.Fatalf("canvas frame %v, want the page's 2200×1700", f)
	}
	// fit: the whole page is visible and the zoom is below 100 %
	if v := a.canvas.VisibleRegion(); v.X0 != 0 || v.Y0 != 0 || v.X1 != 1 || v.Y1 != 1 {
		t.Fatalf("visible region after fit %+v, want the whole page", v)
	}
	if z := a.canvas.ZoomPercent(); z <= 1 || z >= 100 {
		t.Fatalf("fit zoom %.1f%%, want between 1 and 100", z)
	}
	if !strings.HasSuffix(a.win.Title(), "paperecg_fullScan.png") {
		t.Fatalf("window title %q", a.win.Title())
	}
}

func TestOpenMissingFileShowsErrorAndKeepsPage(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	a.OpenFile(filepath.Join(t.TempDir(), "nothing-here.png"))
	waitIdle(t, a)
	if a.doc == nil || a.doc.name != smallECG {
		t.Fatal("a failed open replaced the document that was open")
	}
	if len(a.win.Canvas().Overlays().List()) == 0 {
		t.Fatal("no error dialog was shown for a missing file")
	}
}

// dragOnCanvas drags with the primary button from one frame point to another.
func dragOnCanvas(c *ECGCanvas, from, to viewer.Point) {
	m := c.Mapping()
	a, b := m.ToWidget(from), m.ToWidget(to)
	steps := 5
	prev := a
	for i := 1; i <= steps; i++ {
		f := float32(i) / float32(steps)
		p := fyne.NewPos(a.X+(b.X-a.X)*f, a.Y+(b.Y-a.Y)*f)
		c.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
		prev = p
	}
	c.DragEnd()
}

func TestCropByDrag(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	a.setTool(ToolCrop)
	dragOnCanvas(a.canvas, viewer.Point{X: 0.1, Y: 0.2}, viewer.Point{X: 0.9, Y: 0.85})
	waitIdle(t, a)
	c := a.doc.edits.Crop
	if c == nil {
		t.Fatal("dragging in crop mode set no crop")
	}
	const tol = 0.01
	for _, d := range []struct{ got, want float64 }{{c.X0, 0.1}, {c.Y0, 0.2}, {c.X1, 0.9}, {c.Y1, 0.85}} {
		if d.got < d.want-tol || d.got > d.want+tol {
			t.Fatalf("crop %+v, want about (0.1,0.2)-(0.9,0.85)", *c)
		}
	}
	if a.canvas.crop == nil || *a.canvas.crop != *c {
		t.Fatal("the canvas does not show the crop box")
	}
	// undo removes it, redo brings it back
	a.undo()
	waitIdle(t, a)
	if a.doc.edits.Crop != nil {
		t.Fatal("undo kept the crop")
	}
	a.redo()
	waitIdle(t, a)
	if a.doc.edits.Crop == nil || *a.doc.edits.Crop != *c {
		t.Fatal("redo did not restore the crop")
	}
}

func TestRedactByDragAndPanWithMiddleButton(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	a.setTool(ToolRedact)
	dragOnCanvas(a.canvas, viewer.Point{X: 0.05, Y: 0.02}, viewer.Point{X: 0.4, Y: 0.12})
	waitIdle(t, a)
	if n := len(a.doc.edits.Redactions); n != 1 {
		t.Fatalf("%d redactions after one drag, want 1", n)
	}
	// zoom in, then a space+drag pans instead of drawing
	a.canvas.ActualSize()
	waitIdle(t, a)
	before := a.canvas.offset
	a.canvas.KeyDown(&fyne.KeyEvent{Name: fyne.KeySpace})
	dragOnCanvas(a.canvas, viewer.Point{X: 0.5, Y: 0.5}, viewer.Point{X: 0.45, Y: 0.45})
	a.canvas.KeyUp(&fyne.KeyEvent{Name: fyne.KeySpace})
	waitIdle(t, a)
	if a.canvas.offset == before {
		t.Fatal("space+drag did not pan")
	}
	if n := len(a.doc.edits.Redactions); n != 1 {
		t.Fatalf("space+drag drew a redaction (%d boxes)", n)
	}
}

func TestZoomKeys(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	fit := a.canvas.ZoomPercent()
	a.canvas.TypedRune('1')
	if z := a.canvas.ZoomPercent(); z < 99.9 || z > 100.1 {
		t.Fatalf("1 gives %.1f%%, want 100%%", z)
	}
	a.canvas.TypedRune('-')
	if z := a.canvas.ZoomPercent(); z >= 100 {
		t.Fatalf("- gives %.1f%%, want less than 100%%", z)
	}
	a.canvas.TypedRune('0')
	if z := a.canvas.ZoomPercent(); z != fit {
		t.Fatalf("0 gives %.1f%%, want the fit %.1f%%", z, fit)
	}
	waitIdle(t, a)
}

func TestQuarterTurnSwapsFrame(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, smallECG)
	a.turn(1)
	waitIdle(t, a)
	if f := a.canvas.frame; f.X != 433 || f.Y != 862 {
		t.Fatalf("frame after a quarter turn %v, want 433×862", f)
	}
	if a.doc.edits.QuarterTurns != 1 {
		t.Fatalf("quarter turns %d", a.doc.edits.QuarterTurns)
	}
}

func TestSettingsValidate(t *testing.T) {
	s := DefaultSettings()
	s.ServerURL = "http://10.1.2.3:11434"
	if err := s.Validate(); err == nil {
		t.Fatal("a remote server was accepted without the opt-in")
	}
	s.AllowRemote = true
	if err := s.Validate(); err != nil {
		t.Fatalf("remote with opt-in: %v", err)
	}
	s.ServerURL = "http://127.0.0.1:11434"
	s.AllowRemote = false
	if err := s.Validate(); err != nil {
		t.Fatalf("loopback: %v", err)
	}
	s.DPI = 5000
	if err := s.Validate(); err == nil {
		t.Fatal("DPI 5000 accepted")
	}
	fa := test.NewTempApp(t)
	s = DefaultSettings()
	s.Clinician = "Dr A. Mensah"
	s.Save(fa.Preferences())
	if got := LoadSettings(fa.Preferences()); got != s {
		t.Fatalf("settings round trip: %+v, want %+v", got, s)
	}
}

func TestOpenVectorPDFRendersAtTheChosenDPI(t *testing.T) {
	a := newTestApp(t)
	openTestFile(t, a, "dcmplot_anonymous_ecg_3x4_1.pdf")
	if !a.doc.paged {
		t.Fatal("a PDF page is not marked as rendered at a DPI")
	}
	// A4 landscape, 841.68 × 595.44 pt at 200 DPI
	if got := a.doc.img.Bounds().Size(); got.X < 2330 || got.X > 2345 || got.Y < 1650 || got.Y > 1660 {
		t.Fatalf("page rendered at %v, want about 2338×1654 (A4 at 200 DPI)", got)
	}
	if !strings.Contains(a.statusR.Text, "200 DPI") {
		t.Fatalf("status %q does not give the DPI", a.statusR.Text)
	}
	if a.canvas.Image() == nil {
		t.Fatal("no preview of the PDF page")
	}
	if a.adjust.pageBox.Visible() {
		t.Fatal("the page picker shows for a one-page PDF")
	}
}
