package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"pulsedesk/interpret"
	"pulsedesk/storage"
	"pulsedesk/viewer"
)

func init() {
	register(command{
		name:    "interpret",
		summary: "ask the model about an ECG page and stream the answer",
		run:     runInterpret,
	})
}

// serverFlags are the model-server flags shared by interpret, models,
// import-model and pull.
type serverFlags struct {
	server      *string
	allowRemote *bool
}

func addServerFlags(fs *flag.FlagSet) serverFlags {
	return serverFlags{
		server:      fs.String("server", "", "Ollama server URL (default: $OLLAMA_HOST, else http://127.0.0.1:11434)"),
		allowRemote: fs.Bool("allow-remote", false, "allow a model server that is not on this machine"),
	}
}

func (f serverFlags) client(stderr io.Writer) (*interpret.Client, error) {
	c, err := interpret.New(interpret.Config{Server: *f.server, AllowRemote: *f.allowRemote})
	if err != nil {
		return nil, err
	}
	if c.Remote() {
		fmt.Fprintf(stderr, "note: using the remote model server %s\n", c.URL())
	}
	return c, nil
}

// reachable checks the server before a long job, with the message that says what to do.
func reachable(ctx context.Context, c *interpret.Client) error {
	st := c.Status(ctx)
	if !st.Reachable {
		if errors.Is(st.Err, interpret.ErrNotReachable) {
			return fmt.Errorf("%w: %s", interpret.ErrNotReachable, st.Message)
		}
		return errors.New(st.Message)
	}
	return nil
}

// connect makes the client, checks that the server answers, and returns a
// context that Ctrl+C cancels; done releases both.
func (sf serverFlags) connect(stderr io.Writer) (*interpret.Client, context.Context, func(), error) {
	c, err := sf.client(stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	done := func() { stop(); c.Close() }
	if err := reachable(ctx, c); err != nil {
		done()
		return nil, nil, nil, err
	}
	return c, ctx, done, nil
}

// progressPrinter writes each progress line to w once, skipping repeats.
func progressPrinter(w io.Writer) func(line string) {
	last := ""
	return func(line string) {
		if line != last {
			fmt.Fprintln(w, line)
			last = line
		}
	}
}

// dataDir is --data or the default case-log folder.
func dataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return storage.DefaultDir()
}

func readEdits(path string) (viewer.Edits, error) {
	if path == "" {
		return viewer.NewEdits(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return viewer.Edits{}, fmt.Errorf("edits file %s: %w", path, err)
	}
	e, err := viewer.UnmarshalEdits(data)
	if err != nil {
		return viewer.Edits{}, fmt.Errorf("edits file %s: %w", path, err)
	}
	return e, nil
}

type interpretOut struct {
	Answer         string         `json:"answer"`
	Outcome        string         `json:"outcome"`
	Error          string         `json:"error,omitempty"`
	DoneReason     string         `json:"done_reason,omitempty"`
	Model          string         `json:"model"`
	Digest         string         `json:"digest"`
	Note           string         `json:"note,omitempty"`
	Task           string         `json:"task"`
	Prompt         string         `json:"prompt"`
	Options        map[string]any `json:"options"`
	PromptTokens   int            `json:"prompt_tokens"`
	EvalTokens     int            `json:"eval_tokens"`
	LoadMS         float64        `json:"load_ms"`
	PrefillMS      float64        `json:"prefill_ms"`
	GenerationMS   float64        `json:"generation_ms"`
	TotalMS        float64        `json:"total_ms"`
	WallMS         float64        `json:"wall_ms"`
	FirstTokenMS   float64        `json:"first_token_ms"`
	InputSHA256    string         `json:"model_input_sha256"`
	InputWidth     int            `json:"model_input_width"`
	InputHeight    int            `json:"model_input_height"`
	Labels         []string       `json:"labels,omitempty"`
	Letter         string         `json:"letter,omitempty"`
	Warnings       []string       `json:"warnings,omitempty"`
	CaseUID        string         `json:"case_uid,omitempty"`
	RunUID         string         `json:"run_uid,omitempty"`
	Findings       any            `json:"findings,omitempty"`
	BytesSent      int            `json:"bytes_sent"`
	ServerURL      string         `json:"server"`
	RemoteServer   bool           `json:"remote_server,omitempty"`
	ElapsedSeconds float64        `json:"-"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func runInterpret(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("interpret", stderr)
	page := fs.Int("page", 1, "page to interpret (1-based)")
	dpi := fs.Float64("dpi", viewer.DefaultDPI, "resolution for PDF and TIFF pages")
	editsPath := fs.String("edits", "", "edits JSON file to apply before the model input is made")
	task := fs.String("task", "report", "task: report, rhythm, abnormal, mcq or ask")
	question := fs.String("question", "", "the question (mcq and ask)")
	labels := fs.String("labels", "", `abnormal: labels "CODE(meaning), ..." (default: the CODE-15 labels)`)
	options := fs.String("options", "", `mcq: options separated by ";" ("Sinus rhythm;Atrial fibrillation")`)
	model := fs.String("model", interpret.DefaultModel, "model name")
	age := fs.Int("age", 0, "patient age in years")
	sex := fs.String("sex", "", "patient sex: F or M")
	clinical := fs.String("context", "", "clinical context")
	asJSON := fs.Bool("json", false, "print one JSON object at the end instead of streaming text")
	save := fs.Bool("save", false, "store the case, document, model input and run in the case log")
	caseUID := fs.String("case", "", "with --save: add to this case (uid or unique prefix) instead of a new one")
	data := fs.String("data", "", "case log folder (default: the app's data folder)")
	findings := fs.Bool("findings", false, "also ask for structured findings (JSON, model estimates)")
	firstTimeout := fs.Duration("first-token-timeout", interpret.DefaultFirstTokenTimeout, "give up when nothing arrives for this long at the start")
	stall := fs.Duration("stall-timeout", interpret.DefaultStallTimeout, "give up when the answer stops for this long")
	numPredict := fs.Int("max-tokens", 0, "cap the answer at this many tokens (0: no cap)")
	sf := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pulsectl interpret FILE [--page N] [--edits EDITS.json] [--task report|rhythm|abnormal|mcq|ask] [--question Q]\n"+
			"       [--labels L] [--options O] [--model M] [--server URL] [--allow-remote] [--json] [--save [--case UID]] [--data DIR]")
		fs.PrintDefaults()
	}
	arg, err := parseOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	if *page < 1 {
		return usagef("--page must be 1 or more")
	}
	if *caseUID != "" && !*save {
		return usagef("--case needs --save")
	}
	q := interpret.Question{Task: interpret.TaskKind(*task), Text: *question,
		Context: interpret.PatientContext{Age: *age, Sex: strings.ToUpper(*sex), Clinical: *clinical}}
	if *labels != "" {
		if q.Labels, err = interpret.ParseLabelList(*labels); err != nil {
			return usagef("--labels: %v", err)
		}
	}
	if *options != "" {
		for _, o := range strings.Split(*options, ";") {
			if o = strings.TrimSpace(o); o != "" {
				q.Options = append(q.Options, o)
			}
		}
	}
	if err := q.Validate(); err != nil {
		return usagef("%v", err)
	}
	edits, err := readEdits(*editsPath)
	if err != nil {
		return err
	}
	file := arg

	c, ctx, done, err := sf.connect(stderr)
	if err != nil {
		return err
	}
	defer done()
	m, err := c.RequireVision(ctx, *model)
	if err != nil {
		return err
	}
	if m.NotEvaluated && !*asJSON {
		fmt.Fprintf(stderr, "note: %s is %s\n", m.Name, interpret.NotEvaluatedNote)
	}
	for _, w := range q.Warnings() {
		if !*asJSON {
			fmt.Fprintln(stderr, "warning: "+w)
		}
	}
	if *numPredict < 0 {
		return usagef("--max-tokens must be 0 or more")
	}
	settings := interpret.Settings{FirstTokenTimeout: *firstTimeout, StallTimeout: *stall, NumPredict: *numPredict}
	estDir, _ := dataDir(*data)
	var est *interpret.Estimator
	if estDir != "" {
		est = interpret.OpenEstimator(estDir + "/stats.json")
	}
	ro := interpret.RunOptions{}
	if !*asJSON {
		ro.OnChunk = func(ch interpret.Chunk) { io.WriteString(stdout, ch.Text) }
		ro.OnProgress = func(p interpret.Progress) {
			if p.Phase != interpret.PhaseWriting && p.Phase != interpret.PhaseDone {
				fmt.Fprintf(stderr, "%s…\n", p.Phase)
			}
		}
	}
	out := interpretOut{Model: m.Name, Digest: m.Digest, Note: m.Note(), Task: *task, ServerURL: c.URL(), RemoteServer: c.Remote()}
	var res *interpret.Result
	var cv *interpret.Conversation
	if *save {
		dir, err := dataDir(*data)
		if err != nil {
			return err
		}
		st, err := storage.OpenDir(dir)
		if err != nil {
			return err
		}
		defer st.Close()
		wf := &interpret.Workflow{Store: st, Client: c, Estimator: est, Settings: settings, DPI: *dpi}
		var s *interpret.Session
		if *caseUID != "" {
			uid, err := st.ResolveCase(ctx, *caseUID)
			if err != nil {
				return fmt.Errorf("--case %s: %w", *caseUID, err)
			}
			s, err = wf.OpenInto(ctx, file, uid)
			if err != nil {
				return err
			}
		} else {
			cs := storage.Case{Sex: q.Context.Sex, Context: q.Context.Clinical}
			if q.Context.Age > 0 {
				cs.Age = &q.Context.Age
			}
			if s, err = wf.OpenNew(ctx, file, cs); err != nil {
				return err
			}
		}
		defer s.Close()
		if err := s.SetPage(*page - 1); err != nil {
			return err
		}
		if err := s.SetEdits(edits); err != nil {
			return err
		}
		run, err := s.Ask(ctx, m.Name, q, ro)
		if err != nil {
			return err
		}
		res, cv = run.Result, s.Conversation()
		out.CaseUID, out.RunUID = run.Stored.CaseUID, run.Stored.UID
		out.InputSHA256, out.InputWidth, out.InputHeight = run.Input.SHA256, run.Input.Width, run.Input.Height
		out.BytesSent = len(run.Input.PNG)
		out.Labels, out.Letter, out.Warnings = run.Parsed.Labels, run.Parsed.Letter, run.Warnings
	} else {
		doc, err := viewer.Open(file)
		if err != nil {
			return err
		}
		defer doc.Close()
		if *page > doc.NumPages() {
			return fmt.Errorf("%s: page %d is out of range (the document has %d)", file, *page, doc.NumPages())
		}
		img, err := doc.Render(*page-1, *dpi)
		if err != nil {
			return err
		}
		in, err := interpret.Prepare(viewer.Apply(img, edits), m.ImageLongSide)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		prompt, err := q.Prompt()
		if err != nil {
			return usagef("%v", err)
		}
		cv = c.NewConversation(m, &in, settings)
		if est != nil {
			cv.SetEstimator(est)
		}
		if res, err = cv.Ask(ctx, prompt, ro); err != nil {
			return err
		}
		p := q.ParseAnswer(res.Text)
		out.Labels, out.Letter, out.Warnings = p.Labels, p.Letter, q.Warnings()
		out.InputSHA256, out.InputWidth, out.InputHeight, out.BytesSent = in.SHA256, in.Width, in.Height, len(in.PNG)
		if m.NotEvaluated {
			out.Warnings = append(out.Warnings, m.Name+" is "+interpret.NotEvaluatedNote+".")
		}
	}
	out.Answer, out.Outcome, out.DoneReason = res.Text, string(res.Outcome), res.DoneReason
	out.Prompt, out.Options = res.Prompt, res.Options
	out.PromptTokens, out.EvalTokens = res.PromptTokens, res.EvalTokens
	out.LoadMS, out.PrefillMS, out.GenerationMS, out.TotalMS = ms(res.Load), ms(res.Prefill), ms(res.Generation), ms(res.Total)
	out.WallMS, out.FirstTokenMS = ms(res.Wall), ms(res.FirstToken)
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	if *findings && res.Outcome == interpret.OutcomeComplete && cv != nil {
		f, _, err := cv.Findings(ctx, interpret.RunOptions{})
		if err == nil {
			out.Findings = f
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout)
		if len(out.Labels) > 0 {
			fmt.Fprintf(stderr, "labels: %s\n", strings.Join(out.Labels, "; "))
		}
		if out.Letter != "" {
			fmt.Fprintf(stderr, "answer: %s\n", out.Letter)
		}
		if out.Findings != nil {
			b, _ := json.MarshalIndent(out.Findings, "", "  ")
			fmt.Fprintf(stderr, "findings (model estimates): %s\n", b)
		}
		if out.CaseUID != "" {
			fmt.Fprintf(stderr, "saved: case %s run %s (%s)\n", out.CaseUID, out.RunUID, out.Outcome)
		}
	}
	if res.Outcome != interpret.OutcomeComplete {
		return fmt.Errorf("%s: the run ended %s: %s", file, res.Outcome, res.Message())
	}
	return nil
}
