package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

func (a *App) buildInterpret() fyne.CanvasObject {
	disc := widget.NewLabelWithStyle(Disclaimer, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	disc.Importance = widget.DangerImportance
	msg := widget.NewLabel("The model server has not been checked yet.")
	msg.Wrapping = fyne.TextWrapWord
	return container.NewBorder(a.measurementQuestion(), disc, nil, nil, container.NewVScroll(msg))
}

func (a *App) buildReport() fyne.CanvasObject {
	ed := widget.NewMultiLineEntry()
	ed.SetPlaceHolder("Your report")
	ed.Wrapping = fyne.TextWrapWord
	return container.NewBorder(widget.NewLabelWithStyle("Clinician's report", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), a.measurementReport(), nil, nil, ed)
}

func (a *App) buildCaseBrowser() fyne.CanvasObject {
	a.caseSearch = widget.NewEntry()
	a.caseSearch.SetPlaceHolder("Search cases…")
	filter := widget.NewSelect([]string{"All cases", "Drafts", "Signed", "With runs"}, nil)
	filter.SetSelected("All cases")
	empty := widget.NewLabel("Saved cases appear here.")
	empty.Wrapping = fyne.TextWrapWord
	return container.NewBorder(container.NewVBox(a.caseSearch, filter), nil, nil, nil, empty)
}

func (a *App) showModelSetup() {
	dialog.ShowInformation("Model setup", "Model setup is not available in this build.", a.win)
}

func (a *App) saveCase()           { a.showError(errors.New("saving cases is not available in this build")) }
func (a *App) exportCase()         { a.showError(errors.New("export is not available in this build")) }
func (a *App) printCase()          { a.showError(errors.New("printing is not available in this build")) }
func (a *App) runInterpretation()  {}
func (a *App) stopInterpretation() {}
