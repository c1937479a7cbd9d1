package store

import (
	"context"
	"fmt"
)

// Writable checks that a write transaction can start now (BEGIN IMMEDIATE
// takes the write lock), without writing anything: a full disk, a file
// turned read-only or a lock held too long all show here.
func (db *DB) Writable(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		tx.Rollback()
		return fmt.Errorf("database not writable: %w", err)
	}
	return tx.Rollback()
}
