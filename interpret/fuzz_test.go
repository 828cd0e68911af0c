package interpret

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pulsedesk/assets"
)

// Whatever the model writes, reading it never panics and gives only
// letters among the options and labels from the list.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{"B", "(C)", "The correct option is B", "Answer: D", "AF; RBBB", "1dAVb(1st degree av block)",
		`{"rhythm":"sinus","heart_rate":72}`, "", "A.B.C.", "{", `{"rhythm":"x","qtc":1e309}`} {
		f.Add(s)
	}
	opts := []string{"Sinus rhythm", "Atrial fibrillation", "Flutter", "Asystole"}
	f.Fuzz(func(t *testing.T, text string) {
		q := Question{Task: TaskMCQ, Text: "Rhythm?", Options: opts}
		p := q.ParseAnswer(text)
		if p.Letter != "" && (len(p.Letter) != 1 || p.Letter[0] < 'A' || p.Letter[0] > 'D') {
			t.Fatalf("letter %q for %q", p.Letter, text)
		}
		for _, l := range ParseLabels(text, DefaultLabels) {
			ok := false
			for _, d := range DefaultLabels {
				ok = ok || d.Code == l
			}
			if !ok {
				t.Fatalf("label %q not in the list", l)
			}
		}
		if fd := ParseFindings(text); fd.Available && strings.TrimSpace(fd.Rhythm) == "" {
			t.Fatalf("findings without a rhythm accepted: %q", text)
		}
	})
}

// A damaged Modelfile is an error or a result, never a panic.
func FuzzParseModelfile(f *testing.F) {
	f.Add(assets.ModelfilePULSE)
	f.Add("FROM x\nTEMPLATE \"\"\"unterminated")
	f.Add("PARAMETER stop")
	f.Fuzz(func(t *testing.T, text string) {
		mf, err := ParseModelfile(text)
		if err == nil && utf8.ValidString(text) && mf.Parameters == nil {
			t.Fatal("no parameter map")
		}
	})
}
