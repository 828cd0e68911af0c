// Package ecgpaper reads ECG recordings (WFDB, MATLAB v4 as in the
// PhysioNet Challenge 2021, DICOM waveform ECG) and draws them on standard
// ECG paper, with the exact geometry of every drawn trace recorded alongside
// the picture.
//
// It is a leaf: it depends on the standard library, imaging and x/image only.
package ecgpaper

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Record is one ECG recording with its signals in millivolts.
type Record struct {
	Name     string      // record name (file base name without extension)
	Fs       float64     // sampling frequency, Hz
	Leads    []Lead      // in file order, names normalised (I, II, aVR, V1, ...)
	Age      int         // years; -1 when unknown
	Sex      string      // "Male", "Female" or "" when unknown
	Dx       []Diagnosis // diagnosis codes from the header (SNOMED CT in Challenge records)
	Comments []string    // header comments, without the leading '#'
	Source   string      // path of the file the record was read from
}

// Lead is one signal of a record, in millivolts. A missing sample is NaN.
type Lead struct {
	Name string
	MV   []float64
}

// Diagnosis is one diagnosis code with its name when the code is known.
type Diagnosis struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
	Abbrev string `json:"abbrev,omitempty"`
}

// Lead returns the lead with the given (normalised) name.
func (r *Record) Lead(name string) (*Lead, bool) {
	n := NormalizeLeadName(name)
	for i := range r.Leads {
		if r.Leads[i].Name == n {
			return &r.Leads[i], true
		}
	}
	return nil, false
}

// Samples is the length of the longest lead.
func (r *Record) Samples() int {
	n := 0
	for _, l := range r.Leads {
		n = max(n, len(l.MV))
	}
	return n
}

// Duration is the record length in seconds.
func (r *Record) Duration() float64 {
	if r.Fs <= 0 {
		return 0
	}
	return float64(r.Samples()) / r.Fs
}

// truncate keeps the first seconds of every lead.
func (r *Record) truncate(seconds float64) {
	n := int(math.Ceil(seconds * r.Fs))
	for i := range r.Leads {
		if len(r.Leads[i].MV) > n {
			r.Leads[i].MV = r.Leads[i].MV[:n:n]
		}
	}
}

// ErrNotRecording is wrapped by ReadRecord when a file is neither a WFDB
// header nor a DICOM file.
var ErrNotRecording = errors.New("not a WFDB header or DICOM waveform ECG")

// maxHeaderBytes bounds the size of a WFDB header read into memory.
const maxHeaderBytes = 1 << 20

// ReadRecord reads a recording, deciding its kind by content: a DICOM file
// (the "DICM" magic at offset 128) or a WFDB header. A path to a WFDB signal
// file (.dat, .mat) is read through the header beside it.
func ReadRecord(path string) (*Record, error) { return readRecord(path, 0) }

// ReadRecordFirst is ReadRecord keeping only the first seconds of each
// signal; a WFDB record's signal files are read no further than that.
func ReadRecordFirst(path string, seconds float64) (*Record, error) {
	if !(seconds > 0) {
		return nil, fmt.Errorf("recording %s: %g seconds to read is not positive", path, seconds)
	}
	return readRecord(path, seconds)
}

func readRecord(path string, seconds float64) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("recording %s: %w", path, err)
	}
	head = head[:n]
	if IsDICOM(head) {
		rec, err := ReadDICOM(path)
		if err == nil && seconds > 0 {
			rec.truncate(seconds)
		}
		return rec, err
	}
	if LooksLikeWFDBHeader(head) {
		return readWFDB(path, seconds)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".dat" || ext == ".mat" || ext == ".xyz" {
		hea := strings.TrimSuffix(path, filepath.Ext(path)) + ".hea"
		if _, err := os.Stat(hea); err == nil {
			return readWFDB(hea, seconds)
		}
	}
	return nil, fmt.Errorf("recording %s: %w", path, ErrNotRecording)
}

// IsDICOM reports whether b starts like a DICOM Part 10 file.
func IsDICOM(b []byte) bool {
	return len(b) >= 132 && string(b[128:132]) == "DICM"
}

// LooksLikeWFDBHeader reports whether b (the first bytes of a file) look
// like a WFDB header: printable text whose first non-comment line is a record
// line (a name and a signal count).
func LooksLikeWFDBHeader(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
			return false
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return false
		}
		for _, c := range strings.SplitN(f[1], "/", 2)[0] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return false
}

// NormalizeLeadName writes lead names the way ECG printouts do: I, II, III,
// aVR, aVL, aVF, V1..V6 (also V3R, V4R, ...), whatever the case in the file.
// Other names (MLII, VX) are upper-cased; "Lead II (Einthoven)" becomes II.
func NormalizeLeadName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "lead ") {
		s = strings.TrimSpace(s[5:])
	}
	u := strings.ToUpper(s)
	switch u {
	case "AVR", "AVL", "AVF":
		return "aV" + u[2:]
	case "-AVR":
		return "-aVR"
	}
	return u
}

// StandardLeads is the order of the twelve standard leads.
var StandardLeads = []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}

//go:embed dx_snomed_map.json
var dxMapJSON []byte

var (
	dxOnce sync.Once
	dxMap  map[string][2]string
	dxErr  error
)

// DxName looks a diagnosis code up in the PhysioNet Challenge 2021 table of
// SNOMED CT codes (see ATTRIBUTION.md). ok is false for an unknown code.
func DxName(code string) (name, abbrev string, ok bool) {
	dxOnce.Do(func() {
		var raw map[string][]string
		dxErr = json.NewDecoder(bytes.NewReader(dxMapJSON)).Decode(&raw)
		dxMap = make(map[string][2]string, len(raw))
		for k, v := range raw {
			var e [2]string
			copy(e[:], v)
			dxMap[k] = e
		}
	})
	if dxErr != nil {
		return "", "", false
	}
	e, ok := dxMap[code]
	return e[0], e[1], ok
}

// DxCodes lists the codes the embedded table knows, sorted.
func DxCodes() []string {
	DxName("")
	out := make([]string, 0, len(dxMap))
	for k := range dxMap {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newDiagnosis(code string) Diagnosis {
	d := Diagnosis{Code: code}
	d.Name, d.Abbrev, _ = DxName(code)
	return d
}

func normalizeSex(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "m", "male":
		return "Male"
	case "f", "female":
		return "Female"
	}
	return ""
}
