package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// ErrForeignDatabase is returned by Open for a database that holds tables
// this program did not create: adopting it could mix its data with another
// application's, or migrate that application's file out from under it.
var ErrForeignDatabase = errors.New("the database holds tables rallybot did not create")

// NewerSchemaError is returned by Open for a database already migrated by a
// newer version: this binary does not know what those migrations changed, so
// it must not read or write the file.
type NewerSchemaError struct {
	Unknown []string // migrations recorded in the file and unknown here
}

func (e *NewerSchemaError) Error() string {
	return "the database was written by a newer version (migrations " + strings.Join(e.Unknown, ", ") + " unknown to this one)"
}

// knownMigrations lists the embedded migrations in the order they apply.
func knownMigrations() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		names[i] = path.Base(n)
	}
	sort.Strings(names)
	return names, nil
}

// pendingMigrations checks that the file is rallybot's and no newer than this
// binary, and returns the migrations it still needs.
func pendingMigrations(ctx context.Context, tx *sql.Tx, known []string) ([]string, error) {
	var hasMigrations int
	if err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).Scan(&hasMigrations); err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	if hasMigrations == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&tables); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		if tables > 0 {
			return nil, ErrForeignDatabase
		}
		if _, err := tx.ExecContext(ctx,
			`CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
			return nil, fmt.Errorf("create migrations table: %w", err)
		}
		return known, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		// A table called migrations that is not ours.
		return nil, fmt.Errorf("%w (%v)", ErrForeignDatabase, err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read migrations: %w", err)
		}
		applied[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	isKnown := map[string]bool{}
	var pending []string
	for _, n := range known {
		isKnown[n] = true
		if !applied[n] {
			pending = append(pending, n)
		}
	}
	var unknown []string
	for n := range applied {
		if !isKnown[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &NewerSchemaError{Unknown: unknown}
	}
	return pending, nil
}
