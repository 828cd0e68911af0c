package interpret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// DefaultCheckpointEvery is how often a streaming answer is saved.
const DefaultCheckpointEvery = 3 * time.Second

// Workflow is the one way both binaries work a case: open a document into
// a case, apply edits, prepare the model input, ask, and save every run in
// the case log, bound to its case and model input when it starts,
// checkpointed while it streams and closed exactly once.
type Workflow struct {
	Store  *storage.Store
	Client *Client // nil: the case can be opened and prepared, not asked
	// Estimator, when set, gives phase estimates and learns from runs.
	Estimator *Estimator
	// Settings of every run (zero fields take the defaults).
	Settings Settings
	// CheckpointEvery (0: DefaultCheckpointEvery).
	CheckpointEvery time.Duration
	// DPI for PDF and TIFF pages (0: viewer.DefaultDPI).
	DPI float64
}

// Session is one case being worked on: its document, page, edits, the
// prepared model input and the chat about it.
type Session struct {
	wf       *Workflow
	doc      *viewer.Document
	document storage.Document
	tmpPath  string // a reopened document's temporary copy

	mu          sync.Mutex
	c           storage.Case
	page        int
	edits       viewer.Edits
	calibration *viewer.Calibration

	input      *ModelInput
	inputRec   storage.ModelInput
	inputKey   string // what the input was made from
	conv       *Conversation
	convInput  string // model input uid the chat is about
	lastRunUID string
}

// OpenNew opens a document into a new case: the case is created with c's
// patient fields and the file's bytes are stored with it.
func (w *Workflow) OpenNew(ctx context.Context, path string, c storage.Case) (*Session, error) {
	if w.Store == nil {
		return nil, errors.New("workflow: no case log")
	}
	doc, data, err := openDocument(path)
	if err != nil {
		return nil, err
	}
	c, err = w.Store.CreateCase(ctx, c)
	if err != nil {
		doc.Close()
		return nil, err
	}
	return w.attach(ctx, doc, data, c)
}

// OpenInto opens a document into an existing case.
func (w *Workflow) OpenInto(ctx context.Context, path, caseUID string) (*Session, error) {
	if w.Store == nil {
		return nil, errors.New("workflow: no case log")
	}
	c, err := w.Store.GetCase(ctx, caseUID)
	if err != nil {
		return nil, err
	}
	doc, data, err := openDocument(path)
	if err != nil {
		return nil, err
	}
	return w.attach(ctx, doc, data, c)
}

func openDocument(path string) (*viewer.Document, []byte, error) {
	doc, err := viewer.Open(path) // checks type and size limits before decoding
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		doc.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, data, nil
}

func (w *Workflow) attach(ctx context.Context, doc *viewer.Document, data []byte, c storage.Case) (*Session, error) {
	d, err := w.Store.PutDocument(ctx, c.UID, filepath.Base(doc.Path()), doc.MediaType(), doc.NumPages(), data)
	if err != nil {
		doc.Close()
		return nil, err
	}
	return &Session{wf: w, doc: doc, document: d, c: c, edits: viewer.NewEdits()}, nil
}

// Close releases the document (and removes a reopened document's temporary copy).
func (s *Session) Close() error {
	err := s.doc.Close()
	if s.tmpPath != "" {
		os.Remove(s.tmpPath)
	}
	return err
}

// Case is the case this session works on.
func (s *Session) Case() storage.Case {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// Document is the stored document.
func (s *Session) Document() storage.Document { return s.document }

// ViewerDocument is the opened document.
func (s *Session) ViewerDocument() *viewer.Document { return s.doc }

// SetPage chooses the page (0-based).
func (s *Session) SetPage(page int) error {
	if page < 0 || page >= s.doc.NumPages() {
		return fmt.Errorf("%s: page %d is out of range (the document has %d)", s.doc.Path(), page+1, s.doc.NumPages())
	}
	s.mu.Lock()
	s.page = page
	s.mu.Unlock()
	return nil
}

// SetEdits sets the edits applied before the model input is made.
func (s *Session) SetEdits(e viewer.Edits) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("%s: %w", s.doc.Path(), err)
	}
	s.mu.Lock()
	s.edits = e
	s.mu.Unlock()
	return nil
}

// SetCalibration records the scale of the straight frame (nil: unknown).
func (s *Session) SetCalibration(c *viewer.Calibration) {
	s.mu.Lock()
	s.calibration = c
	s.mu.Unlock()
}

// Edits are the current edits.
func (s *Session) Edits() viewer.Edits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.edits
}

func (s *Session) dpi() float64 {
	if s.wf.DPI > 0 {
		return s.wf.DPI
	}
	return viewer.DefaultDPI
}

// Processed renders the page and applies the edits.
func (s *Session) Processed() (image.Image, error) {
	s.mu.Lock()
	page, edits := s.page, s.edits
	s.mu.Unlock()
	img, err := s.doc.RenderIsolated(page, s.dpi())
	if err != nil {
		return nil, err
	}
	return viewer.Apply(img, edits), nil
}

// Prepare makes the model input for a model's long side (≤ 0: the
// fallback) and stores it with the case. The same page, edits and size
// give back the input already made.
func (s *Session) Prepare(ctx context.Context, longSide int) (ModelInput, storage.ModelInput, error) {
	s.mu.Lock()
	page, edits, cal := s.page, s.edits, s.calibration
	s.mu.Unlock()
	ej, err := viewer.MarshalEdits(edits)
	if err != nil {
		return ModelInput{}, storage.ModelInput{}, err
	}
	key := fmt.Sprintf("%d|%d|%g|%s", page, longSide, s.dpi(), ej)
	s.mu.Lock()
	if s.input != nil && s.inputKey == key {
		in, rec := *s.input, s.inputRec
		s.mu.Unlock()
		return in, rec, nil
	}
	s.mu.Unlock()
	img, err := s.Processed()
	if err != nil {
		return ModelInput{}, storage.ModelInput{}, err
	}
	in, err := Prepare(img, longSide)
	if err != nil {
		return ModelInput{}, storage.ModelInput{}, fmt.Errorf("%s: %w", s.doc.Path(), err)
	}
	rec := storage.ModelInput{CaseUID: s.c.UID, DocumentUID: s.document.UID, PNG: in.PNG, Edits: ej, Page: page, Scale: in.Scale}
	if _, _, vector := s.doc.PageSizePt(page); vector {
		rec.DPI = s.dpi()
	}
	if cal != nil {
		rec.PxPerMMX, rec.PxPerMMY = cal.PxPerMMX, cal.PxPerMMY
	}
	rec, err = s.wf.Store.AddModelInput(ctx, rec)
	if err != nil {
		return ModelInput{}, storage.ModelInput{}, err
	}
	s.mu.Lock()
	s.input, s.inputRec, s.inputKey = &in, rec, key
	s.mu.Unlock()
	return in, rec, nil
}

// PatientContext is what the case says about the patient, with the
// calibration's speed and gain.
func (s *Session) PatientContext() PatientContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	pc := PatientContext{Sex: s.c.Sex, Clinical: s.c.Context}
	if s.c.Age != nil {
		pc.Age = *s.c.Age
	}
	if s.calibration != nil {
		pc.CalibrationConfirmed = s.calibration.Confirmed
		pc.SpeedMMPerS, pc.GainMMPerMV = s.calibration.SpeedMMPerS, s.calibration.GainMMPerMV
	}
	return pc
}

// Run is a finished run: the result and the stored record.
type Run struct {
	Result *Result
	Stored storage.Run
	Model  Model
	Input  storage.ModelInput
	// Parsed is the answer read by its task (labels, letter).
	Parsed   Parsed
	Warnings []string
}

// Ask prepares the model input for the model (when not prepared yet for
// these edits) and asks q in a new chat about it. The run is stored when it
// starts, checkpointed while it streams and closed once. A model without
// vision is refused (ErrNoVision). The error is non-nil only when the run
// could not start; how it ended is in Run.Result.
func (s *Session) Ask(ctx context.Context, model string, q Question, ro RunOptions) (*Run, error) {
	if s.wf.Client == nil {
		return nil, errors.New("workflow: no model server configured")
	}
	if model == "" {
		model = DefaultModel
	}
	if q.Context.Age == 0 && q.Context.Sex == "" && q.Context.Clinical == "" {
		pc := s.PatientContext()
		pc.Measurements = q.Context.Measurements
		q.Context = pc
	}
	prompt, err := q.Prompt()
	if err != nil {
		return nil, err
	}
	m, err := s.wf.Client.RequireVision(ctx, model)
	if err != nil {
		return nil, err
	}
	in, rec, err := s.Prepare(ctx, m.ImageLongSide)
	if err != nil {
		return nil, err
	}
	cv := s.wf.Client.NewConversation(m, &in, s.wf.Settings)
	if s.wf.Estimator != nil {
		cv.SetEstimator(s.wf.Estimator)
	}
	s.mu.Lock()
	s.conv, s.convInput, s.lastRunUID = cv, rec.UID, ""
	s.mu.Unlock()
	run, err := s.stream(ctx, cv, string(q.Task), "", ro, func(ro RunOptions) (*Result, error) { return cv.Ask(ctx, prompt, ro) })
	if err != nil {
		return nil, err
	}
	run.Input = rec
	run.Parsed = q.ParseAnswer(run.Result.Text)
	run.Warnings = q.Warnings()
	if m.NotEvaluated {
		run.Warnings = append(run.Warnings, fmt.Sprintf("%s is %s.", m.Name, NotEvaluatedNote))
	}
	return run, nil
}

// FollowUp continues the chat of the last Ask with a free question.
func (s *Session) FollowUp(ctx context.Context, question string, ro RunOptions) (*Run, error) {
	s.mu.Lock()
	cv, parent, input := s.conv, s.lastRunUID, s.inputRec
	s.mu.Unlock()
	if cv == nil || cv.Turns() == 0 {
		return nil, errors.New("follow-up: ask a first question and let it complete")
	}
	if err := cv.CheckFits(question); err != nil {
		return nil, err
	}
	run, err := s.stream(ctx, cv, string(TaskAsk), parent, ro, func(ro RunOptions) (*Result, error) { return cv.Ask(ctx, question, ro) })
	if err != nil {
		return nil, err
	}
	run.Input = input
	return run, nil
}

// Again samples the last answer once more (new seed, higher temperature),
// stored as its own run marked as a resample.
func (s *Session) Again(ctx context.Context, ro RunOptions) (*Run, error) {
	s.mu.Lock()
	cv, parent, input := s.conv, s.lastRunUID, s.inputRec
	s.mu.Unlock()
	if cv == nil || cv.Turns() == 0 {
		return nil, errors.New("again: there is no complete answer to sample again")
	}
	run, err := s.stream(ctx, cv, "again", parent, ro, func(ro RunOptions) (*Result, error) { return cv.Again(ctx, ro) })
	if err != nil {
		return nil, err
	}
	run.Input = input
	return run, nil
}

// InputChanged reports whether the edits or page no longer match the model
// input of the last answer ("input changed since").
func (s *Session) InputChanged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.input == nil {
		return false
	}
	ej, _ := viewer.MarshalEdits(s.edits)
	return !strings.HasPrefix(s.inputKey, fmt.Sprintf("%d|", s.page)) || !strings.HasSuffix(s.inputKey, "|"+string(ej))
}

// stream runs one request with the case log: StartRun before the first
// byte goes out, CheckpointRun every few seconds while text arrives, and
// CloseRun exactly once at the end, whatever happened.
func (s *Session) stream(ctx context.Context, cv *Conversation, task, parent string, ro RunOptions,
	do func(RunOptions) (*Result, error)) (*Run, error) {
	store := s.wf.Store
	every := s.wf.CheckpointEvery
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	// Storage writes outlive a cancelled run: the run must still be closed.
	wctx := context.WithoutCancel(ctx)
	s.mu.Lock()
	inputUID := s.convInput
	s.mu.Unlock()

	var (
		mu        sync.Mutex
		stored    storage.Run
		startErr  error
		started   bool
		text      strings.Builder
		lastSaved time.Time
		savedLen  int
	)
	inner := ro
	inner.OnStart = func(r *Result) error {
		opts, _ := json.Marshal(r.Options)
		stored, startErr = store.StartRun(wctx, storage.Run{
			CaseUID: s.c.UID, ModelInputUID: inputUID, ParentUID: parent,
			Model: r.Model, ModelDigest: r.Digest, Task: task, Prompt: r.Prompt, Options: opts,
		})
		if startErr != nil {
			// Nothing is asked that could not be recorded.
			return startErr
		}
		started = true
		lastSaved = time.Now()
		if ro.OnStart != nil {
			return ro.OnStart(r)
		}
		return nil
	}
	inner.OnChunk = func(ch Chunk) {
		mu.Lock()
		text.WriteString(ch.Text)
		if started && time.Since(lastSaved) >= every && text.Len() != savedLen {
			_ = store.CheckpointRun(wctx, stored.UID, text.String()) // a failed checkpoint is retried at the next one
			lastSaved, savedLen = time.Now(), text.Len()
		}
		mu.Unlock()
		if ro.OnChunk != nil {
			ro.OnChunk(ch)
		}
	}
	res, err := do(inner)
	if err != nil {
		return nil, err
	}
	if startErr != nil {
		return nil, fmt.Errorf("recording the run in the case log: %w", startErr)
	}
	rr := storage.RunResult{
		Answer: res.Text, DoneReason: res.DoneReason, PromptTokens: res.PromptTokens, AnswerTokens: res.EvalTokens,
		Load: res.Load, Prefill: res.Prefill, Generation: res.Generation,
	}
	switch res.Outcome {
	case OutcomeComplete:
		rr.Outcome = storage.OutcomeComplete
	case OutcomeCancelled:
		rr.Outcome = storage.OutcomeCancelled
	default:
		rr.Outcome = storage.OutcomeFailed
	}
	if res.Err != nil {
		rr.Error = res.Err.Error()
	}
	closed, err := store.CloseRun(wctx, stored.UID, rr)
	if err != nil {
		return &Run{Result: res, Stored: stored}, fmt.Errorf("closing the run in the case log: %w", err)
	}
	if res.Outcome == OutcomeComplete {
		s.mu.Lock()
		s.lastRunUID = closed.UID
		s.mu.Unlock()
	}
	return &Run{Result: res, Stored: closed, Model: cv.model}, nil
}

// Conversation is the chat of the last Ask (nil before one).
func (s *Session) Conversation() *Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv
}

// Resume reopens a stored case: its newest document is written to a
// private temporary file (mode 0600, removed by Close) and opened, and the
// page and edits of its newest model input from that document are restored.
func (w *Workflow) Resume(ctx context.Context, caseUID string) (*Session, error) {
	if w.Store == nil {
		return nil, errors.New("workflow: no case log")
	}
	d, err := w.Store.CaseDetail(ctx, caseUID)
	if err != nil {
		return nil, err
	}
	if len(d.Documents) == 0 {
		return nil, fmt.Errorf("case %s has no document", caseUID)
	}
	doc := d.Documents[len(d.Documents)-1]
	data, err := w.Store.DocumentData(ctx, doc)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "pulsedesk-case-*"+filepath.Ext(doc.Name))
	if err != nil {
		return nil, fmt.Errorf("case %s: reopening %s: %w", caseUID, doc.Name, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("case %s: reopening %s: %w", caseUID, doc.Name, errors.Join(werr, cerr))
	}
	vd, err := viewer.Open(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("case %s: reopening %s: %w", caseUID, doc.Name, err)
	}
	s := &Session{wf: w, doc: vd, document: doc, c: d.Case, edits: viewer.NewEdits(), tmpPath: tmp}
	for i := len(d.ModelInputs) - 1; i >= 0; i-- {
		in := d.ModelInputs[i]
		if in.DocumentUID != doc.UID {
			continue
		}
		if e, err := viewer.UnmarshalEdits(in.Edits); err == nil {
			s.edits = e
		}
		if in.Page >= 0 && in.Page < vd.NumPages() {
			s.page = in.Page
		}
		break
	}
	return s, nil
}
