//go:build race

package calipers_test

// raceEnabled shortens the slowest image round trips under the race
// detector, which makes pixel loops many times slower.
const raceEnabled = true
