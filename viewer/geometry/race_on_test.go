//go:build race

package geometry

// raceEnabled: the race detector slows the accuracy sweep tenfold; CI runs
// it in a separate pass without the detector.
const raceEnabled = true
