package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/ollama/ollama/api"

	"pulsedesk/interpret"
)

// showModelSetup says what is wrong with the model server and offers the
// fix: how to start Ollama, importing PULSE from its two GGUF files, or
// pulling a library model by name.
func (a *App) showModelSetup() {
	st := a.serverStatus
	state := widget.NewLabel("")
	state.Wrapping = fyne.TextWrapWord
	switch {
	case a.wf.Client == nil:
		msg := "No model server is configured."
		if a.clientErr != nil {
			msg = a.clientErr.Error()
		}
		state.SetText(msg + "\nSet the server address in Settings.")
	case !st.Reachable:
		msg := st.Message
		if msg == "" {
			msg = "The model server has not answered yet."
		}
		state.SetText(msg + "\n\nTo start it: install Ollama, then run `ollama serve` in a terminal " +
			"(or start the Ollama service), and press Check again.")
	default:
		names := make([]string, 0, len(a.serverModels))
		pulse := false
		for _, m := range a.serverModels {
			n := m.Name
			if m.Vision {
				n += " (vision)"
			}
			if m.PULSE {
				pulse = true
			}
			names = append(names, n)
		}
		line := fmt.Sprintf("Ollama %s is running at %s.", st.Version, hostOf(st.URL))
		if len(names) > 0 {
			line += "\nInstalled: " + strings.Join(names, ", ") + "."
		} else {
			line += "\nNo model is installed."
		}
		if !pulse {
			line += "\nPULSE is missing: import it from its two GGUF files below."
		}
		state.SetText(line)
	}
	lm := widget.NewEntry()
	lm.SetPlaceHolder("language model .gguf")
	proj := widget.NewEntry()
	proj.SetPlaceHolder("vision projector (mmproj) .gguf")
	browse := func(e *widget.Entry) *widget.Button {
		return widget.NewButton("…", func() {
			d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
				if err == nil && rc != nil {
					e.SetText(rc.URI().Path())
					rc.Close()
				}
			}, a.win)
			d.Resize(fyne.NewSize(860, 560))
			d.Show()
		})
	}
	bar := widget.NewProgressBar()
	bar.Hide()
	progress := widget.NewLabel("")
	progress.Wrapping = fyne.TextWrapWord
	pullName := widget.NewEntry()
	pullName.SetPlaceHolder("library model, e.g. llava:7b")
	var importBtn, pullBtn *widget.Button
	busy := func(on bool) {
		if on {
			importBtn.Disable()
			pullBtn.Disable()
			bar.SetValue(0)
			bar.Show()
		} else {
			importBtn.Enable()
			pullBtn.Enable()
		}
	}
	importBtn = widget.NewButton("Import PULSE", func() {
		if a.wf.Client == nil || !a.serverStatus.Reachable {
			a.showError(errors.New("start the model server first"))
			return
		}
		req := interpret.ImportRequest{Name: interpret.DefaultModel, ModelPath: strings.TrimSpace(lm.Text), ProjectorPath: strings.TrimSpace(proj.Text)}
		if req.ModelPath == "" || req.ProjectorPath == "" {
			a.showError(errors.New("choose both files: the language model and the vision projector"))
			return
		}
		busy(true)
		c := a.wf.Client
		a.goWork(func() {
			_, err := c.Import(context.Background(), req, func(pr interpret.ImportProgress) {
				a.do(func() {
					progress.SetText(fmt.Sprintf("%s %s %s", pr.Step, pr.File, pr.Status))
					if pr.Total > 0 {
						bar.SetValue(float64(pr.Completed) / float64(pr.Total))
					}
				})
			})
			a.do(func() {
				busy(false)
				if err != nil {
					progress.SetText("Import failed: " + err.Error())
					return
				}
				bar.SetValue(1)
				progress.SetText("PULSE is installed.")
				a.checkServer()
			})
		})
	})
	pullBtn = widget.NewButton("Pull", func() {
		name := strings.TrimSpace(pullName.Text)
		if name == "" || a.wf.Client == nil {
			return
		}
		busy(true)
		c := a.wf.Client
		a.goWork(func() {
			err := c.Pull(context.Background(), name, func(pr api.ProgressResponse) {
				a.do(func() {
					progress.SetText(pr.Status)
					if pr.Total > 0 {
						bar.SetValue(float64(pr.Completed) / float64(pr.Total))
					}
				})
			})
			a.do(func() {
				busy(false)
				if err != nil {
					progress.SetText("Pull failed: " + err.Error())
					return
				}
				bar.SetValue(1)
				progress.SetText(name + " is installed. It is " + interpret.NotEvaluatedNote + ".")
				a.checkServer()
			})
		})
	})
	check := widget.NewButton("Check again", func() { a.checkServer() })
	head := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	note := widget.NewLabel("PULSE is not in Ollama's library. Get its GGUF files (language model and vision projector; " +
		"Q4_K_M fits an 8 GB laptop) and import them here. The same template ships as Modelfile.pulse for `ollama create`.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	body := container.NewVBox(
		head("Model server"), state, check,
		widget.NewSeparator(),
		head("Import PULSE"), note,
		container.NewBorder(nil, nil, nil, browse(lm), lm),
		container.NewBorder(nil, nil, nil, browse(proj), proj),
		importBtn,
		widget.NewSeparator(),
		head("Or pull another vision model (not evaluated for ECG)"),
		container.NewBorder(nil, nil, nil, pullBtn, pullName),
		bar, progress,
	)
	d := dialog.NewCustom("Model setup", "Close", container.NewVScroll(body), a.win)
	d.Resize(fyne.NewSize(640, 620))
	d.Show()
}
