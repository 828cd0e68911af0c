package ecgpaper

import (
	"pulsedesk/internal/shareddata"

	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedSignals is the folder of real recordings.
func sharedSignals(t testing.TB) string {
	t.Helper()
	return filepath.Join(shareddata.Dir(t), "signals")
}

func mustRead(t testing.TB, path string) *Record {
	t.Helper()
	r, err := ReadRecord(path)
	if err != nil {
		t.Fatalf("ReadRecord(%s): %v", path, err)
	}
	return r
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Every header of the shared data, with what its comments say.
var headerFacts = []struct {
	name    string
	fs      float64
	nsig    int
	age     int
	sex     string
	dx      []string
	nsamp   int
	first12 bool
}{
	{"00001_lr", 100, 12, -1, "", nil, 1000, true},
	{"100", 360, 2, 69, "Male", nil, 650000, false},
	{"E07500", 500, 12, 78, "Male", []string{"67741000119109", "426177001"}, 5000, true},
	{"E07504", 500, 12, 69, "Male", []string{"111975006"}, 5000, true},
	{"E07505", 500, 12, 77, "Female", []string{"164873001"}, 5000, true},
	{"E07509", 500, 12, 71, "Male", []string{"59118001", "426177001"}, 5000, true},
	{"E07514", 500, 12, 29, "Male", []string{"427084000", "426434006", "59931005"}, 5000, true},
	{"HR06002", 500, 12, 29, "Male", []string{"426177001", "426783006", "713426002"}, 5000, true},
	{"HR06004", 500, 12, 28, "Male", []string{"426783006"}, 5000, true},
	{"JS20005", 500, 12, 83, "Male", []string{"284470004", "89792004", "427084000", "427172004"}, 5000, true},
	{"JS20008", 500, 12, 5, "Male", []string{"284470004", "427393009"}, 5000, true},
	{"JS20017", 500, 12, 89, "Female", []string{"284470004", "164930006", "427084000", "55827005", "59931005", "698252002", "365413008", "164934002"}, 5000, true},
	{"s0010_re", 1000, 15, 81, "Female", nil, 38400, true},
}

func TestReadEveryRecord(t *testing.T) {
	dir := sharedSignals(t)
	for _, f := range headerFacts {
		t.Run(f.name, func(t *testing.T) {
			r := mustRead(t, filepath.Join(dir, f.name+".hea"))
			if r.Name != f.name || r.Fs != f.fs || len(r.Leads) != f.nsig || r.Age != f.age || r.Sex != f.sex {
				t.Fatalf("got name %q fs %g leads %d age %d sex %q; want %q %g %d %d %q",
					r.Name, r.Fs, len(r.Leads), r.Age, r.Sex, f.name, f.fs, f.nsig, f.age, f.sex)
			}
			if r.Samples() != f.nsamp {
				t.Errorf("samples %d, want %d", r.Samples(), f.nsamp)
			}
			var codes []string
			for _, d := range r.Dx {
				codes = append(codes, d.Code)
				if d.Name == "" {
					t.Errorf("diagnosis %s has no name", d.Code)
				}
			}
			if strings.Join(codes, ",") != strings.Join(f.dx, ",") {
				t.Errorf("dx %v, want %v", codes, f.dx)
			}
			if f.first12 {
				for i, n := range StandardLeads {
					if r.Leads[i].Name != n {
						t.Errorf("lead %d is %q, want %q", i, r.Leads[i].Name, n)
					}
				}
			}
		})
	}
}

func TestKnownValues(t *testing.T) {
	// Sample 0 of every lead equals the header's initial value / gain, and
	// a few later samples are checked against the raw bytes by hand.
	r := mustRead(t, filepath.Join("testdata", "00001_lr.hea"))
	wantFirst := []float64{-0.119, -0.055, 0.064, 0.086, -0.091, 0.004, -0.069, -0.031, 0, -0.026, -0.039, -0.079}
	for i, w := range wantFirst {
		if !near(r.Leads[i].MV[0], w, 1e-12) {
			t.Errorf("00001_lr %s[0] = %g, want %g", r.Leads[i].Name, r.Leads[i].MV[0], w)
		}
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "00001_lr.dat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{1, 500, 999} {
		for c := 0; c < 12; c++ {
			d := int16(binary.LittleEndian.Uint16(raw[2*(s*12+c):]))
			if !near(r.Leads[c].MV[s], float64(d)/1000, 1e-12) {
				t.Errorf("00001_lr lead %d sample %d = %g, want %g", c, s, r.Leads[c].MV[s], float64(d)/1000)
			}
		}
	}
	// Challenge .mat: values at sample 0 are the header's initial values.
	h := mustRead(t, filepath.Join("testdata", "HR06004.hea"))
	for i, w := range []float64{0.170, 0.275, 0.105, -0.223, 0.032, 0.190, -0.395, -0.090, 0.270, 0.335, 0.325, 0.325} {
		if !near(h.Leads[i].MV[0], w, 1e-12) {
			t.Errorf("HR06004 %s[0] = %g, want %g", h.Leads[i].Name, h.Leads[i].MV[0], w)
		}
	}
	// PTB s0010_re: 2000 adu/mV, Frank leads from the .xyz file.
	dir := sharedSignals(t)
	s := mustRead(t, filepath.Join(dir, "s0010_re.hea"))
	if !near(s.Leads[0].MV[0], -489.0/2000, 1e-12) || !near(s.Leads[14].MV[0], -18.0/2000, 1e-12) {
		t.Errorf("s0010_re first samples %g %g", s.Leads[0].MV[0], s.Leads[14].MV[0])
	}
	if s.Leads[12].Name != "VX" || s.Leads[14].Name != "VZ" {
		t.Errorf("Frank leads named %q %q", s.Leads[12].Name, s.Leads[14].Name)
	}
	// MIT-BIH 212: first MLII sample (995-1024)/200.
	m := mustRead(t, filepath.Join(dir, "100.hea"))
	if !near(m.Leads[0].MV[0], (995.0-1024)/200, 1e-12) || !near(m.Leads[1].MV[0], (1011.0-1024)/200, 1e-12) {
		t.Errorf("100 first samples %g %g", m.Leads[0].MV[0], m.Leads[1].MV[0])
	}
	if m.Leads[0].Name != "MLII" || m.Leads[1].Name != "V5" {
		t.Errorf("100 leads %q %q", m.Leads[0].Name, m.Leads[1].Name)
	}
}

func TestHeaderDialectsAgree(t *testing.T) {
	names := []string{"E07500", "E07504", "E07505", "E07509", "E07514", "HR06002", "HR06004", "JS20005", "JS20008", "JS20017"}
	for _, n := range names {
		a, err := os.ReadFile(filepath.Join("testdata", n+".hea"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("testdata", "normalized", n+".hea"))
		if err != nil {
			t.Fatal(err)
		}
		ra, err := ParseWFDBHeader(a)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		rb, err := ParseWFDBHeader(b)
		if err != nil {
			t.Fatalf("%s normalized: %v", n, err)
		}
		if ra.Name != rb.Name || ra.Fs != rb.Fs || ra.Age != rb.Age || ra.Sex != rb.Sex || len(ra.Leads) != len(rb.Leads) || len(ra.Dx) != len(rb.Dx) {
			t.Errorf("%s: dialects differ: %+v vs %+v", n, ra, rb)
			continue
		}
		for i := range ra.Dx {
			if ra.Dx[i] != rb.Dx[i] {
				t.Errorf("%s: dx %v vs %v", n, ra.Dx[i], rb.Dx[i])
			}
		}
		for i := range ra.Leads {
			if ra.Leads[i].Name != rb.Leads[i].Name {
				t.Errorf("%s: lead %d %q vs %q", n, i, ra.Leads[i].Name, rb.Leads[i].Name)
			}
		}
	}
	// And the signals read through both headers are the same samples.
	for _, n := range []string{"HR06004", "JS20005", "E07500"} {
		dir := t.TempDir()
		b, _ := os.ReadFile(filepath.Join("testdata", "normalized", n+".hea"))
		m, _ := os.ReadFile(filepath.Join("testdata", n+".mat"))
		os.WriteFile(filepath.Join(dir, n+".hea"), b, 0o644)
		os.WriteFile(filepath.Join(dir, n+".mat"), m, 0o644)
		ra := mustRead(t, filepath.Join("testdata", n+".hea"))
		rb := mustRead(t, filepath.Join(dir, n+".hea"))
		for i := range ra.Leads {
			for k := range ra.Leads[i].MV {
				if ra.Leads[i].MV[k] != rb.Leads[i].MV[k] {
					t.Fatalf("%s lead %d sample %d differs: %g vs %g", n, i, k, ra.Leads[i].MV[k], rb.Leads[i].MV[k])
				}
			}
		}
	}
}

func TestLeadNames(t *testing.T) {
	for in, want := range map[string]string{
		"i": "I", "ii": "II", "avr": "aVR", "AVL": "aVL", "aVF": "aVF", "v1": "V1", "V6": "V6",
		"MLII": "MLII", "Lead I (Einthoven)": "I", "Lead aVR": "aVR", "lead v4r": "V4R", " vx ": "VX",
	} {
		if got := NormalizeLeadName(in); got != want {
			t.Errorf("NormalizeLeadName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDxTable(t *testing.T) {
	name, ab, ok := DxName("426783006")
	if !ok || name != "sinus rhythm" || ab != "NSR" {
		t.Errorf("426783006 = %q %q %v", name, ab, ok)
	}
	if _, _, ok := DxName("123"); ok {
		t.Error("unknown code found")
	}
	if n := len(DxCodes()); n < 100 {
		t.Errorf("table holds %d codes", n)
	}
}

// readATR reads the sample positions and codes of an MIT annotation file.
func readATR(t *testing.T, path string) (samples []int, codes []int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for i := 0; i+1 < len(b); i += 2 {
		w := binary.LittleEndian.Uint16(b[i:])
		a, n := int(w>>10), int(w&0x3ff)
		switch a {
		case 0:
			if n == 0 {
				return
			}
		case 59: // SKIP: a 32-bit interval follows (PDP-11 order)
			if i+6 > len(b) {
				return
			}
			hi := int(binary.LittleEndian.Uint16(b[i+2:]))
			lo := int(binary.LittleEndian.Uint16(b[i+4:]))
			pos += int(int32(hi<<16 | lo))
			i += 4
		case 60, 61, 62:
		case 63: // AUX: n bytes, padded to even
			i += (n + 1) &^ 1
		default:
			pos += n
			samples = append(samples, pos)
			codes = append(codes, a)
		}
	}
	return
}

func TestMITBIH212BeatsAreRPeaks(t *testing.T) {
	dir := sharedSignals(t)
	r := mustRead(t, filepath.Join(dir, "100.hea"))
	samples, codes := readATR(t, filepath.Join(dir, "100.atr"))
	mlii := r.Leads[0].MV
	beats, hits := 0, 0
	for i, s := range samples {
		if codes[i] != 1 || s < 40 || s+40 >= len(mlii) { // normal beats
			continue
		}
		beats++
		best := s - 36
		for k := s - 36; k <= s+36; k++ { // ±100 ms
			if mlii[k] > mlii[best] {
				best = k
			}
		}
		if abs(best-s) <= 10 { // within 28 ms
			hits++
		}
	}
	if beats < 2000 {
		t.Fatalf("only %d normal beats annotated", beats)
	}
	if float64(hits) < 0.97*float64(beats) {
		t.Errorf("only %d of %d annotated beats sit on an MLII maximum", hits, beats)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestDICOM(t *testing.T) {
	dir := sharedSignals(t)
	r := mustRead(t, filepath.Join(dir, "dicom", "anonymous_ecg.dcm"))
	if r.Fs != 1000 || r.Samples() != 10000 || len(r.Leads) != 12 {
		t.Fatalf("fs %g samples %d leads %d", r.Fs, r.Samples(), len(r.Leads))
	}
	for i, n := range StandardLeads {
		if r.Leads[i].Name != n {
			t.Errorf("lead %d is %q, want %q", i, r.Leads[i].Name, n)
		}
	}
	if r.Age != 42 || r.Sex != "Female" {
		t.Errorf("age %d sex %q", r.Age, r.Sex)
	}
	if !strings.Contains(strings.Join(r.Comments, "|"), "RITMO SINUSALE") {
		t.Errorf("interpretation missing from comments %q", r.Comments)
	}
	// R waves in II, V5 of a normal ECG: 0.3-3 mV peak-to-peak, and
	// Einthoven's law I + III = II holds to a few tens of microvolts.
	for _, n := range []string{"II", "V5"} {
		l, _ := r.Lead(n)
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, v := range l.MV {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		if mx-mn < 0.3 || mx-mn > 3 {
			t.Errorf("%s spans %.3f mV", n, mx-mn)
		}
	}
	l1, _ := r.Lead("I")
	l2, _ := r.Lead("II")
	l3, _ := r.Lead("III")
	worst := 0.0
	for k := range l1.MV {
		worst = math.Max(worst, math.Abs(l1.MV[k]+l3.MV[k]-l2.MV[k]))
	}
	if worst > 0.05 {
		t.Errorf("I + III - II reaches %.3f mV", worst)
	}
}

func TestChecksumMismatchIsAnError(t *testing.T) {
	dir := t.TempDir()
	h, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.hea"))
	d, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.dat"))
	d[100] ^= 0x10
	os.WriteFile(filepath.Join(dir, "00001_lr.hea"), h, 0o644)
	os.WriteFile(filepath.Join(dir, "00001_lr.dat"), d, 0o644)
	_, err := ReadRecord(filepath.Join(dir, "00001_lr.hea"))
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "00001_lr.dat") {
		t.Fatalf("want a checksum error naming the file, got %v", err)
	}
}

func TestBadInputErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"short.hea":   "rec 2 500 5000\nrec.dat 16 200 16 0 0 0 0 I\n",
		"nodat.hea":   "nodat 1 500 5000\nnodat.dat 16 200 16 0 0 0 0 I\n",
		"fmt.hea":     "fmt 1 500 10\nfmt.dat 999 200 16 0 0 0 0 I\n",
		"escape.hea":  "escape 1 500 10\n../etc.dat 16 200 16 0 0 0 0 I\n",
		"huge.hea":    "huge 1 500 999999999999\nhuge.dat 16\n",
		"notecg.txt":  "hello world",
		"binary.hea":  "\x00\x01\x02",
		"fmt.dat":     "",
		"trunc.hea":   "trunc 1 500 100\ntrunc.dat 16 200 16 0 0 0 0 I\n",
		"trunc.dat":   "abcd",
		"segment.hea": "seg/2 1 500 100\n",
	}
	for n, c := range cases {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	for _, n := range []string{"short.hea", "nodat.hea", "fmt.hea", "escape.hea", "huge.hea", "notecg.txt", "binary.hea", "trunc.hea", "segment.hea", "missing.hea"} {
		p := filepath.Join(dir, n)
		_, err := ReadRecord(p)
		if err == nil {
			t.Errorf("%s: no error", n)
			continue
		}
		if !strings.Contains(err.Error(), n) && !strings.Contains(err.Error(), strings.TrimSuffix(n, ".hea")) {
			t.Errorf("%s: error does not name the file: %v", n, err)
		}
	}
	// A DICOM file cut short.
	b, err := os.ReadFile(filepath.Join(sharedSignals(t), "dicom", "anonymous_ecg.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{140, 1000, len(b) / 2, len(b) - 10} {
		p := filepath.Join(dir, "cut.dcm")
		os.WriteFile(p, b[:cut], 0o644)
		if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), "cut.dcm") {
			t.Errorf("DICOM cut at %d: %v", cut, err)
		}
	}
}

func FuzzReadWFDBHeader(f *testing.F) {
	for _, n := range []string{"00001_lr", "100", "E07500", "HR06004", "JS20005", "s0010_re"} {
		b, err := os.ReadFile(filepath.Join("testdata", n+".hea"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("x 1 250/10(3) 10\nx.dat 212x2:1+7 200(-3)/uV 12 0 0 0 0 lead\n"))
	f.Add([]byte("x 2 360 20\nx.dat 212 200 11 1024 0 0 0 MLII\nx.dat 212 200 11 1024 0 0 0 V5\n"))
	f.Add([]byte("x 3 500 8\nx.dat 24+4 1000/mV 16 0 0 0 0 I\nx.dat 24+4 1000/mV 16 0 0 0 0 II\nx.mat 16+24 1000/mv 16 0 0 0 0 III\n"))
	// The header is also read with signal files beside it, so the
	// sample decoding sees whatever the header claims.
	dir := f.TempDir()
	dat := make([]byte, 240)
	for i := range dat {
		dat[i] = byte(i * 37)
	}
	mat, err := os.ReadFile(filepath.Join("testdata", "HR06004.mat"))
	if err != nil {
		f.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "x.dat"), dat, 0o644)
	os.WriteFile(filepath.Join(dir, "x.mat"), mat[:2000], 0o644)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseWFDBHeader(b)
		if err != nil {
			return
		}
		if r.Fs <= 0 || len(r.Leads) > maxSignals {
			t.Fatalf("accepted fs %g with %d leads", r.Fs, len(r.Leads))
		}
		hea := filepath.Join(dir, "x.hea")
		if err := os.WriteFile(hea, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if rec, err := ReadWFDB(hea); err == nil {
			for _, l := range rec.Leads {
				if len(l.MV) > 240 {
					t.Fatalf("%d samples from 240 bytes", len(l.MV))
				}
			}
		} else if !strings.Contains(err.Error(), "x.") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func FuzzReadDICOM(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(sharedSignals(f), "dicom", "anonymous_ecg.dcm"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:1024])
	f.Add(synthDICOM(true, 16, [][2]int{{1, 2}, {3, 4}, {5, 6}}))
	f.Add(synthDICOM(false, 8, [][2]int{{1, 2}, {3, 4}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeDICOM(b)
	})
}
