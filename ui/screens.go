package ui

import (
	"fmt"
	"os"
	"time"

	"pulsedesk/viewer"
)

// Screens the screenshot script can ask for with Options.Screen.
var screenNames = []string{"open", "adjust", "interpret", "report", "cases", "setup"}

// playScreen brings the window to a named screen without clicking, then
// prints "SCREEN READY <name>" on stdout so the screenshot script knows
// when to take the picture. It runs on its own goroutine and reaches the
// widgets only through a.do.
func (a *App) playScreen(name string, started time.Time) {
	ask := func(f func() bool) bool {
		ch := make(chan bool, 1)
		a.do(func() { ch <- f() })
		return <-ch
	}
	waitUntil := func(what string, f func() bool) bool {
		end := time.Now().Add(3 * time.Minute)
		for !ask(f) {
			if time.Now().After(end) {
				fmt.Fprintf(os.Stderr, "screen %s: gave up waiting for %s\n", name, what)
				return false
			}
			time.Sleep(100 * time.Millisecond)
		}
		return true
	}
	docShown := func() bool {
		return a.doc != nil && a.opening == "" && a.canvas.Image() != nil && a.prev.Idle()
	}
	if name != "cases" && name != "setup" {
		if !waitUntil("the page", docShown) {
			os.Exit(1)
		}
		fmt.Printf("PAGE SHOWN after %d ms\n", time.Since(started).Milliseconds())
	}
	serverKnown := func() bool { return a.serverStatus.URL != "" && a.Idle() }
	switch name {
	case "open":
		a.do(func() { a.tabs.SelectIndex(0) })
	case "adjust":
		a.do(func() {
			a.tabs.SelectIndex(0)
			a.setTool(ToolCrop)
			a.editGeometry(func(e *viewer.Edits) {
				e.Crop = &viewer.Rect{X0: 0.03, Y0: 0.1, X1: 0.97, Y1: 0.93}
				e.Redactions = []viewer.Rect{{X0: 0.05, Y0: 0.02, X1: 0.3, Y1: 0.09}}
			})
			a.edit(func(e *viewer.Edits) { e.Contrast = 0.25; e.Gamma = 0.9 }, true, true)
		})
		waitUntil("the preview", func() bool { return a.prev.Idle() })
	case "interpret", "report":
		waitUntil("the model server", serverKnown)
		a.do(func() {
			a.tabs.SelectIndex(1)
			a.interp.age.SetText("54")
			a.interp.sex.SetSelected("M")
			a.interp.context.SetText("palpitations since this morning")
			a.runInterpretation()
		})
		if name == "interpret" {
			waitUntil("streamed text", func() bool {
				if a.active == nil {
					return false
				}
				a.active.mu.Lock()
				defer a.active.mu.Unlock()
				return a.active.chunks >= 10
			})
			break
		}
		waitUntil("the answer", func() bool { return a.active == nil && a.Idle() })
		a.do(func() {
			a.settings.Clinician = "Dr A. Mensah"
			a.tabs.SelectIndex(2)
			a.report.fillFromAnswer()
			a.report.editor.SetText(a.report.editor.Text + "\nClinician's reading: sinus rhythm, 72/min; no acute ST changes.")
		})
	case "cases":
		waitUntil("the case list", func() bool { return len(a.cases.cases) > 1 && a.Idle() })
		// the newest case is the sample opened on first start: show one added before it
		a.do(func() { a.cases.list.Select(1) })
		waitUntil("the case", func() bool { return docShown() && a.Idle() })
		a.do(func() { a.tabs.SelectIndex(2) })
	case "setup":
		waitUntil("the model server", serverKnown)
		a.do(a.showModelSetup)
	}
	time.Sleep(1500 * time.Millisecond)
	fmt.Printf("SCREEN READY %s\n", name)
}
