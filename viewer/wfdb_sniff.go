package viewer

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// isWFDBHeader reports whether b starts like a WFDB header (.hea): comment
// lines, then a record line "NAME NSIG [FS [NSAMP ...]]", then at least one
// signal line (or the segment lines of a multi-segment record).
func isWFDBHeader(b []byte) bool {
	if !looksLikeText(b) {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var record []string
	following := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if record == nil {
			record = strings.Fields(line)
			continue
		}
		following++
	}
	if len(record) < 2 {
		return false
	}
	name := record[0]
	for _, c := range name {
		if !(c == '_' || c == '-' || c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	nsig, err := strconv.Atoi(record[1])
	if err != nil || nsig < 0 || nsig > 10000 {
		return false
	}
	if len(record) >= 3 {
		fs := record[2]
		if i := strings.IndexAny(fs, "/("); i >= 0 {
			fs = fs[:i]
		}
		if _, err := strconv.ParseFloat(fs, 64); err != nil {
			return false
		}
	}
	if len(record) >= 4 {
		if _, err := strconv.ParseInt(record[3], 10, 64); err != nil {
			return false
		}
	}
	if strings.Contains(name, "/") {
		return following >= 1 // multi-segment record: one line per segment
	}
	return nsig == 0 || following >= 1
}
