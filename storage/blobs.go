package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
)

// MaxBlob is the largest file the log stores (documents and model inputs).
const MaxBlob = 512 << 20

// SHA256Hex is the hex SHA-256 of data, the key under which the log stores it.
func SHA256Hex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func putBlob(ctx context.Context, tx *sql.Tx, data []byte) (string, error) {
	if len(data) > MaxBlob {
		return "", fmt.Errorf("file of %d bytes is larger than the %d the log keeps", len(data), MaxBlob)
	}
	h := SHA256Hex(data)
	_, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, h, len(data), data)
	return h, err
}

// PutDocument stores an original file with a case. The bytes are kept once
// per SHA-256 however many cases use them; storing the same file twice in
// one case returns the document already there.
func (s *Store) PutDocument(ctx context.Context, caseUID, name, mediaType string, pages int, data []byte) (Document, error) {
	if len(data) == 0 {
		return Document{}, fmt.Errorf("case log %s: document %s: empty file", s.path, name)
	}
	if pages < 1 {
		pages = 1
	}
	d := Document{UID: newUID(), CaseUID: caseUID, Name: name, MediaType: mediaType, Pages: pages, Size: int64(len(data)), CreatedAt: s.nowTime()}
	err := s.write(ctx, "store document "+name, func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, caseUID)
		if err != nil {
			return err
		}
		if d.SHA256, err = putBlob(ctx, tx, data); err != nil {
			return err
		}
		existing, err := scanDocument(tx.QueryRowContext(ctx, `SELECT `+docCols+` FROM documents d JOIN cases c ON c.id = d.case_id WHERE d.case_id = ? AND d.sha256 = ?`, cid, d.SHA256))
		if err == nil {
			d = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO documents (uid, case_id, sha256, name, media_type, pages, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.UID, cid, d.SHA256, d.Name, d.MediaType, d.Pages, d.Size, ms(d.CreatedAt))
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

const docCols = `d.uid, c.uid, d.sha256, d.name, d.media_type, d.pages, d.size, d.created_at`

func scanDocument(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var at int64
	err := sc.Scan(&d.UID, &d.CaseUID, &d.SHA256, &d.Name, &d.MediaType, &d.Pages, &d.Size, &at)
	d.CreatedAt = fromMS(at)
	return d, err
}

// Blob returns stored bytes (a document or a model input PNG) by SHA-256.
func (s *Store) Blob(ctx context.Context, sha string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE sha256 = ?`, sha).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("case log %s: file %s: %w", s.path, sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case log %s: file %s: %w", s.path, sha, err)
	}
	return b, nil
}

// DocumentData returns the bytes of a stored document.
func (s *Store) DocumentData(ctx context.Context, d Document) ([]byte, error) {
	return s.Blob(ctx, d.SHA256)
}

// AddModelInput stores the exact PNG given (or to be given) to a model, with
// the Edits JSON that made it and its geometry. UID, SHA256, Width, Height and
// CreatedAt are filled in; DocumentUID, when set, must be a document of the
// same case.
func (s *Store) AddModelInput(ctx context.Context, in ModelInput) (ModelInput, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(in.PNG))
	if err != nil {
		return ModelInput{}, fmt.Errorf("case log %s: model input for case %s: not a PNG image: %w", s.path, in.CaseUID, err)
	}
	in.Width, in.Height = cfg.Width, cfg.Height
	if len(in.Edits) == 0 {
		in.Edits = json.RawMessage("{}")
	} else if !json.Valid(in.Edits) {
		return ModelInput{}, fmt.Errorf("case log %s: model input for case %s: edits are not valid JSON", s.path, in.CaseUID)
	}
	if in.UID == "" {
		in.UID = newUID()
	}
	in.CreatedAt = s.nowTime()
	err = s.write(ctx, "store model input", func(tx *sql.Tx) error {
		cid, err := caseID(ctx, tx, in.CaseUID)
		if err != nil {
			return err
		}
		var docID sql.NullInt64
		if in.DocumentUID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT id FROM documents WHERE uid = ? AND case_id = ?`, in.DocumentUID, cid).Scan(&docID); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("document %s of case %s: %w", in.DocumentUID, in.CaseUID, ErrNotFound)
				}
				return err
			}
		}
		if in.SHA256, err = putBlob(ctx, tx, in.PNG); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO model_inputs (uid, case_id, document_id, sha256, width, height, edits, page, dpi, px_per_mm_x, px_per_mm_y, scale, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.UID, cid, docID, in.SHA256, in.Width, in.Height, string(in.Edits), in.Page, in.DPI, in.PxPerMMX, in.PxPerMMY, in.Scale, ms(in.CreatedAt))
		return err
	})
	if err != nil {
		return ModelInput{}, err
	}
	return in, nil
}

const inputCols = `m.uid, c.uid, coalesce(d.uid, ''), m.sha256, m.width, m.height, m.edits, m.page, m.dpi, m.px_per_mm_x, m.px_per_mm_y, m.scale, m.created_at`
const inputFrom = ` FROM model_inputs m JOIN cases c ON c.id = m.case_id LEFT JOIN documents d ON d.id = m.document_id`

func scanInput(sc interface{ Scan(...any) error }) (ModelInput, error) {
	var m ModelInput
	var at int64
	var edits string
	err := sc.Scan(&m.UID, &m.CaseUID, &m.DocumentUID, &m.SHA256, &m.Width, &m.Height, &edits, &m.Page, &m.DPI, &m.PxPerMMX, &m.PxPerMMY, &m.Scale, &at)
	m.Edits = json.RawMessage(edits)
	m.CreatedAt = fromMS(at)
	return m, err
}

// GetModelInput returns one model input with its PNG bytes.
func (s *Store) GetModelInput(ctx context.Context, uid string) (ModelInput, error) {
	m, err := scanInput(s.db.QueryRowContext(ctx, `SELECT `+inputCols+inputFrom+` WHERE m.uid = ?`, uid))
	if errors.Is(err, sql.ErrNoRows) {
		return ModelInput{}, fmt.Errorf("case log %s: model input %s: %w", s.path, uid, ErrNotFound)
	}
	if err != nil {
		return ModelInput{}, fmt.Errorf("case log %s: model input %s: %w", s.path, uid, err)
	}
	if m.PNG, err = s.Blob(ctx, m.SHA256); err != nil {
		return ModelInput{}, err
	}
	return m, nil
}
