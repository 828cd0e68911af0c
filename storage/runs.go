package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrRunClosed reports a checkpoint or close of a run that is no longer running.
var ErrRunClosed = errors.New("run is already closed")

// StartRun records a run as it starts (outcome running), bound to its case
// and, when given, its model input and the run it follows up. UID, Outcome
// and StartedAt are filled in.
func (s *Store) StartRun(ctx context.Context, r Run) (Run, error) {
	if strings.TrimSpace(r.Model) == "" {
		return Run{}, fmt.Errorf("case log %s: new run for case %s: no model named", s.path, r.CaseUID)
	}
	if len(r.Options) == 0 {
		r.Options = json.RawMessage("{}")
	} else if !json.Valid(r.Options) {
		return Run{}, fmt.Errorf("case log %s: new run for case %s: options are not valid JSON", s.path, r.CaseUID)
	}
	if r.UID == "" {
		r.UID = newUID()
	}
	r.Outcome = OutcomeRunning
	r.StartedAt = s.nowTime()
	r.FinishedAt, r.CheckpointAt = time.Time{}, time.Time{}
	err := s.write(ctx, "new run", func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, r.CaseUID)
		if err != nil {
			return err
		}
		var inputID, parentID sql.NullInt64
		if r.ModelInputUID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT id FROM model_inputs WHERE uid = ? AND case_id = ?`, r.ModelInputUID, cid).Scan(&inputID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("model input %s of case %s: %w", r.ModelInputUID, r.CaseUID, ErrNotFound)
				}
				return err
			}
		}
		if r.ParentUID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE uid = ? AND case_id = ?`, r.ParentUID, cid).Scan(&parentID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("run %s of case %s: %w", r.ParentUID, r.CaseUID, ErrNotFound)
				}
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO runs (uid, case_id, model_input_id, parent_id, model, model_digest, task, prompt, options, answer, outcome, started_at, owner)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
			r.UID, cid, inputID, parentID, r.Model, r.ModelDigest, r.Task, r.Prompt, string(r.Options), r.Answer, ms(r.StartedAt), s.owner)
		return err
	})
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// CheckpointRun saves the answer streamed so far of a running run. Call it
// every few seconds while the answer streams: a power cut loses at most the
// text since the last checkpoint.
func (s *Store) CheckpointRun(ctx context.Context, runUID, answer string) error {
	return s.write(ctx, "checkpoint run "+runUID, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET answer = ?, checkpointed_at = ? WHERE uid = ? AND outcome = 'running'`, answer, ms(s.now()), runUID)
		if err != nil {
			return err
		}
		return oneRunChanged(ctx, tx, res, runUID)
	})
}

func oneRunChanged(ctx context.Context, tx *sql.Tx, res sql.Result, runUID string) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	var outcome string
	if err := tx.QueryRowContext(ctx, `SELECT outcome FROM runs WHERE uid = ?`, runUID).Scan(&outcome); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %s: %w", runUID, ErrNotFound)
		}
		return err
	}
	return fmt.Errorf("run %s (%s): %w", runUID, outcome, ErrRunClosed)
}

// CloseRun closes a running run exactly once with its outcome and the whole
// answer. Closing a closed run fails with ErrRunClosed.
func (s *Store) CloseRun(ctx context.Context, runUID string, res RunResult) (Run, error) {
	switch res.Outcome {
	case OutcomeComplete, OutcomeCancelled, OutcomeFailed, OutcomeInterrupted:
	default:
		return Run{}, fmt.Errorf("case log %s: close run %s: outcome %q is not one of complete, cancelled, failed, interrupted", s.path, runUID, res.Outcome)
	}
	var out Run
	err := s.write(ctx, "close run "+runUID, func(tx *sql.Tx) error {
		now := ms(s.now())
		r, err := tx.ExecContext(ctx, `UPDATE runs SET answer = ?, outcome = ?, error = ?, done_reason = ?, prompt_tokens = ?, answer_tokens = ?,
			load_ns = ?, prefill_ns = ?, generation_ns = ?, checkpointed_at = ?, finished_at = ? WHERE uid = ? AND outcome = 'running'`,
			res.Answer, string(res.Outcome), res.Error, res.DoneReason, res.PromptTokens, res.AnswerTokens,
			int64(res.Load), int64(res.Prefill), int64(res.Generation), now, now, runUID)
		if err != nil {
			return err
		}
		if err := oneRunChanged(ctx, tx, r, runUID); err != nil {
			return err
		}
		out, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+runFrom+` WHERE r.uid = ?`, runUID))
		return err
	})
	return out, err
}

const runCols = `r.uid, c.uid, coalesce(m.uid, ''), coalesce(p.uid, ''), r.model, r.model_digest, r.task, r.prompt, r.options, r.answer, r.outcome,
	r.error, r.done_reason, r.prompt_tokens, r.answer_tokens, r.load_ns, r.prefill_ns, r.generation_ns, r.started_at, r.checkpointed_at, r.finished_at`
const runFrom = ` FROM runs r JOIN cases c ON c.id = r.case_id LEFT JOIN model_inputs m ON m.id = r.model_input_id LEFT JOIN runs p ON p.id = r.parent_id`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var opts, outcome string
	var load, prefill, gen, started int64
	var cp, fin sql.NullInt64
	err := sc.Scan(&r.UID, &r.CaseUID, &r.ModelInputUID, &r.ParentUID, &r.Model, &r.ModelDigest, &r.Task, &r.Prompt, &opts, &r.Answer, &outcome,
		&r.Error, &r.DoneReason, &r.PromptTokens, &r.AnswerTokens, &load, &prefill, &gen, &started, &cp, &fin)
	r.Options = json.RawMessage(opts)
	r.Outcome = Outcome(outcome)
	r.Load, r.Prefill, r.Generation = durNS(load), durNS(prefill), durNS(gen)
	r.StartedAt, r.CheckpointAt, r.FinishedAt = fromMS(started), fromNullMS(cp), fromNullMS(fin)
	return r, err
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, uid string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+runFrom+` WHERE r.uid = ?`, uid))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("case log %s: run %s: %w", s.path, uid, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("case log %s: run %s: %w", s.path, uid, err)
	}
	return r, nil
}

// CloseOrphanedRuns closes as interrupted every run still running whose
// process is gone (see owner.go for how that is decided); Open calls it. It
// returns how many runs it closed.
func (s *Store) CloseOrphanedRuns(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT owner FROM runs WHERE outcome = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("case log %s: looking for interrupted runs: %w", s.path, err)
	}
	var gone []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, err
		}
		if o != s.owner && !ownerAlive(o) {
			gone = append(gone, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(gone) == 0 {
		return 0, err
	}
	var n int64
	err = s.write(ctx, "closing interrupted runs", func(tx *sql.Tx) error {
		n = 0
		now := ms(s.now())
		for _, o := range gone {
			res, err := tx.ExecContext(ctx, `UPDATE runs SET outcome = 'interrupted', finished_at = ?,
				error = 'the app stopped while the answer was streaming; the answer is kept up to its last checkpoint'
				WHERE outcome = 'running' AND owner = ?`, now, o)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return int(n), err
}

func durNS(v int64) time.Duration { return time.Duration(v) }
