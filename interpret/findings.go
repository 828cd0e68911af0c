package interpret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// EstimateLabel marks every value the model gives: it is not a measurement.
const EstimateLabel = "model estimate"

// FindingsSchema is the JSON schema the model is asked to fill (Ollama's
// structured outputs: the schema goes in the request's format).
var FindingsSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "rhythm": {"type": "string"},
    "heart_rate": {"type": ["integer", "null"]},
    "axis": {"type": ["string", "null"]},
    "pr": {"type": ["integer", "null"]},
    "qrs": {"type": ["integer", "null"]},
    "qt": {"type": ["integer", "null"]},
    "qtc": {"type": ["integer", "null"]},
    "diagnoses": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["rhythm", "heart_rate", "axis", "pr", "qrs", "qt", "qtc", "diagnoses"]
}`)

// FindingsPrompt asks for the structured summary of the answer just given.
const FindingsPrompt = "Summarize your interpretation of this ECG as JSON with these fields: rhythm; heart_rate in beats per minute; " +
	"axis; pr, qrs, qt and qtc intervals in milliseconds; diagnoses as a list. Use null for a value you cannot read."

// Value is one number from the model, always a model estimate.
type Value struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Label string  `json:"label"` // EstimateLabel
}

// Findings is the answer as data. When Available is false the free text
// stands alone and Reason says why.
type Findings struct {
	Available bool              `json:"available"`
	Reason    string            `json:"reason,omitempty"`
	Rhythm    string            `json:"rhythm,omitempty"`
	Axis      string            `json:"axis,omitempty"`
	Values    map[string]*Value `json:"values,omitempty"` // heart_rate, pr, qrs, qt, qtc
	Diagnoses []string          `json:"diagnoses,omitempty"`
	Label     string            `json:"label"` // EstimateLabel
	Raw       string            `json:"raw,omitempty"`
}

// plausible ranges; a value outside is junk, not a finding.
var valueRanges = map[string][3]any{
	"heart_rate": {15.0, 350.0, "bpm"},
	"pr":         {40.0, 600.0, "ms"},
	"qrs":        {30.0, 300.0, "ms"},
	"qt":         {150.0, 800.0, "ms"},
	"qtc":        {150.0, 800.0, "ms"},
}

// ParseFindings validates the model's JSON. Anything that is not the
// schema's object with plausible values gives Available=false.
func ParseFindings(raw string) Findings {
	f := Findings{Label: EstimateLabel, Raw: raw}
	fail := func(why string) Findings {
		return Findings{Label: EstimateLabel, Raw: raw, Reason: "findings unavailable: " + why}
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(strings.TrimSpace(raw)))
	if err := dec.Decode(&m); err != nil {
		return fail("the model did not return JSON")
	}
	if dec.More() {
		return fail("the model returned more than one JSON value")
	}
	if err := json.Unmarshal(m["rhythm"], &f.Rhythm); err != nil || strings.TrimSpace(f.Rhythm) == "" {
		return fail("no rhythm")
	}
	if v, ok := m["axis"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &f.Axis); err != nil {
			return fail("axis is not text")
		}
	}
	if v, ok := m["diagnoses"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &f.Diagnoses); err != nil {
			return fail("diagnoses is not a list of text")
		}
	}
	f.Values = map[string]*Value{}
	for k, r := range valueRanges {
		v, ok := m[k]
		if !ok || string(v) == "null" {
			continue
		}
		var x float64
		if err := json.Unmarshal(v, &x); err != nil || math.IsNaN(x) {
			return fail(k + " is not a number")
		}
		lo, hi, unit := r[0].(float64), r[1].(float64), r[2].(string)
		if x < lo || x > hi {
			return fail(fmt.Sprintf("%s %g %s is outside %g..%g", k, x, unit, lo, hi))
		}
		f.Values[k] = &Value{Value: x, Unit: unit, Label: EstimateLabel}
	}
	f.Available = true
	return f
}

// Findings asks the model, in the same chat, to turn its last answer into
// data. It needs a complete answer first. The run's outcome is returned
// with the findings; a failed run or junk gives Available=false.
func (cv *Conversation) Findings(ctx context.Context, ro RunOptions) (Findings, *Result, error) {
	if cv.Turns() == 0 {
		return Findings{}, nil, errors.New("findings: there is no answer to summarise yet")
	}
	ro.Format = FindingsSchema
	res, err := cv.Ask(ctx, FindingsPrompt, ro)
	if err != nil {
		return Findings{Label: EstimateLabel, Reason: "findings unavailable: " + err.Error()}, nil, err
	}
	if res.Outcome != OutcomeComplete {
		return Findings{Label: EstimateLabel, Raw: res.Text, Reason: "findings unavailable: " + res.Message()}, res, nil
	}
	return ParseFindings(res.Text), res, nil
}
