package geometry

import (
	"fmt"
	"os"
	"strconv"
)

var debugOn = os.Getenv("GEOM_DEBUG") != ""

func debugf(format string, a ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, format+"\n", a...)
	}
}

var debugPP, _ = strconv.ParseFloat(os.Getenv("GEOM_PP"), 64)
