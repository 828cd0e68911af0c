package storage

import (
	"archive/zip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Bundle format: a zip file holding manifest.json and the stored files.
//
//	manifest.json          BundleManifest
//	images/<sha256>.png    each model input PNG (redacted, as the model saw it)
//	documents/<sha256>     original documents, only when exported with Originals
//
// Importing merges by uid: nothing already present is duplicated, runs and
// report versions new to either side are kept.
const (
	BundleFormat  = "pulsedesk-bundle"
	BundleVersion = 1
	maxManifest   = 256 << 20
)

// BundleManifest is manifest.json of a bundle.
type BundleManifest struct {
	Format    string       `json:"format"`  // BundleFormat
	Version   int          `json:"version"` // BundleVersion
	CreatedAt time.Time    `json:"created_at"`
	Originals bool         `json:"originals"` // original documents included
	Cases     []BundleCase `json:"cases"`
}

// BundleCase is one case in a bundle. Documents are listed only when the
// bundle carries the originals.
type BundleCase struct {
	Case         Case          `json:"case"`
	Documents    []Document    `json:"documents,omitempty"`
	ModelInputs  []ModelInput  `json:"model_inputs"`
	Runs         []Run         `json:"runs"`
	Reports      []Report      `json:"reports"`
	Measurements []Measurement `json:"measurements"`
}

// BundleOptions adjust ExportBundle.
type BundleOptions struct {
	// Originals includes the original documents. They may show identifiers
	// that the model input had redacted; off by default.
	Originals bool
}

func imageEntry(sha string) string { return "images/" + sha + ".png" }
func docEntry(sha string) string   { return "documents/" + sha }

// ExportBundle writes the cases with the given uids (all cases when none
// are given) as a bundle to w.
func (s *Store) ExportBundle(ctx context.Context, w io.Writer, uids []string, opt BundleOptions) (BundleManifest, error) {
	if len(uids) == 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT uid FROM cases ORDER BY created_at, id`)
		if err != nil {
			return BundleManifest{}, fmt.Errorf("case log %s: export: %w", s.path, err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return BundleManifest{}, err
			}
			uids = append(uids, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return BundleManifest{}, err
		}
	}
	man := BundleManifest{Format: BundleFormat, Version: BundleVersion, CreatedAt: s.nowTime(), Originals: opt.Originals, Cases: []BundleCase{}}
	zw := zip.NewWriter(w)
	written := map[string]bool{}
	put := func(name string, data []byte) error {
		if written[name] {
			return nil
		}
		written[name] = true
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: man.CreatedAt})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	for _, uid := range uids {
		d, err := s.CaseDetail(ctx, uid)
		if err != nil {
			return BundleManifest{}, fmt.Errorf("export: %w", err)
		}
		bc := BundleCase{Case: d.Case, ModelInputs: d.ModelInputs, Runs: d.Runs, Reports: d.Reports, Measurements: d.Measurements}
		bc.Case.Number = 0
		for i, m := range d.ModelInputs {
			if err := put(imageEntry(m.SHA256), m.PNG); err != nil {
				return BundleManifest{}, fmt.Errorf("export case %s: %w", uid, err)
			}
			bc.ModelInputs[i].PNG = nil // written; the manifest keeps metadata only
		}
		if opt.Originals {
			bc.Documents = d.Documents
			for _, doc := range d.Documents {
				data, err := s.Blob(ctx, doc.SHA256)
				if err != nil {
					return BundleManifest{}, fmt.Errorf("export case %s: %w", uid, err)
				}
				if err := put(docEntry(doc.SHA256), data); err != nil {
					return BundleManifest{}, fmt.Errorf("export case %s: %w", uid, err)
				}
			}
		} else {
			for i := range bc.ModelInputs {
				bc.ModelInputs[i].DocumentUID = ""
			}
		}
		man.Cases = append(man.Cases, bc)
	}
	mf, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: man.CreatedAt})
	if err != nil {
		return BundleManifest{}, fmt.Errorf("export: %w", err)
	}
	enc := json.NewEncoder(mf)
	enc.SetEscapeHTML(false) // opaque JSON (edits, options, points) is kept as written
	if err := enc.Encode(man); err != nil {
		return BundleManifest{}, fmt.Errorf("export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return BundleManifest{}, fmt.Errorf("export: %w", err)
	}
	return man, nil
}

// ExportBundleFile writes a bundle to the file path (mode 0600), atomically.
func (s *Store) ExportBundleFile(ctx context.Context, path string, uids []string, opt BundleOptions) (BundleManifest, error) {
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return BundleManifest{}, fmt.Errorf("bundle %s: %w", path, err)
	}
	man, err := s.ExportBundle(ctx, f, uids, opt)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return BundleManifest{}, fmt.Errorf("bundle %s: %w", path, err)
	}
	return man, nil
}

// ImportStats counts what an import added.
type ImportStats struct {
	CasesAdded     int      `json:"cases_added"`
	CasesUpdated   int      `json:"cases_updated"`
	CasesUnchanged int      `json:"cases_unchanged"`
	Deleted        []string `json:"skipped_deleted,omitempty"` // cases deleted here (tombstone): not brought back
	Documents      int      `json:"documents_added"`
	ModelInputs    int      `json:"model_inputs_added"`
	Runs           int      `json:"runs_added"`
	Reports        int      `json:"reports_added"`
	Measurements   int      `json:"measurements_added"`
}

// ImportBundleFile merges the bundle at path into the log (see ImportBundle).
func (s *Store) ImportBundleFile(ctx context.Context, path string) (ImportStats, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return ImportStats{}, fmt.Errorf("bundle %s: not a PULSE Desk bundle (zip): %w", path, err)
	}
	defer zr.Close()
	st, err := s.importZip(ctx, &zr.Reader)
	if err != nil {
		return st, fmt.Errorf("bundle %s: %w", path, err)
	}
	return st, nil
}

// ImportBundle merges a bundle into the log, case by case (each case in one
// transaction), by uid: cases, documents, model inputs, runs, report
// versions and measurements already present are left alone; new ones are
// added. A case's fields are taken from the bundle when its copy was updated
// later; tags are united; a case signed on either side is signed. Report
// versions whose number is taken here get the next free number. Runs that
// were still running in the bundle arrive interrupted. Cases deleted here
// stay deleted. Every file is checked against its SHA-256.
func (s *Store) ImportBundle(ctx context.Context, r io.ReaderAt, size int64) (ImportStats, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return ImportStats{}, fmt.Errorf("bundle: not a PULSE Desk bundle (zip): %w", err)
	}
	return s.importZip(ctx, zr)
}

func (s *Store) importZip(ctx context.Context, zr *zip.Reader) (ImportStats, error) {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	mf := files["manifest.json"]
	if mf == nil {
		return ImportStats{}, errors.New("not a PULSE Desk bundle: no manifest.json")
	}
	raw, err := readZipFile(mf, maxManifest)
	if err != nil {
		return ImportStats{}, fmt.Errorf("manifest.json: %w", err)
	}
	var man BundleManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return ImportStats{}, fmt.Errorf("manifest.json: %w", err)
	}
	if man.Format != BundleFormat {
		return ImportStats{}, fmt.Errorf("manifest.json: format %q is not %q", man.Format, BundleFormat)
	}
	if man.Version > BundleVersion || man.Version < 1 {
		return ImportStats{}, fmt.Errorf("manifest.json: bundle version %d; this version of PULSE Desk reads up to %d", man.Version, BundleVersion)
	}
	var st ImportStats
	for i := range man.Cases {
		bc := &man.Cases[i]
		if err := checkBundleCase(bc); err != nil {
			return st, fmt.Errorf("manifest.json: case %d: %w", i+1, err)
		}
		blobs := map[string][]byte{}
		need := func(entry, sha string) error {
			if _, ok := blobs[sha]; ok {
				return nil
			}
			f := files[entry]
			if f == nil {
				return fmt.Errorf("case %s: %s is missing from the bundle", bc.Case.UID, entry)
			}
			data, err := readZipFile(f, MaxBlob)
			if err != nil {
				return fmt.Errorf("case %s: %s: %w", bc.Case.UID, entry, err)
			}
			if SHA256Hex(data) != sha {
				return fmt.Errorf("case %s: %s is damaged (SHA-256 does not match)", bc.Case.UID, entry)
			}
			blobs[sha] = data
			return nil
		}
		for _, m := range bc.ModelInputs {
			if err := need(imageEntry(m.SHA256), m.SHA256); err != nil {
				return st, err
			}
		}
		for _, d := range bc.Documents {
			if err := need(docEntry(d.SHA256), d.SHA256); err != nil {
				return st, err
			}
		}
		var cs ImportStats
		err := s.write(ctx, "import case "+bc.Case.UID, func(tx *sql.Tx) error {
			cs = ImportStats{}
			return s.importCase(ctx, tx, bc, blobs, &cs)
		})
		if err != nil {
			return st, err
		}
		st.add(cs)
	}
	return st, nil
}

func (a *ImportStats) add(b ImportStats) {
	a.CasesAdded += b.CasesAdded
	a.CasesUpdated += b.CasesUpdated
	a.CasesUnchanged += b.CasesUnchanged
	a.Deleted = append(a.Deleted, b.Deleted...)
	a.Documents += b.Documents
	a.ModelInputs += b.ModelInputs
	a.Runs += b.Runs
	a.Reports += b.Reports
	a.Measurements += b.Measurements
}

func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("too large (%d bytes)", f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("too large")
	}
	return data, nil
}

func validSHA(h string) bool {
	if len(h) != 64 {
		return false
	}
	return validUID(h[:32]) && validUID(h[32:])
}

// checkBundleCase validates what a bundle says before anything is written.
func checkBundleCase(bc *BundleCase) error {
	c := &bc.Case
	if !validUID(c.UID) {
		return fmt.Errorf("uid %q is not 32 hex digits", c.UID)
	}
	if err := validateCase(c); err != nil {
		return fmt.Errorf("case %s: %w", c.UID, err)
	}
	if c.Status != StatusDraft && c.Status != StatusSigned {
		return fmt.Errorf("case %s: status %q", c.UID, c.Status)
	}
	if c.CreatedAt.IsZero() {
		return fmt.Errorf("case %s: no creation time", c.UID)
	}
	for _, d := range bc.Documents {
		if !validUID(d.UID) || !validSHA(d.SHA256) {
			return fmt.Errorf("case %s: document with a bad uid or SHA-256", c.UID)
		}
	}
	for _, m := range bc.ModelInputs {
		if !validUID(m.UID) || !validSHA(m.SHA256) || (len(m.Edits) > 0 && !json.Valid(m.Edits)) {
			return fmt.Errorf("case %s: model input with a bad uid, SHA-256 or edits", c.UID)
		}
	}
	for _, r := range bc.Runs {
		if !validUID(r.UID) || r.Model == "" {
			return fmt.Errorf("case %s: run with a bad uid or no model", c.UID)
		}
		switch r.Outcome {
		case OutcomeRunning, OutcomeComplete, OutcomeCancelled, OutcomeFailed, OutcomeInterrupted:
		default:
			return fmt.Errorf("case %s: run %s: outcome %q", c.UID, r.UID, r.Outcome)
		}
	}
	for _, r := range bc.Reports {
		if !validUID(r.UID) || r.Version < 1 {
			return fmt.Errorf("case %s: report version with a bad uid or number", c.UID)
		}
		if err := checkReport(r.Body, r.Author); err != nil {
			return fmt.Errorf("case %s: report %s: %w", c.UID, r.UID, err)
		}
	}
	for _, m := range bc.Measurements {
		if !validUID(m.UID) || m.Kind == "" {
			return fmt.Errorf("case %s: measurement with a bad uid or no kind", c.UID)
		}
	}
	return nil
}

func exists(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (`+query+`)`, args...).Scan(&n)
	return n == 1, err
}

func rawOr(j json.RawMessage, def string) string {
	if len(j) == 0 {
		return def
	}
	return string(j)
}

func (s *Store) importCase(ctx context.Context, tx *sql.Tx, bc *BundleCase, blobs map[string][]byte, st *ImportStats) error {
	c := bc.Case
	if dead, err := exists(ctx, tx, `SELECT 1 FROM tombstones WHERE case_uid = ?`, c.UID); err != nil || dead {
		if dead {
			st.Deleted = append(st.Deleted, c.UID)
		}
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	local, err := getCase(ctx, tx, c.UID)
	var cid int64
	switch {
	case errors.Is(err, ErrNotFound):
		res, err := tx.ExecContext(ctx, `INSERT INTO cases (uid, created_at, updated_at, recorded_at, patient_ref, age, sex, context, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.UID, ms(c.CreatedAt), ms(c.UpdatedAt), nullMS(c.RecordedAt), c.PatientRef, nullInt(c.Age), c.Sex, c.Context, c.Status)
		if err != nil {
			return err
		}
		if cid, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := setTags(ctx, tx, cid, c.Tags); err != nil {
			return err
		}
		st.CasesAdded++
	case err != nil:
		return err
	default:
		cid = local.Number
		changed := false
		if ms(c.UpdatedAt) > ms(local.UpdatedAt) {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = ?, recorded_at = ?, patient_ref = ?, age = ?, sex = ?, context = ? WHERE id = ?`,
				ms(c.UpdatedAt), nullMS(c.RecordedAt), c.PatientRef, nullInt(c.Age), c.Sex, c.Context, cid); err != nil {
				return err
			}
			changed = true
		}
		if c.Status == StatusSigned && local.Status != StatusSigned {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'signed' WHERE id = ?`, cid); err != nil {
				return err
			}
			changed = true
		}
		if tags := normTags(append(append([]string{}, local.Tags...), c.Tags...)); len(tags) != len(local.Tags) {
			if err := setTags(ctx, tx, cid, tags); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			st.CasesUpdated++
		}
	}
	added := 0
	for _, d := range bc.Documents {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM documents WHERE uid = ? OR (case_id = ? AND sha256 = ?)`, d.UID, cid, d.SHA256); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := putBlob(ctx, tx, blobs[d.SHA256]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (uid, case_id, sha256, name, media_type, pages, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.UID, cid, d.SHA256, d.Name, d.MediaType, max(d.Pages, 1), len(blobs[d.SHA256]), ms(d.CreatedAt)); err != nil {
			return err
		}
		st.Documents++
		added++
	}
	for _, m := range bc.ModelInputs {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM model_inputs WHERE uid = ?`, m.UID); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := putBlob(ctx, tx, blobs[m.SHA256]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO model_inputs (uid, case_id, document_id, sha256, width, height, edits, page, dpi, px_per_mm_x, px_per_mm_y, scale, created_at)
			VALUES (?, ?, (SELECT id FROM documents WHERE uid = ? AND case_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.UID, cid, m.DocumentUID, cid, m.SHA256, m.Width, m.Height, rawOr(m.Edits, "{}"), m.Page, m.DPI, m.PxPerMMX, m.PxPerMMY, m.Scale, ms(m.CreatedAt)); err != nil {
			return err
		}
		st.ModelInputs++
		added++
	}
	runs := append([]Run(nil), bc.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartedAt.Before(runs[j].StartedAt) })
	for _, r := range runs {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM runs WHERE uid = ?`, r.UID); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		fin := r.FinishedAt
		if r.Outcome == OutcomeRunning {
			r.Outcome = OutcomeInterrupted
			r.Error = strings.TrimSpace(r.Error + " still running when the bundle was exported; the answer is kept up to its last checkpoint")
			fin = r.CheckpointAt
		}
		if fin.IsZero() {
			fin = r.StartedAt
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO runs (uid, case_id, model_input_id, parent_id, model, model_digest, task, prompt, options, answer, outcome,
				error, done_reason, prompt_tokens, answer_tokens, load_ns, prefill_ns, generation_ns, started_at, checkpointed_at, finished_at, owner)
			VALUES (?, ?, (SELECT id FROM model_inputs WHERE uid = ? AND case_id = ?), (SELECT id FROM runs WHERE uid = ? AND case_id = ?), ?, ?, ?, ?, ?, ?, ?,
				?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'imported')`,
			r.UID, cid, r.ModelInputUID, cid, r.ParentUID, cid, r.Model, r.ModelDigest, r.Task, r.Prompt, rawOr(r.Options, "{}"), r.Answer, string(r.Outcome),
			r.Error, r.DoneReason, r.PromptTokens, r.AnswerTokens, int64(r.Load), int64(r.Prefill), int64(r.Generation), ms(r.StartedAt), nullMS(r.CheckpointAt), ms(fin)); err != nil {
			return err
		}
		st.Runs++
		added++
	}
	reps := append([]Report(nil), bc.Reports...)
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].Version < reps[j].Version })
	for _, r := range reps {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM reports WHERE uid = ?`, r.UID); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if taken, err := exists(ctx, tx, `SELECT 1 FROM reports WHERE case_id = ? AND version = ?`, cid, r.Version); err != nil {
			return err
		} else if taken {
			if err := tx.QueryRowContext(ctx, `SELECT max(version) + 1 FROM reports WHERE case_id = ?`, cid).Scan(&r.Version); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reports (uid, case_id, version, body, author, created_at, signed, amendment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.UID, cid, r.Version, r.Body, r.Author, ms(r.CreatedAt), r.Signed, r.Amendment); err != nil {
			return err
		}
		if r.Signed {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET status = 'signed' WHERE id = ?`, cid); err != nil {
				return err
			}
		}
		st.Reports++
		added++
	}
	for _, m := range bc.Measurements {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM measurements WHERE uid = ?`, m.UID); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO measurements (uid, case_id, model_input_id, kind, value, unit, points, calibration, calibration_confirmed, note, author, created_at)
			VALUES (?, ?, (SELECT id FROM model_inputs WHERE uid = ? AND case_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.UID, cid, m.ModelInputUID, cid, m.Kind, m.Value, m.Unit, rawOr(m.Points, "null"), rawOr(m.Calibration, "null"), m.Confirmed, m.Note, m.Author, ms(m.CreatedAt)); err != nil {
			return err
		}
		st.Measurements++
		added++
	}
	if local.UID != "" && added > 0 && st.CasesUpdated == 0 {
		st.CasesUpdated++
	} else if local.UID != "" && added == 0 && st.CasesUpdated == 0 {
		st.CasesUnchanged++
	}
	return nil
}
