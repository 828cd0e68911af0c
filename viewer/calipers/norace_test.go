//go:build !race

package calipers_test

const raceEnabled = false
