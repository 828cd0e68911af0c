package interpret

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"pulsedesk/interpret/ollamatest"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

const testECG = "testdata/eik_ecg00016.jpg"

func newWorkflow(t *testing.T, srv *ollamatest.Server) *Workflow {
	t.Helper()
	st, err := storage.OpenWith(storage.PathIn(t.TempDir()), storage.Options{SkipBackgroundCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Workflow{Store: st, Client: newTestClient(t, srv.URL), CheckpointEvery: time.Nanosecond}
}

func TestWorkflowAskIsRecorded(t *testing.T) {
	srv := ollamatest.New(t)
	wf := newWorkflow(t, srv)
	ctx := context.Background()
	age := 9
	s, err := wf.OpenNew(ctx, testECG, storage.Case{PatientRef: "ZEBRA", Age: &age, Sex: "F", Context: "palpitations"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	file, _ := os.ReadFile(testECG)
	sum := sha256.Sum256(file)
	if s.Document().SHA256 != hex.EncodeToString(sum[:]) || s.Document().Pages != 1 {
		t.Fatalf("stored document %+v", s.Document())
	}
	e := viewer.NewEdits()
	e.Crop = &viewer.Rect{X0: 0.05, Y0: 0.2, X1: 0.95, Y1: 0.95}
	if err := s.SetEdits(e); err != nil {
		t.Fatal(err)
	}
	var chunks []string
	run, err := s.Ask(ctx, "", Question{Task: TaskReport}, RunOptions{OnChunk: func(c Chunk) { chunks = append(chunks, c.Text) }})
	if err != nil {
		t.Fatal(err)
	}
	if run.Result.Outcome != OutcomeComplete || run.Stored.Outcome != storage.OutcomeComplete || run.Stored.Answer != ollamatest.DefaultAnswer {
		t.Fatalf("run %+v / %+v", run.Result, run.Stored)
	}
	if strings.Join(chunks, "") != run.Result.Text {
		t.Error("streamed text and the result differ")
	}
	if run.Stored.CaseUID != s.Case().UID || run.Stored.ModelInputUID != run.Input.UID || run.Stored.ModelDigest == "" || run.Stored.Task != "report" {
		t.Errorf("binding %+v", run.Stored)
	}
	if !strings.Contains(run.Stored.Prompt, "Patient: 9-year-old female.") || !strings.Contains(run.Stored.Prompt, "palpitations") {
		t.Errorf("prompt %q lacks the case context", run.Stored.Prompt)
	}
	if len(run.Warnings) == 0 || !strings.Contains(run.Warnings[0], "adult") {
		t.Errorf("warnings %q: a child's ECG must carry a warning", run.Warnings)
	}
	// The PNG stored is the PNG sent.
	req := srv.ChatRequests()[0]
	sent := sha256.Sum256(req.Messages[0].Images[0])
	if hex.EncodeToString(sent[:]) != run.Input.SHA256 {
		t.Error("the stored model input is not the image that was sent")
	}
	if run.Input.Width < 775 || run.Input.Width > 777 || run.Input.Scale != 1 { // 862×433 cropped to 90 % × 75 %, not enlarged
		t.Errorf("model input %d×%d scale %v", run.Input.Width, run.Input.Height, run.Input.Scale)
	}
	var ed viewer.Edits
	if ed, err = viewer.UnmarshalEdits(run.Input.Edits); err != nil || ed.Crop == nil || *ed.Crop != *e.Crop {
		t.Errorf("stored edits %s", run.Input.Edits)
	}

	// A follow-up is bound to the first run.
	fu, err := s.FollowUp(ctx, "Is the QT interval prolonged?", RunOptions{})
	if err != nil || fu.Stored.ParentUID != run.Stored.UID || fu.Stored.ModelInputUID != run.Input.UID {
		t.Fatalf("follow-up %+v %v", fu, err)
	}
	ag, err := s.Again(ctx, RunOptions{})
	if err != nil || ag.Stored.Task != "again" || !ag.Result.Resample {
		t.Fatalf("again %+v %v", ag, err)
	}
	// Changing the edits marks the answer as made from another input.
	if s.InputChanged() {
		t.Error("input changed before any change")
	}
	e.Rotation = 1.5
	s.SetEdits(e)
	if !s.InputChanged() {
		t.Error("input not marked changed after new edits")
	}
	d, err := wf.Store.CaseDetail(ctx, s.Case().UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 3 || len(d.ModelInputs) != 1 || len(d.Documents) != 1 {
		t.Errorf("case holds %d runs, %d inputs, %d documents", len(d.Runs), len(d.ModelInputs), len(d.Documents))
	}
}

func TestWorkflowCancelKeepsCheckpointedPartial(t *testing.T) {
	srv := ollamatest.New(t)
	srv.Gate()
	wf := newWorkflow(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := wf.OpenNew(ctx, testECG, storage.Case{PatientRef: "K-221"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var runUID string
	var midway storage.Run
	var mu sync.Mutex
	third := make(chan struct{})
	ro := RunOptions{
		OnStart: func(r *Result) error { return nil },
		OnChunk: func(c Chunk) {
			if c.Index == 2 {
				close(third)
			}
		},
	}
	done := make(chan *Run)
	go func() {
		run, err := s.Ask(ctx, "pulse", Question{Task: TaskRhythm}, ro)
		if err != nil {
			t.Error(err)
		}
		done <- run
	}()
	srv.Release(3)
	<-third
	// While it streams the run is in the log, running, with its text so far.
	d, _ := wf.Store.CaseDetail(context.Background(), s.Case().UID)
	mu.Lock()
	if len(d.Runs) == 1 {
		midway, runUID = d.Runs[0], d.Runs[0].UID
	}
	mu.Unlock()
	cancel()
	run := <-done
	if midway.Outcome != storage.OutcomeRunning || midway.Answer == "" {
		t.Errorf("midway the log holds %+v, want a running run with its text so far", midway)
	}
	if run.Stored.UID != runUID || run.Stored.Outcome != storage.OutcomeCancelled {
		t.Fatalf("stored %+v", run.Stored)
	}
	words := strings.Fields(ollamatest.DefaultAnswer)
	if run.Stored.Answer != strings.Join(words[:3], " ") {
		t.Errorf("partial answer %q", run.Stored.Answer)
	}
	// Closed once: closing again fails.
	if _, err := wf.Store.CloseRun(context.Background(), runUID, storage.RunResult{Outcome: storage.OutcomeFailed}); !errors.Is(err, storage.ErrRunClosed) {
		t.Errorf("second close: %v", err)
	}
}

func TestWorkflowFaultsAndRefusals(t *testing.T) {
	srv := ollamatest.New(t)
	srv.AddModel(ollamatest.TextModel("llama3.2:1b"))
	wf := newWorkflow(t, srv)
	ctx := context.Background()
	s, err := wf.OpenNew(ctx, testECG, storage.Case{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Ask(ctx, "llama3.2:1b", Question{Task: TaskReport}, RunOptions{}); !errors.Is(err, ErrNoVision) {
		t.Fatalf("text model: %v", err)
	}
	if _, err := s.FollowUp(ctx, "and?", RunOptions{}); err == nil {
		t.Error("follow-up without a first answer")
	}
	srv.SetFaults(ollamatest.Faults{DropAfter: 4})
	run, err := s.Ask(ctx, "pulse", Question{Task: TaskReport}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Stored.Outcome != storage.OutcomeFailed || !strings.Contains(run.Stored.Error, "stopped answering") || run.Stored.Answer == "" {
		t.Errorf("dropped stream stored as %+v", run.Stored)
	}
	d, _ := wf.Store.CaseDetail(ctx, s.Case().UID)
	if len(d.Runs) != 1 {
		t.Errorf("%d runs stored; the refused text-model run must not be one", len(d.Runs))
	}
	// A run that cannot be recorded is not asked.
	s2, err := wf.OpenNew(ctx, testECG, storage.Case{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := wf.Store.DeleteCase(ctx, s2.Case().UID, "tester", "test"); err != nil {
		t.Fatal(err)
	}
	before := len(srv.ChatRequests())
	if _, err := s2.Ask(ctx, "pulse", Question{Task: TaskReport}, RunOptions{}); err == nil {
		t.Error("asked about a deleted case")
	}
	if len(srv.ChatRequests()) != before {
		t.Error("a run that could not be recorded reached the server")
	}
	if _, err := wf.OpenNew(ctx, "testdata/missing.png", storage.Case{}); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
}

func TestWorkflowResume(t *testing.T) {
	srv := ollamatest.New(t)
	wf := newWorkflow(t, srv)
	ctx := context.Background()
	s, err := wf.OpenNew(ctx, testECG, storage.Case{PatientRef: "R-1"})
	if err != nil {
		t.Fatal(err)
	}
	e := viewer.NewEdits()
	e.QuarterTurns = 1
	s.SetEdits(e)
	first, _, err := s.Prepare(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	r, err := wf.Resume(ctx, s.Case().UID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Edits().QuarterTurns != 1 || r.Document().UID != s.Document().UID {
		t.Errorf("resumed edits %+v document %s", r.Edits(), r.Document().UID)
	}
	again, _, err := r.Prepare(ctx, 0)
	if err != nil || again.SHA256 != first.SHA256 {
		t.Errorf("the resumed case prepares a different input: %v", err)
	}
	tmp := r.tmpPath
	r.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary copy %s left behind", tmp)
	}
	if _, err := wf.Resume(ctx, "00000000000000000000000000000000"); err == nil {
		t.Error("resumed a case that does not exist")
	}
}
