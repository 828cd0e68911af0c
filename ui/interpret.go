package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// repaintEvery throttles the streamed answer's repaint.
const repaintEvery = 200 * time.Millisecond

// interpretPanel is the Interpret tab.
type interpretPanel struct {
	a *App

	server    *widget.Label
	setupBtn  *widget.Button
	modelSel  *widget.Select
	modelNote *widget.Label
	models    []interpret.Model
	taskSel   *widget.Select
	prompt    *widget.Entry
	options   *widget.Entry
	ref       *widget.Entry
	age       *widget.Entry
	sex       *widget.Select
	context   *widget.Entry
	ageWarn   *widget.Label
	runBtn    *widget.Button
	stopBtn   *widget.Button
	againBtn  *widget.Button
	phase     *widget.Label
	caseLine  *widget.Label
	thumb     *fyne.Container
	inputLine *widget.Label
	answer    *widget.Label
	outcome   *widget.Label
	findings  *widget.Label
	figures   *widget.Label
	followUp  *widget.Entry
	askBtn    *widget.Button
	override  *widget.Check
	reason    *widget.Entry
	overBox   *fyne.Container
	content   fyne.CanvasObject
	shown     *shownRun
}

// runState is one run in flight. It belongs to the case it started in,
// whatever the window shows meanwhile.
type runState struct {
	sess     *interpret.Session
	caseUID  string
	label    string
	cancel   context.CancelFunc
	started  time.Time
	retire   bool // close the session when the run ends (the window moved on)
	mu       sync.Mutex
	text     strings.Builder
	chunks   int
	progress interpret.Progress
	flushing bool
}

// shownRun is what the answer area shows: a finished or stored run.
type shownRun struct {
	caseUID string
	label   string
	run     storage.Run
	input   *storage.ModelInput
	result  *interpret.Result
	parsed  string
	warns   []string
}

func (a *App) buildInterpret() fyne.CanvasObject {
	p := &interpretPanel{a: a}
	a.interp = p
	p.server = widget.NewLabel("Checking the model server…")
	p.server.Wrapping = fyne.TextWrapWord
	p.setupBtn = widget.NewButtonWithIcon("Setup…", theme.SettingsIcon(), a.showModelSetup)
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), a.checkServer)
	p.modelSel = widget.NewSelect(nil, func(string) { p.modelChanged() })
	p.modelSel.PlaceHolder = "(no model)"
	p.modelNote = widget.NewLabel("")
	p.modelNote.Importance = widget.WarningImportance
	p.modelNote.Hide()
	titles := make([]string, len(interpret.Tasks))
	for i, t := range interpret.Tasks {
		titles[i] = t.Title
	}
	p.prompt = widget.NewMultiLineEntry()
	p.prompt.Wrapping = fyne.TextWrapWord
	p.prompt.SetMinRowsVisible(2)
	p.options = widget.NewMultiLineEntry()
	p.options.SetPlaceHolder("Options, one per line (A, B, C…)")
	p.options.SetMinRowsVisible(3)
	p.options.Hide()
	p.taskSel = widget.NewSelect(titles, func(string) { p.taskChanged() })
	p.taskSel.SetSelected(titles[0])
	p.ref = widget.NewEntry()
	p.ref.SetPlaceHolder("patient reference")
	p.age = widget.NewEntry()
	p.age.SetPlaceHolder("age")
	p.ageWarn = widget.NewLabel("Under 18: PULSE was trained on adults' ECGs. Read its answer with extra care.")
	p.ageWarn.Wrapping = fyne.TextWrapWord
	p.ageWarn.Importance = widget.WarningImportance
	p.ageWarn.Hide()
	p.age.OnChanged = func(s string) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		p.ageWarn.Hidden = !(err == nil && n < 18)
		p.ageWarn.Refresh()
	}
	p.sex = widget.NewSelect([]string{"—", "F", "M"}, nil)
	p.sex.SetSelected("—")
	p.context = widget.NewEntry()
	p.context.SetPlaceHolder("clinical context, e.g. chest pain for 2 h")
	p.runBtn = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), a.runInterpretation)
	p.runBtn.Importance = widget.HighImportance
	p.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), a.stopInterpretation)
	p.stopBtn.Disable()
	p.againBtn = widget.NewButtonWithIcon("Again", theme.MediaReplayIcon(), a.runAgain)
	p.againBtn.Disable()
	p.phase = widget.NewLabel("")
	p.phase.Wrapping = fyne.TextWrapWord
	p.caseLine = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.caseLine.Wrapping = fyne.TextWrapWord
	p.thumb = container.NewStack()
	p.inputLine = widget.NewLabel("")
	p.inputLine.Wrapping = fyne.TextWrapWord
	p.answer = widget.NewLabel("")
	p.answer.Wrapping = fyne.TextWrapWord
	p.outcome = widget.NewLabel("")
	p.outcome.Wrapping = fyne.TextWrapWord
	p.findings = widget.NewLabel("")
	p.findings.Wrapping = fyne.TextWrapWord
	p.figures = widget.NewLabel("")
	p.figures.Wrapping = fyne.TextWrapWord
	p.figures.Importance = widget.LowImportance
	p.followUp = widget.NewEntry()
	p.followUp.SetPlaceHolder("Follow-up question")
	p.askBtn = widget.NewButton("Ask", a.runFollowUp)
	p.askBtn.Disable()
	p.override = widget.NewCheck("Send anyway", nil)
	p.reason = widget.NewEntry()
	p.reason.SetPlaceHolder("reason (saved with the run)")
	overMsg := widget.NewLabel("The checks found neither an ECG grid nor a trace on this page.")
	overMsg.Wrapping = fyne.TextWrapWord
	overMsg.Importance = widget.WarningImportance
	p.overBox = container.NewVBox(overMsg, p.override, p.reason)
	p.overBox.Hide()

	head := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Model"), p.modelSel,
		widget.NewLabel("Task"), p.taskSel,
	)
	patient := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(container.New(fixedWidth{64}, p.age), p.sex), p.ref),
		p.context)
	answerHead := container.NewBorder(nil, nil, p.thumb, nil, container.NewVBox(p.caseLine, p.inputLine))
	body := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(refresh, p.setupBtn), p.server),
		form, p.modelNote, p.prompt, p.options, patient, p.ageWarn, a.measurementQuestion(), p.overBox,
		container.NewGridWithColumns(3, p.runBtn, p.stopBtn, p.againBtn),
		p.phase,
		widget.NewSeparator(),
		answerHead, p.answer, p.outcome,
		head("Findings"), p.findings, p.figures,
		container.NewBorder(nil, nil, nil, p.askBtn, p.followUp),
	)
	disc := widget.NewLabelWithStyle(Disclaimer, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	disc.Importance = widget.DangerImportance
	p.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), disc), nil, nil, container.NewVScroll(padRight(body)))
	p.findings.SetText("None yet.")
	return p.content
}

func (p *interpretPanel) task() interpret.Task {
	for _, t := range interpret.Tasks {
		if t.Title == p.taskSel.Selected {
			return t
		}
	}
	return interpret.Tasks[0]
}

func (p *interpretPanel) taskChanged() {
	t := p.task()
	p.options.Hidden = !t.NeedsOptions
	if t.NeedsQuestion {
		p.prompt.SetText("")
		p.prompt.SetPlaceHolder("Your question")
	} else if t.NeedsLabels {
		p.prompt.SetText("")
		p.prompt.SetPlaceHolder("The standard abnormality list is used (type here to ask something else)")
	} else {
		p.prompt.SetText(t.Prompt)
	}
	p.options.Refresh()
}

func (p *interpretPanel) modelChanged() {
	for _, m := range p.models {
		if m.Name == p.modelSel.Selected {
			switch {
			case !m.Vision:
				p.modelNote.SetText(m.Name + " cannot see images: choose a vision model.")
				p.modelNote.Show()
			case m.NotEvaluated:
				p.modelNote.SetText(m.Name + ": " + interpret.NotEvaluatedNote + ".")
				p.modelNote.Show()
			default:
				p.modelNote.Hide()
			}
			return
		}
	}
	p.modelNote.Hide()
}

// question builds what to ask from the controls.
func (p *interpretPanel) question() (interpret.Question, error) {
	t := p.task()
	q := interpret.Question{Task: t.Kind}
	text := strings.TrimSpace(p.prompt.Text)
	switch {
	case t.NeedsQuestion:
		q.Text = text
	case text != "" && text != t.Prompt:
		// an edited preset is sent as the clinician's own question
		q.Task, q.Text = interpret.TaskAsk, text
	}
	if t.NeedsOptions {
		for _, l := range strings.Split(p.options.Text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				q.Options = append(q.Options, l)
			}
		}
	}
	if s := strings.TrimSpace(p.age.Text); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("age %q: give whole years", s)
		}
		q.Context.Age = n
	}
	if p.sex.Selected == "F" || p.sex.Selected == "M" {
		q.Context.Sex = p.sex.Selected
	}
	q.Context.Clinical = strings.TrimSpace(p.context.Text)
	if ms, ok := p.a.QuestionMeasurements(); ok {
		q.Context.Measurements = ms
		q.Context.CalibrationConfirmed = true
	}
	return q, q.Validate()
}

// newWorkflow builds the workflow for the current settings.
func (a *App) newWorkflow() *interpret.Workflow {
	wf := &interpret.Workflow{Store: a.store, DPI: a.settings.DPI}
	if a.opts.DataDir != "" {
		wf.Estimator = interpret.OpenEstimator(filepath.Join(a.opts.DataDir, "estimates.json"))
	}
	s := interpret.DefaultSettings()
	if d, err := time.ParseDuration(a.settings.KeepAlive); err == nil {
		s.KeepAlive = d
	}
	wf.Settings = s
	c, err := interpret.New(interpret.Config{Server: a.settings.ServerURL, AllowRemote: a.settings.AllowRemote})
	if err != nil {
		a.clientErr = err
		return wf
	}
	a.clientErr = nil
	wf.Client = c
	return wf
}

// checkServer asks the server for its state and models in the background.
func (a *App) checkServer() {
	wf := a.wf
	if wf.Client == nil {
		msg := "No model server configured."
		if a.clientErr != nil {
			msg = a.clientErr.Error()
		}
		a.serverChecked(interpret.Status{Message: msg}, nil, nil)
		return
	}
	a.interp.server.SetText("Checking the model server…")
	a.goWork(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st := wf.Client.Status(ctx)
		var ms []interpret.Model
		var merr error
		if st.Reachable {
			ms, merr = wf.Client.ModelsDetailed(ctx)
		}
		a.do(func() { a.serverChecked(st, ms, merr) })
	})
}

func (a *App) serverChecked(st interpret.Status, ms []interpret.Model, merr error) {
	p := a.interp
	a.serverStatus = st
	a.serverModels = ms
	var line string
	switch {
	case !st.Reachable:
		line = st.Message
		if line == "" {
			line = "The model server is not reachable."
		}
	case merr != nil:
		line = fmt.Sprintf("Ollama %s at %s: %v", st.Version, hostOf(st.URL), merr)
	default:
		line = fmt.Sprintf("Ollama %s at %s", st.Version, hostOf(st.URL))
		if st.Remote {
			line += " (remote)"
		}
	}
	p.models = ms
	names := make([]string, 0, len(ms))
	var vision []string
	for _, m := range ms {
		names = append(names, m.Name)
		if m.Vision {
			vision = append(vision, m.Name)
		}
	}
	p.modelSel.Options = names
	want := a.settings.Model
	sel := ""
	for _, m := range ms {
		if m.Name == want || strings.TrimSuffix(m.Name, ":latest") == want {
			sel = m.Name
		}
	}
	if sel == "" && len(vision) > 0 {
		sel = vision[0]
	}
	if sel != "" {
		p.modelSel.SetSelected(sel)
	} else {
		p.modelSel.ClearSelected()
	}
	p.modelSel.Refresh()
	if st.Reachable && merr == nil && sel == "" {
		line += ". No vision model is installed: use Setup… to import PULSE."
	} else if st.Reachable && merr == nil && !interpret.IsPULSE(sel) {
		line += ". PULSE is not installed: Setup… imports it."
	}
	p.server.SetText(line)
	status := line
	if sel != "" {
		status += " · " + sel
		for _, m := range ms {
			if m.Name == sel && m.Vision {
				status += " (vision)"
			}
		}
	}
	a.statusL.SetText(status)
	a.updateStatus()
	if a.doc != nil {
		a.preload()
	}
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	return strings.TrimSuffix(u, "/")
}

// runInterpretation asks the chosen task about the current page.
func (a *App) runInterpretation() { a.startRun(runAsk) }

// runAgain asks for a different sample of the last answer.
func (a *App) runAgain() { a.startRun(runAgain) }

// runFollowUp continues the chat with the follow-up question.
func (a *App) runFollowUp() { a.startRun(runFollow) }

type runKind int

const (
	runAsk runKind = iota
	runAgain
	runFollow
)

func (a *App) startRun(kind runKind) {
	p := a.interp
	if a.active != nil {
		return
	}
	if a.doc == nil {
		a.showError(errors.New("open an ECG first"))
		return
	}
	if a.wf.Client == nil || a.doc.sess == nil {
		a.showError(fmt.Errorf("no model server: %s", p.server.Text))
		return
	}
	q, err := p.question()
	if err != nil && kind == runAsk {
		a.showError(err)
		return
	}
	if kind == runAsk && a.checkBlocks {
		if !p.override.Checked || strings.TrimSpace(p.reason.Text) == "" {
			a.showError(errors.New("the checks found neither an ECG grid nor a trace: tick \"Send anyway\" and give a reason to send this page"))
			return
		}
	}
	follow := strings.TrimSpace(p.followUp.Text)
	if kind == runFollow && follow == "" {
		return
	}
	sess := a.doc.sess
	model := p.modelSel.Selected
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runState{sess: sess, caseUID: sess.Case().UID, label: caseLabel(sess.Case()), cancel: cancel, started: time.Now()}
	a.active = rs
	p.runBtn.Disable()
	p.againBtn.Disable()
	p.askBtn.Disable()
	p.stopBtn.Enable()
	p.shown = nil
	p.caseLine.SetText("Answer for " + rs.label)
	p.thumb.RemoveAll()
	p.inputLine.SetText("")
	p.inputLine.Hide()
	p.answer.SetText("")
	p.outcome.SetText("")
	p.figures.SetText("")
	if kind != runFollow {
		p.findings.SetText("None yet.")
	}
	p.phase.SetText("Starting…")
	ro := interpret.RunOptions{
		OnChunk: func(ch interpret.Chunk) {
			rs.mu.Lock()
			rs.text.WriteString(ch.Text)
			rs.chunks++
			need := !rs.flushing
			rs.flushing = true
			rs.mu.Unlock()
			if need {
				a.pending.Add(1)
				time.AfterFunc(repaintEvery, func() {
					defer a.pending.Add(-1)
					a.do(func() { a.flushRun(rs) })
				})
			}
		},
		OnProgress: func(pr interpret.Progress) {
			rs.mu.Lock()
			rs.progress = pr
			rs.mu.Unlock()
			a.do(func() { a.showPhase(rs) })
		},
	}
	ticker := time.NewTicker(time.Second)
	tickDone := make(chan struct{})
	go func() {
		for {
			select {
			case <-tickDone:
				return
			case <-ticker.C:
				a.do(func() { a.showPhase(rs) })
			}
		}
	}()
	overrideReason := ""
	if kind == runAsk && a.checkBlocks {
		overrideReason = strings.TrimSpace(p.reason.Text)
	}
	a.goWork(func() {
		defer func() { ticker.Stop(); close(tickDone) }()
		var run *interpret.Run
		var err error
		switch kind {
		case runAsk:
			if overrideReason != "" {
				if _, uerr := a.store.UpdateCase(context.Background(), withOverrideTag(sess.Case(), overrideReason)); uerr != nil {
					err = fmt.Errorf("recording the reason for sending: %w", uerr)
					break
				}
			}
			run, err = sess.Ask(ctx, model, q, ro)
		case runAgain:
			run, err = sess.Again(ctx, ro)
		case runFollow:
			run, err = sess.FollowUp(ctx, follow, ro)
		}
		cancel()
		a.do(func() { a.runEnded(rs, run, err) })
	})
}

// withOverrideTag records on the case that a page was sent although the
// checks found neither grid nor trace, and why (never sent to the model).
func withOverrideTag(c storage.Case, reason string) storage.Case {
	c.Tags = append(append([]string(nil), c.Tags...), "sent without grid or trace: "+reason)
	return c
}

// flushRun repaints the streamed text (throttled).
func (a *App) flushRun(rs *runState) {
	rs.mu.Lock()
	text := rs.text.String()
	rs.flushing = false
	rs.mu.Unlock()
	if a.active != rs || !a.showingCase(rs.caseUID) {
		return
	}
	a.interp.answer.SetText(text)
	a.showPhase(rs)
}

func (a *App) showPhase(rs *runState) {
	if a.active != rs || !a.showingCase(rs.caseUID) {
		return
	}
	rs.mu.Lock()
	pr := rs.progress
	chunks := rs.chunks
	rs.mu.Unlock()
	el := time.Since(rs.started).Round(time.Second)
	phase := string(pr.Phase)
	if phase == "" {
		phase = string(interpret.PhaseConnecting)
	}
	if chunks > 0 {
		phase = string(interpret.PhaseWriting)
	}
	line := fmt.Sprintf("%s… %s", upperFirst(phase), clock(el))
	if pr.Estimate > 0 && chunks == 0 {
		line += fmt.Sprintf(" (first words usually after about %s)", clock(pr.Estimate.Round(time.Second)))
	}
	a.interp.phase.SetText(line)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// stopInterpretation cancels the run in flight (Esc).
func (a *App) stopInterpretation() {
	if a.active != nil {
		a.active.cancel()
		a.interp.phase.SetText("Stopping…")
	}
}

func (a *App) stopAll() {
	if a.active != nil {
		a.active.cancel()
	}
}

// runEnded shows the finished run when its case is on screen.
func (a *App) runEnded(rs *runState, run *interpret.Run, err error) {
	p := a.interp
	if a.active == rs {
		a.active = nil
	}
	p.runBtn.Enable()
	p.stopBtn.Disable()
	if rs.retire {
		rs.sess.Close()
	}
	a.refreshCases()
	a.reloadHistory(rs.caseUID)
	if !a.showingCase(rs.caseUID) {
		if run != nil {
			a.statusL.SetText(fmt.Sprintf("The run for %s ended (%s) and is saved with that case.", rs.label, run.Result.Outcome))
		}
		return
	}
	if err != nil && (run == nil || run.Result == nil) {
		p.phase.SetText("")
		p.answer.SetText("")
		msg := err.Error()
		if errors.Is(err, interpret.ErrNotReachable) {
			msg = fmt.Sprintf("The model server is not running at %s: start it with `ollama serve`, then press Run again.\n(%v)",
				hostOf(a.serverStatus.URL), err)
		} else if errors.Is(err, interpret.ErrModelNotFound) {
			msg += "\nOpen Setup… to import PULSE or choose an installed model."
		}
		p.outcome.SetText(msg)
		p.outcome.Importance = widget.DangerImportance
		p.outcome.Refresh()
		if errors.Is(err, interpret.ErrNotReachable) || errors.Is(err, interpret.ErrModelNotFound) {
			a.checkServer()
		}
		return
	}
	sr := &shownRun{caseUID: rs.caseUID, label: rs.label, run: run.Stored, result: run.Result, warns: run.Warnings}
	if run.Input.UID != "" {
		in := run.Input
		sr.input = &in
	}
	if len(run.Parsed.Labels) > 0 {
		sr.parsed = "Labels read from the answer: " + strings.Join(run.Parsed.Labels, "; ")
	} else if run.Parsed.Letter != "" {
		sr.parsed = "Option read from the answer: " + run.Parsed.Letter + " " + run.Parsed.Option
	}
	p.phase.SetText("")
	a.showRun(sr)
	if err != nil {
		p.outcome.SetText(p.outcome.Text + "\n" + err.Error())
	}
	if run.Result.Outcome == interpret.OutcomeComplete {
		p.againBtn.Enable()
		p.askBtn.Enable()
		a.requestFindings(rs.sess, rs.caseUID)
	}
}

// clearAnswer empties the answer area (another case is on screen).
func (a *App) clearAnswer() {
	p := a.interp
	p.shown = nil
	p.thumb.RemoveAll()
	p.caseLine.SetText("")
	p.inputLine.SetText("")
	p.answer.SetText("")
	p.outcome.SetText("")
	p.figures.SetText("")
	p.phase.SetText("")
	p.findings.SetText("None yet.")
	p.againBtn.Disable()
	p.askBtn.Disable()
	if a.active != nil && a.doc != nil && a.doc.sess != nil && a.active.caseUID == a.doc.sess.Case().UID {
		a.showPhase(a.active)
	}
}

// showRun fills the answer area with a run (finished or stored).
func (a *App) showRun(sr *shownRun) {
	p := a.interp
	p.shown = sr
	p.caseLine.SetText("Answer for " + sr.label)
	text := sr.run.Answer
	if sr.result != nil {
		text = sr.result.Text
	}
	p.answer.SetText(text)
	when := sr.run.StartedAt
	if when.IsZero() && sr.result != nil {
		when = sr.result.Started
	}
	p.thumb.RemoveAll()
	line := fmt.Sprintf("%s · %s", sr.run.Model, when.Local().Format("2006-01-02 15:04"))
	if sr.run.Task == "again" {
		line += " · a different sample of the same question (not a second opinion)"
	}
	if sr.input != nil {
		if img, err := png.Decode(bytes.NewReader(sr.input.PNG)); err == nil {
			p.thumb.Add(imageObject(img, 84, 64))
		}
		line += fmt.Sprintf("\nThe model saw this %d×%d image.", sr.input.Width, sr.input.Height)
		if a.inputChanged(sr.input) {
			line += " Input changed since."
		}
	}
	p.inputLine.SetText(line)
	p.inputLine.Show()
	outcome := fmt.Sprintf("Outcome: %s", sr.run.Outcome)
	if sr.result != nil {
		outcome = "Outcome: " + sr.result.Message()
	} else if sr.run.Error != "" {
		outcome += " — " + sr.run.Error
	}
	if sr.parsed != "" {
		outcome += "\n" + sr.parsed
	}
	for _, w := range sr.warns {
		outcome += "\n⚠ " + w
	}
	p.outcome.SetText(outcome)
	p.outcome.Importance = widget.MediumImportance
	if sr.run.Outcome != storage.OutcomeComplete {
		p.outcome.Importance = widget.WarningImportance
	}
	p.outcome.Refresh()
	r := sr.run
	if r.PromptTokens > 0 || r.AnswerTokens > 0 {
		p.figures.SetText(fmt.Sprintf("%d prompt tokens, %d answer tokens · load %s, reading %s, writing %s",
			r.PromptTokens, r.AnswerTokens, secs(r.Load), secs(r.Prefill), secs(r.Generation)))
	} else {
		p.figures.SetText("")
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// inputChanged reports whether the current page and edits differ from the
// ones a model input was made from.
func (a *App) inputChanged(in *storage.ModelInput) bool {
	if a.doc == nil {
		return true
	}
	if in.Page != a.doc.page {
		return true
	}
	cur, err := viewer.MarshalEdits(a.doc.edits)
	if err != nil {
		return true
	}
	stored, err := viewer.UnmarshalEdits(in.Edits)
	if err != nil {
		return true
	}
	sj, _ := viewer.MarshalEdits(stored)
	return !bytes.Equal(cur, sj)
}

// requestFindings asks for the structured findings of the last answer.
func (a *App) requestFindings(sess *interpret.Session, caseUID string) {
	cv := sess.Conversation()
	if cv == nil {
		return
	}
	a.interp.findings.SetText("Reading the answer into findings…")
	a.goWork(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		f, _, err := cv.Findings(ctx, interpret.RunOptions{})
		a.do(func() {
			if !a.showingCase(caseUID) {
				return
			}
			a.interp.findings.SetText(findingsText(f, err))
			if err == nil && f.Available {
				a.ShowModelFindings(f)
			}
		})
	})
}

func findingsText(f interpret.Findings, err error) string {
	if err != nil {
		return "Findings unavailable: " + err.Error()
	}
	if !f.Available {
		return "Findings unavailable (" + f.Reason + "); the answer above stands."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "All values are a %s, not measurements.\n", f.Label)
	if f.Rhythm != "" {
		fmt.Fprintf(&b, "Rhythm: %s\n", f.Rhythm)
	}
	if f.Axis != "" {
		fmt.Fprintf(&b, "Axis: %s\n", f.Axis)
	}
	for _, k := range []string{"heart_rate", "pr", "qrs", "qt", "qtc"} {
		if v := f.Values[k]; v != nil {
			name := map[string]string{"heart_rate": "Heart rate", "pr": "PR", "qrs": "QRS", "qt": "QT", "qtc": "QTc"}[k]
			fmt.Fprintf(&b, "%s: %g %s (%s)\n", name, v.Value, v.Unit, v.Label)
		}
	}
	if len(f.Diagnoses) > 0 {
		fmt.Fprintf(&b, "Diagnoses: %s\n", strings.Join(f.Diagnoses, "; "))
	}
	return strings.TrimSpace(b.String())
}

// showingCase reports whether the window shows that case now.
func (a *App) showingCase(uid string) bool {
	return a.doc != nil && a.doc.sess != nil && a.doc.sess.Case().UID == uid
}

// retire closes a session the window no longer shows, after its run ends.
func (a *App) retire(sess *interpret.Session) {
	if sess == nil {
		return
	}
	if a.active != nil && a.active.sess == sess {
		a.active.retire = true
		return
	}
	sess.Close()
}

// caseLabel names a case for the window: its number, reference and date.
func caseLabel(c storage.Case) string {
	var parts []string
	if c.Number > 0 {
		parts = append(parts, fmt.Sprintf("case #%d", c.Number))
	} else {
		parts = append(parts, "case "+shortUID(c.UID))
	}
	if c.PatientRef != "" {
		parts = append(parts, c.PatientRef)
	}
	if !c.CreatedAt.IsZero() {
		parts = append(parts, c.CreatedAt.Local().Format("2006-01-02"))
	}
	return strings.Join(parts, " · ")
}

func shortUID(u string) string {
	if len(u) > 8 {
		return u[:8]
	}
	return u
}

// thumbOf decodes a stored PNG for a thumbnail (nil when it cannot).
func thumbOf(b []byte) image.Image {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	return img
}

// preload asks the server to load the chosen model while the clinician
// prepares the page, so the first words come sooner.
func (a *App) preload() {
	wf := a.wf
	model := a.interp.modelSel.Selected
	if wf.Client == nil || !a.serverStatus.Reachable || model == "" {
		return
	}
	keep := wf.Settings.KeepAlive
	a.goWork(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_ = wf.Client.Preload(ctx, model, keep) // a failure shows when the run starts
	})
}
