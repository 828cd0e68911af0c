package storage

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A running run records its owner: "host/pid/start", the machine, the
// process id and (where the system tells) the process start time. When a log
// is opened, a run still running is closed as interrupted only when its owner
// is gone: another machine (a log is a local file; it came from a backup or
// a copy), a process id that no longer exists, or one that now belongs to a
// different process (the start time differs). Two live processes on one log
// never close each other's runs.

var thisOwner = processOwner()

func processOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return fmt.Sprintf("%s/%d/%s", strings.ReplaceAll(host, "/", "_"), pid, processStart(pid))
}

// ownerAlive reports whether the process named by owner still runs.
func ownerAlive(owner string) bool {
	if owner == thisOwner {
		return true
	}
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != strings.ReplaceAll(host, "/", "_") {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	return processAlive(pid, parts[2])
}
