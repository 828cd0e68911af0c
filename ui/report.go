package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/storage"
	"pulsedesk/storage/export"
)

// draftEvery is how long typing pauses before the draft is saved.
const draftEvery = time.Second

// reportPanel is the Report tab: the clinician's report, its versions and
// the case's runs, export and print.
type reportPanel struct {
	a       *App
	editor  *widget.Entry
	state   *widget.Label
	history *widget.Label
	saveBtn *widget.Button
	signBtn *widget.Button
	caseUID string
	signed  bool
	loading bool
	timer   *time.Timer
	content fyne.CanvasObject
}

func (a *App) buildReport() fyne.CanvasObject {
	p := &reportPanel{a: a}
	a.report = p
	p.editor = widget.NewMultiLineEntry()
	p.editor.Wrapping = fyne.TextWrapWord
	p.editor.SetPlaceHolder("Your report. It is saved as a draft while you type; \"Save version\" keeps a version.")
	p.editor.SetMinRowsVisible(10)
	p.editor.OnChanged = func(string) { p.changed() }
	p.state = widget.NewLabel("")
	p.state.Wrapping = fyne.TextWrapWord
	p.history = widget.NewLabel("")
	p.history.Wrapping = fyne.TextWrapWord
	fill := widget.NewButtonWithIcon("From answer", theme.ContentPasteIcon(), p.fillFromAnswer)
	p.saveBtn = widget.NewButtonWithIcon("Save version", theme.DocumentSaveIcon(), func() { p.saveVersion(false) })
	p.signBtn = widget.NewButtonWithIcon("Sign off", theme.ConfirmIcon(), func() { p.saveVersion(true) })
	p.signBtn.Importance = widget.HighImportance
	pdf := widget.NewButtonWithIcon("PDF", theme.DocumentIcon(), a.exportPDF)
	js := widget.NewButtonWithIcon("JSON bundle", theme.UploadIcon(), a.exportJSON)
	prn := widget.NewButtonWithIcon("Print", theme.DocumentPrintIcon(), a.printCase)
	head := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	body := container.NewVBox(
		head("Clinician's report"),
		p.editor,
		p.state,
		container.NewGridWithColumns(3, fill, p.saveBtn, p.signBtn),
		widget.NewSeparator(),
		a.measurementReport(),
		widget.NewSeparator(),
		head("Export"),
		container.NewGridWithColumns(3, pdf, js, prn),
		widget.NewSeparator(),
		head("History"),
		p.history,
	)
	disc := widget.NewLabelWithStyle(Disclaimer, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	disc.Importance = widget.DangerImportance
	p.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), disc), nil, nil, container.NewVScroll(padRight(body)))
	p.show(storage.CaseDetail{})
	return p.content
}

// show fills the tab from a stored case (an empty detail clears it).
func (p *reportPanel) show(d storage.CaseDetail) {
	p.loading = true
	defer func() { p.loading = false }()
	p.cancelDraft()
	p.caseUID = d.Case.UID
	p.signed = d.Case.Status == storage.StatusSigned
	body := ""
	switch {
	case d.Draft != nil:
		body = d.Draft.Body
		p.state.SetText("Draft of " + d.Draft.UpdatedAt.Local().Format("2006-01-02 15:04:05") + " (not a saved version).")
	case d.LatestReport() != nil:
		r := d.LatestReport()
		body = r.Body
		p.state.SetText(fmt.Sprintf("Version %d by %s.", r.Version, r.Author))
	default:
		p.state.SetText("")
	}
	p.editor.SetText(body)
	if p.signed {
		p.saveBtn.SetText("Amend")
		p.signBtn.SetText("Sign amendment")
	} else {
		p.saveBtn.SetText("Save version")
		p.signBtn.SetText("Sign off")
	}
	p.history.SetText(historyText(d))
}

func historyText(d storage.CaseDetail) string {
	if d.Case.UID == "" {
		return "Open or save a case to see its history."
	}
	var b strings.Builder
	for i := len(d.Reports) - 1; i >= 0; i-- {
		r := d.Reports[i]
		kind := "version"
		if r.Signed {
			kind = "signed"
		}
		if r.Amendment {
			kind += " amendment"
		}
		fmt.Fprintf(&b, "Report v%d (%s) · %s · %s\n", r.Version, kind, r.Author, r.CreatedAt.Local().Format("2006-01-02 15:04"))
	}
	for i := len(d.Runs) - 1; i >= 0; i-- {
		r := d.Runs[i]
		task := r.Task
		if task == "again" {
			task = "again (different sample)"
		}
		fmt.Fprintf(&b, "Run · %s · %s · %s · %s\n", r.Model, task, r.Outcome, r.StartedAt.Local().Format("2006-01-02 15:04"))
	}
	if b.Len() == 0 {
		return "No report versions or runs yet."
	}
	return strings.TrimSpace(b.String())
}

// changed schedules the draft save.
func (p *reportPanel) changed() {
	if p.loading || p.caseUID == "" {
		return
	}
	p.cancelDraft()
	p.a.pending.Add(1)
	uid, st, author := p.caseUID, p.a.store, p.a.author()
	p.timer = time.AfterFunc(draftEvery, func() {
		defer p.a.pending.Add(-1)
		p.a.do(func() {
			if p.caseUID != uid {
				return
			}
			body := p.editor.Text
			p.timer = nil
			p.a.goWork(func() {
				err := st.SaveDraft(context.Background(), uid, body, author)
				p.a.do(func() {
					if p.caseUID != uid {
						return
					}
					if err != nil {
						p.state.SetText("Draft not saved: " + err.Error())
					} else {
						p.state.SetText("Draft saved " + time.Now().Format("15:04:05") + ".")
					}
				})
			})
		})
	})
}

// cancelDraft stops a scheduled draft save that has not started.
func (p *reportPanel) cancelDraft() {
	if p.timer != nil && p.timer.Stop() {
		p.a.pending.Add(-1)
	}
	p.timer = nil
}

// fillFromAnswer appends the shown answer, marked as the model's.
func (p *reportPanel) fillFromAnswer() {
	sr := p.a.interp.shown
	if sr == nil || strings.TrimSpace(p.a.interp.answer.Text) == "" {
		p.a.showError(errors.New("there is no answer to copy yet"))
		return
	}
	text := strings.TrimSpace(p.a.interp.answer.Text)
	add := fmt.Sprintf("Model answer (%s, %s; decision support only, not a diagnosis):\n%s\n", sr.run.Model,
		sr.run.StartedAt.Local().Format("2006-01-02 15:04"), text)
	cur := strings.TrimSpace(p.editor.Text)
	if cur != "" {
		add = cur + "\n\n" + add
	}
	p.editor.SetText(add)
}

func (p *reportPanel) saveVersion(sign bool) {
	if p.caseUID == "" {
		p.a.showError(errors.New("open a case first"))
		return
	}
	body := strings.TrimSpace(p.editor.Text)
	if body == "" {
		p.a.showError(errors.New("the report is empty"))
		return
	}
	author := p.a.author()
	if author == "" {
		p.a.showError(errors.New("set your name in Settings first: it is recorded as the report's author"))
		return
	}
	do := func() {
		uid, st := p.caseUID, p.a.store
		p.a.goWork(func() {
			ctx := context.Background()
			var err error
			if sign {
				_, err = st.SignOff(ctx, uid, body, author)
			} else {
				_, err = st.SaveReportVersion(ctx, uid, body, author)
			}
			if err == nil {
				err = st.DiscardDraft(ctx, uid)
			}
			var d storage.CaseDetail
			if err == nil {
				d, err = st.CaseDetail(ctx, uid)
			}
			p.a.do(func() {
				if err != nil {
					p.a.showError(err)
					return
				}
				if p.caseUID == uid {
					p.show(d)
					if p.a.doc != nil {
						p.a.doc.caseRec = d.Case
					}
					p.a.updateTitle()
				}
				p.a.refreshCases()
			})
		})
	}
	if sign {
		dialog.ShowConfirm("Sign off", "Sign this report as "+author+"? Later changes are kept as amendments.", func(ok bool) {
			if ok {
				do()
			}
		}, p.a.win)
		return
	}
	do()
}

// author is the clinician's name from the settings.
func (a *App) author() string { return strings.TrimSpace(a.settings.Clinician) }

// exportPath is where exports of the open case go.
func (a *App) exportPath(ext string) (string, string, error) {
	if a.doc == nil || a.doc.sess == nil {
		return "", "", errors.New("open a case first")
	}
	c := a.doc.sess.Case()
	dir := filepath.Join(a.opts.DataDir, "exports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("export folder %s: %w", dir, err)
	}
	name := fmt.Sprintf("case-%d-%s%s", c.Number, time.Now().Format("20060102-150405"), ext)
	return c.UID, filepath.Join(dir, name), nil
}

func (a *App) exportPDF() { a.exportPDFThen(nil) }

func (a *App) exportPDFThen(then func(path string)) {
	uid, path, err := a.exportPath(".pdf")
	if err != nil {
		a.showError(err)
		return
	}
	st := a.store
	a.goWork(func() {
		err := writePDF(st, uid, path)
		a.do(func() {
			if err != nil {
				a.showError(err)
				return
			}
			if then != nil {
				then(path)
				return
			}
			dialog.ShowInformation("Exported", "The case report is in\n"+path, a.win)
		})
	})
}

func writePDF(st *storage.Store, uid, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := export.CasePDF(context.Background(), st, uid, f, export.Options{}); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("export %s: %w", path, err)
	}
	return f.Close()
}

func (a *App) exportJSON() {
	uid, path, err := a.exportPath(".zip")
	if err != nil {
		a.showError(err)
		return
	}
	st := a.store
	a.goWork(func() {
		_, err := st.ExportBundleFile(context.Background(), path, []string{uid}, storage.BundleOptions{})
		a.do(func() {
			if err != nil {
				a.showError(err)
				return
			}
			dialog.ShowInformation("Exported", "The case bundle (redacted model inputs, no originals) is in\n"+path, a.win)
		})
	})
}

// exportCase is the toolbar's Export: the PDF report.
func (a *App) exportCase() { a.exportPDF() }

// printCase exports the PDF and hands it to the system: lp when present,
// else the desktop's PDF viewer, which prints (Fyne has no printing).
func (a *App) printCase() {
	a.exportPDFThen(func(path string) {
		cmd := "xdg-open"
		if _, err := exec.LookPath("lp"); err == nil {
			cmd = "lp"
		}
		if _, err := exec.LookPath(cmd); err != nil {
			dialog.ShowInformation("Print", "No print command was found. Print this file from your PDF viewer:\n"+path, a.win)
			return
		}
		c := exec.Command(cmd, path)
		if err := c.Start(); err != nil {
			a.showError(fmt.Errorf("print %s with %s: %w", path, cmd, err))
			return
		}
		go c.Wait()
		a.statusL.SetText(fmt.Sprintf("Sent %s to %s.", filepath.Base(path), cmd))
	})
}

// reloadHistory refreshes the Report tab's history when that case is shown.
func (a *App) reloadHistory(uid string) {
	st := a.store
	a.goWork(func() {
		d, err := st.CaseDetail(context.Background(), uid)
		a.do(func() {
			if err == nil && a.showingCase(uid) && a.report.caseUID == uid {
				a.report.history.SetText(historyText(d))
			}
		})
	})
}

// padRight keeps a scrolled panel's content clear of the scroll bar.
func padRight(o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(0, 0, 0, 10), o)
}
