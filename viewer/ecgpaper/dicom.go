package ecgpaper

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DICOM waveform ECG (PS3.3 Supplement 30): the Waveform Sequence
// (5400,0100) holds multiplex groups; each has a channel count, a sample
// count, a sampling frequency, channel definitions (source code meaning such
// as "Lead II", sensitivity, its units, correction factor, baseline), the
// bits allocated and sample interpretation, and the interleaved samples in
// Waveform Data (5400,1010).

const maxDICOMBytes = 64 << 20

type dcmTag uint32

func tag(g, e uint16) dcmTag { return dcmTag(uint32(g)<<16 | uint32(e)) }

func (t dcmTag) String() string { return fmt.Sprintf("(%04X,%04X)", uint16(t>>16), uint16(t)) }

var (
	tagTransferSyntax   = tag(0x0002, 0x0010)
	tagItem             = tag(0xFFFE, 0xE000)
	tagItemDelim        = tag(0xFFFE, 0xE00D)
	tagSeqDelim         = tag(0xFFFE, 0xE0DD)
	tagWaveformSeq      = tag(0x5400, 0x0100)
	tagNumChannels      = tag(0x003A, 0x0005)
	tagNumSamples       = tag(0x003A, 0x0010)
	tagSamplingFreq     = tag(0x003A, 0x001A)
	tagGroupLabel       = tag(0x003A, 0x0020)
	tagChannelDefSeq    = tag(0x003A, 0x0200)
	tagChannelSourceSeq = tag(0x003A, 0x0208)
	tagChannelSens      = tag(0x003A, 0x0210)
	tagChannelSensUnits = tag(0x003A, 0x0211)
	tagChannelSensCorr  = tag(0x003A, 0x0212)
	tagChannelBaseline  = tag(0x003A, 0x0213)
	tagChannelLabel     = tag(0x003A, 0x0203)
	tagBitsAllocated    = tag(0x5400, 0x1004)
	tagSampleInterp     = tag(0x5400, 0x1006)
	tagWaveformData     = tag(0x5400, 0x1010)
	tagCodeValue        = tag(0x0008, 0x0100)
	tagCodeMeaning      = tag(0x0008, 0x0104)
	tagPatientAge       = tag(0x0010, 0x1010)
	tagPatientSex       = tag(0x0010, 0x0040)
	tagPatientBirth     = tag(0x0010, 0x0030)
	tagStudyDate        = tag(0x0008, 0x0020)
	tagAcqDateTime      = tag(0x0008, 0x002A)
	tagUnformattedText  = tag(0x0070, 0x0006)
)

// sequence tags, for implicit VR files where the VR is not written.
var dcmSeqTags = map[dcmTag]bool{
	tagWaveformSeq: true, tagChannelDefSeq: true, tagChannelSourceSeq: true,
	tagChannelSensUnits: true, tag(0x0040, 0xB020): true, tag(0x0040, 0xA730): true,
	tag(0x0040, 0xA043): true, tag(0x0040, 0xA168): true, tag(0x0008, 0x1032): true,
	tag(0x003A, 0x0300): true, tag(0x0040, 0x08EA): true, tag(0x0070, 0x0022): true,
	tag(0x0040, 0xA0B0): true, tag(0x0008, 0x1111): true, tag(0x0008, 0x1110): true,
}

type dcmElem struct {
	tag   dcmTag
	vr    string
	value []byte
	items [][]dcmElem
}

type dcmParser struct {
	b        []byte
	explicit bool
	path     string
	depth    int
}

var errDICOMTruncated = errors.New("truncated DICOM element")

// parse reads elements from p.b[pos:end] and returns them and the position
// after the last one. With undefinedItem it stops at an item delimiter.
func (p *dcmParser) parse(pos, end int, stopAtDelim bool) ([]dcmElem, int, error) {
	if p.depth > 16 {
		return nil, pos, errors.New("DICOM sequences nested too deep")
	}
	var out []dcmElem
	for pos < end {
		if pos+8 > end {
			return nil, pos, errDICOMTruncated
		}
		g := binary.LittleEndian.Uint16(p.b[pos:])
		e := binary.LittleEndian.Uint16(p.b[pos+2:])
		t := tag(g, e)
		if t == tagItemDelim || t == tagSeqDelim {
			pos += 8
			if stopAtDelim {
				return out, pos, nil
			}
			continue
		}
		var vr string
		var length uint32
		explicit := p.explicit || g == 0x0002
		if explicit && g != 0xFFFE {
			vr = string(p.b[pos+4 : pos+6])
			switch vr {
			case "OB", "OW", "OF", "SQ", "UT", "UN", "OD", "OL", "OV", "UC", "UR", "SV", "UV":
				if pos+12 > end {
					return nil, pos, errDICOMTruncated
				}
				length = binary.LittleEndian.Uint32(p.b[pos+8:])
				pos += 12
			default:
				length = uint32(binary.LittleEndian.Uint16(p.b[pos+6:]))
				pos += 8
			}
		} else {
			length = binary.LittleEndian.Uint32(p.b[pos+4:])
			pos += 8
			if dcmSeqTags[t] || length == 0xFFFFFFFF {
				vr = "SQ"
			}
		}
		el := dcmElem{tag: t, vr: vr}
		if vr == "SQ" || (vr == "UN" && length == 0xFFFFFFFF) {
			var err error
			el.items, pos, err = p.parseSeq(pos, end, length)
			if err != nil {
				return nil, pos, err
			}
			el.vr = "SQ"
		} else {
			if length == 0xFFFFFFFF {
				return nil, pos, fmt.Errorf("element %s: undefined length outside a sequence (encapsulated data is not read)", t)
			}
			if uint64(pos)+uint64(length) > uint64(end) {
				return nil, pos, fmt.Errorf("element %s: length %d runs past the end of the file", t, length)
			}
			el.value = p.b[pos : pos+int(length)]
			pos += int(length)
		}
		out = append(out, el)
	}
	return out, pos, nil
}

func (p *dcmParser) parseSeq(pos, end int, length uint32) ([][]dcmElem, int, error) {
	seqEnd := end
	undefined := length == 0xFFFFFFFF
	if !undefined {
		if uint64(pos)+uint64(length) > uint64(end) {
			return nil, pos, fmt.Errorf("sequence length %d runs past the end of the file", length)
		}
		seqEnd = pos + int(length)
	}
	p.depth++
	defer func() { p.depth-- }()
	var items [][]dcmElem
	for pos < seqEnd {
		if pos+8 > seqEnd {
			return nil, pos, errDICOMTruncated
		}
		t := tag(binary.LittleEndian.Uint16(p.b[pos:]), binary.LittleEndian.Uint16(p.b[pos+2:]))
		il := binary.LittleEndian.Uint32(p.b[pos+4:])
		pos += 8
		if t == tagSeqDelim {
			return items, pos, nil
		}
		if t != tagItem {
			return nil, pos, fmt.Errorf("sequence: expected an item, found %s", t)
		}
		var elems []dcmElem
		var err error
		if il == 0xFFFFFFFF {
			elems, pos, err = p.parse(pos, seqEnd, true)
		} else {
			if uint64(pos)+uint64(il) > uint64(seqEnd) {
				return nil, pos, fmt.Errorf("sequence item length %d runs past its sequence", il)
			}
			elems, _, err = p.parse(pos, pos+int(il), false)
			pos += int(il)
		}
		if err != nil {
			return nil, pos, err
		}
		items = append(items, elems)
	}
	if undefined {
		return nil, pos, errors.New("sequence without its delimiter")
	}
	return items, pos, nil
}

func dcmFind(els []dcmElem, t dcmTag) (dcmElem, bool) {
	for _, e := range els {
		if e.tag == t {
			return e, true
		}
	}
	return dcmElem{}, false
}

func dcmString(els []dcmElem, t dcmTag) string {
	e, ok := dcmFind(els, t)
	if !ok {
		return ""
	}
	return strings.TrimRight(string(e.value), " \x00")
}

func dcmFloat(els []dcmElem, t dcmTag) (float64, bool) {
	s := dcmString(els, t)
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		s = s[:i]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func dcmUint(els []dcmElem, t dcmTag) (int, bool) {
	e, ok := dcmFind(els, t)
	if !ok {
		return 0, false
	}
	switch len(e.value) {
	case 2:
		return int(binary.LittleEndian.Uint16(e.value)), true
	case 4:
		return int(binary.LittleEndian.Uint32(e.value)), true
	}
	v, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(string(e.value), "\x00")))
	return v, err == nil
}

// ReadDICOM reads a DICOM waveform ECG: the multiplex group with the
// longest 12-lead recording (the rhythm group, not the median beats).
func ReadDICOM(path string) (*Record, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("DICOM %s: %w", path, err)
	}
	if fi.Size() > maxDICOMBytes {
		return nil, fmt.Errorf("DICOM %s: %d bytes is more than the %d read for an ECG", path, fi.Size(), maxDICOMBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("DICOM %s: %w", path, err)
	}
	rec, err := decodeDICOM(b)
	if err != nil {
		return nil, fmt.Errorf("DICOM %s: %w", path, err)
	}
	rec.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	rec.Source = path
	return rec, nil
}

func decodeDICOM(b []byte) (*Record, error) {
	if !IsDICOM(b) {
		return nil, errors.New("no DICM magic at offset 128")
	}
	p := &dcmParser{b: b, explicit: true}
	// The file meta group is always explicit little endian.
	pos := 132
	metaEnd := pos
	for metaEnd+8 <= len(b) && binary.LittleEndian.Uint16(b[metaEnd:]) == 0x0002 {
		vr := string(b[metaEnd+4 : metaEnd+6])
		var l int
		switch vr {
		case "OB", "OW", "UN", "SQ", "UT":
			if metaEnd+12 > len(b) {
				return nil, errDICOMTruncated
			}
			l = int(binary.LittleEndian.Uint32(b[metaEnd+8:])) + 12
		default:
			l = int(binary.LittleEndian.Uint16(b[metaEnd+6:])) + 8
		}
		if l < 0 || metaEnd+l > len(b) {
			return nil, errDICOMTruncated
		}
		metaEnd += l
	}
	meta, _, err := p.parse(pos, metaEnd, false)
	if err != nil {
		return nil, fmt.Errorf("file meta: %w", err)
	}
	ts := dcmString(meta, tagTransferSyntax)
	switch ts {
	case "1.2.840.10008.1.2":
		p.explicit = false
	case "1.2.840.10008.1.2.1", "":
		p.explicit = true
	default:
		return nil, fmt.Errorf("transfer syntax %s is not read (explicit or implicit VR little endian are)", ts)
	}
	ds, _, err := p.parse(metaEnd, len(b), false)
	if err != nil {
		return nil, fmt.Errorf("data set: %w", err)
	}
	wf, ok := dcmFind(ds, tagWaveformSeq)
	if !ok || len(wf.items) == 0 {
		return nil, errors.New("no Waveform Sequence (5400,0100): not a waveform ECG")
	}
	// Choose the group with the most samples (rhythm rather than median beats).
	best, bestN := -1, 0
	for i, g := range wf.items {
		n, _ := dcmUint(g, tagNumSamples)
		c, _ := dcmUint(g, tagNumChannels)
		if c > 0 && n*c > bestN {
			best, bestN = i, n*c
		}
	}
	if best < 0 {
		return nil, errors.New("no waveform multiplex group with channels and samples")
	}
	rec, err := decodeWaveformGroup(wf.items[best])
	if err != nil {
		return nil, fmt.Errorf("waveform group %d: %w", best+1, err)
	}
	rec.Age = dicomAge(ds)
	rec.Sex = normalizeSex(dcmString(ds, tagPatientSex))
	collectText(ds, &rec.Comments, 0)
	return rec, nil
}

func decodeWaveformGroup(g []dcmElem) (*Record, error) {
	nch, _ := dcmUint(g, tagNumChannels)
	ns, _ := dcmUint(g, tagNumSamples)
	fs, ok := dcmFloat(g, tagSamplingFreq)
	if !ok || fs <= 0 || fs > 1e6 {
		return nil, errors.New("missing or bad Sampling Frequency (003A,001A)")
	}
	if nch < 1 || nch > maxSignals || ns < 1 || ns > maxSamples {
		return nil, fmt.Errorf("%d channels of %d samples is out of range", nch, ns)
	}
	bits, _ := dcmUint(g, tagBitsAllocated)
	interp := dcmString(g, tagSampleInterp)
	var bytesPer int
	switch {
	case bits == 16 && (interp == "SS" || interp == "US" || interp == ""):
		bytesPer = 2
	case bits == 8 && (interp == "SB" || interp == "UB"):
		bytesPer = 1
	case bits == 32 && (interp == "SL" || interp == "UL"):
		bytesPer = 4
	default:
		return nil, fmt.Errorf("bits allocated %d with sample interpretation %q is not read", bits, interp)
	}
	data, ok := dcmFind(g, tagWaveformData)
	if !ok {
		return nil, errors.New("no Waveform Data (5400,1010)")
	}
	if len(data.value) < nch*ns*bytesPer {
		return nil, fmt.Errorf("Waveform Data holds %d bytes, %d channels x %d samples need %d", len(data.value), nch, ns, nch*ns*bytesPer)
	}
	defs, _ := dcmFind(g, tagChannelDefSeq)
	if len(defs.items) != nch {
		return nil, fmt.Errorf("%d channel definitions for %d channels", len(defs.items), nch)
	}
	rec := &Record{Fs: fs, Age: -1}
	for c, def := range defs.items {
		name := ""
		if src, ok := dcmFind(def, tagChannelSourceSeq); ok && len(src.items) > 0 {
			name = leadFromCode(dcmString(src.items[0], tagCodeValue), dcmString(src.items[0], tagCodeMeaning))
		}
		if name == "" {
			name = NormalizeLeadName(dcmString(def, tagChannelLabel))
		}
		if name == "" {
			name = fmt.Sprintf("channel %d", c+1)
		}
		sens, ok := dcmFloat(def, tagChannelSens)
		if !ok || sens == 0 {
			sens = 1
		}
		corr, ok := dcmFloat(def, tagChannelSensCorr)
		if !ok || corr == 0 {
			corr = 1
		}
		base, _ := dcmFloat(def, tagChannelBaseline)
		scale := 1e-3 // microvolts unless told
		if u, ok := dcmFind(def, tagChannelSensUnits); ok && len(u.items) > 0 {
			unit := dcmString(u.items[0], tagCodeValue)
			s, ok := unitScale(unit)
			if !ok {
				return nil, fmt.Errorf("channel %d (%s): sensitivity unit %q is not a voltage", c+1, name, unit)
			}
			scale = s
		}
		mv := make([]float64, ns)
		for k := range mv {
			off := (k*nch + c) * bytesPer
			var raw float64
			switch {
			case bytesPer == 2 && interp == "US":
				raw = float64(binary.LittleEndian.Uint16(data.value[off:]))
			case bytesPer == 2:
				raw = float64(int16(binary.LittleEndian.Uint16(data.value[off:])))
			case bytesPer == 1 && interp == "UB":
				raw = float64(data.value[off])
			case bytesPer == 1:
				raw = float64(int8(data.value[off]))
			case interp == "UL":
				raw = float64(binary.LittleEndian.Uint32(data.value[off:]))
			default:
				raw = float64(int32(binary.LittleEndian.Uint32(data.value[off:])))
			}
			mv[k] = (raw + base) * sens * corr * scale
		}
		rec.Leads = append(rec.Leads, Lead{Name: name, MV: mv})
	}
	return rec, nil
}

// scpLeads maps SCP-ECG lead codes (used as channel source code values) to
// lead names.
var scpLeads = map[string]string{
	"5.6.3-9-1": "I", "5.6.3-9-2": "II", "5.6.3-9-3": "V1", "5.6.3-9-4": "V2",
	"5.6.3-9-5": "V3", "5.6.3-9-6": "V4", "5.6.3-9-7": "V5", "5.6.3-9-8": "V6",
	"5.6.3-9-61": "III", "5.6.3-9-62": "aVR", "5.6.3-9-63": "aVL", "5.6.3-9-64": "aVF",
}

func leadFromCode(code, meaning string) string {
	if meaning != "" {
		return NormalizeLeadName(meaning)
	}
	return scpLeads[strings.TrimSpace(code)]
}

// dicomAge reads Patient's Age ("042Y"), or derives it from the birth and
// study dates.
func dicomAge(ds []dcmElem) int {
	a := strings.TrimSpace(dcmString(ds, tagPatientAge))
	if len(a) >= 2 {
		n, err := strconv.Atoi(a[:len(a)-1])
		if err == nil && n >= 0 {
			switch a[len(a)-1] {
			case 'Y', 'y':
				return n
			case 'M', 'm':
				return n / 12
			case 'W', 'w', 'D', 'd':
				return 0
			}
		}
	}
	birth, err1 := time.Parse("20060102", dcmString(ds, tagPatientBirth))
	study := dcmString(ds, tagStudyDate)
	if study == "" && len(dcmString(ds, tagAcqDateTime)) >= 8 {
		study = dcmString(ds, tagAcqDateTime)[:8]
	}
	when, err2 := time.Parse("20060102", study)
	if err1 != nil || err2 != nil || when.Before(birth) {
		return -1
	}
	age := when.Year() - birth.Year()
	if when.YearDay() < birth.YearDay() {
		age--
	}
	return age
}

// collectText gathers unformatted text values (the device's interpretation
// statements) anywhere in the data set.
func collectText(els []dcmElem, out *[]string, depth int) {
	if depth > 16 {
		return
	}
	for _, e := range els {
		if e.tag == tagUnformattedText {
			for _, line := range strings.Split(strings.TrimRight(string(e.value), " \x00"), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					*out = append(*out, line)
				}
			}
		}
		for _, it := range e.items {
			collectText(it, out, depth+1)
		}
	}
}
