package viewer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSniffRecordings(t *testing.T) {
	sig := filepath.Join(sharedData(t), "signals")
	for _, name := range []string{"00001_lr.hea", "100.hea", "E07500.hea", "s0010_re.hea", "HR06002.hea"} {
		b, err := os.ReadFile(filepath.Join(sig, name))
		if err != nil {
			t.Fatal(err)
		}
		if k, err := sniff(b); k != KindWFDB {
			t.Errorf("%s: %q %v, want wfdb", name, k, err)
		}
	}
	dcm, err := os.ReadFile(filepath.Join(sig, "dicom", "anonymous_ecg.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := sniff(dcm[:4096]); k != KindDICOM {
		t.Errorf("DICOM sniffed as %q", k)
	}
	for _, text := range []string{"hello world\n", "name 12 abc\nx\n", "Patient: ZEBRA\nHR 60\n"} {
		if _, err := sniff([]byte(text)); !errors.Is(err, ErrNotDocument) {
			t.Errorf("%q: %v, want ErrNotDocument", text, err)
		}
	}
}

func TestTrailingDataAfterImageIsAllowed(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"eik_ecg00016.jpg", "eik_ecg00054.png"} {
		b, err := os.ReadFile(sample(t, name))
		if err != nil {
			t.Fatal(err)
		}
		// a motion photo appends a video after the picture
		p := filepath.Join(dir, "motion-"+name)
		os.WriteFile(p, append(b, make([]byte, 64<<10)...), 0o644)
		d, err := Open(p)
		if err != nil {
			t.Fatalf("%s with trailing data: %v", name, err)
		}
		if _, err := d.Render(0, 0); err != nil {
			t.Errorf("%s with trailing data: %v", name, err)
		}
		d.Close()
		// cut inside the entropy-coded data: truncated, found at open
		p = filepath.Join(dir, "cut-"+name)
		os.WriteFile(p, b[:len(b)*2/3], 0o644)
		if _, err := Open(p); !errors.Is(err, ErrTruncated) {
			t.Errorf("%s cut short: %v, want ErrTruncated", name, err)
		}
	}
}
