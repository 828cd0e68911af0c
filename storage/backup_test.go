package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBackupWhileWritingThenRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, _ := newCaseWithInput(t, s, "BEFORE-BACKUP")
	// A writer keeps saving cases while the backup runs.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := s.CreateCase(ctx, Case{PatientRef: "DURING"}); err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 5 {
		// let the writer get going
		if _, err := s.GetCase(ctx, first.UID); err != nil {
			t.Fatal(err)
		}
	}
	backup := filepath.Join(dir, "backups", "b1.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup: %v %v", fi, err)
	}
	if _, err := os.Stat(backup + ".partial"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial backup left behind: %v", err)
	}
	// Changes after the backup: a deletion and a new case.
	if _, err := s.DeleteCase(ctx, first.UID, "Dr A", "mistake"); err != nil {
		t.Fatal(err)
	}
	after, err := s.CreateCase(ctx, Case{PatientRef: "AFTER-BACKUP"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	target := filepath.Join(dir, FileName)
	kept, err := Restore(ctx, backup, target)
	if err != nil {
		t.Fatal(err)
	}
	if kept == "" {
		t.Fatal("the replaced log was not kept")
	}
	for _, p := range []string{target, kept} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	r, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if res, err := r.IntegrityCheck(ctx); err != nil || !res.OK() {
		t.Fatalf("restored log: %+v %v", res, err)
	}
	d, err := r.CaseDetail(ctx, first.UID)
	if err != nil || len(d.ModelInputs) != 1 {
		t.Errorf("case from before the backup: %v", err)
	}
	if _, err := r.GetCase(ctx, after.UID); !errors.Is(err, ErrNotFound) {
		t.Errorf("case from after the backup: %v", err)
	}
	if p, err := r.Search(ctx, "during", Filter{Limit: 1000}); err != nil || len(p.Cases) == 0 {
		t.Errorf("cases written during the backup: %d %v", len(p.Cases), err)
	}
	// The kept log still has the later state.
	old, err := Open(kept)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.GetCase(ctx, after.UID); err != nil {
		t.Errorf("kept log lost the later case: %v", err)
	}
	old.Close()

	// Bad backups are refused and the log is left alone.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("SQLite format 3\x00 but not really"), 0o600)
	if _, err := Restore(ctx, junk, target); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk backup: %v", err)
	}
	if _, err := Restore(ctx, filepath.Join(dir, "missing.db"), target); err == nil {
		t.Error("missing backup accepted")
	}
	if _, err := r.GetCase(ctx, first.UID); err != nil {
		t.Errorf("log after refused restores: %v", err)
	}
	if err := r.Backup(ctx, target); err == nil {
		t.Error("backing a log up onto itself was accepted")
	}
}

// The integrity check reports a sound log as sound while another goroutine
// keeps saving cases (and so keeps changing the full-text index).
func TestIntegrityCheckDuringWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := s.CreateCase(ctx, Case{PatientRef: "DURING", Context: "chest pain"}); err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()
	for written.Load() < 5 {
		runtime.Gosched()
	}
	for i := 0; i < 5; i++ {
		res, err := s.IntegrityCheck(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != IntegrityOK || len(res.Problems) > 0 {
			t.Fatalf("check %d while writing: %s %v", i, res.State, res.Problems)
		}
	}
}

// A damaged full-text index is still reported.
func TestIntegrityCheckFindsDamagedSearchIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 3; i++ {
		if _, err := s.CreateCase(ctx, Case{PatientRef: "P", Context: "syncope after exercise"}); err != nil {
			t.Fatal(err)
		}
	}
	// Drop the index's term data behind FTS5's back.
	if _, err := s.db.ExecContext(ctx, "DELETE FROM search_index_data WHERE id > 10"); err != nil {
		t.Fatal(err)
	}
	res, err := s.IntegrityCheck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != IntegrityFailed || len(res.Problems) == 0 {
		t.Fatalf("damaged index reported as %s %v", res.State, res.Problems)
	}
	t.Logf("reported: %v", res.Problems)
}
