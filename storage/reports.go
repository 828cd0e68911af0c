package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

func checkReport(body, author string) error {
	if strings.TrimSpace(author) == "" {
		return errors.New("a report version needs its author")
	}
	if len(body) > maxText || !utf8.ValidString(body) {
		return errors.New("report text too long or not valid UTF-8")
	}
	return nil
}

// SaveReportVersion adds a new version of the case's report with its
// author. On a signed case the new version is an amendment (unsigned until
// SignOff). The autosaved draft is cleared.
func (s *Store) SaveReportVersion(ctx context.Context, caseUID, body, author string) (Report, error) {
	return s.addReport(ctx, caseUID, body, author, false)
}

// SignOff adds a signed version of the report (body as given) and marks the
// case signed. Signing an already signed case adds a signed amendment.
func (s *Store) SignOff(ctx context.Context, caseUID, body, author string) (Report, error) {
	return s.addReport(ctx, caseUID, body, author, true)
}

func (s *Store) addReport(ctx context.Context, caseUID, body, author string, sign bool) (Report, error) {
	if err := checkReport(body, author); err != nil {
		return Report{}, fmt.Errorf("case log %s: report of case %s: %w", s.path, caseUID, err)
	}
	r := Report{UID: newUID(), CaseUID: caseUID, Body: body, Author: strings.TrimSpace(author), CreatedAt: s.nowTime(), Signed: sign}
	err := s.write(ctx, "save report of case "+caseUID, func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, caseUID)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status, (SELECT coalesce(max(version), 0) + 1 FROM reports WHERE case_id = ?1) FROM cases WHERE id = ?1`, cid).Scan(&status, &r.Version); err != nil {
			return err
		}
		r.Amendment = status == StatusSigned
		if _, err := tx.ExecContext(ctx, `INSERT INTO reports (uid, case_id, version, body, author, created_at, signed, amendment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.UID, cid, r.Version, r.Body, r.Author, ms(r.CreatedAt), r.Signed, r.Amendment); err != nil {
			return err
		}
		if sign {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'signed', updated_at = ? WHERE id = ?`, ms(r.CreatedAt), cid); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, ms(r.CreatedAt), cid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM report_drafts WHERE case_id = ?`, cid)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return r, nil
}

const reportCols = `r.uid, c.uid, r.version, r.body, r.author, r.created_at, r.signed, r.amendment`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var at int64
	err := sc.Scan(&r.UID, &r.CaseUID, &r.Version, &r.Body, &r.Author, &at, &r.Signed, &r.Amendment)
	r.CreatedAt = fromMS(at)
	return r, err
}

// Reports lists the versions of a case's report, oldest first.
func (s *Store) Reports(ctx context.Context, caseUID string) ([]Report, error) {
	var out []Report
	err := s.read(ctx, "reports of case "+caseUID, func(q querier) error {
		var err error
		out, err = listReports(ctx, q, caseUID)
		return err
	})
	return out, err
}

func listReports(ctx context.Context, q querier, caseUID string) ([]Report, error) {
	id, err := caseID(ctx, q, caseUID)
	if err != nil {
		return nil, err
	}
	return collect(ctx, q, scanReport, `SELECT `+reportCols+` FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.case_id = ? ORDER BY r.version, r.id`, id)
}

// SaveDraft autosaves the report text being typed (one draft per case,
// replaced on every call; not a version).
func (s *Store) SaveDraft(ctx context.Context, caseUID, body, author string) error {
	if len(body) > maxText || !utf8.ValidString(body) {
		return fmt.Errorf("case log %s: draft of case %s: text too long or not valid UTF-8", s.path, caseUID)
	}
	return s.write(ctx, "save draft of case "+caseUID, func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, caseUID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO report_drafts (case_id, body, author, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (case_id) DO UPDATE SET body = excluded.body, author = excluded.author, updated_at = excluded.updated_at`,
			cid, body, author, ms(s.now()))
		return err
	})
}

// Draft returns the autosaved draft of a case, or nil when there is none.
func (s *Store) Draft(ctx context.Context, caseUID string) (*Draft, error) {
	d, err := getDraft(ctx, s.db, caseUID)
	if err != nil {
		return nil, fmt.Errorf("case log %s: draft of case %s: %w", s.path, caseUID, err)
	}
	return d, nil
}

// DiscardDraft removes the autosaved draft of a case.
func (s *Store) DiscardDraft(ctx context.Context, caseUID string) error {
	return s.write(ctx, "discard draft of case "+caseUID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM report_drafts WHERE case_id = (SELECT id FROM cases WHERE uid = ?)`, caseUID)
		return err
	})
}

func getDraft(ctx context.Context, q querier, caseUID string) (*Draft, error) {
	d := Draft{CaseUID: caseUID}
	var at int64
	err := q.QueryRowContext(ctx, `SELECT d.body, d.author, d.updated_at FROM report_drafts d JOIN cases c ON c.id = d.case_id WHERE c.uid = ?`, caseUID).Scan(&d.Body, &d.Author, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d.UpdatedAt = fromMS(at)
	return &d, nil
}

// AddMeasurement stores a caliper measurement. Points and Calibration are
// JSON kept as given. UID and CreatedAt are filled in.
func (s *Store) AddMeasurement(ctx context.Context, m Measurement) (Measurement, error) {
	if strings.TrimSpace(m.Kind) == "" {
		return Measurement{}, fmt.Errorf("case log %s: measurement of case %s: no kind given", s.path, m.CaseUID)
	}
	for _, j := range []*json.RawMessage{&m.Points, &m.Calibration} {
		if len(*j) == 0 {
			*j = json.RawMessage("null")
		} else if !json.Valid(*j) {
			return Measurement{}, fmt.Errorf("case log %s: measurement of case %s: points or calibration are not valid JSON", s.path, m.CaseUID)
		}
	}
	if m.UID == "" {
		m.UID = newUID()
	}
	m.CreatedAt = s.nowTime()
	err := s.write(ctx, "store measurement", func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, m.CaseUID)
		if err != nil {
			return err
		}
		var inputID sql.NullInt64
		if m.ModelInputUID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT id FROM model_inputs WHERE uid = ? AND case_id = ?`, m.ModelInputUID, cid).Scan(&inputID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("model input %s of case %s: %w", m.ModelInputUID, m.CaseUID, ErrNotFound)
				}
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO measurements (uid, case_id, model_input_id, kind, value, unit, points, calibration, calibration_confirmed, note, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.UID, cid, inputID, m.Kind, m.Value, m.Unit, string(m.Points), string(m.Calibration), m.Confirmed, m.Note, m.Author, ms(m.CreatedAt))
		return err
	})
	if err != nil {
		return Measurement{}, err
	}
	return m, nil
}

const measCols = `x.uid, c.uid, coalesce(m.uid, ''), x.kind, x.value, x.unit, x.points, x.calibration, x.calibration_confirmed, x.note, x.author, x.created_at`
const measFrom = ` FROM measurements x JOIN cases c ON c.id = x.case_id LEFT JOIN model_inputs m ON m.id = x.model_input_id`

func scanMeasurement(sc interface{ Scan(...any) error }) (Measurement, error) {
	var m Measurement
	var pts, cal string
	var at int64
	err := sc.Scan(&m.UID, &m.CaseUID, &m.ModelInputUID, &m.Kind, &m.Value, &m.Unit, &pts, &cal, &m.Confirmed, &m.Note, &m.Author, &at)
	m.Points, m.Calibration, m.CreatedAt = json.RawMessage(pts), json.RawMessage(cal), fromMS(at)
	return m, err
}

// collect runs a query and scans every row.
func collect[T any](ctx context.Context, q querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CaseDetail returns everything about one case from one consistent state of
// the log, model input PNGs included.
func (s *Store) CaseDetail(ctx context.Context, uid string) (CaseDetail, error) {
	var d CaseDetail
	err := s.read(ctx, "case "+uid, func(q querier) error {
		var err error
		if d.Case, err = getCase(ctx, q, uid); err != nil {
			return err
		}
		id := d.Case.Number
		if d.Documents, err = collect(ctx, q, scanDocument, `SELECT `+docCols+` FROM documents d JOIN cases c ON c.id = d.case_id WHERE d.case_id = ? ORDER BY d.id`, id); err != nil {
			return err
		}
		if d.ModelInputs, err = collect(ctx, q, scanInput, `SELECT `+inputCols+inputFrom+` WHERE m.case_id = ? ORDER BY m.id`, id); err != nil {
			return err
		}
		for i := range d.ModelInputs {
			if err := q.QueryRowContext(ctx, `SELECT data FROM blobs WHERE sha256 = ?`, d.ModelInputs[i].SHA256).Scan(&d.ModelInputs[i].PNG); err != nil {
				return fmt.Errorf("model input %s: %w", d.ModelInputs[i].UID, err)
			}
		}
		if d.Runs, err = collect(ctx, q, scanRun, `SELECT `+runCols+runFrom+` WHERE r.case_id = ? ORDER BY r.started_at, r.id`, id); err != nil {
			return err
		}
		if d.Reports, err = listReports(ctx, q, uid); err != nil {
			return err
		}
		if d.Draft, err = getDraft(ctx, q, uid); err != nil {
			return err
		}
		d.Measurements, err = collect(ctx, q, scanMeasurement, `SELECT `+measCols+measFrom+` WHERE x.case_id = ? ORDER BY x.id`, id)
		return err
	})
	return d, err
}
