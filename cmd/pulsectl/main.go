// Command pulsectl is PULSE Desk's headless command line tool.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: pulsectl COMMAND [ARGS]")
	os.Exit(2)
}
