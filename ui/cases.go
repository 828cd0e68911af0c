package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// caseBrowser is the left panel: search, filter and the cases, newest first.
type caseBrowser struct {
	a       *App
	search  *widget.Entry
	filter  *widget.Select
	list    *widget.List
	empty   *widget.Label
	cases   []storage.Case
	seq     int
	marking bool // the list is being marked, not clicked
}

var caseFilters = []string{"All cases", "Drafts", "Signed", "Today"}

func (a *App) buildCaseBrowser() fyne.CanvasObject {
	b := &caseBrowser{a: a}
	a.cases = b
	b.search = widget.NewEntry()
	b.search.SetPlaceHolder("Search cases… (Ctrl+F)")
	b.search.OnChanged = func(string) { a.refreshCases() }
	a.caseSearch = b.search
	b.filter = widget.NewSelect(caseFilters, func(string) { a.refreshCases() })
	b.filter.SetSelected(caseFilters[0])
	b.empty = widget.NewLabel("No cases yet. Open an ECG to start one.")
	b.empty.Wrapping = fyne.TextWrapWord
	b.list = widget.NewList(
		func() int { return len(b.cases) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("case", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			sub := widget.NewLabel("sub")
			sub.Truncation = fyne.TextTruncateEllipsis
			badge := widget.NewLabel("draft")
			return container.NewBorder(nil, nil, nil, badge, container.NewVBox(title, sub))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(b.cases) {
				return
			}
			c := b.cases[i]
			row := o.(*fyne.Container)
			box := row.Objects[0].(*fyne.Container)
			badge := row.Objects[1].(*widget.Label)
			title := box.Objects[0].(*widget.Label)
			sub := box.Objects[1].(*widget.Label)
			t := fmt.Sprintf("#%d", c.Number)
			if c.PatientRef != "" {
				t += " " + c.PatientRef
			}
			title.SetText(t)
			s := c.CreatedAt.Local().Format("2006-01-02 15:04")
			if c.Age != nil {
				s += fmt.Sprintf(" · %d y", *c.Age)
			}
			if c.Sex != "" {
				s += " " + c.Sex
			}
			sub.SetText(s)
			if c.Status == storage.StatusSigned {
				badge.SetText("✔ signed")
				badge.Importance = widget.SuccessImportance
			} else {
				badge.SetText("✎ draft")
				badge.Importance = widget.WarningImportance
			}
			badge.Refresh()
		},
	)
	b.list.OnSelected = func(i widget.ListItemID) {
		if !b.marking && i < len(b.cases) {
			uid := b.cases[i].UID
			if !a.showingCase(uid) {
				a.OpenCase(uid)
			}
		}
	}
	return container.NewBorder(container.NewVBox(b.search, b.filter), nil, nil, nil,
		container.NewStack(b.empty, b.list))
}

// refreshCases lists the cases for the search and filter, in the background.
func (a *App) refreshCases() {
	b := a.cases
	if b == nil || a.store == nil {
		return
	}
	b.seq++
	seq := b.seq
	f := storage.Filter{Limit: 200}
	switch b.filter.Selected {
	case "Drafts":
		f.Status = storage.StatusDraft
	case "Signed":
		f.Status = storage.StatusSigned
	case "Today":
		now := time.Now()
		f.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	}
	q := strings.TrimSpace(b.search.Text)
	st := a.store
	a.goWork(func() {
		var pg storage.Page
		var err error
		if q != "" {
			pg, err = st.Search(context.Background(), q, f)
		} else {
			pg, err = st.ListCases(context.Background(), f)
		}
		a.do(func() {
			if seq != b.seq {
				return
			}
			if err != nil {
				b.empty.SetText("Search failed: " + err.Error())
				b.cases = nil
			} else {
				b.cases = pg.Cases
				if q != "" {
					b.empty.SetText("No case matches.")
				} else {
					b.empty.SetText("No cases yet. Open an ECG to start one.")
				}
			}
			b.empty.Hidden = len(b.cases) > 0
			b.empty.Refresh()
			b.list.UnselectAll()
			b.list.Refresh()
			b.marking = true
			for i, c := range b.cases {
				if a.showingCase(c.UID) {
					b.list.Select(i) // marks the open case; it is not reopened
				}
			}
			b.marking = false
		})
	})
}

// OpenCase reopens a saved case: its document, page and edits as last
// saved, its runs and its report.
func (a *App) OpenCase(uid string) {
	wf := a.wf
	st := a.store
	dataDir := a.opts.DataDir
	a.opening = "case:" + uid
	a.canvas.SetMessage("Opening the case…")
	a.goWork(func() {
		ds, detail, err := reopenCase(wf, st, dataDir, uid)
		a.do(func() {
			if a.opening != "case:"+uid {
				if ds != nil {
					a.retire(ds.sess)
				}
				return
			}
			a.opening = ""
			if err != nil {
				a.canvas.SetMessage("")
				a.showError(err)
				return
			}
			ds.caseRec = detail.Case
			a.setDocument(ds)
			a.showCaseDetail(detail)
		})
	})
}

// reopenCase materialises the case's document and opens a session on it
// with the page and edits of the newest model input.
func reopenCase(wf *interpret.Workflow, st *storage.Store, dataDir, uid string) (*docState, storage.CaseDetail, error) {
	ctx := context.Background()
	d, err := st.CaseDetail(ctx, uid)
	if err != nil {
		return nil, d, err
	}
	if len(d.Documents) == 0 {
		return nil, d, fmt.Errorf("case %s has no document", caseLabel(d.Case))
	}
	doc := d.Documents[len(d.Documents)-1]
	page, edits, dpi := 0, viewer.NewEdits(), wf.DPI
	if n := len(d.ModelInputs); n > 0 {
		mi := d.ModelInputs[n-1]
		for _, dd := range d.Documents {
			if dd.UID == mi.DocumentUID {
				doc = dd
			}
		}
		e, err := viewer.UnmarshalEdits(mi.Edits)
		if err != nil {
			return nil, d, fmt.Errorf("case %s: saved edits: %w", caseLabel(d.Case), err)
		}
		page, edits = mi.Page, e
		if mi.DPI > 0 {
			dpi = mi.DPI
		}
	}
	data, err := st.DocumentData(ctx, doc)
	if err != nil {
		return nil, d, err
	}
	dir := filepath.Join(dataDir, "documents", doc.SHA256)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, d, fmt.Errorf("case %s: %w", caseLabel(d.Case), err)
	}
	path := filepath.Join(dir, filepath.Base(doc.Name))
	if _, err := os.Stat(path); err != nil {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, d, fmt.Errorf("case %s: %w", caseLabel(d.Case), err)
		}
	}
	w := *wf
	w.DPI = dpi
	sess, err := w.OpenInto(ctx, path, uid)
	if err != nil {
		return nil, d, err
	}
	ds, err := sessionState(sess, dpi, page, edits)
	return ds, d, err
}

// showCaseDetail fills the panels from a case as stored.
func (a *App) showCaseDetail(d storage.CaseDetail) {
	p := a.interp
	c := d.Case
	p.ref.SetText(c.PatientRef)
	if c.Age != nil {
		p.age.SetText(strconv.Itoa(*c.Age))
	} else {
		p.age.SetText("")
	}
	switch c.Sex {
	case "F", "M":
		p.sex.SetSelected(c.Sex)
	default:
		p.sex.SetSelected("—")
	}
	p.context.SetText(c.Context)
	// the newest run with its image
	p.thumb.RemoveAll()
	p.caseLine.SetText("")
	p.inputLine.SetText("")
	p.answer.SetText("")
	p.outcome.SetText("")
	p.figures.SetText("")
	p.findings.SetText("None yet.")
	if n := len(d.Runs); n > 0 {
		r := d.Runs[n-1]
		sr := &shownRun{caseUID: c.UID, label: caseLabel(c), run: r, input: d.ModelInput(r.ModelInputUID)}
		a.showRun(sr)
	}
	a.report.show(d)
	a.restoreMeasurements(d)
	a.updateTitle()
}

// saveCase stores the patient fields and the model input made with the
// current edits, so the case reopens exactly as it is now (Ctrl+S).
func (a *App) saveCase() {
	if a.doc == nil || a.doc.sess == nil {
		a.showError(errors.New("nothing to save: open an ECG first"))
		return
	}
	p := a.interp
	c := a.doc.sess.Case()
	c.PatientRef = strings.TrimSpace(p.ref.Text)
	c.Context = strings.TrimSpace(p.context.Text)
	c.Sex = ""
	if p.sex.Selected == "F" || p.sex.Selected == "M" {
		c.Sex = p.sex.Selected
	}
	c.Age = nil
	if s := strings.TrimSpace(p.age.Text); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 130 {
			a.showError(fmt.Errorf("age %q: give whole years", s))
			return
		}
		c.Age = &n
	}
	sess := a.doc.sess
	st := a.store
	longSide := a.modelLongSide()
	a.statusL.SetText("Saving…")
	a.goWork(func() {
		ctx := context.Background()
		saved, err := st.UpdateCase(ctx, c)
		if err == nil {
			_, _, err = sess.Prepare(ctx, longSide)
		}
		a.do(func() {
			if err != nil {
				a.statusL.SetText("Not saved.")
				a.showError(err)
				return
			}
			a.statusL.SetText(fmt.Sprintf("Saved %s.", caseLabel(saved)))
			a.reloadHistory(saved.UID)
			if a.doc != nil && a.doc.sess == sess {
				a.doc.caseRec = saved
				a.saveCaseMeasurements(sess, saved.UID)
			}
			a.refreshCases()
			a.updateTitle()
		})
	})
}

// modelLongSide is the image size sent: the setting, else the chosen model's, else the fallback.
func (a *App) modelLongSide() int {
	if a.settings.ImageSize > 0 {
		return a.settings.ImageSize
	}
	for _, m := range a.serverModels {
		if m.Name == a.interp.modelSel.Selected && m.ImageLongSide > 0 {
			return m.ImageLongSide
		}
	}
	return interpret.FallbackLongSide
}

// updateTitle names the open case and document in the title bar.
func (a *App) updateTitle() {
	if a.doc == nil {
		a.win.SetTitle("PULSE Desk")
		a.title.SetText("No document open")
		return
	}
	t := a.doc.name
	if c := a.doc.caseRec; c.UID != "" {
		t = caseLabel(c) + " · " + c.Status + " · " + a.doc.name
	}
	a.title.SetText(t)
	a.win.SetTitle("PULSE Desk — " + t)
}
