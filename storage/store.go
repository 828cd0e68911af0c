// Package storage is PULSE Desk's case log: one SQLite file holding every
// case, the documents it came from, the exact images the model saw, every
// model run with its answer, the clinician's versioned reports, measurements
// and the tombstones of deleted cases.
//
// The rules (see docs/caselog.md) are enforced by the database itself:
// runs change only while running and are closed exactly once; report
// versions, documents, model inputs and measurements never change; rows are
// deleted only together with a case that has a tombstone.
//
// Storage is a leaf: it knows no image processing and keeps the viewer's
// Edits as opaque JSON.
package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// FileName is the name of the case log inside its data folder.
const FileName = "caselog.db"

// busyTimeout is how long a connection waits for another writer (in this or
// another process) before SQLite reports the database busy.
const busyTimeout = 15 * time.Second

// Store is an open case log. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	path  string
	owner string
	now   func() time.Time

	integrity *integrityState
	cancelBG  context.CancelFunc
	bgDone    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Options adjust Open. The zero value is what the app uses.
type Options struct {
	// SkipBackgroundCheck turns off the integrity check that Open starts in
	// the background (the check still runs before every backup).
	SkipBackgroundCheck bool
}

// DefaultDir is the folder that holds the case log when no --data folder is
// given: $PULSEDESK_DATA when set; on Linux and BSD $XDG_DATA_HOME/pulsedesk
// (~/.local/share/pulsedesk); elsewhere the user's configuration folder
// (os.UserConfigDir) /PulseDesk.
func DefaultDir() (string, error) {
	if d := os.Getenv("PULSEDESK_DATA"); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android", "plan9":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("case log folder: %w", err)
		}
		return filepath.Join(d, "PulseDesk"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "pulsedesk"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("case log folder: %w", err)
	}
	return filepath.Join(home, ".local", "share", "pulsedesk"), nil
}

// PathIn returns the path of the case log file inside the data folder dir.
func PathIn(dir string) string { return filepath.Join(dir, FileName) }

// OpenDir opens (creating when needed) the case log in the data folder dir,
// creating the folder with mode 0700 when it does not exist.
func OpenDir(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("case log folder %s: %w", dir, err)
	}
	return Open(PathIn(dir))
}

// Open opens the case log at path, creating it (mode 0600) or migrating it
// to the current schema. A log written by a newer version of the app is
// refused. Runs left running by a process that no longer exists are closed
// as interrupted. An integrity check starts in the background; see Integrity.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("case log: no file name given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("case log %s: %w", path, err)
	}
	if err := prepareFile(abs); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("case log %s: %w", abs, err)
	}
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, path: abs, owner: processOwner(), now: time.Now, integrity: newIntegrityState()}
	ctx := context.Background()
	if err := s.checkHeader(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db, abs, len(migrations)); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := s.CloseOrphanedRuns(ctx); err != nil {
		db.Close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	s.cancelBG = cancel
	s.bgDone = make(chan struct{})
	if opt.SkipBackgroundCheck {
		close(s.bgDone)
	} else {
		go func() {
			defer close(s.bgDone)
			s.IntegrityCheck(bg) //nolint:errcheck // the result is kept in s.integrity
		}()
	}
	return s, nil
}

// dsn is the go-sqlite3 connection string: every pooled connection gets
// foreign keys, WAL, synchronous=FULL, the busy timeout and immediate write
// transactions.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:/C:/...
	}
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: p}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// prepareFile creates the log file with mode 0600 before SQLite does (SQLite
// gives its -wal and -shm files the mode of the main file), and tightens an
// existing file's mode.
func prepareFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		if fi.IsDir() {
			return fmt.Errorf("case log %s: is a folder, not a file", path)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return fmt.Errorf("case log %s: %w", path, err)
			}
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("case log folder %s: %w", filepath.Dir(path), err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return nil // another process created it just now
		}
		if err != nil {
			return fmt.Errorf("case log %s: %w", path, err)
		}
		return f.Close()
	default:
		return fmt.Errorf("case log %s: %w", path, err)
	}
}

// checkHeader gives a clear message for a file that is not a SQLite database.
func (s *Store) checkHeader(ctx context.Context) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("case log %s: %w", s.path, err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	if n == 0 {
		return nil // new, empty file
	}
	if n < 16 || string(head) != "SQLite format 3\x00" {
		return fmt.Errorf("case log %s: not a PULSE Desk case log (not an SQLite database)", s.path)
	}
	return nil
}

// Path is the file of the case log.
func (s *Store) Path() string { return s.path }

// DB gives access to the underlying database for tests and tools. Writing
// through it bypasses nothing: the triggers still apply.
func (s *Store) DB() *sql.DB { return s.db }

// Close stops the background check and closes the log. Runs this process
// left running stay running; the next process to open the log closes them as
// interrupted.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancelBG()
		<-s.bgDone
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// newUID returns 128 random bits as 32 lower-case hex digits.
func newUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported systems
	}
	return hex.EncodeToString(b[:])
}

// ms converts a time to the stored milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// nowMS is the current time, rounded to what the log stores.
func (s *Store) nowTime() time.Time { return fromMS(ms(s.now())) }

// isBusy reports whether err is SQLite's "database is locked"/"busy".
func isBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	return false
}

// write runs fn in one immediate write transaction, retrying the whole
// transaction when another writer keeps the log busy beyond the busy timeout,
// so "database is locked" does not reach the caller while the context lasts.
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil {
			return nil
		}
		if !isBusy(err) || attempt >= 20 || ctx.Err() != nil {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			return fmt.Errorf("case log %s: %s: %w", s.path, what, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("case log %s: %s: %w", s.path, what, ctx.Err())
		case <-t.C:
		}
		if delay < time.Second {
			delay *= 2
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs fn on one connection inside a deferred (snapshot) transaction,
// so that everything fn reads comes from one consistent state of the log
// without taking the write lock.
func (s *Store) read(ctx context.Context, what string, fn func(q querier) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("case log %s: %s: %w", s.path, what, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return fmt.Errorf("case log %s: %s: %w", s.path, what, err)
	}
	err = fn(conn)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("case log %s: %s: %w", s.path, what, err)
	}
	return nil
}

// querier is what *sql.Tx, *sql.Conn and *sql.DB have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
