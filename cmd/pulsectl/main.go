// Command pulsectl is PULSE Desk's headless command line tool. It links no
// GUI library. Exit codes: 0 done, 1 bad input (the error names the file),
// 2 bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"pulsedesk/viewer"
)

// command is one pulsectl sub-command. Each lives in a file of its own and
// registers itself in an init function.
type command struct {
	name    string
	summary string
	// run receives the arguments after the command name. It returns a
	// usageError for bad usage; any other error is bad input.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// usageError marks a bad-usage failure (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pulsectl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args allowing flags after positional arguments
// (pulsectl open FILE --json), and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{""}
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pulsectl COMMAND [ARGS]   (pulsectl COMMAND -h for its options)")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pulsectl: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(stderr, "pulsectl %s: %s\n", c.name, ue.msg)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "pulsectl %s: %v\n", c.name, err)
		return 1
	}
}

func main() {
	viewer.ServeIsolatedRender() // see viewer.Document.RenderIsolated
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// parseOne parses args (see parseFlags) and requires exactly one positional
// argument, named what in the usage error ("FILE", "case UID").
func parseOne(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("%s needs exactly one %s (got %d)", strings.TrimPrefix(fs.Name(), "pulsectl "), what, len(pos))
	}
	return pos[0], nil
}
