package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pulsedesk/interpret"
	"pulsedesk/interpret/ollamatest"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

// waitFor runs queued UI calls until cond holds (background work may go on).
func waitFor(t *testing.T, a *App, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(60 * time.Second)
	for {
		a.testQueue.drain()
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// shownChunks is how many streamed chunks the answer area has painted.
func streamedText(a *App) string { return a.interp.answer.Text }

func caseRuns(t *testing.T, a *App, uid string) []storage.Run {
	t.Helper()
	d, err := a.store.CaseDetail(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return d.Runs
}

func TestInterpretStreamsAndStopKeepsShownText(t *testing.T) {
	srv := ollamatest.New(t)
	a := newTestAppServer(t, srv.URL)
	if !strings.Contains(a.interp.server.Text, "Ollama "+ollamatest.Version) {
		t.Fatalf("server line %q does not show the server", a.interp.server.Text)
	}
	if a.interp.modelSel.Selected == "" {
		t.Fatal("no model chosen although PULSE is installed")
	}
	openTestFile(t, a, smallECG)
	caseUID := a.doc.sess.Case().UID

	srv.Gate()
	a.runInterpretation()
	if a.active == nil {
		t.Fatal("Run started nothing")
	}
	// the answer streams in: one chunk, then three
	srv.Release(1)
	waitFor(t, a, "the first chunk on screen", func() bool { return streamedText(a) != "" })
	first := streamedText(a)
	srv.Release(2)
	if !srv.WaitSent(3, 10*time.Second) {
		t.Fatal("the server did not send three chunks")
	}
	waitFor(t, a, "three chunks on screen", func() bool {
		a.active.mu.Lock()
		n := a.active.chunks
		a.active.mu.Unlock()
		return n == 3 && !a.active.flushing && len(streamedText(a)) > len(first)
	})
	if !strings.HasPrefix(ollamatest.DefaultAnswer, streamedText(a)) {
		t.Fatalf("shown text %q is not the start of the server's answer", streamedText(a))
	}
	if !strings.Contains(a.interp.phase.Text, "Writing") {
		t.Fatalf("phase line %q while text streams", a.interp.phase.Text)
	}
	shown := streamedText(a)
	a.stopInterpretation()
	waitIdle(t, a)
	if a.active != nil {
		t.Fatal("the run is still active after Stop")
	}
	runs := caseRuns(t, a, caseUID)
	if len(runs) != 1 {
		t.Fatalf("%d runs stored, want 1", len(runs))
	}
	if runs[0].Outcome != storage.OutcomeCancelled {
		t.Fatalf("stored outcome %q, want cancelled", runs[0].Outcome)
	}
	if runs[0].Answer != shown {
		t.Fatalf("stored answer %q, shown %q", runs[0].Answer, shown)
	}
	if got := streamedText(a); got != shown {
		t.Fatalf("after Stop the window shows %q, want the kept %q", got, shown)
	}
	if !strings.Contains(a.interp.outcome.Text, "cancelled") {
		t.Fatalf("outcome line %q does not say cancelled", a.interp.outcome.Text)
	}
}

func TestRunLandsInItsCaseWhenTheUserMovesOn(t *testing.T) {
	srv := ollamatest.New(t)
	a := newTestAppServer(t, srv.URL)
	openTestFile(t, a, smallECG)
	first := a.doc.sess.Case().UID
	srv.Gate()
	a.runInterpretation()
	srv.Release(2)
	waitFor(t, a, "text streaming", func() bool { return streamedText(a) != "" })

	// open another printout: a new case, while the run streams
	path, _ := filepath.Abs(filepath.Join("testdata", smallECG))
	a.OpenFile(path)
	waitFor(t, a, "the second document", func() bool { return a.doc != nil && a.doc.sess.Case().UID != first })
	second := a.doc.sess.Case().UID
	if a.active == nil {
		t.Fatal("moving to another case stopped the run")
	}
	srv.Release(10000)
	waitIdle(t, a)
	runs := caseRuns(t, a, first)
	if len(runs) != 1 || runs[0].Outcome != storage.OutcomeComplete || runs[0].Answer != ollamatest.DefaultAnswer {
		t.Fatalf("runs of the first case: %+v", runs)
	}
	if r := caseRuns(t, a, second); len(r) != 0 {
		t.Fatalf("the second case got %d runs", len(r))
	}
	if strings.Contains(streamedText(a), "Example") {
		t.Fatal("the first case's answer is shown on the second case")
	}
	if !strings.Contains(a.statusL.Text, "saved with that case") {
		t.Fatalf("status %q does not say where the run went", a.statusL.Text)
	}
}

func TestSaveAndReopenRestoresCaseExactly(t *testing.T) {
	srv := ollamatest.New(t)
	a := newTestAppServer(t, srv.URL)
	a.settings.Clinician = "Dr A. Mensah"
	openTestFile(t, a, smallECG)
	uid := a.doc.sess.Case().UID
	// crop by drag, turn nothing, brighten a little
	a.setTool(ToolCrop)
	dragOnCanvas(a.canvas, viewer.Point{X: 0.05, Y: 0.12}, viewer.Point{X: 0.95, Y: 0.9})
	waitIdle(t, a)
	a.edit(func(e *viewer.Edits) { e.Contrast = 0.2 }, true, true)
	a.interp.age.SetText("54")
	a.interp.ref.SetText("ZEBRA-14")
	a.runInterpretation()
	waitIdle(t, a)
	if !strings.Contains(a.interp.outcome.Text, "complete") {
		t.Fatalf("outcome %q", a.interp.outcome.Text)
	}
	if !strings.Contains(a.interp.findings.Text, "model estimate") {
		t.Fatalf("findings %q are not labelled as model estimates", a.interp.findings.Text)
	}
	a.saveCase()
	waitIdle(t, a)
	a.report.fillFromAnswer()
	a.report.saveVersion(false)
	waitIdle(t, a)
	wantEdits := cloneEdits(a.doc.edits)
	wantAnswer := streamedText(a)
	wantReport := a.report.editor.Text

	// move to another case, then reopen the first from the case list
	path, _ := filepath.Abs(filepath.Join("testdata", smallECG))
	a.OpenFile(path)
	waitIdle(t, a)
	if a.showingCase(uid) {
		t.Fatal("still on the first case")
	}
	found := false
	for i, c := range a.cases.cases {
		if c.UID == uid {
			found = true
			a.cases.list.Select(i)
		}
	}
	if !found {
		t.Fatal("the saved case is not in the case list")
	}
	waitIdle(t, a)
	if !a.showingCase(uid) {
		t.Fatal("selecting the case did not open it")
	}
	gj, _ := viewer.MarshalEdits(a.doc.edits)
	wj, _ := viewer.MarshalEdits(wantEdits)
	if string(gj) != string(wj) {
		t.Fatalf("edits after reopening %s, want %s", gj, wj)
	}
	if streamedText(a) != wantAnswer {
		t.Fatalf("answer after reopening %q, want %q", streamedText(a), wantAnswer)
	}
	if a.report.editor.Text != wantReport {
		t.Fatalf("report after reopening %q, want %q", a.report.editor.Text, wantReport)
	}
	if a.interp.age.Text != "54" || a.interp.ref.Text != "ZEBRA-14" {
		t.Fatalf("patient fields after reopening: %q %q", a.interp.age.Text, a.interp.ref.Text)
	}
	if strings.Contains(a.interp.inputLine.Text, "Input changed since") {
		t.Fatal("the reopened case says its input changed")
	}
	// the PNG recomputed from the stored document and edits is the one stored
	d, err := a.store.CaseDetail(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	mi := d.ModelInputs[len(d.ModelInputs)-1]
	img, err := a.doc.doc.Render(mi.Page, a.doc.dpi)
	if err != nil {
		t.Fatal(err)
	}
	in, err := interpret.Prepare(viewer.Apply(img, a.doc.edits), max(mi.Width, mi.Height))
	if err != nil {
		t.Fatal(err)
	}
	if in.SHA256 != mi.SHA256 {
		t.Fatalf("recomputed model input %s, stored %s", in.SHA256, mi.SHA256)
	}
	if len(d.Runs) != 1 || d.Runs[0].Answer != wantAnswer || d.Runs[0].ModelInputUID == "" {
		t.Fatalf("stored runs %+v", d.Runs)
	}
	// an edit now marks the answer's input as changed
	a.edit(func(e *viewer.Edits) { e.Invert = true }, true, true)
	waitIdle(t, a)
	a.showRun(a.interp.shown)
	if !strings.Contains(a.interp.inputLine.Text, "Input changed since") {
		t.Fatalf("after an edit the answer says %q", a.interp.inputLine.Text)
	}
}

func TestServerDownIsExplainedAndNothingFreezes(t *testing.T) {
	a := newTestAppServer(t, ollamatest.RefusedURL(t))
	if !strings.Contains(a.interp.server.Text, "ollama serve") {
		t.Fatalf("server line %q does not say how to start the server", a.interp.server.Text)
	}
	openTestFile(t, a, smallECG)
	a.runInterpretation()
	waitIdle(t, a)
	if a.active != nil {
		t.Fatal("a run is still active with the server down")
	}
	if !strings.Contains(a.interp.outcome.Text, "ollama serve") {
		t.Fatalf("outcome %q does not say how to start the server", a.interp.outcome.Text)
	}
	if !a.interp.runBtn.Disabled() == false {
		t.Fatal("Run stays disabled after the failure")
	}
	// the window still works: crop
	a.setTool(ToolCrop)
	dragOnCanvas(a.canvas, viewer.Point{X: 0.2, Y: 0.2}, viewer.Point{X: 0.8, Y: 0.8})
	waitIdle(t, a)
	if a.doc.edits.Crop == nil {
		t.Fatal("cropping failed after the server error")
	}
}

// smallECG is a real but small printout, so the race detector's cost on
// the pixel work stays low in the interpretation tests.
const smallECG = "eik_ecg00016.jpg"
