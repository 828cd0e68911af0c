package interpret

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"pulsedesk/interpret/ollamatest"
)

func TestParseFindings(t *testing.T) {
	f := ParseFindings(ollamatest.DefaultFindingsJSON)
	if !f.Available || f.Rhythm != "sinus rhythm" || f.Values["qtc"].Value != 410 || f.Values["heart_rate"].Unit != "bpm" {
		t.Fatalf("%+v", f)
	}
	for k, v := range f.Values {
		if v.Label != EstimateLabel {
			t.Errorf("%s is not labelled a model estimate", k)
		}
	}
	f = ParseFindings(`{"rhythm":"atrial fibrillation","heart_rate":null,"axis":null,"pr":null,"qrs":98,"qt":null,"qtc":null,"diagnoses":[]}`)
	if !f.Available || f.Values["pr"] != nil || f.Values["qrs"].Value != 98 {
		t.Errorf("nulls: %+v", f)
	}
	for _, junk := range []string{
		"The rhythm is sinus.",
		`{"rhythm":""}`,
		`{"rhythm":"sinus","heart_rate":"fast"}`,
		`{"rhythm":"sinus","qtc":4100}`,
		`{"rhythm":"sinus","diagnoses":"none"}`,
		`{"rhythm":"sinus"} {"rhythm":"again"}`,
	} {
		if f := ParseFindings(junk); f.Available || !strings.HasPrefix(f.Reason, "findings unavailable") {
			t.Errorf("junk %q accepted: %+v", junk, f)
		}
	}
}

func TestFindingsRequest(t *testing.T) {
	srv := ollamatest.New(t)
	cv := conversation(t, srv, Settings{})
	ctx := context.Background()
	if _, _, err := cv.Findings(ctx, RunOptions{}); err == nil {
		t.Error("findings before any answer")
	}
	if res, _ := cv.Ask(ctx, "Please write a clinical report based on this ECG image.", RunOptions{}); res.Outcome != OutcomeComplete {
		t.Fatal(res.Err)
	}
	f, res, err := cv.Findings(ctx, RunOptions{})
	if err != nil || !f.Available || res.Outcome != OutcomeComplete {
		t.Fatalf("findings %+v res %+v err %v", f, res, err)
	}
	reqs := srv.ChatRequests()
	last := reqs[len(reqs)-1]
	var schema map[string]any
	if err := json.Unmarshal(last.Format, &schema); err != nil || schema["type"] != "object" {
		t.Errorf("format %s", last.Format)
	}
	if len(last.Messages) != 3 || last.Messages[2].Content != FindingsPrompt {
		t.Errorf("findings request messages %+v", last.Messages)
	}
	if cv.Turns() != 1 {
		t.Errorf("the findings request joined the chat: %d turns", cv.Turns())
	}

	srv.SetFaults(ollamatest.Faults{JunkStructured: true})
	f, res, _ = cv.Findings(ctx, RunOptions{})
	if f.Available || res.Outcome != OutcomeComplete || !strings.Contains(f.Reason, "unavailable") {
		t.Errorf("junk findings: %+v", f)
	}
}
