package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the database at srcPath to destPath
// while the bot may be running and writing: SQLite's VACUUM INTO reads one
// snapshot (WAL lets writers go on meanwhile) and writes a compact file with
// no -wal beside it. The copy holds attendance data, so it is created 0600;
// it is written beside destPath and renamed into place, so a cut-short backup
// never leaves a half-written file under the name a restore would use.
func Backup(ctx context.Context, srcPath, destPath string) error {
	if _, err := os.Stat(srcPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	params := url.Values{}
	params.Set("_busy_timeout", "5000")
	params.Set("mode", "ro")
	src, err := sql.Open("sqlite3", "file:"+uriEscape(srcPath)+"?"+params.Encode())
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)

	var hasMigrations int
	if err := src.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).Scan(&hasMigrations); err != nil {
		return fmt.Errorf("backup: read %s: %w", srcPath, err)
	}
	if hasMigrations == 0 {
		return fmt.Errorf("backup: %s: %w", srcPath, ErrForeignDatabase)
	}

	tmp, err := os.CreateTemp(filepath.Dir(destPath), "."+filepath.Base(destPath)+".*.tmp")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath) // gone after the rename; cleans up on failure
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// VACUUM INTO accepts an existing empty file and keeps its mode.
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmpPath, destPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(filepath.Dir(destPath))
}

func uriEscape(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("backup: sync %s: %w", dir, err)
	}
	return nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }
