package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change, applied in one transaction.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded schema changes in order; migrations[i] takes
// the log from version i to version i+1. A published migration never changes.
var migrations = loadMigrations()

func loadMigrations() []migration {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("storage: migration file without a number: " + e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("storage: migrations are not numbered 1..n: %s", m.name))
		}
	}
	return ms
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// ErrTooNew reports a log written by a newer version of the app.
type ErrTooNew struct {
	Path          string
	Version, Know int
}

func (e *ErrTooNew) Error() string {
	return fmt.Sprintf("case log %s has schema version %d, newer than this version of PULSE Desk understands (%d): update PULSE Desk to open it", e.Path, e.Version, e.Know)
}

// migrate brings the log at file to schema version target, one migration
// per transaction. Concurrent openers serialise on the immediate transaction
// and re-read the version inside it.
func migrate(ctx context.Context, db *sql.DB, file string, target int) error {
	for {
		done, err := migrateStep(ctx, db, file, target)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, file string, target int) (done bool, err error) {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("case log %s: reading schema version: %w", file, err)
	}
	if v > len(migrations) {
		return false, &ErrTooNew{Path: file, Version: v, Know: len(migrations)}
	}
	if v >= target {
		return true, nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("case log %s: migrating: %w", file, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("case log %s: reading schema version: %w", file, err)
	}
	if v >= target {
		return true, nil
	}
	m := migrations[v]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("case log %s: migration %s: %w", file, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return false, fmt.Errorf("case log %s: migration %s: %w", file, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("case log %s: migration %s: %w", file, m.name, err)
	}
	return false, nil
}
