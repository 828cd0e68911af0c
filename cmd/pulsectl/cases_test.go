package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pulsedesk/storage"
)

// seedLog makes a case log in dir with one interpreted, reported case.
func seedLog(t *testing.T, dir string) storage.Case {
	t.Helper()
	st, err := storage.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	c, err := st.CreateCase(ctx, storage.Case{PatientRef: "Петров K-221", Context: "dizziness", Tags: []string{"ward3"}})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 120, 60))
	for x := 0; x < 120; x++ {
		img.Set(x, 30+x%7, color.NRGBA{A: 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	in, err := st.AddModelInput(ctx, storage.ModelInput{CaseUID: c.UID, PNG: b.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.StartRun(ctx, storage.Run{CaseUID: c.UID, ModelInputUID: in.UID, Model: "pulse", ModelDigest: "sha256:feed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseRun(ctx, r.UID, storage.RunResult{Outcome: storage.OutcomeComplete, Answer: "Complete heart block."}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SignOff(ctx, c.UID, "Third degree AV block.", "Dr K"); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCasesListSearchShow(t *testing.T) {
	dir := t.TempDir()
	c := seedLog(t, dir)
	code, out, errOut := pulsectl(t, "cases", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "Петров K-221") || !strings.Contains(out, c.UID) || !strings.Contains(out, "signed") {
		t.Fatalf("list: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = pulsectl(t, "cases", "list", "--status", "draft", "--data", dir)
	if code != 0 || !strings.Contains(out, "no cases") {
		t.Errorf("list --status draft: %d %s", code, out)
	}
	code, out, _ = pulsectl(t, "cases", "search", "heart", "--json", "--data", dir)
	var p storage.Page
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || len(p.Cases) != 1 || p.Cases[0].UID != c.UID {
		t.Errorf("search in answers: %d %s", code, out)
	}
	code, out, _ = pulsectl(t, "cases", "search", "--tag", "ward3", "петров", "--data", dir)
	if code != 0 || !strings.Contains(out, c.UID) {
		t.Errorf("search with tag: %d %s", code, out)
	}
	code, out, _ = pulsectl(t, "cases", "show", c.UID[:8], "--data", dir)
	if code != 0 || !strings.Contains(out, "Complete heart block.") || !strings.Contains(out, "report version 1 (signed) by Dr K") {
		t.Errorf("show: %d %s", code, out)
	}
	code, out, _ = pulsectl(t, "cases", "show", c.UID, "--json", "--data", dir)
	var d storage.CaseDetail
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Case.UID != c.UID || len(d.Runs) != 1 || d.Runs[0].ModelDigest != "sha256:feed" {
		t.Errorf("show --json: %d %s", code, out)
	}
	code, _, errOut = pulsectl(t, "cases", "show", "00000000", "--data", dir)
	if code != 1 || !strings.Contains(errOut, storage.PathIn(dir)) || !strings.Contains(errOut, "not found") {
		t.Errorf("show unknown: %d %s", code, errOut)
	}
	for _, bad := range [][]string{{"cases"}, {"cases", "bogus"}, {"cases", "list", "x"}, {"cases", "search"}, {"cases", "list", "--from", "yesterday"}, {"cases", "show"}} {
		if code, _, _ := pulsectl(t, append(bad, "--data", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestCasesExportImportBackupRestoreDelete(t *testing.T) {
	dir := t.TempDir()
	c := seedLog(t, dir)
	work := t.TempDir()
	pdf := filepath.Join(work, "case.pdf")
	if code, _, errOut := pulsectl(t, "cases", "export", c.UID, "--pdf", pdf, "--data", dir); code != 0 {
		t.Fatalf("export pdf: %s", errOut)
	}
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("PDF: %v", err)
	}
	if fi, _ := os.Stat(pdf); fi.Mode().Perm() != 0o600 {
		t.Errorf("PDF mode %v", fi.Mode().Perm())
	}
	bundle := filepath.Join(work, "cases.zip")
	if code, out, errOut := pulsectl(t, "cases", "export", "--bundle", bundle, "--data", dir); code != 0 || !strings.Contains(out, "1 case(s)") {
		t.Fatalf("export bundle: %s %s", out, errOut)
	}
	other := t.TempDir()
	code, out, errOut := pulsectl(t, "cases", "import", bundle, "--data", other)
	if code != 0 || !strings.Contains(out, "1 new case(s)") {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	code, out, _ = pulsectl(t, "cases", "import", bundle, "--json", "--data", other)
	var st storage.ImportStats
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.CasesAdded != 0 || st.Runs != 0 || st.CasesUnchanged != 1 {
		t.Errorf("second import: %d %s", code, out)
	}
	if code, _, errOut := pulsectl(t, "cases", "import", pdf, "--data", other); code != 1 || !strings.Contains(errOut, pdf) {
		t.Errorf("importing a PDF: %d %s", code, errOut)
	}
	backup := filepath.Join(work, "backup.db")
	if code, _, errOut := pulsectl(t, "cases", "backup", backup, "--data", dir); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v %v", fi, err)
	}
	// Delete needs who, why and confirmation.
	if code, _, _ := pulsectl(t, "cases", "delete", c.UID, "--by", "Dr K", "--reason", "test", "--data", dir); code != 2 {
		t.Errorf("delete without --yes: %d", code)
	}
	if code, _, _ := pulsectl(t, "cases", "delete", c.UID, "--yes", "--data", dir); code != 2 {
		t.Errorf("delete without --by/--reason: %d", code)
	}
	if code, out, errOut := pulsectl(t, "cases", "delete", c.UID[:10], "--by", "Dr K", "--reason", "wrong patient", "--yes", "--data", dir); code != 0 || !strings.Contains(out, "tombstone") {
		t.Fatalf("delete: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := pulsectl(t, "cases", "show", c.UID, "--data", dir); code != 1 || !strings.Contains(errOut, "deleted") {
		t.Errorf("show deleted: %d %s", code, errOut)
	}
	// Restore brings the backed-up case back (the backup predates the deletion).
	if code, _, _ := pulsectl(t, "cases", "restore", backup, "--data", dir); code != 2 {
		t.Errorf("restore without --yes: %d", code)
	}
	code, out, errOut = pulsectl(t, "cases", "restore", backup, "--yes", "--data", dir)
	if code != 0 || !strings.Contains(out, "kept as") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if code, out, _ := pulsectl(t, "cases", "list", "--data", dir); code != 0 || !strings.Contains(out, c.UID) {
		t.Errorf("after restore: %s", out)
	}
	if fi, err := os.Stat(storage.PathIn(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored log mode: %v %v", fi, err)
	}
	junk := filepath.Join(work, "junk.db")
	os.WriteFile(junk, []byte("junk"), 0o600)
	if code, _, errOut := pulsectl(t, "cases", "restore", junk, "--yes", "--data", dir); code != 1 || !strings.Contains(errOut, junk) {
		t.Errorf("restore junk: %d %s", code, errOut)
	}
}
