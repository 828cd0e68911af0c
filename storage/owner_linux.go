package storage

import (
	"os"
	"strconv"
	"strings"
)

// procStat returns the state (field 3) and start time in clock ticks since
// boot (field 22) of process pid from /proc/PID/stat.
func procStat(pid int) (state, start string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", "", false
	}
	return f[0], f[19], true
}

func processStart(pid int) string {
	_, st, _ := procStat(pid)
	return st
}

// processAlive reports whether pid runs and, when start is known, is the
// same process that recorded it (not a reused id, not a zombie).
func processAlive(pid int, start string) bool {
	state, st, ok := procStat(pid)
	if !ok || state == "Z" || state == "X" || state == "x" {
		return false
	}
	return start == "" || st == start
}
