package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// ListCases lists cases newest first (by creation time), one page at a
// time. Pages are keyed by the cases' sort key (keyset pagination): every
// page costs the same however deep it is, and a search walks the full-text
// index newest first and stops after one page.
func (s *Store) ListCases(ctx context.Context, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	fts := s.ftsQuery(ctx, f.Query)
	key := "c.sort_key"
	q := `SELECT ` + caseCols + ` FROM cases c`
	var where []string
	var args []any
	if fts != "" {
		key = "search_index.rowid"
		q = `SELECT ` + caseCols + ` FROM search_index JOIN cases c ON c.sort_key = search_index.rowid`
		where = append(where, `search_index MATCH ?`)
		args = append(args, fts)
	}
	// The sort key is the creation time in ms times 1000 plus a counter.
	if !f.From.IsZero() {
		where = append(where, key+` >= ?`)
		args = append(args, ms(f.From)*1000)
	}
	if !f.To.IsZero() {
		where = append(where, key+` < ?`)
		args = append(args, ms(f.To)*1000)
	}
	if f.After != "" {
		digits, ok := strings.CutPrefix(f.After, "k")
		after, err := strconv.ParseInt(digits, 10, 64)
		if !ok || err != nil {
			return Page{}, fmt.Errorf("case log %s: page cursor %q: not a cursor from this log", s.path, f.After)
		}
		where = append(where, key+` < ?`)
		args = append(args, after)
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
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY ` + key + ` DESC LIMIT ?`
	args = append(args, limit+1)
	cases, err := collect(ctx, s.db, scanCase, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("case log %s: listing cases: %w", s.path, err)
	}
	p := Page{Cases: cases}
	if len(cases) > limit {
		p.Cases = cases[:limit]
		var sk int64
		if err := s.db.QueryRowContext(ctx, `SELECT sort_key FROM cases WHERE id = ?`, p.Cases[limit-1].Number).Scan(&sk); err != nil {
			return Page{}, fmt.Errorf("case log %s: listing cases: %w", s.path, err)
		}
		p.Next = "k" + strconv.FormatInt(sk, 10)
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

// ftsQuery turns what a user typed into an FTS5 query that cannot be a
// syntax error: every word a quoted phrase, all required, the last one also
// standing for the words it begins. That prefix is expanded through the
// index's vocabulary into an OR of whole words, which FTS5 walks lazily
// (a plain prefix query would first collect every match).
func (s *Store) ftsQuery(ctx context.Context, typed string) string {
	typed = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, typed)
	words := strings.Fields(typed)
	var parts []string
	for _, w := range words {
		// A word of punctuation only would be an empty phrase: skip it.
		if strings.IndexFunc(w, isWordRune) < 0 {
			continue
		}
		parts = append(parts, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	last := words[len(words)-1]
	parts[len(parts)-1] += "*"
	if strings.IndexFunc(last, func(r rune) bool { return !isWordRune(r) }) < 0 {
		if alt := s.expandPrefix(ctx, strings.ToLower(last)); alt != "" {
			parts[len(parts)-1] = alt
		}
	}
	return strings.Join(parts, " AND ")
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// expandPrefix returns ("w1" OR "w2" ...) for the indexed words that start
// with prefix, or "" when there are none or too many (the caller then keeps
// the plain prefix query).
func (s *Store) expandPrefix(ctx context.Context, prefix string) string {
	rows, err := s.db.QueryContext(ctx, `SELECT term FROM search_vocab WHERE term >= ? AND term < ? LIMIT 65`, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return ""
	}
	defer rows.Close()
	var terms []string
	for rows.Next() {
		var t string
		if rows.Scan(&t) != nil {
			return ""
		}
		terms = append(terms, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
	}
	if rows.Err() != nil || len(terms) == 0 || len(terms) > 64 {
		return ""
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}
