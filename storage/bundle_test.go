package storage

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func countRows(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"cases", "documents", "model_inputs", "runs", "reports", "measurements", "blobs", "case_tags"} {
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func fullCase(t *testing.T, s *Store, ref string) CaseDetail {
	t.Helper()
	ctx := context.Background()
	c, in := newCaseWithInput(t, s, ref)
	r, err := s.StartRun(ctx, Run{CaseUID: c.UID, ModelInputUID: in.UID, Model: "pulse", ModelDigest: "sha256:d1", Prompt: "q", Options: []byte(`{"temperature":0}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeComplete, Answer: "Sinus rhythm.", AnswerTokens: 3, Load: 12345}); err != nil {
		t.Fatal(err)
	}
	follow, err := s.StartRun(ctx, Run{CaseUID: c.UID, ModelInputUID: in.UID, ParentUID: r.UID, Model: "pulse", Prompt: "and the axis?"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckpointRun(ctx, follow.UID, "Normal ax"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMeasurement(ctx, Measurement{CaseUID: c.UID, ModelInputUID: in.UID, Kind: "QRS", Value: 96, Unit: "ms", Points: []byte(`[1,2]`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveReportVersion(ctx, c.UID, "Sinus rhythm.", "Dr A"); err != nil {
		t.Fatal(err)
	}
	d, err := s.CaseDetail(ctx, c.UID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func exportTo(t *testing.T, s *Store, opt BundleOptions, uids ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := s.ExportBundleFile(context.Background(), p, uids, opt); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	d := fullCase(t, a, "ROUND-1")
	fullCase(t, a, "OTHER-2")
	p := exportTo(t, a, BundleOptions{}, d.Case.UID)
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("bundle file: %v %v", fi.Mode(), err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if strings.Contains(strings.Join(names, " "), "documents/") {
		t.Errorf("original document exported without being asked: %v", names)
	}
	st, err := b.ImportBundleFile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if st.CasesAdded != 1 || st.ModelInputs != 1 || st.Runs != 2 || st.Reports != 1 || st.Measurements != 1 || st.Documents != 0 {
		t.Errorf("import stats: %+v", st)
	}
	got, err := b.CaseDetail(ctx, d.Case.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.ModelInputs[0].PNG, d.ModelInputs[0].PNG) || got.ModelInputs[0].SHA256 != d.ModelInputs[0].SHA256 || string(got.ModelInputs[0].Edits) != string(d.ModelInputs[0].Edits) {
		t.Error("model input image or edits differ after the round trip")
	}
	if got.Case.PatientRef != "ROUND-1" || !got.Case.CreatedAt.Equal(d.Case.CreatedAt) || strings.Join(got.Case.Tags, ",") != strings.Join(d.Case.Tags, ",") {
		t.Errorf("case: %+v\nwant %+v", got.Case, d.Case)
	}
	if len(got.Runs) != 2 || got.Runs[0].Answer != "Sinus rhythm." || got.Runs[0].Load != 12345 || string(got.Runs[0].Options) != `{"temperature":0}` || got.Runs[1].ParentUID != got.Runs[0].UID {
		t.Errorf("runs: %+v", got.Runs)
	}
	if got.Runs[1].Outcome != OutcomeInterrupted || got.Runs[1].Answer != "Normal ax" {
		t.Errorf("a run running at export should arrive interrupted with its checkpoint: %+v", got.Runs[1])
	}
	if len(got.Reports) != 1 || got.Reports[0].UID != d.Reports[0].UID || len(got.Measurements) != 1 || string(got.Measurements[0].Points) != "[1,2]" {
		t.Errorf("reports %+v measurements %+v", got.Reports, got.Measurements)
	}
	// Importing again adds nothing.
	before := countRows(t, b)
	st, err = b.ImportBundleFile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if st.CasesAdded+st.CasesUpdated+st.Runs+st.Reports+st.ModelInputs+st.Measurements+st.Documents != 0 || st.CasesUnchanged != 1 {
		t.Errorf("second import: %+v", st)
	}
	if after := countRows(t, b); !equalCounts(before, after) {
		t.Errorf("second import changed the log: %v -> %v", before, after)
	}
	// Search works on imported cases.
	if pg, _ := b.Search(ctx, "sinus", Filter{}); len(pg.Cases) != 1 {
		t.Errorf("imported case not found by search: %v", uids(pg.Cases))
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestBundleWithOriginals(t *testing.T) {
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	d := fullCase(t, a, "ORIG-1")
	p := exportTo(t, a, BundleOptions{Originals: true})
	st, err := b.ImportBundleFile(ctx, p)
	if err != nil || st.Documents != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	got, _ := b.CaseDetail(ctx, d.Case.UID)
	orig, _ := a.Blob(ctx, d.Documents[0].SHA256)
	data, err := b.DocumentData(ctx, got.Documents[0])
	if err != nil || !bytes.Equal(data, orig) || got.ModelInputs[0].DocumentUID != got.Documents[0].UID {
		t.Errorf("original document differs after the round trip: %v", err)
	}
}

func TestBundleMergesReportVersionsFromTwoLogs(t *testing.T) {
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	d := fullCase(t, a, "MERGE-1")
	if _, err := b.ImportBundleFile(ctx, exportTo(t, a, BundleOptions{})); err != nil {
		t.Fatal(err)
	}
	// Each laptop adds its own version (both become version 2 locally) and a run.
	va, err := a.SignOff(ctx, d.Case.UID, "Sinus rhythm, signed on A.", "Dr A")
	if err != nil {
		t.Fatal(err)
	}
	vb, err := b.SaveReportVersion(ctx, d.Case.UID, "Sinus rhythm, edited on B.", "Dr B")
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := b.StartRun(ctx, Run{CaseUID: d.Case.UID, Model: "pulse"})
	if _, err := b.CloseRun(ctx, rb.UID, RunResult{Outcome: OutcomeCancelled, Answer: "Sin"}); err != nil {
		t.Fatal(err)
	}
	stA, err := a.ImportBundleFile(ctx, exportTo(t, b, BundleOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	stB, err := b.ImportBundleFile(ctx, exportTo(t, a, BundleOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if stA.Reports != 1 || stA.Runs != 1 || stB.Reports != 1 || stB.Runs != 0 || stA.CasesAdded != 0 || stB.CasesAdded != 0 {
		t.Errorf("merge stats: A %+v, B %+v", stA, stB)
	}
	for name, s := range map[string]*Store{"A": a, "B": b} {
		got, err := s.CaseDetail(ctx, d.Case.UID)
		if err != nil {
			t.Fatal(err)
		}
		var ru []string
		for _, r := range got.Reports {
			ru = append(ru, r.UID)
		}
		want := []string{d.Reports[0].UID, va.UID, vb.UID}
		sort.Strings(ru)
		sort.Strings(want)
		if !equalStrings(ru, want) {
			t.Errorf("%s: report versions %v, want %v", name, ru, want)
		}
		seen := map[int]bool{}
		for _, r := range got.Reports {
			if seen[r.Version] {
				t.Errorf("%s: version number %d twice", name, r.Version)
			}
			seen[r.Version] = true
		}
		if len(got.Runs) != 3 || got.Case.Status != StatusSigned {
			t.Errorf("%s: %d runs, status %s", name, len(got.Runs), got.Case.Status)
		}
		var n int
		s.DB().QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
		if n != 1 {
			t.Errorf("%s: %d cases after the merge", name, n)
		}
	}
}

func TestBundleBadInput(t *testing.T) {
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	d := fullCase(t, a, "BAD-1")
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.zip")
	os.WriteFile(junk, []byte("not a zip"), 0o600)
	if _, err := b.ImportBundleFile(ctx, junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk: %v", err)
	}
	// A bundle whose image was altered is refused and changes nothing.
	good := exportTo(t, a, BundleOptions{})
	zr, _ := zip.OpenReader(good)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := readAllClose(rc)
		if strings.HasPrefix(f.Name, "images/") {
			data[len(data)/2] ^= 0xff
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	zr.Close()
	zw.Close()
	bad := filepath.Join(dir, "bad.zip")
	os.WriteFile(bad, buf.Bytes(), 0o600)
	_, err := b.ImportBundleFile(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), bad) {
		t.Errorf("damaged bundle: %v", err)
	}
	if n := countRows(t, b)["cases"]; n != 0 {
		t.Errorf("a damaged bundle added %d cases", n)
	}
	// A case deleted here is not brought back.
	if _, err := b.ImportBundleFile(ctx, good); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteCase(ctx, d.Case.UID, "Dr B", "duplicate"); err != nil {
		t.Fatal(err)
	}
	st, err := b.ImportBundleFile(ctx, good)
	if err != nil || len(st.Deleted) != 1 || st.CasesAdded != 0 {
		t.Errorf("re-import of a deleted case: %+v %v", st, err)
	}
}

func readAllClose(rc interface {
	Read([]byte) (int, error)
	Close() error
}) ([]byte, error) {
	defer rc.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(rc)
	return b.Bytes(), err
}
