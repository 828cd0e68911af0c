package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrNotFound reports a uid that is not in the log.
var ErrNotFound = errors.New("not found")

// ErrDeleted reports a case that was deleted (it has a tombstone).
var ErrDeleted = errors.New("case was deleted")

const maxText = 1 << 20 // longest patient reference, context or report accepted

func validateCase(c *Case) error {
	c.PatientRef = strings.TrimSpace(c.PatientRef)
	c.Sex = strings.ToUpper(strings.TrimSpace(c.Sex))
	switch c.Sex {
	case "", "F", "M":
	default:
		return fmt.Errorf("sex %q: use F, M or leave it empty", c.Sex)
	}
	if c.Age != nil && (*c.Age < 0 || *c.Age > 150) {
		return fmt.Errorf("age %d: must be between 0 and 150", *c.Age)
	}
	if len(c.PatientRef) > 1000 || len(c.Context) > maxText {
		return errors.New("patient reference or context too long")
	}
	if !utf8.ValidString(c.PatientRef) || !utf8.ValidString(c.Context) {
		return errors.New("patient reference or context is not valid UTF-8")
	}
	c.Tags = normTags(c.Tags)
	return nil
}

func normTags(tags []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// CreateCase stores a new case and returns it with its uid and times. A
// given UID is kept (it must be 32 hex digits); otherwise one is made. Status
// starts as draft.
func (s *Store) CreateCase(ctx context.Context, c Case) (Case, error) {
	if err := validateCase(&c); err != nil {
		return Case{}, fmt.Errorf("case log %s: new case: %w", s.path, err)
	}
	if c.UID == "" {
		c.UID = newUID()
	} else if !validUID(c.UID) {
		return Case{}, fmt.Errorf("case log %s: new case: uid %q is not 32 hex digits", s.path, c.UID)
	}
	now := s.nowTime()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.CreatedAt = fromMS(ms(c.CreatedAt))
	c.UpdatedAt = now
	if !c.RecordedAt.IsZero() {
		c.RecordedAt = fromMS(ms(c.RecordedAt))
	}
	c.Status = StatusDraft
	err := s.write(ctx, "new case", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO cases (uid, created_at, updated_at, recorded_at, patient_ref, age, sex, context, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.UID, ms(c.CreatedAt), ms(c.UpdatedAt), nullMS(c.RecordedAt), c.PatientRef, nullInt(c.Age), c.Sex, c.Context, c.Status)
		if err != nil {
			return err
		}
		c.Number, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return setTags(ctx, tx, c.Number, c.Tags)
	})
	if err != nil {
		return Case{}, err
	}
	return c, nil
}

func validUID(u string) bool {
	if len(u) != 32 {
		return false
	}
	for _, r := range u {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func nullInt(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

func setTags(ctx context.Context, tx *sql.Tx, caseID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM case_tags WHERE case_id = ?`, caseID); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_tags (tag, case_id) VALUES (?, ?)`, t, caseID); err != nil {
			return err
		}
	}
	return nil
}

// UpdateCase changes a case's patient reference, age, sex, context,
// recording time and tags (identified by c.UID). Status changes only through
// SignOff. It returns the case as stored.
func (s *Store) UpdateCase(ctx context.Context, c Case) (Case, error) {
	if err := validateCase(&c); err != nil {
		return Case{}, fmt.Errorf("case log %s: case %s: %w", s.path, c.UID, err)
	}
	var out Case
	err := s.write(ctx, "update case "+c.UID, func(tx *sql.Tx) error {
		id, err := caseID(ctx, tx, c.UID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = ?, recorded_at = ?, patient_ref = ?, age = ?, sex = ?, context = ? WHERE id = ?`,
			ms(s.now()), nullMS(c.RecordedAt), c.PatientRef, nullInt(c.Age), c.Sex, c.Context, id); err != nil {
			return err
		}
		if err := setTags(ctx, tx, id, c.Tags); err != nil {
			return err
		}
		out, err = getCase(ctx, tx, c.UID)
		return err
	})
	return out, err
}

// caseID finds the row id of a case, with ErrNotFound or ErrDeleted.
func caseID(ctx context.Context, q querier, uid string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM cases WHERE uid = ?`, uid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		if q.QueryRowContext(ctx, `SELECT count(*) FROM tombstones WHERE case_uid = ?`, uid).Scan(&n) == nil && n > 0 {
			return 0, fmt.Errorf("case %s: %w", uid, ErrDeleted)
		}
		return 0, fmt.Errorf("case %s: %w", uid, ErrNotFound)
	}
	return id, err
}

const caseCols = `c.id, c.uid, c.created_at, c.updated_at, c.recorded_at, c.patient_ref, c.age, c.sex, c.context, c.status,
	(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM case_tags WHERE case_id = c.id ORDER BY tag))`

func scanCase(sc interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var created, updated int64
	var recorded, age sql.NullInt64
	var tags sql.NullString
	if err := sc.Scan(&c.Number, &c.UID, &created, &updated, &recorded, &c.PatientRef, &age, &c.Sex, &c.Context, &c.Status, &tags); err != nil {
		return Case{}, err
	}
	c.CreatedAt, c.UpdatedAt, c.RecordedAt = fromMS(created), fromMS(updated), fromNullMS(recorded)
	if age.Valid {
		a := int(age.Int64)
		c.Age = &a
	}
	if tags.Valid && tags.String != "" {
		c.Tags = strings.Split(tags.String, "\x1f")
	}
	return c, nil
}

func getCase(ctx context.Context, q querier, uid string) (Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases c WHERE c.uid = ?`, uid))
	if errors.Is(err, sql.ErrNoRows) {
		_, err = caseID(ctx, q, uid)
	}
	return c, err
}

// GetCase returns one case.
func (s *Store) GetCase(ctx context.Context, uid string) (Case, error) {
	c, err := getCase(ctx, s.db, uid)
	if err != nil {
		return Case{}, fmt.Errorf("case log %s: %w", s.path, err)
	}
	return c, nil
}

// ResolveCase finds the case whose uid starts with prefix (at least 4 hex
// digits), for people typing uids. Several matches are an error.
func (s *Store) ResolveCase(ctx context.Context, prefix string) (string, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if validUID(prefix) {
		return prefix, nil
	}
	if len(prefix) < 4 || !validUID(prefix+strings.Repeat("0", 32-min(len(prefix), 32))) {
		return "", fmt.Errorf("case %q: give the uid or at least its first 4 hex digits", prefix)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT uid FROM cases WHERE uid >= ? AND uid < ? ORDER BY uid LIMIT 2`, prefix, prefix+"g")
	if err != nil {
		return "", fmt.Errorf("case log %s: %w", s.path, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return "", err
		}
		found = append(found, u)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		if _, err := caseID(ctx, s.db, prefix); errors.Is(err, ErrDeleted) {
			return "", fmt.Errorf("case log %s: %w", s.path, err)
		}
		return "", fmt.Errorf("case log %s: case %s: %w", s.path, prefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("case log %s: more than one case starts with %s; give more digits", s.path, prefix)
}

// DeleteCase deletes a case for good: it writes the tombstone (who, when,
// why), then removes the case's rows and the stored files no other case
// uses. Asking the user to confirm is the caller's job; who and why are
// required.
func (s *Store) DeleteCase(ctx context.Context, uid, who, why string) (Tombstone, error) {
	who, why = strings.TrimSpace(who), strings.TrimSpace(why)
	if who == "" || why == "" {
		return Tombstone{}, fmt.Errorf("case log %s: delete case %s: say who deletes it and why", s.path, uid)
	}
	t := Tombstone{CaseUID: uid, DeletedAt: s.nowTime(), DeletedBy: who, Reason: why}
	err := s.write(ctx, "delete case "+uid, func(tx *sql.Tx) error {
		id, err := caseID(ctx, tx, uid)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (case_uid, deleted_at, deleted_by, reason) VALUES (?, ?, ?, ?)`,
			uid, ms(t.DeletedAt), who, why); err != nil {
			return err
		}
		var shas []string
		rows, err := tx.QueryContext(ctx, `SELECT sha256 FROM documents WHERE case_id = ?1 UNION SELECT sha256 FROM model_inputs WHERE case_id = ?1`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			shas = append(shas, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM measurements WHERE case_id = ?`,
			`DELETE FROM reports WHERE case_id = ?`,
			`DELETE FROM report_drafts WHERE case_id = ?`,
			`DELETE FROM runs WHERE case_id = ?`,
			`DELETE FROM model_inputs WHERE case_id = ?`,
			`DELETE FROM documents WHERE case_id = ?`,
			`DELETE FROM case_tags WHERE case_id = ?`,
			`DELETE FROM cases WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		for _, h := range shas {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ?1
				AND NOT EXISTS (SELECT 1 FROM documents WHERE sha256 = ?1)
				AND NOT EXISTS (SELECT 1 FROM model_inputs WHERE sha256 = ?1)`, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Tombstone{}, err
	}
	return t, nil
}

// Tombstones lists deleted cases, newest first.
func (s *Store) Tombstones(ctx context.Context) ([]Tombstone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_uid, deleted_at, deleted_by, reason FROM tombstones ORDER BY deleted_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("case log %s: tombstones: %w", s.path, err)
	}
	defer rows.Close()
	var out []Tombstone
	for rows.Next() {
		var t Tombstone
		var at int64
		if err := rows.Scan(&t.CaseUID, &at, &t.DeletedBy, &t.Reason); err != nil {
			return nil, err
		}
		t.DeletedAt = fromMS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}
