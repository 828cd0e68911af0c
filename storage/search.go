package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter selects cases for ListCases. Zero fields select everything.
type Filter struct {
	// Query is full-text: words found in the patient reference, context,
	// model answers or report versions (all words must occur; the last word
	// also matches as a prefix, so results follow typing).
	Query string `json:"query,omitempty"`
	// From and To bound the creation time: From <= created < To.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Status is StatusDraft or StatusSigned.
	Status string `json:"status,omitempty"`
	// Model selects cases with a run of this model ("pulse" also matches
	// "pulse:latest" and other tags of it).
	Model string `json:"model,omitempty"`
	// Tag selects cases carrying this tag.
	Tag string `json:"tag,omitempty"`
	// Limit is the page size (default 50, at most 1000).
	Limit int `json:"limit,omitempty"`
	// After is Page.Next of the previous page; "" starts at the newest case.
	After string `json:"after,omitempty"`
}

// Page is one page of cases, newest first.
type Page struct {
	Cases []Case `json:"cases"`
	// Next is the Filter.After of the following page; "" on the last page.
	Next string `json:"next,omitempty"`
}

// ListCases lists cases newest first, one page at a time (keyset
// pagination: every page costs the same however deep it is).
func (s *Store) ListCases(ctx context.Context, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	var where []string
	var args []any
	if q := ftsQuery(f.Query); q != "" {
		where = append(where, `c.id IN (SELECT case_id FROM search_index WHERE search_index MATCH ?)`)
		args = append(args, q)
	}
	if !f.From.IsZero() {
		where = append(where, `c.created_at >= ?`)
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `c.created_at < ?`)
		args = append(args, ms(f.To))
	}
	if f.Status != "" {
		if f.Status != StatusDraft && f.Status != StatusSigned {
			return Page{}, fmt.Errorf("case log %s: status %q: use draft or signed", s.path, f.Status)
		}
		where = append(where, `c.status = ?`)
		args = append(args, f.Status)
	}
	if m := strings.TrimSpace(f.Model); m != "" {
		where = append(where, `EXISTS (SELECT 1 FROM runs r WHERE r.case_id = c.id AND (r.model = ? OR (r.model >= ? AND r.model < ?)))`)
		args = append(args, m, m+":", m+";")
	}
	if t := strings.TrimSpace(f.Tag); t != "" {
		where = append(where, `EXISTS (SELECT 1 FROM case_tags t WHERE t.tag = ? AND t.case_id = c.id)`)
		args = append(args, t)
	}
	if f.After != "" {
		at, id, err := parseCursor(f.After)
		if err != nil {
			return Page{}, fmt.Errorf("case log %s: page cursor %q: %w", s.path, f.After, err)
		}
		where = append(where, `(c.created_at, c.id) < (?, ?)`)
		args = append(args, at, id)
	}
	q := `SELECT ` + caseCols + ` FROM cases c`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`
	args = append(args, limit+1)
	cases, err := collect(ctx, s.db, scanCase, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("case log %s: listing cases: %w", s.path, err)
	}
	p := Page{Cases: cases}
	if len(cases) > limit {
		p.Cases = cases[:limit]
		last := p.Cases[limit-1]
		p.Next = fmt.Sprintf("%d.%d", ms(last.CreatedAt), last.Number)
	}
	if p.Cases == nil {
		p.Cases = []Case{}
	}
	return p, nil
}

// Search is ListCases with a full-text query.
func (s *Store) Search(ctx context.Context, query string, f Filter) (Page, error) {
	f.Query = query
	return s.ListCases(ctx, f)
}

func parseCursor(c string) (at, id int64, err error) {
	a, b, ok := strings.Cut(c, ".")
	if !ok {
		return 0, 0, fmt.Errorf("not a page cursor")
	}
	if at, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("not a page cursor")
	}
	if id, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("not a page cursor")
	}
	return at, id, nil
}

// ftsQuery turns what a user typed into an FTS5 query that cannot be a
// syntax error: every word a quoted phrase, all required, the last one also
// a prefix.
func ftsQuery(typed string) string {
	words := strings.Fields(typed)
	var parts []string
	for _, w := range words {
		w = strings.ReplaceAll(w, `"`, `""`)
		// A word of punctuation only would be an empty phrase: skip it.
		if strings.IndexFunc(w, func(r rune) bool {
			return r == '_' || r > 127 || ('0' <= r && r <= '9') || ('a' <= r|0x20 && r|0x20 <= 'z')
		}) < 0 {
			continue
		}
		parts = append(parts, `"`+w+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	parts[len(parts)-1] += "*"
	return strings.Join(parts, " ")
}
