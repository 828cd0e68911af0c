package interpret

import (
	"reflect"
	"strings"
	"testing"
)

func TestPrompts(t *testing.T) {
	p, err := Question{Task: TaskReport}.Prompt()
	if err != nil || p != "Please write a clinical report based on this ECG image." {
		t.Fatalf("report prompt = %q, %v", p, err)
	}
	p, _ = Question{Task: TaskAbnormal}.Prompt()
	if !strings.Contains(p, "enumerate them using semicolon: 1dAVb(1st degree av block), RBBB(right bundle branch block)") ||
		!strings.HasSuffix(p, "Only answer based on the given options without any explanation.") {
		t.Errorf("abnormal prompt = %q", p)
	}
	p, _ = Question{Task: TaskMCQ, Text: "What is the rhythm?", Options: []string{"Sinus rhythm", "Atrial fibrillation"}}.Prompt()
	want := "What is the rhythm?\nOptions:\nA. Sinus rhythm\nB. Atrial fibrillation\nAnswer with the option's letter from the given choices directly."
	if p != want {
		t.Errorf("mcq prompt = %q", p)
	}
	for _, q := range []Question{{Task: TaskAsk}, {Task: TaskMCQ, Text: "Q?", Options: []string{"one"}}, {Task: "poem"}, {Task: TaskReport, Context: PatientContext{Sex: "X"}}} {
		if _, err := q.Prompt(); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

func TestContextLines(t *testing.T) {
	q := Question{Task: TaskReport, Context: PatientContext{
		Age: 64, Sex: "f", Clinical: "chest pain for 2 h",
		Measurements: []Measurement{{"heart rate", 72, "bpm"}, {"QTc", 452, "ms"}},
		SpeedMMPerS:  50, GainMMPerMV: 10,
	}}
	p, _ := q.Prompt()
	if strings.Contains(p, "Measured") {
		t.Errorf("measurements on an unconfirmed calibration reached the model: %q", p)
	}
	if len(q.Warnings()) != 1 {
		t.Errorf("warnings = %q", q.Warnings())
	}
	q.Context.CalibrationConfirmed = true
	p, _ = q.Prompt()
	want := "Patient: 64-year-old female.\nClinical context: chest pain for 2 h.\nMeasured: heart rate 72 bpm; QTc 452 ms.\n" +
		"Paper speed: 50 mm/s (not the standard 25 mm/s).\nPlease write a clinical report based on this ECG image."
	if p != want {
		t.Errorf("prompt =\n%s\nwant\n%s", p, want)
	}
	child := Question{Task: TaskReport, Context: PatientContext{Age: 9}}
	if w := child.Warnings(); len(w) != 1 || !strings.Contains(w[0], "adult") {
		t.Errorf("age 9: warnings %q", w)
	}
	if w := (Question{Task: TaskReport, Context: PatientContext{Age: 18}}).Warnings(); len(w) != 0 {
		t.Errorf("age 18: warnings %q", w)
	}
}

func TestParseLabels(t *testing.T) {
	cases := map[string][]string{
		"RBBB(right bundle branch block)":               {"RBBB"},
		"AF; RBBB":                                      {"RBBB", "AF"},
		"atrial fibrillation; 1st degree AV block":      {"1dAVb", "AF"},
		"ST(sinus tachycardia);SB":                      {"SB", "ST"},
		"None of the options apply.":                    nil,
		"STE in V2":                                     nil, // "ST" only as a whole word
		"LBBB(left bundle branch block); LBBB; unknown": {"LBBB"},
	}
	for text, want := range cases {
		if got := ParseLabels(text, DefaultLabels); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseLabels(%q) = %q, want %q", text, got, want)
		}
	}
	ls, err := ParseLabelList("NORM, MI(myocardial infarction); STTC")
	if err != nil || len(ls) != 3 || ls[1] != (Label{"MI", "myocardial infarction"}) {
		t.Errorf("ParseLabelList = %+v, %v", ls, err)
	}
	if _, err := ParseLabelList("AF(atrial"); err == nil {
		t.Error("unclosed label accepted")
	}
}

func TestParseChoice(t *testing.T) {
	cases := map[string]string{
		"B":                          "B",
		"(B)":                        "B",
		"B.":                         "B",
		"B)":                         "B",
		" C ":                        "C",
		"The correct option is B":    "B",
		"The correct answer is (D).": "D",
		"Answer: B":                  "B",
		"answer: C. Inferior wall":   "C",
		"C. Inferior wall":           "C",
		"Based on this, we select C. Inferior wall": "C",
		"I would choose option A because":           "A",
		"I cannot tell.":                            "",
		"":                                          "",
		"E":                                         "", // only four options
	}
	for text, want := range cases {
		if got := ParseChoice(text, 4); got != want {
			t.Errorf("ParseChoice(%q) = %q, want %q", text, got, want)
		}
	}
	q := Question{Task: TaskMCQ, Text: "Rhythm?", Options: []string{"Sinus rhythm", "Atrial fibrillation", "Flutter"}}
	if p := q.ParseAnswer("The rhythm is atrial fibrillation."); p.Letter != "B" || p.Option != "Atrial fibrillation" {
		t.Errorf("by option text: %+v", p)
	}
	if p := q.ParseAnswer("(C)"); p.Letter != "C" || p.Option != "Flutter" {
		t.Errorf("by letter: %+v", p)
	}
}
