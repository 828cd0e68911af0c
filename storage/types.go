package storage

import (
	"encoding/json"
	"time"
)

// Case status.
const (
	StatusDraft  = "draft"
	StatusSigned = "signed"
)

// Case is one ECG case: who it is about and what the clinician knows.
type Case struct {
	UID string `json:"uid"`
	// Number is the case's local serial number in this log (shown as "#14");
	// it is not carried across machines. Zero on a case not yet stored.
	Number     int64     `json:"number,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	RecordedAt time.Time `json:"recorded_at,omitzero"` // when the ECG was recorded; zero when unknown
	PatientRef string    `json:"patient_ref"`
	Age        *int      `json:"age,omitempty"` // years; nil when unknown
	Sex        string    `json:"sex,omitempty"` // "F", "M" or ""
	Context    string    `json:"context,omitempty"`
	Status     string    `json:"status"` // StatusDraft or StatusSigned
	Tags       []string  `json:"tags,omitempty"`
}

// Document is an original file, stored once by its SHA-256.
type Document struct {
	UID       string    `json:"uid"`
	CaseUID   string    `json:"case_uid"`
	SHA256    string    `json:"sha256"`
	Name      string    `json:"name"`
	MediaType string    `json:"media_type"`
	Pages     int       `json:"pages"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// ModelInput is the exact image a model was (or will be) given, with the
// edits that made it from the document.
type ModelInput struct {
	UID         string          `json:"uid"`
	CaseUID     string          `json:"case_uid"`
	DocumentUID string          `json:"document_uid,omitempty"` // "" when made without a stored document
	SHA256      string          `json:"sha256"`                 // of PNG
	PNG         []byte          `json:"-"`
	Width       int             `json:"width"`
	Height      int             `json:"height"`
	Edits       json.RawMessage `json:"edits"` // the viewer's Edits JSON, kept as given
	Page        int             `json:"page"`  // page of the document, 0-based
	DPI         float64         `json:"dpi,omitempty"`
	PxPerMMX    float64         `json:"px_per_mm_x,omitempty"` // straight frame
	PxPerMMY    float64         `json:"px_per_mm_y,omitempty"`
	Scale       float64         `json:"scale,omitempty"` // straight-frame pixels → model pixels
	CreatedAt   time.Time       `json:"created_at"`
}

// Outcome of a run.
type Outcome string

// Run outcomes. A run starts running and is closed once with one of the others.
const (
	OutcomeRunning     Outcome = "running"
	OutcomeComplete    Outcome = "complete"
	OutcomeCancelled   Outcome = "cancelled"
	OutcomeFailed      Outcome = "failed"
	OutcomeInterrupted Outcome = "interrupted"
)

// Run is one request to a model and what came back.
type Run struct {
	UID           string          `json:"uid"`
	CaseUID       string          `json:"case_uid"`
	ModelInputUID string          `json:"model_input_uid,omitempty"`
	ParentUID     string          `json:"parent_uid,omitempty"` // the run a follow-up continues
	Model         string          `json:"model"`
	ModelDigest   string          `json:"model_digest,omitempty"`
	Task          string          `json:"task,omitempty"`
	Prompt        string          `json:"prompt"`
	Options       json.RawMessage `json:"options,omitempty"` // request options as JSON (seed, temperature, ...)
	Answer        string          `json:"answer"`
	Outcome       Outcome         `json:"outcome"`
	Error         string          `json:"error,omitempty"`
	DoneReason    string          `json:"done_reason,omitempty"`
	PromptTokens  int             `json:"prompt_tokens,omitempty"`
	AnswerTokens  int             `json:"answer_tokens,omitempty"`
	Load          time.Duration   `json:"load_ns,omitempty"`
	Prefill       time.Duration   `json:"prefill_ns,omitempty"`
	Generation    time.Duration   `json:"generation_ns,omitempty"`
	StartedAt     time.Time       `json:"started_at"`
	CheckpointAt  time.Time       `json:"checkpointed_at,omitzero"`
	FinishedAt    time.Time       `json:"finished_at,omitzero"`
}

// RunResult closes a run.
type RunResult struct {
	Outcome      Outcome // complete, cancelled, failed or interrupted
	Answer       string  // the whole answer (partial when not complete)
	Error        string  // why it failed
	DoneReason   string
	PromptTokens int
	AnswerTokens int
	Load         time.Duration
	Prefill      time.Duration
	Generation   time.Duration
}

// Report is one version of the clinician's report. Versions are never
// edited: every save adds one.
type Report struct {
	UID       string    `json:"uid"`
	CaseUID   string    `json:"case_uid"`
	Version   int       `json:"version"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	Signed    bool      `json:"signed"`    // this version is a sign-off
	Amendment bool      `json:"amendment"` // saved after the case was signed
}

// Draft is the autosaved, unsaved text of a case's report (one per case).
type Draft struct {
	CaseUID   string    `json:"case_uid"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Measurement is one caliper measurement in the straight frame.
type Measurement struct {
	UID           string          `json:"uid"`
	CaseUID       string          `json:"case_uid"`
	ModelInputUID string          `json:"model_input_uid,omitempty"`
	Kind          string          `json:"kind"` // e.g. "RR", "QRS", "QT", "amplitude"
	Value         float64         `json:"value"`
	Unit          string          `json:"unit"`
	Points        json.RawMessage `json:"points"`      // JSON, straight frame (opaque to storage)
	Calibration   json.RawMessage `json:"calibration"` // JSON of the calibration used (opaque)
	Confirmed     bool            `json:"calibration_confirmed"`
	Note          string          `json:"note,omitempty"`
	Author        string          `json:"author,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

// Tombstone records a deleted case.
type Tombstone struct {
	CaseUID   string    `json:"case_uid"`
	DeletedAt time.Time `json:"deleted_at"`
	DeletedBy string    `json:"deleted_by"`
	Reason    string    `json:"reason"`
}

// CaseDetail is everything about one case, oldest first within each list.
type CaseDetail struct {
	Case         Case          `json:"case"`
	Documents    []Document    `json:"documents"`
	ModelInputs  []ModelInput  `json:"model_inputs"` // with PNG bytes
	Runs         []Run         `json:"runs"`
	Reports      []Report      `json:"reports"`
	Draft        *Draft        `json:"draft,omitempty"`
	Measurements []Measurement `json:"measurements"`
}

// LatestReport is the newest report version, or nil.
func (d *CaseDetail) LatestReport() *Report {
	if len(d.Reports) == 0 {
		return nil
	}
	return &d.Reports[len(d.Reports)-1]
}

// SignedReport is the newest signed report version, or nil.
func (d *CaseDetail) SignedReport() *Report {
	for i := len(d.Reports) - 1; i >= 0; i-- {
		if d.Reports[i].Signed {
			return &d.Reports[i]
		}
	}
	return nil
}

// ModelInput returns the model input with the given uid, or nil.
func (d *CaseDetail) ModelInput(uid string) *ModelInput {
	for i := range d.ModelInputs {
		if d.ModelInputs[i].UID == uid {
			return &d.ModelInputs[i]
		}
	}
	return nil
}
