// Command pulsedesk is the PULSE Desk desktop app.
package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.pulsedesk.app")
	w := a.NewWindow("PULSE Desk")
	w.SetContent(widget.NewLabel("PULSE Desk"))
	w.ShowAndRun()
}
