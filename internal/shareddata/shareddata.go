// Package shareddata finds the real ECG printouts and recordings that tests
// and benchmarks use: the folder data/ in $PULSEDESK_SHARED, else the first
// shared/data found walking up from the working directory (a clone with
// shared/ beside it). A test fails, never skips, when the folder is missing.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the data folder (holding images/ and signals/).
func Dir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("PULSEDESK_SHARED"); s != "" {
		d := filepath.Join(s, "data")
		if _, err := os.Stat(filepath.Join(d, "images")); err == nil {
			return d
		}
		t.Fatalf("PULSEDESK_SHARED=%s has no data/images", s)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		d := filepath.Join(dir, "shared", "data")
		if _, err := os.Stat(filepath.Join(d, "images")); err == nil {
			return d
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared/data (real ECG printouts and recordings) not found above the working directory; set PULSEDESK_SHARED")
		}
		dir = parent
	}
}

// Image returns the path of a real printout in images/.
func Image(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(t), "images", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real printout missing: %v", err)
	}
	return p
}
