// Command fakeollama serves the test model server of interpret/ollamatest on
// a loopback port, for the screenshot script. It prints the server's URL on
// the first line and serves until it is stopped. Its answers are the fake
// server's example text, not a model's output.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"pulsedesk/interpret/ollamatest"
)

// tb is the part of testing.TB the fake needs, for a program.
type tb struct{ cleanups []func() }

func (t *tb) Helper()                        {}
func (t *tb) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *tb) Fatalf(format string, a ...any) { log.Fatalf(format, a...) }

func main() {
	tokenDelay := flag.Duration("token-delay", 400*time.Millisecond, "pause between streamed chunks")
	firstDelay := flag.Duration("first-token-delay", 0, "silence before the first chunk")
	withoutPULSE := flag.Bool("without-pulse", false, "start with no model installed")
	flag.Parse()
	t := &tb{}
	srv := ollamatest.New(t)
	if *withoutPULSE {
		srv.RemoveModel(ollamatest.PULSEModel().Name)
	}
	srv.SetFaults(ollamatest.Faults{TokenDelay: *tokenDelay, FirstTokenDelay: *firstDelay})
	fmt.Println(srv.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
