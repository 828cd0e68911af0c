package storage

import (
	"context"
	"testing"
	"time"
)

func TestSearchFindsWordOnlyInAnswer(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a, in := newCaseWithInput(t, s, "ALPHA-1")
	b, _ := newCaseWithInput(t, s, "BRAVO-2")
	r, err := s.StartRun(ctx, Run{CaseUID: a.UID, ModelInputUID: in.UID, Model: "pulse:latest", Prompt: "Please write a clinical report based on this ECG image."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseRun(ctx, r.UID, RunResult{Outcome: OutcomeComplete, Answer: "Atrial fibrillation with rapid ventricular response; left axis deviation."}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveReportVersion(ctx, b.UID, "Wolff-Parkinson-White pattern.", "Dr A"); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCase(ctx, Case{PatientRef: "Иванов Пётр", Context: "Συγκοπή"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"fibrillation", []string{a.UID}},                // only in the answer
		{"FIBRILL", []string{a.UID}},                     // prefix, any case
		{"ventricular fibrillation", []string{a.UID}},    // all words
		{"parkinson", []string{b.UID}},                   // only in a report
		{"bravo", []string{b.UID}},                       // patient reference
		{"иванов", []string{c.UID}},                      // Cyrillic, case folded
		{"ΣΥΓΚΟΠΉ", []string{c.UID}},                     // Greek, case folded
		{"chest", []string{b.UID, a.UID}},                // context, newest first
		{`"unbalanced (quote* AND OR NEAR(`, []string{}}, // no syntax error reaches the user
		{"fibrillation parkinson", []string{}},           // no case holds both
	} {
		p, err := s.Search(ctx, tc.q, Filter{})
		if err != nil {
			t.Errorf("search %q: %v", tc.q, err)
			continue
		}
		if got := uids(p.Cases); !equalStrings(got, tc.want) {
			t.Errorf("search %q: %v, want %v", tc.q, got, tc.want)
		}
	}
	// Filters.
	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"model", Filter{Model: "pulse"}, []string{a.UID}},
		{"model exact", Filter{Model: "pulse:latest"}, []string{a.UID}},
		{"other model", Filter{Model: "llava"}, []string{}},
		{"tag", Filter{Tag: "ward 3"}, []string{b.UID, a.UID}},
		{"status", Filter{Status: StatusDraft, Query: "иванов"}, []string{c.UID}},
		{"signed", Filter{Status: StatusSigned}, []string{}},
		{"future", Filter{From: time.Now().Add(time.Hour)}, []string{}},
		{"until now", Filter{To: time.Now().Add(time.Hour), Tag: "chest pain"}, []string{b.UID, a.UID}},
	} {
		p, err := s.ListCases(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := uids(p.Cases); !equalStrings(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A checkpointed answer is searchable while it streams; a deleted case is gone from search.
	r2, _ := s.StartRun(ctx, Run{CaseUID: b.UID, Model: "pulse"})
	if err := s.CheckpointRun(ctx, r2.UID, "Brugada pattern suspected"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Search(ctx, "brugada", Filter{}); !equalStrings(uids(p.Cases), []string{b.UID}) {
		t.Errorf("checkpointed answer not found: %v", uids(p.Cases))
	}
	if _, err := s.DeleteCase(ctx, a.UID, "Dr A", "test"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Search(ctx, "fibrillation", Filter{}); len(p.Cases) != 0 {
		t.Errorf("deleted case still found: %v", uids(p.Cases))
	}
}

func TestListPages(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	var all []string
	for i := 0; i < 23; i++ {
		at := base.Add(time.Duration(i/2) * time.Hour) // pairs share a creation time
		c, err := s.CreateCase(ctx, Case{PatientRef: "P", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		all = append([]string{c.UID}, all...)
	}
	var got []string
	f := Filter{Limit: 5}
	pages := 0
	for {
		p, err := s.ListCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, uids(p.Cases)...)
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	if pages != 5 || !equalStrings(got, all) {
		t.Errorf("%d pages: %v\nwant %v", pages, got, all)
	}
	if _, err := s.ListCases(ctx, Filter{After: "garbage"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
}

func uids(cs []Case) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.UID)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
