//go:build !race

package geometry

const raceEnabled = false
