package ecgpaper

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encodeSamples writes interleaved samples in a WFDB format.
func encodeSamples(t *testing.T, format int, flat []int32) []byte {
	var b []byte
	switch format {
	case 16:
		for _, v := range flat {
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(v)))
		}
	case 61:
		for _, v := range flat {
			b = binary.BigEndian.AppendUint16(b, uint16(int16(v)))
		}
	case 160:
		for _, v := range flat {
			b = binary.LittleEndian.AppendUint16(b, uint16(v+32768))
		}
	case 80:
		for _, v := range flat {
			b = append(b, uint8(v+128))
		}
	case 24:
		for _, v := range flat {
			b = append(b, byte(v), byte(v>>8), byte(v>>16))
		}
	case 32:
		for _, v := range flat {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	case 212:
		for i := 0; i < len(flat); i += 2 {
			a := uint32(flat[i]) & 0xfff
			c := uint32(0)
			if i+1 < len(flat) {
				c = uint32(flat[i+1]) & 0xfff
			}
			b = append(b, byte(a), byte(a>>8&0x0f|(c>>4&0xf0)), byte(c))
		}
	default:
		t.Fatalf("no encoder for %d", format)
	}
	return b
}

func TestSignalFormatsRoundTrip(t *testing.T) {
	const n = 301 // odd, so 212 ends with half a pair
	ranges := map[int]int32{16: 30000, 61: 30000, 160: 30000, 80: 120, 24: 8000000, 32: 2000000000, 212: 2000}
	for format, amp := range ranges {
		t.Run(fmt.Sprint(format), func(t *testing.T) {
			dir := t.TempDir()
			// Two signals in one file, sample-interleaved.
			flat := make([]int32, 2*n)
			for k := 0; k < n; k++ {
				flat[2*k] = int32(float64(amp) * math.Sin(float64(k)/9))
				flat[2*k+1] = int32(float64(amp) * math.Cos(float64(k)/5) * 0.7)
			}
			sums := [2]int64{}
			for k, v := range flat {
				sums[k%2] += int64(v)
			}
			data := encodeSamples(t, format, flat)
			if err := os.WriteFile(filepath.Join(dir, "r.dat"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			// Signal 0: gain 200 adu/mV with baseline -7; signal 1: 5 adu/uV, baseline from ADC zero 11.
			hea := fmt.Sprintf("r 2 360 %d\nr.dat %d 200(-7)/mV 12 0 %d %d 0 avl\nr.dat %d 5/uV 12 11 %d %d 0 V4R\n",
				n, format, flat[0], int16(uint16(sums[0])), format, flat[1], uint16(sums[1]))
			if err := os.WriteFile(filepath.Join(dir, "r.hea"), []byte(hea), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := ReadRecord(filepath.Join(dir, "r.hea"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Leads[0].Name != "aVL" || r.Leads[1].Name != "V4R" || r.Fs != 360 {
				t.Fatalf("leads %q %q fs %g", r.Leads[0].Name, r.Leads[1].Name, r.Fs)
			}
			for k := 0; k < n; k++ {
				w0 := float64(flat[2*k]+7) / 200
				w1 := float64(flat[2*k+1]-11) / 5 / 1000
				if !near(r.Leads[0].MV[k], w0, 1e-9) || !near(r.Leads[1].MV[k], w1, 1e-9) {
					t.Fatalf("sample %d: %g %g, want %g %g", k, r.Leads[0].MV[k], r.Leads[1].MV[k], w0, w1)
				}
			}
		})
	}
}

func TestSeparateFilesAndGaps(t *testing.T) {
	dir := t.TempDir()
	a := encodeSamples(t, 16, []int32{1, 2, -32768, 4})
	b := encodeSamples(t, 16, []int32{10, 20, 30, 40})
	os.WriteFile(filepath.Join(dir, "g.dat"), a, 0o644)
	os.WriteFile(filepath.Join(dir, "g.xyz"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "g.hea"), []byte("g 2 100 4\ng.dat 16 1 16 0 1 -32761 0 i\ng.xyz 16 10 16 0 10 100 0 vx\n"), 0o644)
	r, err := ReadRecord(filepath.Join(dir, "g.dat")) // through the header beside it
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.Leads[0].MV[2]) || r.Leads[0].MV[3] != 4 || r.Leads[1].MV[3] != 4 {
		t.Errorf("got %v %v", r.Leads[0].MV, r.Leads[1].MV)
	}
	// A gap breaks the drawn trace but rendering goes on.
	if _, _, err := Render(r, Options{DPI: 50}); err != nil {
		t.Error(err)
	}
	// A non-voltage signal is left out.
	os.WriteFile(filepath.Join(dir, "g.hea"), []byte("g 2 100 4\ng.dat 16 1/mmHg 16 0 1 -32761 0 ABP\ng.xyz 16 10 16 0 10 100 0 II\n"), 0o644)
	r, err = ReadRecord(filepath.Join(dir, "g.hea"))
	if err != nil || len(r.Leads) != 1 || r.Leads[0].Name != "II" {
		t.Errorf("%v %+v", err, r)
	}
	// MAT header that does not match the WFDB header.
	m, _ := os.ReadFile(filepath.Join("testdata", "HR06004.mat"))
	os.WriteFile(filepath.Join(dir, "m.mat"), m, 0o644)
	os.WriteFile(filepath.Join(dir, "m.hea"), []byte("m 2 500 5000\nm.mat 16+24 1000/mV 16 0 0 0 0 I\nm.mat 16+24 1000/mV 16 0 0 0 0 II\n"), 0o644)
	if _, err := ReadRecord(filepath.Join(dir, "m.hea")); err == nil || !strings.Contains(err.Error(), "12 rows") {
		t.Errorf("MAT mismatch: %v", err)
	}
}

func TestLongCommentBeforeTheRecordLine(t *testing.T) {
	dir := t.TempDir()
	h, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.hea"))
	d, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.dat"))
	long := "# " + strings.Repeat("a long note before the record line ", 20) + "\n"
	os.WriteFile(filepath.Join(dir, "00001_lr.hea"), append([]byte(long), h...), 0o644)
	os.WriteFile(filepath.Join(dir, "00001_lr.dat"), d, 0o644)
	if r, err := ReadRecord(filepath.Join(dir, "00001_lr.hea")); err != nil || len(r.Leads) != 12 {
		t.Fatalf("%v", err)
	}
}

func TestReadFirstSeconds(t *testing.T) {
	dir := sharedSignals(t)
	full := mustRead(t, filepath.Join(dir, "100.hea"))
	head, err := ReadRecordFirst(filepath.Join(dir, "100.hea"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(head.Leads) != 2 || len(head.Leads[0].MV) != 3600 || len(head.Leads[1].MV) != 3600 {
		t.Fatalf("first 10 s: %d leads of %d samples", len(head.Leads), len(head.Leads[0].MV))
	}
	for c := range head.Leads {
		for k, v := range head.Leads[c].MV {
			if v != full.Leads[c].MV[k] {
				t.Fatalf("lead %d sample %d: %g vs %g", c, k, v, full.Leads[c].MV[k])
			}
		}
	}
	// Damage past the window: the window reads, the whole record does not.
	tmp := t.TempDir()
	h, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.hea"))
	d, _ := os.ReadFile(filepath.Join("testdata", "00001_lr.dat"))
	d[len(d)-2] ^= 0x40
	os.WriteFile(filepath.Join(tmp, "00001_lr.hea"), h, 0o644)
	os.WriteFile(filepath.Join(tmp, "00001_lr.dat"), d, 0o644)
	if r, err := ReadRecordFirst(filepath.Join(tmp, "00001_lr.dat"), 2.5); err != nil || r.Samples() != 250 {
		t.Errorf("window read: %v", err)
	}
	if _, err := ReadRecord(filepath.Join(tmp, "00001_lr.hea")); err == nil {
		t.Error("damaged record read whole without a checksum error")
	}
	dcm, err := ReadRecordFirst(filepath.Join(dir, "dicom", "anonymous_ecg.dcm"), 4)
	if err != nil || dcm.Samples() != 4000 {
		t.Errorf("DICOM first 4 s: %v", err)
	}
	if _, err := ReadRecordFirst(filepath.Join(dir, "100.hea"), 0); err == nil {
		t.Error("0 seconds accepted")
	}
}
