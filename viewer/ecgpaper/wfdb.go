package ecgpaper

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limits that keep a hostile header from exhausting memory.
const (
	maxSignals = 256
	maxSamples = 1 << 26 // samples per signal
)

// wfdbHeader is a parsed WFDB header (.hea).
type wfdbHeader struct {
	Name     string
	NSig     int
	Fs       float64
	NSamp    int // 0 when not given
	Signals  []wfdbSignal
	Comments []string
}

// wfdbSignal is one signal specification line.
type wfdbSignal struct {
	File        string
	Format      int
	SPF         int // samples per frame
	Offset      int64
	Gain        float64 // adu per physical unit
	Baseline    int
	Units       string
	ADCRes      int
	ADCZero     int
	InitVal     int
	HasInitVal  bool
	Checksum    int
	HasChecksum bool
	Desc        string
}

// ReadWFDB reads a WFDB record from its header (.hea) and the signal files
// the header names (.dat in formats 16, 212, 24, 32, 61, 80, 160, or a MATLAB
// v4 .mat as in the PhysioNet Challenge 2021), which must sit beside it.
// Checksums in the header are verified.
func ReadWFDB(headerPath string) (*Record, error) { return readWFDB(headerPath, 0) }

// ReadWFDBFirst reads only the first seconds of a WFDB record (all of it
// when it is shorter), so a day-long Holter file costs no more than a
// minute of it. Checksums are verified only for signals read whole.
func ReadWFDBFirst(headerPath string, seconds float64) (*Record, error) {
	if !(seconds > 0) {
		return nil, fmt.Errorf("WFDB header %s: %g seconds to read is not positive", headerPath, seconds)
	}
	return readWFDB(headerPath, seconds)
}

func readWFDB(headerPath string, seconds float64) (*Record, error) {
	f, err := os.Open(headerPath)
	if err != nil {
		return nil, fmt.Errorf("WFDB header %s: %w", headerPath, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxHeaderBytes+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("WFDB header %s: %w", headerPath, err)
	}
	if len(data) > maxHeaderBytes {
		return nil, fmt.Errorf("WFDB header %s: larger than %d bytes", headerPath, maxHeaderBytes)
	}
	h, err := parseWFDBHeader(data)
	if err != nil {
		return nil, fmt.Errorf("WFDB header %s: %w", headerPath, err)
	}
	rec := &Record{Name: h.Name, Fs: h.Fs, Age: -1, Comments: h.Comments, Source: headerPath}
	applyComments(rec, h.Comments)
	maxFrames := 0
	if seconds > 0 {
		maxFrames = max(1, int(math.Min(math.Ceil(seconds*h.Fs), maxSamples)))
	}
	if err := readSignals(rec, h, filepath.Dir(headerPath), maxFrames); err != nil {
		return nil, fmt.Errorf("WFDB header %s: %w", headerPath, err)
	}
	return rec, nil
}

// ParseWFDBHeader parses the text of a WFDB header without reading any
// signal file. The Record it returns has the metadata (name, sampling
// frequency, lead names, age, sex, diagnoses) and leads without samples.
func ParseWFDBHeader(data []byte) (*Record, error) {
	h, err := parseWFDBHeader(data)
	if err != nil {
		return nil, err
	}
	rec := &Record{Name: h.Name, Fs: h.Fs, Age: -1, Comments: h.Comments}
	applyComments(rec, h.Comments)
	for _, s := range h.Signals {
		rec.Leads = append(rec.Leads, Lead{Name: NormalizeLeadName(s.Desc)})
	}
	return rec, nil
}

func parseWFDBHeader(data []byte) (*wfdbHeader, error) {
	h := &wfdbHeader{}
	haveRecord := false
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			// Comments before the record line are not part of the record's info.
			if haveRecord {
				h.Comments = append(h.Comments, strings.TrimSpace(line[1:]))
			}
			continue
		}
		if !haveRecord {
			if err := parseRecordLine(h, line); err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			haveRecord = true
			continue
		}
		if len(h.Signals) < h.NSig {
			s, err := parseSignalLine(line)
			if err != nil {
				return nil, fmt.Errorf("line %d (signal %d): %w", i+1, len(h.Signals), err)
			}
			h.Signals = append(h.Signals, s)
			continue
		}
		// Extra non-comment lines after the signals (info strings) are kept.
		h.Comments = append(h.Comments, line)
	}
	if !haveRecord {
		return nil, errors.New("no record line")
	}
	if len(h.Signals) < h.NSig {
		return nil, fmt.Errorf("record line announces %d signals, found %d signal lines", h.NSig, len(h.Signals))
	}
	return h, nil
}

func parseRecordLine(h *wfdbHeader, line string) error {
	f := strings.Fields(line)
	if len(f) < 2 {
		return fmt.Errorf("record line %q: want at least a name and a signal count", line)
	}
	name := f[0]
	if strings.Contains(name, "/") {
		return fmt.Errorf("record %q: multi-segment records are not supported", name)
	}
	// Challenge 2021 headers write the record name with its .mat extension.
	if ext := filepath.Ext(name); strings.EqualFold(ext, ".mat") || strings.EqualFold(ext, ".hea") {
		name = strings.TrimSuffix(name, ext)
	}
	h.Name = name
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return fmt.Errorf("record line: signal count %q is not a number", f[1])
	}
	if n > maxSignals {
		return fmt.Errorf("record line: %d signals is more than %d", n, maxSignals)
	}
	h.NSig = n
	h.Fs = 250 // the WFDB default
	if len(f) >= 3 {
		fs := f[2]
		if i := strings.IndexAny(fs, "/("); i >= 0 {
			fs = fs[:i]
		}
		v, err := strconv.ParseFloat(fs, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) || v > 1e6 {
			return fmt.Errorf("record line: sampling frequency %q is not a positive number", f[2])
		}
		h.Fs = v
	}
	if len(f) >= 4 {
		v, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("record line: sample count %q is not a number", f[3])
		}
		if v > maxSamples {
			return fmt.Errorf("record line: %d samples per signal is more than %d", v, maxSamples)
		}
		h.NSamp = int(v)
	}
	return nil
}

func parseSignalLine(line string) (wfdbSignal, error) {
	var s wfdbSignal
	f := strings.Fields(line)
	if len(f) < 2 {
		return s, fmt.Errorf("signal line %q: want a file name and a format", line)
	}
	s.File = f[0]
	if s.File == "-" || strings.ContainsAny(s.File, `/\`) || s.File == "." || s.File == ".." {
		return s, fmt.Errorf("signal file %q: only files beside the header are read", s.File)
	}
	// format[xspf][:skew][+offset]
	fm := f[1]
	if i := strings.IndexByte(fm, '+'); i >= 0 {
		off, err := strconv.ParseInt(fm[i+1:], 10, 64)
		if err != nil || off < 0 {
			return s, fmt.Errorf("format %q: bad byte offset", f[1])
		}
		s.Offset = off
		fm = fm[:i]
	}
	if i := strings.IndexByte(fm, ':'); i >= 0 {
		fm = fm[:i] // skew is ignored
	}
	s.SPF = 1
	if i := strings.IndexByte(fm, 'x'); i >= 0 {
		spf, err := strconv.Atoi(fm[i+1:])
		if err != nil || spf < 1 {
			return s, fmt.Errorf("format %q: bad samples per frame", f[1])
		}
		s.SPF = spf
		fm = fm[:i]
	}
	v, err := strconv.Atoi(fm)
	if err != nil {
		return s, fmt.Errorf("format %q is not a number", f[1])
	}
	s.Format = v
	s.Gain = 200
	s.Units = "mV"
	baselineGiven := false
	if len(f) >= 3 {
		g := f[2]
		if i := strings.IndexByte(g, '/'); i >= 0 {
			s.Units = g[i+1:]
			g = g[:i]
		}
		if i := strings.IndexByte(g, '('); i >= 0 {
			j := strings.IndexByte(g, ')')
			if j < i {
				return s, fmt.Errorf("gain %q: unclosed baseline", f[2])
			}
			b, err := strconv.Atoi(g[i+1 : j])
			if err != nil {
				return s, fmt.Errorf("gain %q: baseline is not a number", f[2])
			}
			s.Baseline = b
			baselineGiven = true
			g = g[:i]
		}
		gv, err := strconv.ParseFloat(g, 64)
		if err != nil || math.IsNaN(gv) || math.IsInf(gv, 0) || gv < 0 {
			return s, fmt.Errorf("gain %q is not a number", f[2])
		}
		if gv != 0 {
			s.Gain = gv
		}
	}
	ints := []*int{&s.ADCRes, &s.ADCZero, &s.InitVal, &s.Checksum}
	for k := 0; k < 4 && 3+k < len(f); k++ {
		v, err := strconv.Atoi(f[3+k])
		if err != nil {
			return s, fmt.Errorf("field %d %q is not a number", 4+k, f[3+k])
		}
		*ints[k] = v
		switch k {
		case 2:
			s.HasInitVal = true
		case 3:
			s.HasChecksum = true
		}
	}
	if !baselineGiven {
		s.Baseline = s.ADCZero
	}
	if len(f) >= 9 {
		s.Desc = strings.Join(f[8:], " ")
	}
	return s, nil
}

// unitScale converts a physical unit to millivolts; ok is false for a unit
// that is not a voltage.
func unitScale(u string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "mv":
		return 1, true
	case "uv", "µv", "μv":
		return 1e-3, true
	case "nv":
		return 1e-6, true
	case "v":
		return 1e3, true
	}
	return 0, false
}

// applyComments takes age, sex and diagnoses from header comments in the
// Challenge dialects ("Age: 78", "#Age: 78", "age: 81") and the MIT-BIH
// one ("69 M 1085 1629 x1").
func applyComments(rec *Record, comments []string) {
	for i, c := range comments {
		key, val, ok := strings.Cut(c, ":")
		if ok {
			switch strings.ToLower(strings.TrimSpace(key)) {
			case "age":
				rec.Age = parseAge(val)
			case "sex", "gender":
				rec.Sex = normalizeSex(val)
			case "dx":
				for _, code := range strings.Split(val, ",") {
					if code = strings.TrimSpace(code); code != "" {
						rec.Dx = append(rec.Dx, newDiagnosis(code))
					}
				}
			}
			continue
		}
		if i == 0 && rec.Age < 0 && rec.Sex == "" {
			f := strings.Fields(c)
			if len(f) >= 2 {
				if a, err := strconv.Atoi(f[0]); err == nil && a >= 0 && a < 130 {
					if sx := normalizeSex(f[1]); sx != "" {
						rec.Age, rec.Sex = a, sx
					}
				}
			}
		}
	}
}

func parseAge(s string) int {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 150 {
		return -1
	}
	return int(v)
}

// maxSignalBytes bounds the samples read from one signal file at once.
const maxSignalBytes = 512 << 20

// bytesFor is the number of bytes n samples take in a format.
func bytesFor(format, n int) int {
	switch format {
	case 16, 61, 160:
		return 2 * n
	case 212:
		return (n + 1) / 2 * 3
	case 24:
		return 3 * n
	case 32:
		return 4 * n
	}
	return n
}

// readSignals reads the signal files of h into rec: the first maxFrames
// samples of every signal, or all of them when maxFrames is 0. Checksums
// are verified when a whole signal is read.
func readSignals(rec *Record, h *wfdbHeader, dir string, maxFrames int) error {
	// Group signals by file, keeping file order of first appearance.
	type group struct {
		file string
		idx  []int
	}
	var groups []*group
	byFile := map[string]*group{}
	for i, s := range h.Signals {
		g, ok := byFile[s.File]
		if !ok {
			g = &group{file: s.File}
			byFile[s.File] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
	}
	leads := make([]Lead, len(h.Signals))
	keep := make([]bool, len(h.Signals))
	for _, g := range groups {
		path := filepath.Join(dir, g.file)
		first := h.Signals[g.idx[0]]
		for _, i := range g.idx[1:] {
			s := h.Signals[i]
			if s.Format != first.Format || s.Offset != first.Offset {
				return fmt.Errorf("record %s: signals in %s have different formats", h.Name, g.file)
			}
		}
		for _, i := range g.idx {
			if h.Signals[i].SPF != 1 {
				return fmt.Errorf("record %s: signal %d has %d samples per frame (multi-frequency records are not supported)", h.Name, i, h.Signals[i].SPF)
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("record %s: signal file: %w", h.Name, err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("record %s: signal file: %w", h.Name, err)
		}
		size := st.Size()
		offset := first.Offset
		if strings.EqualFold(filepath.Ext(g.file), ".mat") {
			head := make([]byte, min(size, 128))
			if _, err := f.ReadAt(head, 0); err != nil {
				return fmt.Errorf("signal file %s: %w", path, err)
			}
			m, err := parseMAT4Header(head)
			if err != nil {
				return fmt.Errorf("signal file %s: %w", path, err)
			}
			if m.rows != len(g.idx) {
				return fmt.Errorf("signal file %s: MATLAB matrix has %d rows, the header names %d signals", path, m.rows, len(g.idx))
			}
			if offset == 0 {
				offset = int64(m.dataOffset)
			}
			if offset != int64(m.dataOffset) {
				return fmt.Errorf("signal file %s: header byte offset %d, MATLAB data starts at %d", path, offset, m.dataOffset)
			}
			if (first.Format == 16 && m.elem != matInt16) || (first.Format == 32 && m.elem != matInt32) {
				return fmt.Errorf("signal file %s: MATLAB element type %s does not match format %d", path, m.elem, first.Format)
			}
			if h.NSamp == 0 {
				h.NSamp = m.cols
			}
		}
		if offset > size {
			return fmt.Errorf("signal file %s: byte offset %d beyond the end (%d bytes)", path, offset, size)
		}
		nch := len(g.idx)
		avail, err := samplesIn(first.Format, int(min(size-offset, math.MaxInt32*8)))
		if err != nil {
			return fmt.Errorf("signal file %s: %w", path, err)
		}
		frames := avail / nch
		nsamp := h.NSamp
		if nsamp == 0 {
			nsamp = min(frames, maxSamples)
		}
		if frames < nsamp {
			return fmt.Errorf("signal file %s: holds %d samples per signal, the header announces %d", path, frames, nsamp)
		}
		full := true
		if maxFrames > 0 && maxFrames < nsamp {
			nsamp, full = maxFrames, false
		}
		need := bytesFor(first.Format, nsamp*nch)
		if need > maxSignalBytes {
			return fmt.Errorf("signal file %s: %d MB of samples is more than the %d MB read at once (read the first seconds only)", path, need>>20, maxSignalBytes>>20)
		}
		body := make([]byte, need)
		if _, err := f.ReadAt(body, offset); err != nil {
			return fmt.Errorf("signal file %s: %w", path, err)
		}
		flat, missing := decodeSamples(first.Format, body, nsamp*nch)
		for c, si := range g.idx {
			s := h.Signals[si]
			var sum int64
			for k := 0; k < nsamp; k++ {
				sum += int64(flat[k*nch+c])
			}
			if full && s.HasChecksum && uint16(sum) != uint16(s.Checksum) {
				return fmt.Errorf("signal file %s: checksum mismatch for signal %d (%s): header says %d, data sums to %d", path, si, s.Desc, s.Checksum, int16(uint16(sum)))
			}
			scale, ok := unitScale(s.Units)
			if !ok {
				continue // not a voltage (respiration, blood pressure, ...)
			}
			mv := make([]float64, nsamp)
			for k := range mv {
				d := flat[k*nch+c]
				if d == missing {
					mv[k] = math.NaN()
					continue
				}
				mv[k] = float64(d-int32(s.Baseline)) / s.Gain * scale
			}
			leads[si] = Lead{Name: NormalizeLeadName(s.Desc), MV: mv}
			keep[si] = true
		}
	}
	for i, l := range leads {
		if keep[i] {
			if l.Name == "" {
				l.Name = fmt.Sprintf("signal %d", i)
			}
			rec.Leads = append(rec.Leads, l)
		}
	}
	if len(rec.Leads) == 0 {
		return fmt.Errorf("record %s: no voltage signals", h.Name)
	}
	return nil
}

// samplesIn is the number of whole samples n bytes hold in a format.
func samplesIn(format, n int) (int, error) {
	switch format {
	case 16, 61, 160:
		return n / 2, nil
	case 80, 8:
		return n, nil
	case 212:
		return n / 3 * 2, nil
	case 24:
		return n / 3, nil
	case 32:
		return n / 4, nil
	}
	return 0, fmt.Errorf("signal format %d is not supported (16, 24, 32, 61, 80, 160, 212 are)", format)
}

// decodeSamples decodes n samples of a format, returning them and the
// format's "invalid sample" value.
func decodeSamples(format int, b []byte, n int) ([]int32, int32) {
	out := make([]int32, n)
	switch format {
	case 16:
		for i := range out {
			out[i] = int32(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
		return out, math.MinInt16
	case 61:
		for i := range out {
			out[i] = int32(int16(binary.BigEndian.Uint16(b[2*i:])))
		}
		return out, math.MinInt16
	case 160:
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint16(b[2*i:])) - 32768
		}
		return out, math.MinInt16
	case 80:
		for i := range out {
			out[i] = int32(b[i]) - 128
		}
		return out, -128
	case 8: // first differences
		var acc int32
		for i := range out {
			acc += int32(int8(b[i]))
			out[i] = acc
		}
		return out, math.MinInt32
	case 212:
		for i := 0; i < n; i++ {
			p := b[3*(i/2):]
			var v int32
			if i%2 == 0 {
				v = int32(p[0]) | int32(p[1]&0x0f)<<8
			} else {
				v = int32(p[2]) | int32(p[1]&0xf0)<<4
			}
			if v >= 2048 {
				v -= 4096
			}
			out[i] = v
		}
		return out, -2048
	case 24:
		for i := range out {
			v := int32(b[3*i]) | int32(b[3*i+1])<<8 | int32(int8(b[3*i+2]))<<16
			out[i] = v
		}
		return out, -1 << 23
	case 32:
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, math.MinInt32
	}
	return out, 0
}
