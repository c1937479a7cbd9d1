package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Reminder states.
const (
	ReminderPending = "pending"
	ReminderSent    = "sent"
	ReminderFailed  = "failed"
	ReminderDropped = "dropped"
)

// armReminders (re)schedules one reminder per offset before the rally's start.
// One whose time has already passed is recorded as dropped, so a rally made
// an hour ahead does not get a "tomorrow" reminder. A re-timed rally's
// reminders go out again for the new time.
func armReminders(ctx context.Context, tx *Tx, rallyID int64, start time.Time, offsets []time.Duration) error {
	for _, off := range offsets {
		due := start.Add(-off)
		state := ReminderPending
		if !due.After(tx.now) {
			state = ReminderDropped
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO reminders (rally_id, offset_s, due_at, state, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rally_id, offset_s) DO UPDATE SET due_at = excluded.due_at, state = excluded.state,
				nonce = NULL, attempts = 0, next_try_at = 0, message_id = NULL, updated_at = excluded.updated_at`,
			rallyID, int64(off/time.Second), due.Unix(), state, tx.now.Unix()); err != nil {
			return err
		}
	}
	return nil
}

// DueReminder is a reminder whose time has come.
type DueReminder struct {
	Rally    Rally
	Offset   time.Duration
	DueAt    time.Time
	Attempts int
}

// DueReminders returns pending reminders due at now (and not backing off),
// oldest first. The query walks the partial index of pending reminders, so
// its cost does not grow with the history of sent ones.
func (db *DB) DueReminders(ctx context.Context, now time.Time, max int) ([]DueReminder, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT m.offset_s, m.due_at, m.attempts, `+rallyColumns+`
		FROM reminders m JOIN rallies r ON r.id = m.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE m.state = 'pending' AND m.due_at <= ?1 AND m.next_try_at <= ?1
		ORDER BY m.due_at LIMIT ?2`, now.Unix(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueReminder
	for rows.Next() {
		var d DueReminder
		var off, due, start, end int64
		r := &d.Rally
		if err := rows.Scan(&off, &due, &d.Attempts,
			&r.ID, &r.GuildID, &r.ChapterID, &r.ChapterName, &r.ChapterLeadRoleID, &r.Title, &r.Location, &r.Details,
			&start, &end, &r.TimeZone, &r.Capacity, &r.ChannelID, &r.MessageID,
			&r.Status, &r.CancelReason, &r.Going, &r.Maybe, &r.Waitlist); err != nil {
			return nil, err
		}
		d.Offset, d.DueAt = time.Duration(off)*time.Second, time.Unix(due, 0).UTC()
		r.StartsAt, r.EndsAt = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueRemindersPlan returns SQLite's plan for the due-reminder query, so a test
// can show it walks an index.
func (db *DB) DueRemindersPlan(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `EXPLAIN QUERY PLAN
		SELECT m.rally_id FROM reminders m
		WHERE m.state = 'pending' AND m.due_at <= ?1 AND m.next_try_at <= ?1 ORDER BY m.due_at LIMIT 100`, 0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// BeginReminder records the intent to send a pending reminder and returns the
// nonce to send it with: the one recorded by an earlier attempt if there was
// one, so Discord drops a duplicate of a send whose outcome was never
// recorded. ok is false if the reminder is no longer pending.
func (db *DB) BeginReminder(ctx context.Context, rallyID int64, offset time.Duration) (nonce string, ok bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		var state string
		var existing *string
		if err := tx.QueryRowContext(ctx, `SELECT state, nonce FROM reminders WHERE rally_id = ? AND offset_s = ?`,
			rallyID, int64(offset/time.Second)).Scan(&state, &existing); err != nil {
			return err
		}
		if state != ReminderPending {
			return nil
		}
		ok = true
		if existing != nil {
			nonce = *existing
			return nil
		}
		nonce = NewNonce()
		_, err := tx.ExecContext(ctx, `UPDATE reminders SET nonce = ?, updated_at = ? WHERE rally_id = ? AND offset_s = ?`,
			nonce, tx.now.Unix(), rallyID, int64(offset/time.Second))
		return err
	})
	return nonce, ok, err
}

// FinishReminder moves a reminder to its final state: sent (with its message),
// failed or dropped.
func (db *DB) FinishReminder(ctx context.Context, rallyID int64, offset time.Duration, state, messageID string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE reminders SET state = ?, message_id = ?, updated_at = ? WHERE rally_id = ? AND offset_s = ? AND state = 'pending'`,
			state, nullIfEmpty(messageID), tx.now.Unix(), rallyID, int64(offset/time.Second))
		return err
	})
}

// RetryReminder leaves a reminder pending, to be tried again at next.
func (db *DB) RetryReminder(ctx context.Context, rallyID int64, offset time.Duration, next time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE reminders SET attempts = attempts + 1, next_try_at = ?, updated_at = ? WHERE rally_id = ? AND offset_s = ? AND state = 'pending'`,
			next.Unix(), tx.now.Unix(), rallyID, int64(offset/time.Second))
		return err
	})
}

// ReminderState is a reminder as stored, for /rally info and tests.
type ReminderState struct {
	Offset    time.Duration
	DueAt     time.Time
	State     string
	MessageID string
}

// Reminders lists the reminders of a rally.
func (db *DB) Reminders(ctx context.Context, rallyID int64) ([]ReminderState, error) {
	rows, err := db.read.QueryContext(ctx, `
		SELECT offset_s, due_at, state, COALESCE(message_id, '') FROM reminders WHERE rally_id = ? ORDER BY due_at`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReminderState
	for rows.Next() {
		var s ReminderState
		var off, due int64
		if err := rows.Scan(&off, &due, &s.State, &s.MessageID); err != nil {
			return nil, err
		}
		s.Offset, s.DueAt = time.Duration(off)*time.Second, time.Unix(due, 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// NoteOnce records a notice for a guild and reports whether it is new, so a
// failure is told to the coordinators once, not on every sweep.
func (db *DB) NoteOnce(ctx context.Context, guildID, key string) (bool, error) {
	var fresh bool
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (guild_id, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			guildID, key, tx.now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		return nil
	})
	return fresh, err
}

// NewNonce returns a random message nonce within Discord's 25-character limit.
func NewNonce() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}
