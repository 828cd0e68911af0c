//go:build !unix && !windows

package storage

func processStart(int) string { return "" }

func processAlive(int, string) bool { return false }
