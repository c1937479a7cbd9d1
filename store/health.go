package store

import (
	"context"
	"fmt"
)

// Writable proves the database takes a write now: it commits a change to
// the one-row health table. Taking the write lock alone (BEGIN
// IMMEDIATE) succeeds on a full disk or a file system gone read-only, since
// nothing reaches the file until a commit; a lock held too long shows here
// too, after the busy timeout. The row names no one, and rewriting it adds
// one page to the -wal file, which checkpoints reclaim.
func (db *DB) Writable(ctx context.Context) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE health SET checks = checks + 1, checked_at = ? WHERE id = 1`, tx.now.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	return nil
}
