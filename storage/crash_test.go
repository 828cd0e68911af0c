package storage

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash and concurrency tests re-run this test binary as a child
// process; these variables tell it what to do.
const (
	envCrashChild  = "PULSEDESK_TEST_CRASH_CHILD"
	envWriterChild = "PULSEDESK_TEST_WRITER_CHILD"
)

func TestMain(m *testing.M) {
	if p := os.Getenv(envCrashChild); p != "" {
		os.Exit(crashChild(p))
	}
	if p := os.Getenv(envWriterChild); p != "" {
		os.Exit(writerChild(p))
	}
	os.Exit(m.Run())
}

// crashChild saves cases and streams run checkpoints until it is killed,
// printing each thing once it is committed.
func crashChild(path string) int {
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	for i := 0; ; i++ {
		age := rng.IntN(90)
		c, err := s.CreateCase(ctx, Case{PatientRef: fmt.Sprintf("CRASH-%d-%d", os.Getpid(), i), Age: &age, Context: strings.Repeat("context ", rng.IntN(50))})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		png, err := makePNG(40+rng.IntN(200), 30+rng.IntN(100), byte(i))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		in, err := s.AddModelInput(ctx, ModelInput{CaseUID: c.UID, PNG: png, Edits: []byte(`{"version":1}`)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("case %s %s %s\n", c.UID, in.UID, in.SHA256)
		r, err := s.StartRun(ctx, Run{CaseUID: c.UID, ModelInputUID: in.UID, Model: "pulse"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("run %s\n", r.UID)
		answer := ""
		for k := 0; k < 1+rng.IntN(8); k++ {
			answer += fmt.Sprintf("token%d ", k)
			if err := s.CheckpointRun(ctx, r.UID, answer); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("checkpoint %s %d\n", r.UID, len(answer))
		}
		if rng.IntN(2) == 0 {
			if _, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeComplete, Answer: answer + "end."}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("closed %s\n", r.UID)
		}
		rep, err := s.SaveReportVersion(ctx, c.UID, "report "+answer, "Dr Crash")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("report %s %s\n", c.UID, rep.UID)
	}
}

type crashCase struct{ input, sha string }

func TestCrashSafety(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	cases := map[string]crashCase{}
	reports := map[string][]string{}
	started := map[string]bool{}
	closed := map[string]bool{}
	checkpoint := map[string]int{}
	const kills = 24
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 0; k < kills; k++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		casesBefore := len(cases)
		if l, ok := <-lines; !ok || l != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child did not start: %q %s", l, stderr.String())
		}
		// Most kills land at a random moment after the first committed case
		// (so every round commits something however slow the machine);
		// every fourth lands anywhere from the start.
		delay := time.Duration(rng.IntN(300)) * time.Millisecond
		kill := func() { time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) }) }
		early := k%4 == 3
		if early {
			kill()
		}
		for l := range lines {
			f := strings.Fields(l)
			switch f[0] {
			case "case":
				if !early && len(cases) == casesBefore {
					kill()
				}
				cases[f[1]] = crashCase{f[2], f[3]}
			case "run":
				started[f[1]] = true
			case "checkpoint":
				n, _ := strconv.Atoi(f[2])
				checkpoint[f[1]] = n
			case "closed":
				closed[f[1]] = true
			case "report":
				reports[f[1]] = append(reports[f[1]], f[2])
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("child %d ended by itself (%v): %s", k, err, stderr.String())
		}
	}
	if len(cases) < kills*3/4 {
		t.Fatalf("only %d cases committed in %d runs of the child", len(cases), kills)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	res, err := s.IntegrityCheck(ctx)
	if err != nil || !res.OK() {
		t.Fatalf("integrity check after %d kills: %+v %v", kills, res, err)
	}
	for uid, cc := range cases {
		d, err := s.CaseDetail(ctx, uid)
		if err != nil {
			t.Errorf("committed case %s: %v", uid, err)
			continue
		}
		in := d.ModelInput(cc.input)
		if in == nil || in.SHA256 != cc.sha || SHA256Hex(in.PNG) != cc.sha {
			t.Errorf("case %s: model input missing or damaged", uid)
		}
		have := map[string]bool{}
		for _, r := range d.Reports {
			have[r.UID] = true
		}
		for _, r := range reports[uid] {
			if !have[r] {
				t.Errorf("case %s: committed report version %s missing", uid, r)
			}
		}
	}
	var interrupted int
	for uid := range started {
		r, err := s.GetRun(ctx, uid)
		if err != nil {
			t.Errorf("committed run %s: %v", uid, err)
			continue
		}
		switch {
		case r.Outcome == OutcomeRunning:
			t.Errorf("run %s still running after reopening", uid)
		case closed[uid] && r.Outcome != OutcomeComplete:
			t.Errorf("run %s closed complete, now %s", uid, r.Outcome)
		case !closed[uid] && r.Outcome != OutcomeInterrupted && r.Outcome != OutcomeComplete:
			t.Errorf("run %s left running is %s, want interrupted", uid, r.Outcome)
		}
		if r.Outcome == OutcomeInterrupted {
			interrupted++
		}
		if len(r.Answer) < checkpoint[uid] {
			t.Errorf("run %s: answer of %d bytes, %d were checkpointed", uid, len(r.Answer), checkpoint[uid])
		}
	}
	var running int
	s.DB().QueryRow(`SELECT count(*) FROM runs WHERE outcome = 'running'`).Scan(&running)
	if running != 0 {
		t.Errorf("%d runs still running", running)
	}
	if interrupted == 0 {
		t.Error("no run was interrupted: the kills never hit a streaming run")
	}
	t.Logf("%d kills: %d cases, %d runs (%d interrupted), all whole", kills, len(cases), len(started), interrupted)
}

// writerChild adds report versions to one case with read-then-write
// transactions (the next version number is read inside the write).
func writerChild(spec string) int {
	path, caseUID, _ := strings.Cut(spec, "|")
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if _, err := s.SaveReportVersion(ctx, caseUID, fmt.Sprintf("version from %d #%d", os.Getpid(), i), "Dr W"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, err := s.CreateCase(ctx, Case{PatientRef: fmt.Sprintf("W-%d-%d", os.Getpid(), i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func TestTwoProcessesWriteOneLog(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.CreateCase(context.Background(), Case{PatientRef: "SHARED"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envWriterChild+"="+path+"|"+c.UID)
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs[i] = fmt.Sprintf("%v: %s", err, out)
			}
		}(i)
	}
	// This process writes too, at the same time.
	for i := 0; i < 50; i++ {
		if _, err := s.SaveReportVersion(context.Background(), c.UID, "parent", "Dr P"); err != nil {
			t.Errorf("parent: %v", err)
		}
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Errorf("writer %d: %s", i, e)
		}
	}
	reps, err := s.Reports(context.Background(), c.UID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 250 {
		t.Errorf("%d report versions, want 250", len(reps))
	}
	for i, r := range reps {
		if r.Version != i+1 {
			t.Fatalf("version %d at position %d", r.Version, i+1)
		}
	}
	var n int
	s.DB().QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
	if n != 201 {
		t.Errorf("%d cases, want 201", n)
	}
}
