package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testPNG makes a small real PNG whose pixels depend on seed.
func testPNG(t testing.TB, w, h int, seed byte) []byte {
	t.Helper()
	b, err := makePNG(w, h, seed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func makePNG(w, h int, seed byte) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{byte(x) ^ seed, byte(y) + seed, byte(x*y) ^ seed, 255})
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func TestEveryPooledConnectionHasThePragmas(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const n = 6
	conns := make([]*sql.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := s.DB().Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, c := range conns {
		var fk, syncMode, busy int
		var journal string
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || syncMode != 2 || journal != "wal" || busy <= 0 {
			t.Errorf("connection %d: foreign_keys=%d synchronous=%d journal_mode=%s busy_timeout=%d; want 1, 2, wal, >0", i, fk, syncMode, journal, busy)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestFileModes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, err := s.CreateCase(ctx, Case{PatientRef: "MODE-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveReportVersion(ctx, c.UID, "sinus rhythm", "Dr A"); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "b", "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.Path(), s.Path() + "-wal", s.Path() + "-shm", backup} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	fi, err := os.Stat(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestOpenRefusesNewerLogAndNonLogs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(p)
	var tooNew *ErrTooNew
	if !errors.As(err, &tooNew) || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), p) {
		t.Fatalf("opening a newer log: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("this is a text file, not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(junk); err == nil || !strings.Contains(err.Error(), junk) || !strings.Contains(err.Error(), "not") {
		t.Fatalf("opening a text file: %v", err)
	}
}

// schemaOf lists the schema objects of a log, for comparing two logs.
func schemaOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + name + "\n")
	}
	return b.String()
}

func TestMigrationsFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	fresh := openTest(t)
	want := schemaOf(t, fresh.DB())
	if !strings.Contains(want, "table cases") || !strings.Contains(want, "table tombstones") {
		t.Fatalf("fresh schema lacks tables:\n%s", want)
	}
	for from := 0; from <= len(migrations); from++ {
		p := filepath.Join(t.TempDir(), "old.db")
		if err := prepareFile(p); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite3", dsn(p, false))
		if err != nil {
			t.Fatal(err)
		}
		if err := migrate(ctx, db, p, from); err != nil {
			t.Fatalf("migrating to %d: %v", from, err)
		}
		if from >= 1 {
			// A case written by the old version must survive the upgrade.
			if _, err := db.Exec(`INSERT INTO cases (uid, created_at, updated_at, patient_ref) VALUES ('0123456789abcdef0123456789abcdef', 1, 1, 'OLD-1')`); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s, err := Open(p)
		if err != nil {
			t.Fatalf("opening a version %d log: %v", from, err)
		}
		var v int
		if err := s.DB().QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != SchemaVersion() {
			t.Errorf("from %d: user_version %d, want %d", from, v, SchemaVersion())
		}
		if got := schemaOf(t, s.DB()); got != want {
			t.Errorf("from %d: schema differs from a fresh log:\n%s\nwant\n%s", from, got, want)
		}
		if from >= 1 {
			c, err := s.GetCase(ctx, "0123456789abcdef0123456789abcdef")
			if err != nil || c.PatientRef != "OLD-1" {
				t.Errorf("from %d: old case: %+v %v", from, c, err)
			}
			// It is listed and found by search after the upgrade, with a new case.
			if _, err := s.CreateCase(ctx, Case{PatientRef: "NEW-2"}); err != nil {
				t.Fatal(err)
			}
			if p, err := s.Search(ctx, "old", Filter{}); err != nil || len(p.Cases) != 1 || p.Cases[0].PatientRef != "OLD-1" {
				t.Errorf("from %d: search for the old case: %+v %v", from, p, err)
			}
			if p, err := s.ListCases(ctx, Filter{}); err != nil || len(p.Cases) != 2 || p.Cases[0].PatientRef != "NEW-2" {
				t.Errorf("from %d: listing: %+v %v", from, p, err)
			}
		}
		s.Close()
	}
}

// newCaseWithInput makes a case, a document and a model input.
func newCaseWithInput(t testing.TB, s *Store, ref string) (Case, ModelInput) {
	t.Helper()
	ctx := context.Background()
	age := 54
	c, err := s.CreateCase(ctx, Case{PatientRef: ref, Age: &age, Sex: "f", Context: "chest pain since morning", Tags: []string{"ward 3", "chest pain", "ward 3"}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.PutDocument(ctx, c.UID, "scan.png", "image/png", 1, testPNG(t, 64, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.AddModelInput(ctx, ModelInput{CaseUID: c.UID, DocumentUID: doc.UID, PNG: testPNG(t, 32, 24, 2),
		Edits: []byte(`{"version":1,"rotation_degrees":-1.5}`), DPI: 200, PxPerMMX: 7.87, PxPerMMY: 7.87, Scale: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	return c, in
}

func TestCaseRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, in := newCaseWithInput(t, s, "ZEBRA-14")
	if !validUID(c.UID) || c.Status != StatusDraft || c.Sex != "F" || len(c.Tags) != 2 {
		t.Fatalf("created case: %+v", c)
	}
	got, err := s.GetCase(ctx, c.UID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PatientRef != "ZEBRA-14" || *got.Age != 54 || got.Tags[0] != "chest pain" || got.Tags[1] != "ward 3" || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("stored case: %+v", got)
	}
	got.Context = "new context"
	got.Tags = []string{"follow-up"}
	up, err := s.UpdateCase(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if up.Context != "new context" || len(up.Tags) != 1 || up.Tags[0] != "follow-up" {
		t.Errorf("updated case: %+v", up)
	}
	d, err := s.CaseDetail(ctx, c.UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Documents) != 1 || len(d.ModelInputs) != 1 {
		t.Fatalf("detail: %+v", d)
	}
	mi := d.ModelInputs[0]
	if !bytes.Equal(mi.PNG, in.PNG) || mi.SHA256 != SHA256Hex(in.PNG) || mi.Width != 32 || mi.Height != 24 || string(mi.Edits) != `{"version":1,"rotation_degrees":-1.5}` || mi.DocumentUID != d.Documents[0].UID || mi.Scale != 0.5 {
		t.Errorf("model input: %+v", mi)
	}
	// The same document stored twice is kept once.
	again, err := s.PutDocument(ctx, c.UID, "scan.png", "image/png", 1, testPNG(t, 64, 48, 1))
	if err != nil || again.UID != d.Documents[0].UID {
		t.Errorf("second store of the same document: %+v %v", again, err)
	}
	if _, err := s.AddModelInput(ctx, ModelInput{CaseUID: c.UID, PNG: []byte("not a png")}); err == nil {
		t.Error("a model input that is not a PNG was accepted")
	}
	if _, err := s.GetCase(ctx, newUID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
	if u, err := s.ResolveCase(ctx, c.UID[:8]); err != nil || u != c.UID {
		t.Errorf("resolve prefix: %q %v", u, err)
	}
}

func TestRunTriggers(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, in := newCaseWithInput(t, s, "RUN-1")
	r, err := s.StartRun(ctx, Run{CaseUID: c.UID, ModelInputUID: in.UID, Model: "pulse", ModelDigest: "sha256:abc", Task: "report", Prompt: "Please write a clinical report based on this ECG image."})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckpointRun(ctx, r.UID, "Sinus"); err != nil {
		t.Fatal(err)
	}
	// While running, only the answer and outcome may change.
	if _, err := s.DB().Exec(`UPDATE runs SET model = 'other' WHERE uid = ?`, r.UID); err == nil {
		t.Error("changing the model of a running run was allowed")
	}
	if _, err := s.DB().Exec(`DELETE FROM runs WHERE uid = ?`, r.UID); err == nil {
		t.Error("deleting a running run was allowed")
	}
	closed, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeComplete, Answer: "Sinus rhythm. Normal ECG.", DoneReason: "stop", AnswerTokens: 7})
	if err != nil {
		t.Fatal(err)
	}
	if closed.Outcome != OutcomeComplete || closed.Answer != "Sinus rhythm. Normal ECG." || closed.FinishedAt.IsZero() || closed.ModelInputUID != in.UID {
		t.Errorf("closed run: %+v", closed)
	}
	// Closed: nothing changes any more, by the API or by hand.
	if _, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeFailed}); !errors.Is(err, ErrRunClosed) {
		t.Errorf("second close: %v", err)
	}
	if err := s.CheckpointRun(ctx, r.UID, "x"); !errors.Is(err, ErrRunClosed) {
		t.Errorf("checkpoint after close: %v", err)
	}
	for _, q := range []string{
		`UPDATE runs SET answer = 'changed' WHERE uid = ?`,
		`UPDATE runs SET outcome = 'running', finished_at = NULL WHERE uid = ?`,
		`DELETE FROM runs WHERE uid = ?`,
	} {
		if _, err := s.DB().Exec(q, r.UID); err == nil || !strings.Contains(err.Error(), "runs:") {
			t.Errorf("%s: %v", q, err)
		}
	}
	// Other immutable rows.
	for _, q := range []string{
		`UPDATE model_inputs SET edits = '{}'`,
		`DELETE FROM model_inputs`,
		`UPDATE documents SET name = 'x'`,
		`DELETE FROM documents`,
		`UPDATE blobs SET size = 1`,
		`DELETE FROM blobs`,
		`DELETE FROM cases`,
		`UPDATE cases SET uid = '0123456789abcdef0123456789abcdef'`,
	} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
	got, err := s.GetRun(ctx, r.UID)
	if err != nil || got.Answer != "Sinus rhythm. Normal ECG." || got.Model != "pulse" {
		t.Errorf("run after refused changes: %+v %v", got, err)
	}
}

func TestReportVersionsAccumulate(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, _ := newCaseWithInput(t, s, "REP-1")
	if err := s.SaveDraft(ctx, c.UID, "Sinus rh", "Dr A"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDraft(ctx, c.UID, "Sinus rhythm", "Dr A"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Draft(ctx, c.UID); err != nil || d == nil || d.Body != "Sinus rhythm" {
		t.Fatalf("draft: %+v %v", d, err)
	}
	v1, err := s.SaveReportVersion(ctx, c.UID, "Sinus rhythm.", "Dr A")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Draft(ctx, c.UID); d != nil {
		t.Errorf("draft kept after a save: %+v", d)
	}
	v2, err := s.SignOff(ctx, c.UID, "Sinus rhythm. Normal ECG.", "Dr A")
	if err != nil {
		t.Fatal(err)
	}
	v3, err := s.SaveReportVersion(ctx, c.UID, "Sinus rhythm. Normal ECG. Compare with old tracing.", "Dr B")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v2.Version != 2 || v3.Version != 3 || !v2.Signed || v1.Signed || !v3.Amendment || v2.Amendment {
		t.Errorf("versions: %+v %+v %+v", v1, v2, v3)
	}
	reps, err := s.Reports(ctx, c.UID)
	if err != nil || len(reps) != 3 || reps[0].Body != "Sinus rhythm." || reps[2].Author != "Dr B" {
		t.Fatalf("reports: %+v %v", reps, err)
	}
	cs, _ := s.GetCase(ctx, c.UID)
	if cs.Status != StatusSigned {
		t.Errorf("case status after sign-off: %s", cs.Status)
	}
	if _, err := s.DB().Exec(`UPDATE reports SET body = 'x'`); err == nil {
		t.Error("editing a report version was allowed")
	}
	if _, err := s.DB().Exec(`UPDATE cases SET status = 'draft'`); err == nil {
		t.Error("un-signing a case was allowed")
	}
	if _, err := s.SaveReportVersion(ctx, c.UID, "x", ""); err == nil {
		t.Error("a report without author was accepted")
	}
}

func TestMeasurements(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, in := newCaseWithInput(t, s, "MEAS-1")
	m, err := s.AddMeasurement(ctx, Measurement{CaseUID: c.UID, ModelInputUID: in.UID, Kind: "QT", Value: 412, Unit: "ms",
		Points: []byte(`[{"x":0.1,"y":0.5},{"x":0.2,"y":0.5}]`), Calibration: []byte(`{"px_per_mm_x":7.87,"source":"grid"}`), Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.CaseDetail(ctx, c.UID)
	if err != nil || len(d.Measurements) != 1 {
		t.Fatal(d.Measurements, err)
	}
	got := d.Measurements[0]
	if got.UID != m.UID || got.Value != 412 || !got.Confirmed || string(got.Points) != `[{"x":0.1,"y":0.5},{"x":0.2,"y":0.5}]` || got.ModelInputUID != in.UID {
		t.Errorf("measurement: %+v", got)
	}
}

func TestDeleteLeavesTombstone(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c1, in1 := newCaseWithInput(t, s, "DEL-1")
	c2, _ := newCaseWithInput(t, s, "KEEP-2") // shares the document and input bytes
	own, err := s.AddModelInput(ctx, ModelInput{CaseUID: c1.UID, PNG: testPNG(t, 10, 10, 99)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.StartRun(ctx, Run{CaseUID: c1.UID, ModelInputUID: in1.UID, Model: "pulse"})
	if _, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeComplete, Answer: "ok"}); err != nil {
		t.Fatal(err)
	}
	s.SignOff(ctx, c1.UID, "report", "Dr A")
	s.AddMeasurement(ctx, Measurement{CaseUID: c1.UID, ModelInputUID: in1.UID, Kind: "RR", Value: 800, Unit: "ms"})
	if _, err := s.DeleteCase(ctx, c1.UID, "", ""); err == nil {
		t.Error("delete without who and why was accepted")
	}
	ts, err := s.DeleteCase(ctx, c1.UID, "Dr A", "wrong patient")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCase(ctx, c1.UID); !errors.Is(err, ErrDeleted) {
		t.Errorf("deleted case: %v", err)
	}
	tss, err := s.Tombstones(ctx)
	if err != nil || len(tss) != 1 || tss[0].CaseUID != c1.UID || tss[0].DeletedBy != "Dr A" || tss[0].Reason != "wrong patient" || !tss[0].DeletedAt.Equal(ts.DeletedAt) {
		t.Errorf("tombstones: %+v %v", tss, err)
	}
	if _, err := s.Blob(ctx, own.SHA256); !errors.Is(err, ErrNotFound) {
		t.Errorf("the deleted case's own image is still stored: %v", err)
	}
	d2, err := s.CaseDetail(ctx, c2.UID)
	if err != nil || len(d2.ModelInputs) != 1 || !bytes.Equal(d2.ModelInputs[0].PNG, in1.PNG) {
		t.Errorf("the other case lost its shared image: %v", err)
	}
	for _, table := range []string{"runs", "reports", "measurements", "documents", "model_inputs", "case_tags"} {
		var n int
		s.DB().QueryRow(`SELECT count(*) FROM `+table+` WHERE case_id = (SELECT id FROM cases WHERE uid = ?)`, c1.UID).Scan(&n)
		if n != 0 {
			t.Errorf("%s rows left: %d", table, n)
		}
	}
	if _, err := s.CreateCase(ctx, Case{UID: c1.UID}); err == nil {
		t.Error("a deleted case came back")
	}
	if _, err := s.DB().Exec(`DELETE FROM tombstones`); err == nil {
		t.Error("deleting a tombstone was allowed")
	}
}

func TestOrphanedRunsInterruptedOnlyWhenOwnerGone(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	ctx := context.Background()
	a, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := newCaseWithInput(t, a, "ORPH-1")
	live, err := a.StartRun(ctx, Run{CaseUID: c.UID, Model: "pulse"})
	if err != nil {
		t.Fatal(err)
	}
	// A run owned by a process that no longer exists (pid far beyond pid_max).
	a.owner = strings.Split(thisOwner, "/")[0] + "/2147483600/1"
	gone, err := a.StartRun(ctx, Run{CaseUID: c.UID, Model: "pulse"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CheckpointRun(ctx, gone.UID, "partial answ"); err != nil {
		t.Fatal(err)
	}
	a.owner = thisOwner
	// A second store on the same log (as a second window would be) closes
	// only the dead process's run.
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r1, _ := b.GetRun(ctx, live.UID)
	r2, _ := b.GetRun(ctx, gone.UID)
	if r1.Outcome != OutcomeRunning {
		t.Errorf("live process's run: %s", r1.Outcome)
	}
	if r2.Outcome != OutcomeInterrupted || r2.Answer != "partial answ" || r2.FinishedAt.IsZero() {
		t.Errorf("dead process's run: %+v", r2)
	}
	if err := a.CheckpointRun(ctx, live.UID, "still going"); err != nil {
		t.Errorf("checkpoint of the live run: %v", err)
	}
}

func TestBackgroundIntegrityCheckAndClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := filepath.Join(t.TempDir(), FileName)
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	newCaseWithInput(t, s, "CHECK-1")
	<-s.IntegrityDone()
	if res := s.Integrity(); !res.OK() || res.CheckedAt.IsZero() {
		t.Errorf("background check: %+v", res)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A log closed while its check still runs stops the check and leaks nothing.
	s, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A damaged page is reported, not hidden.
	s, err = OpenWith(p, Options{SkipBackgroundCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Integrity().State != IntegrityPending {
		t.Errorf("state before any check: %s", s.Integrity().State)
	}
	s.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	s.Close()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	garbage := bytes.Repeat([]byte{0xA5}, 4096)
	// Overwrite the middle of the file (not the header) with garbage pages.
	if _, err := f.WriteAt(garbage, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err = OpenWith(p, Options{SkipBackgroundCheck: true})
	if err != nil {
		t.Logf("damaged log refused at open: %v", err)
		return // refusing to open a damaged log is acceptable too
	}
	defer s.Close()
	res, err := s.IntegrityCheck(context.Background())
	t.Logf("check of a damaged log: %+v %v", res, err)
	if err == nil && res.OK() {
		t.Errorf("a damaged log passed the check: %+v", res)
	}
	if err := s.Backup(context.Background(), filepath.Join(t.TempDir(), "b.db")); err == nil {
		t.Error("a damaged log was backed up")
	}
}
