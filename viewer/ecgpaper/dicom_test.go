package ecgpaper

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dcmBuilder writes a small DICOM file, explicit or implicit VR little endian.
type dcmBuilder struct {
	explicit bool
	b        []byte
}

func (d *dcmBuilder) el(g, e uint16, vr string, v []byte) {
	if len(v)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		v = append(v, pad)
	}
	d.b = binary.LittleEndian.AppendUint16(d.b, g)
	d.b = binary.LittleEndian.AppendUint16(d.b, e)
	if d.explicit || g == 2 {
		d.b = append(d.b, vr...)
		switch vr {
		case "OB", "OW", "SQ", "UN", "UT":
			d.b = append(d.b, 0, 0)
			d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(v)))
		default:
			d.b = binary.LittleEndian.AppendUint16(d.b, uint16(len(v)))
		}
	} else {
		d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(v)))
	}
	d.b = append(d.b, v...)
}

// seq writes a sequence of undefined length whose items are built by fns.
func (d *dcmBuilder) seq(g, e uint16, items ...func(*dcmBuilder)) {
	d.b = binary.LittleEndian.AppendUint16(d.b, g)
	d.b = binary.LittleEndian.AppendUint16(d.b, e)
	if d.explicit {
		d.b = append(d.b, "SQ\x00\x00"...)
	}
	d.b = binary.LittleEndian.AppendUint32(d.b, 0xFFFFFFFF)
	for _, it := range items {
		sub := &dcmBuilder{explicit: d.explicit}
		it(sub)
		d.b = append(d.b, 0xFE, 0xFF, 0x00, 0xE0)
		d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(sub.b))) // defined-length item
		d.b = append(d.b, sub.b...)
	}
	d.b = append(d.b, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0)
}

func u16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// synthDICOM builds a two-channel waveform ECG: lead II and V1, sample k of
// channel c is raw[k][c], sensitivity 2.5 uV with correction 0.8 and
// baseline 3.
func synthDICOM(explicit bool, bits int, raw [][2]int) []byte {
	ts := "1.2.840.10008.1.2.1"
	if !explicit {
		ts = "1.2.840.10008.1.2"
	}
	meta := &dcmBuilder{explicit: true}
	meta.el(2, 0x10, "UI", []byte(ts))
	d := &dcmBuilder{explicit: explicit}
	d.el(0x10, 0x30, "DA", []byte("19800301"))
	d.el(0x10, 0x40, "CS", []byte("M"))
	d.el(0x08, 0x20, "DA", []byte("20200215"))
	interp := "SS"
	var data []byte
	for _, s := range raw {
		for _, v := range s {
			if bits == 8 {
				data = append(data, byte(int8(v)))
			} else {
				data = binary.LittleEndian.AppendUint16(data, uint16(int16(v)))
			}
		}
	}
	if bits == 8 {
		interp = "SB"
	}
	channel := func(meaning string) func(*dcmBuilder) {
		return func(c *dcmBuilder) {
			c.seq(0x3A, 0x208, func(s *dcmBuilder) {
				s.el(8, 0x100, "SH", []byte("x"))
				s.el(8, 0x104, "LO", []byte(meaning))
			})
			c.el(0x3A, 0x210, "DS", []byte("2.5"))
			c.seq(0x3A, 0x211, func(s *dcmBuilder) { s.el(8, 0x100, "SH", []byte("uV")) })
			c.el(0x3A, 0x212, "DS", []byte("0.8"))
			c.el(0x3A, 0x213, "DS", []byte("3"))
		}
	}
	d.seq(0x5400, 0x100, func(g *dcmBuilder) {
		g.el(0x3A, 0x5, "US", u16(2))
		g.el(0x3A, 0x10, "UL", u32(uint32(len(raw))))
		g.el(0x3A, 0x1A, "DS", []byte("500"))
		g.seq(0x3A, 0x200, channel("Lead II"), channel("Lead V1"))
		g.el(0x5400, 0x1004, "US", u16(uint16(bits)))
		g.el(0x5400, 0x1006, "CS", []byte(interp))
		g.el(0x5400, 0x1010, "OW", data)
	})
	out := make([]byte, 128)
	out = append(out, "DICM"...)
	out = append(out, meta.b...)
	return append(out, d.b...)
}

func TestSyntheticDICOM(t *testing.T) {
	raw := make([][2]int, 50)
	for k := range raw {
		raw[k] = [2]int{int(100 * math.Sin(float64(k)/4)), int(-90 * math.Cos(float64(k)/3))}
	}
	for _, c := range []struct {
		explicit bool
		bits     int
	}{{true, 16}, {false, 16}, {true, 8}} {
		b := synthDICOM(c.explicit, c.bits, raw)
		r, err := decodeDICOM(b)
		if err != nil {
			t.Fatalf("explicit %v bits %d: %v", c.explicit, c.bits, err)
		}
		if r.Fs != 500 || len(r.Leads) != 2 || r.Leads[0].Name != "II" || r.Leads[1].Name != "V1" || r.Age != 39 || r.Sex != "Male" {
			t.Fatalf("fs %g leads %d %q age %d sex %q", r.Fs, len(r.Leads), r.Leads[0].Name, r.Age, r.Sex)
		}
		for k := range raw {
			for ch := 0; ch < 2; ch++ {
				want := float64(raw[k][ch]+3) * 2.5 * 0.8 / 1000
				if !near(r.Leads[ch].MV[k], want, 1e-12) {
					t.Fatalf("explicit %v bits %d sample %d ch %d: %g, want %g", c.explicit, c.bits, k, ch, r.Leads[ch].MV[k], want)
				}
			}
		}
	}
	// Bad files: not a waveform, an unsupported transfer syntax.
	dir := t.TempDir()
	nowf := synthDICOM(true, 16, raw)
	i := strings.Index(string(nowf), "\x00\x54\x00\x01")
	nowf[i+2] = 0x02 // (5400,0100) -> (5400,0200)
	p := filepath.Join(dir, "nowave.dcm")
	os.WriteFile(p, nowf, 0o644)
	if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), "nowave.dcm") || !strings.Contains(err.Error(), "Waveform Sequence") {
		t.Errorf("no waveform: %v", err)
	}
	be := synthDICOM(true, 16, raw)
	j := strings.Index(string(be), "1.2.840.10008.1.2.1")
	copy(be[j:], "1.2.840.10008.1.2.2")
	p = filepath.Join(dir, "bigendian.dcm")
	os.WriteFile(p, be, 0o644)
	if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), "transfer syntax") {
		t.Errorf("big endian: %v", err)
	}
}
