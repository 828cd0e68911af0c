package storage

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSearch: whatever is typed into the search box, the search answers
// without an error (no FTS5 syntax reaches the user).
func FuzzSearch(f *testing.F) {
	s, err := OpenWith(filepath.Join(f.TempDir(), FileName), Options{SkipBackgroundCheck: true})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.CreateCase(ctx, Case{PatientRef: "K-221 Иванов", Context: "sinus rhythm"}); err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"sinus", `"`, `K-221`, `a OR b`, `NEAR(a b)`, `*`, `col:x`, `-x`, `^a`, `(`, `ив`, "\x00", "a\"b c*"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := s.Search(ctx, q, Filter{Limit: 5}); err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}

// FuzzImportBundle: a damaged or hostile bundle is refused with an error,
// never a panic, and a refused bundle adds no case.
func FuzzImportBundle(f *testing.F) {
	ctx := context.Background()
	src, err := OpenWith(filepath.Join(f.TempDir(), "src.db"), Options{SkipBackgroundCheck: true})
	if err != nil {
		f.Fatal(err)
	}
	c, err := src.CreateCase(ctx, Case{PatientRef: "FUZZ-1"})
	if err != nil {
		f.Fatal(err)
	}
	png, err := makePNG(8, 8, 3)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := src.AddModelInput(ctx, ModelInput{CaseUID: c.UID, PNG: png}); err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if _, err := src.ExportBundle(ctx, &good, nil, BundleOptions{}); err != nil {
		f.Fatal(err)
	}
	src.Close()
	f.Add(good.Bytes())
	f.Add([]byte("PK\x03\x04 not really"))
	f.Add([]byte{})
	dst, err := OpenWith(filepath.Join(f.TempDir(), "dst.db"), Options{SkipBackgroundCheck: true})
	if err != nil {
		f.Fatal(err)
	}
	defer dst.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := dst.ImportBundle(ctx, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if st.CasesAdded != 0 && !strings.Contains(err.Error(), "case") {
				t.Errorf("refused bundle reported %d added cases: %v", st.CasesAdded, err)
			}
			if errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		}
	})
}
