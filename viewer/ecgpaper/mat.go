package ecgpaper

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// matElem is the element type of a MATLAB v4 matrix.
type matElem int

const (
	matFloat64 matElem = 0
	matFloat32 matElem = 1
	matInt32   matElem = 2
	matInt16   matElem = 3
	matUint16  matElem = 4
	matUint8   matElem = 5
)

func (e matElem) String() string {
	switch e {
	case matFloat64:
		return "double"
	case matFloat32:
		return "single"
	case matInt32:
		return "int32"
	case matInt16:
		return "int16"
	case matUint16:
		return "uint16"
	case matUint8:
		return "uint8"
	}
	return fmt.Sprintf("type %d", int(e))
}

// mat4Header is the first matrix header of a MATLAB v4 file. The
// Challenge 2021 records hold one int16 matrix "val" with one row per signal
// and one column per sample, stored column by column (so sample-interleaved,
// which WFDB reads as format 16 at byte offset 24).
type mat4Header struct {
	rows, cols int
	elem       matElem
	name       string
	dataOffset int
}

func parseMAT4Header(b []byte) (mat4Header, error) {
	var m mat4Header
	if len(b) < 20 {
		return m, errors.New("too short for a MATLAB v4 matrix header")
	}
	typ := binary.LittleEndian.Uint32(b)
	if typ > 9999 {
		return m, errors.New("not a little-endian MATLAB v4 file (big-endian or MATLAB v5 files are not read)")
	}
	mach, o, p, t := typ/1000, (typ/100)%10, (typ/10)%10, typ%10
	if mach != 0 || o != 0 || t != 0 || p > 5 {
		return m, fmt.Errorf("MATLAB v4 type code %d is not a little-endian full numeric matrix", typ)
	}
	m.elem = matElem(p)
	m.rows = int(binary.LittleEndian.Uint32(b[4:]))
	m.cols = int(binary.LittleEndian.Uint32(b[8:]))
	imag := binary.LittleEndian.Uint32(b[12:])
	namlen := int(binary.LittleEndian.Uint32(b[16:]))
	if imag != 0 {
		return m, errors.New("MATLAB matrix is complex")
	}
	if namlen < 1 || namlen > 64 || 20+namlen > len(b) {
		return m, fmt.Errorf("MATLAB matrix name length %d is out of range", namlen)
	}
	if m.rows < 1 || m.rows > maxSignals || m.cols < 0 || m.cols > maxSamples {
		return m, fmt.Errorf("MATLAB matrix of %dx%d is out of range", m.rows, m.cols)
	}
	nm := b[20 : 20+namlen]
	if nm[len(nm)-1] == 0 {
		nm = nm[:len(nm)-1]
	}
	m.name = string(nm)
	m.dataOffset = 20 + namlen
	return m, nil
}
