package geometry

import (
	"fmt"
	"os"
)

// debugOn turns on a trace of the detectors' intermediate results on stderr
// (PULSEDESK_GEOMETRY_DEBUG=1), for tuning them on a difficult page.
var debugOn = os.Getenv("PULSEDESK_GEOMETRY_DEBUG") != ""

func debugf(format string, a ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
	}
}
