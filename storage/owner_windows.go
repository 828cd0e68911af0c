//go:build windows

package storage

import "os"

func processStart(int) string { return "" }

func processAlive(pid int, _ string) bool {
	p, err := os.FindProcess(pid) // opens the process; fails when it is gone
	if err != nil {
		return false
	}
	p.Release() //nolint:errcheck
	return true
}
