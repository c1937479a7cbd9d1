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

// querier is what pendingMigrations reads through: the inspecting
// connection before anything is written, then the migrating transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// pendingMigrations checks that the file is rallybot's and no newer than this
// binary, and returns the migrations it still needs; fresh means the file has
// no tables yet (not even the migrations table). It only reads.
func pendingMigrations(ctx context.Context, q querier, known []string) (pending []string, fresh bool, err error) {
	var hasMigrations int
	if err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).Scan(&hasMigrations); err != nil {
		return nil, false, fmt.Errorf("read schema: %w", err)
	}
	if hasMigrations == 0 {
		var tables int
		if err := q.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&tables); err != nil {
			return nil, false, fmt.Errorf("read schema: %w", err)
		}
		if tables > 0 {
			return nil, false, ErrForeignDatabase
		}
		return known, true, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		// A table called migrations that is not ours.
		return nil, false, fmt.Errorf("%w (%v)", ErrForeignDatabase, err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, false, fmt.Errorf("read migrations: %w", err)
		}
		applied[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read migrations: %w", err)
	}
	isKnown := map[string]bool{}
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
		return nil, false, &NewerSchemaError{Unknown: unknown}
	}
	return pending, false, nil
}
