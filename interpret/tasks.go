package interpret

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// TaskKind names a task preset.
type TaskKind string

// The task presets.
const (
	TaskReport   TaskKind = "report"   // clinical report
	TaskRhythm   TaskKind = "rhythm"   // the heart rhythm in a phrase
	TaskAbnormal TaskKind = "abnormal" // abnormalities from a label list, semicolon-separated
	TaskMCQ      TaskKind = "mcq"      // multiple choice, answered by letter
	TaskAsk      TaskKind = "ask"      // a free question
)

// Task is a preset: its title, its prompt and how its answer is read.
// Prompts follow the wording PULSE was tuned on (ECGInstruct) and tested
// with (ECGBench).
type Task struct {
	Kind  TaskKind
	Title string
	// Prompt is the instruction; {labels}, {question} and {options} are
	// filled from the Question.
	Prompt        string
	NeedsQuestion bool
	NeedsLabels   bool
	NeedsOptions  bool
}

// Tasks are the presets in the order the window lists them.
var Tasks = []Task{
	{Kind: TaskReport, Title: "Clinical report",
		Prompt: "Please write a clinical report based on this ECG image."},
	{Kind: TaskRhythm, Title: "Rhythm",
		Prompt: "What is the heart rhythm shown in this ECG image? Answer with the rhythm in one short phrase."},
	{Kind: TaskAbnormal, Title: "Abnormality detection", NeedsLabels: true,
		Prompt: "As part of a heart health assessment, your task is to examine the ECG, identify all fitting options " +
			"from the provided list, and enumerate them using semicolon: {labels}. Only answer based on the given options without any explanation."},
	{Kind: TaskMCQ, Title: "Multiple choice", NeedsQuestion: true, NeedsOptions: true,
		Prompt: "{question}\nOptions:\n{options}\nAnswer with the option's letter from the given choices directly."},
	{Kind: TaskAsk, Title: "Free question", NeedsQuestion: true, Prompt: "{question}"},
}

// TaskByKind finds a preset.
func TaskByKind(k TaskKind) (Task, bool) {
	for _, t := range Tasks {
		if t.Kind == k {
			return t, true
		}
	}
	return Task{}, false
}

// Label is one answer option of abnormality detection: a short code and,
// optionally, its meaning, written as CODE(meaning) in the prompt.
type Label struct {
	Code string
	Name string
}

func (l Label) String() string {
	if l.Name == "" {
		return l.Code
	}
	return l.Code + "(" + l.Name + ")"
}

// DefaultLabels are the CODE-15 % abnormality labels of ECGBench.
var DefaultLabels = []Label{
	{"1dAVb", "1st degree av block"},
	{"RBBB", "right bundle branch block"},
	{"LBBB", "left bundle branch block"},
	{"SB", "sinus bradycardia"},
	{"ST", "sinus tachycardia"},
	{"AF", "atrial fibrillation"},
}

// ParseLabelList reads "AF(atrial fibrillation), RBBB, ..." (comma or
// semicolon separated) into labels.
func ParseLabelList(s string) ([]Label, error) {
	var out []Label
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, rest, ok := strings.Cut(part, "(")
		l := Label{Code: strings.TrimSpace(code)}
		if ok {
			name, _, closed := strings.Cut(rest, ")")
			if !closed {
				return nil, fmt.Errorf("label %q: missing closing parenthesis", part)
			}
			l.Name = strings.TrimSpace(name)
		}
		if l.Code == "" {
			return nil, fmt.Errorf("label %q has no code", part)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the label list is empty")
	}
	return out, nil
}

// splitTopLevel splits on commas and semicolons outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ',', ';':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Measurement is a value the clinician measured with calibrated calipers.
type Measurement struct {
	Name  string  // e.g. "heart rate", "PR", "QTc"
	Value float64 // in Unit
	Unit  string  // e.g. "bpm", "ms"
}

// PatientContext is what the clinician knows besides the image.
type PatientContext struct {
	Age      int    // years; 0 = unknown
	Sex      string // "F", "M" or ""
	Clinical string // free text, e.g. "chest pain for 2 h"
	// Measurements are given to the model only when CalibrationConfirmed.
	Measurements         []Measurement
	CalibrationConfirmed bool
	// SpeedMMPerS and GainMMPerMV are mentioned when not 25 mm/s and 10 mm/mV (0 = standard).
	SpeedMMPerS float64
	GainMMPerMV float64
}

// Question is one thing to ask about an ECG.
type Question struct {
	Task    TaskKind
	Text    string   // the question for mcq and ask
	Labels  []Label  // for abnormal; DefaultLabels when empty
	Options []string // for mcq, lettered A, B, C ... in order
	Context PatientContext
}

// Validate checks that the question has what its task needs.
func (q Question) Validate() error {
	t, ok := TaskByKind(q.Task)
	if !ok {
		return fmt.Errorf("unknown task %q (report, rhythm, abnormal, mcq or ask)", q.Task)
	}
	if t.NeedsQuestion && strings.TrimSpace(q.Text) == "" {
		return fmt.Errorf("task %s needs a question", q.Task)
	}
	if t.NeedsOptions && len(q.Options) < 2 {
		return fmt.Errorf("task %s needs at least two options", q.Task)
	}
	if len(q.Options) > 8 {
		return fmt.Errorf("task %s takes at most eight options (A to H)", q.Task)
	}
	if q.Context.Age < 0 || q.Context.Age > 130 {
		return fmt.Errorf("age %d is not a plausible age in years", q.Context.Age)
	}
	switch strings.ToUpper(q.Context.Sex) {
	case "", "F", "M":
	default:
		return fmt.Errorf("sex %q: use F, M or leave it empty", q.Context.Sex)
	}
	return nil
}

func (q Question) labels() []Label {
	if len(q.Labels) == 0 {
		return DefaultLabels
	}
	return q.Labels
}

// Prompt is the text of the user turn (without the image tag, which Ollama
// places before it): the patient context lines, if any, then the task's
// instruction, so the instruction and its answer format come last.
func (q Question) Prompt() (string, error) {
	if err := q.Validate(); err != nil {
		return "", err
	}
	t, _ := TaskByKind(q.Task)
	var labels []string
	for _, l := range q.labels() {
		labels = append(labels, l.String())
	}
	var opts []string
	for i, o := range q.Options {
		opts = append(opts, fmt.Sprintf("%c. %s", 'A'+i, strings.TrimSpace(o)))
	}
	p := strings.NewReplacer(
		"{labels}", strings.Join(labels, ", "),
		"{question}", strings.TrimSpace(q.Text),
		"{options}", strings.Join(opts, "\n"),
	).Replace(t.Prompt)
	if ctx := q.Context.Lines(); len(ctx) > 0 {
		p = strings.Join(ctx, "\n") + "\n" + p
	}
	return p, nil
}

// Lines are the context sentences given to the model.
func (c PatientContext) Lines() []string {
	var out []string
	var who []string
	if c.Age > 0 {
		who = append(who, fmt.Sprintf("%d-year-old", c.Age))
	}
	switch strings.ToUpper(c.Sex) {
	case "F":
		who = append(who, "female")
	case "M":
		who = append(who, "male")
	}
	if len(who) > 0 {
		out = append(out, "Patient: "+strings.Join(who, " ")+".")
	}
	if s := strings.TrimSpace(c.Clinical); s != "" {
		out = append(out, "Clinical context: "+strings.TrimSuffix(s, ".")+".")
	}
	if c.CalibrationConfirmed && len(c.Measurements) > 0 {
		var ms []string
		for _, m := range c.Measurements {
			ms = append(ms, fmt.Sprintf("%s %s %s", m.Name, strconv.FormatFloat(m.Value, 'f', -1, 64), m.Unit))
		}
		out = append(out, "Measured: "+strings.Join(ms, "; ")+".")
	}
	if c.SpeedMMPerS > 0 && c.SpeedMMPerS != 25 {
		out = append(out, fmt.Sprintf("Paper speed: %s mm/s (not the standard 25 mm/s).", strconv.FormatFloat(c.SpeedMMPerS, 'f', -1, 64)))
	}
	if c.GainMMPerMV > 0 && c.GainMMPerMV != 10 {
		out = append(out, fmt.Sprintf("Gain: %s mm/mV (not the standard 10 mm/mV).", strconv.FormatFloat(c.GainMMPerMV, 'f', -1, 64)))
	}
	return out
}

// Warnings are the cautions shown with the question before and after the run.
func (q Question) Warnings() []string {
	var w []string
	if q.Context.Age > 0 && q.Context.Age < 18 {
		w = append(w, fmt.Sprintf("Patient is %d: PULSE was trained on adult ECGs and was not evaluated on children.", q.Context.Age))
	}
	if !q.Context.CalibrationConfirmed && len(q.Context.Measurements) > 0 {
		w = append(w, "Measurements were not given to the model: the calibration is not confirmed.")
	}
	return w
}

// Parsed is what was read from an answer, by task.
type Parsed struct {
	Labels []string // abnormal: the label codes found, in list order
	Letter string   // mcq: "A".."H", or "" when none could be read
	Option string   // mcq: the chosen option's text
}

// ParseAnswer reads the answer the way its task asks for.
func (q Question) ParseAnswer(text string) Parsed {
	switch q.Task {
	case TaskAbnormal:
		return Parsed{Labels: ParseLabels(text, q.labels())}
	case TaskMCQ:
		l := ParseChoice(text, len(q.Options))
		p := Parsed{Letter: l}
		if l != "" {
			p.Option = q.Options[l[0]-'A']
		} else if i := uniqueOption(text, q.Options); i >= 0 {
			p.Letter, p.Option = string(rune('A'+i)), q.Options[i]
		}
		return p
	}
	return Parsed{}
}

// ParseLabels reads a semicolon-separated answer back into label codes: a
// part names a label by its code (as a whole word, case as given) or by its
// meaning (any case). Labels come back in list order, each once.
func ParseLabels(text string, labels []Label) []string {
	found := map[string]bool{}
	for _, part := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' || r == ',' }) {
		part = strings.TrimSpace(part)
		lower := strings.ToLower(part)
		for _, l := range labels {
			if containsWord(part, l.Code) || (l.Name != "" && strings.Contains(lower, strings.ToLower(l.Name))) {
				found[l.Code] = true
			}
		}
	}
	var out []string
	for _, l := range labels {
		if found[l.Code] {
			out = append(out, l.Code)
		}
	}
	return out
}

// containsWord reports whether w occurs in s with no letter or digit on either side.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(s[j-1])
		end := j + len(w)
		after := end == len(s) || !isWordByte(s[end])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}

var (
	reLoneLetter = regexp.MustCompile(`^\s*[\(\[]?([A-H])[\)\]]?\s*[\.\):]?\s*$`)
	reCorrect    = regexp.MustCompile(`(?i:correct|right|best)\s+(?i:option|answer|choice)\s+(?i:is|would be|:)\s*:?\s*[\(\[]?([A-H])\b`)
	reAnswer     = regexp.MustCompile(`\b(?i:answer)\s*(?i:is)?\s*[:\-]?\s*[\(\[]?([A-H])\b`)
	reLeading    = regexp.MustCompile(`^\s*[\(\[]?([A-H])[\)\]\.:]`)
	reOption     = regexp.MustCompile(`\b(?i:option)\s+[\(\[]?([A-H])\b`)
	reLetterDot  = regexp.MustCompile(`(?:^|[^A-Za-z])[\(\[]?([A-H])[\.\)\]]`)
)

// ParseChoice reads the option letter from a multiple-choice answer: a
// lone letter, "(B)", "B.", "B)", "The correct option is B", "Answer: B",
// "option B", or a leading "B." in a longer text. Letters beyond the
// number of options (n > 0) are not accepted. "" when no letter is found.
func ParseChoice(text string, n int) string {
	valid := func(s string) bool { return n <= 0 || int(s[0]-'A') < n }
	for _, re := range []*regexp.Regexp{reLoneLetter, reCorrect, reAnswer, reLeading, reOption} {
		if m := re.FindStringSubmatch(text); m != nil && valid(m[1]) {
			return strings.ToUpper(m[1])
		}
	}
	// Last resort, as ECGBench's own scorer: a capital letter followed by
	// "." or ")" with no letter before it; only when exactly one letter does.
	seen := map[string]bool{}
	for _, m := range reLetterDot.FindAllStringSubmatch(text, -1) {
		if valid(m[1]) {
			seen[m[1]] = true
		}
	}
	if len(seen) == 1 {
		for l := range seen {
			return l
		}
	}
	return ""
}

// uniqueOption is the index of the only option whose text the answer
// contains, or -1.
func uniqueOption(text string, options []string) int {
	lower := strings.ToLower(text)
	idx := -1
	for i, o := range options {
		o = strings.ToLower(strings.TrimSpace(o))
		if o != "" && strings.Contains(lower, o) {
			if idx >= 0 {
				return -1
			}
			idx = i
		}
	}
	return idx
}
