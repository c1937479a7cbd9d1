package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// ReminderState is where a reminder stands.
type ReminderState string

// Reminder states.
const (
	ReminderPending ReminderState = "pending"
	ReminderSent    ReminderState = "sent"
	ReminderFailed  ReminderState = "failed"
	ReminderDropped ReminderState = "dropped"
)

// armReminders (re)schedules one reminder per offset before the rally's start.
// One whose time has already passed is recorded as dropped, so a rally made
// an hour ahead does not get a "tomorrow" reminder. A re-timed rally's
// reminders go out again for the new time; a pending reminder of an offset no
// longer configured is dropped, since its time belongs to the old start.
func armReminders(ctx context.Context, tx *Tx, rallyID int64, start time.Time, offsets []time.Duration) error {
	keep := make([]string, 0, len(offsets))
	for _, off := range offsets {
		due := start.Add(-off)
		state := ReminderPending
		if !due.After(tx.now) {
			state = ReminderDropped
		}
		secs := int64(off / time.Second)
		keep = append(keep, itoa(secs))
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO reminders (rally_id, offset_s, due_at, state, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rally_id, offset_s) DO UPDATE SET due_at = excluded.due_at, state = excluded.state,
				nonce = NULL, attempts = 0, next_try_at = 0, message_id = NULL, updated_at = excluded.updated_at`,
			rallyID, secs, due.Unix(), state, tx.now.Unix()); err != nil {
			return err
		}
	}
	q := `UPDATE reminders SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND state = 'pending'`
	if len(keep) > 0 {
		q += ` AND offset_s NOT IN (` + strings.Join(keep, ",") + `)` // integers formatted here, not user text
	}
	_, err := tx.ExecContext(ctx, q, tx.now.Unix(), rallyID)
	return err
}

// DueReminder is a reminder whose time has come, as read: Nonce and DueAt
// identify this arming of it, so a rally re-timed meanwhile is not touched by
// a sweep that read it before.
type DueReminder struct {
	Rally    Rally
	Offset   time.Duration
	DueAt    time.Time
	Attempts int
	Nonce    string // "" until a send was begun
	// ChapterChannelID is the chapter's channel now ("" if unbound); the
	// rally's own ChannelID is where it was announced.
	ChapterChannelID string
}

// dueRemindersQuery selects pending reminders due at ?1 (and not backing
// off), oldest first. It walks the partial index of pending reminders, so its
// cost does not grow with the history of sent ones.
const dueRemindersQuery = `
		SELECT ` + rallyColumns + `, m.offset_s, m.due_at, m.attempts, COALESCE(m.nonce, ''), COALESCE(c.channel_id, '')
		FROM reminders m JOIN rallies r ON r.id = m.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE m.state = 'pending' AND m.due_at <= ?1 AND m.next_try_at <= ?1
		ORDER BY m.due_at LIMIT ?2`

// DueReminders returns up to max pending reminders due at now.
func (db *DB) DueReminders(ctx context.Context, now time.Time, max int) (_ []DueReminder, err error) {
	defer wrap(&err, "due reminders")
	rows, err := db.read.QueryContext(ctx, dueRemindersQuery, now.Unix(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueReminder
	for rows.Next() {
		var d DueReminder
		var off, due int64
		var err error
		if d.Rally, err = scanRally(rows, &off, &due, &d.Attempts, &d.Nonce, &d.ChapterChannelID); err != nil {
			return nil, err
		}
		d.Offset, d.DueAt = time.Duration(off)*time.Second, time.Unix(due, 0).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// ReminderAttempt is a send about to be made.
type ReminderAttempt struct {
	Nonce string
	// Resumed is true when an earlier attempt recorded this nonce and its
	// outcome is unknown: it may have been posted.
	Resumed bool
}

// BeginDue records the intent to send the reminder as read in d and returns
// the nonce to send it with: the one recorded by an earlier attempt if there
// was one, so Discord drops a duplicate of a send whose outcome was never
// recorded. ok is false if the reminder is no longer pending, or was re-armed
// (its rally re-timed) since d was read.
func (db *DB) BeginDue(ctx context.Context, d DueReminder) (att ReminderAttempt, ok bool, err error) {
	defer wrap(&err, "begin reminder")
	rallyID, offset := d.Rally.ID, d.Offset
	err = db.update(ctx, func(tx *Tx) error {
		var state ReminderState
		var due int64
		var existing *string
		if err := tx.QueryRowContext(ctx, `SELECT state, due_at, nonce FROM reminders WHERE rally_id = ? AND offset_s = ?`,
			rallyID, int64(offset/time.Second)).Scan(&state, &due, &existing); err != nil {
			return err
		}
		if state != ReminderPending || due != d.DueAt.Unix() {
			return nil
		}
		ok = true
		if existing != nil {
			att = ReminderAttempt{Nonce: *existing, Resumed: true}
			return nil
		}
		att.Nonce = NewNonce()
		_, err := tx.ExecContext(ctx, `UPDATE reminders SET nonce = ?, updated_at = ? WHERE rally_id = ? AND offset_s = ?`,
			att.Nonce, tx.now.Unix(), rallyID, int64(offset/time.Second))
		return err
	})
	return att, ok, err
}

// ReminderOutcome is how a send of a due reminder ended.
type ReminderOutcome struct {
	Due DueReminder // the reminder as read
	// Nonce is the one it was sent with ("" if no send was begun).
	Nonce     string
	State     ReminderState // ReminderSent, ReminderFailed or ReminderDropped
	MessageID string        // the message posted, when sent
}

// FinishDue moves a due reminder to its final state. A reminder re-armed
// meanwhile (its rally re-timed: a new due time, its nonce cleared) is left
// pending for its new time.
func (db *DB) FinishDue(ctx context.Context, o ReminderOutcome) (err error) {
	defer wrap(&err, "finish reminder")
	d := o.Due
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE reminders SET state = ?, message_id = ?, updated_at = ?
			WHERE rally_id = ? AND offset_s = ? AND state = 'pending' AND due_at = ? AND nonce IS ?`,
			o.State, nullIfEmpty(o.MessageID), tx.now.Unix(), d.Rally.ID, int64(d.Offset/time.Second), d.DueAt.Unix(), nullIfEmpty(o.Nonce))
		return err
	})
}

// ReminderRetry is a failed send of a due reminder, to be tried again.
type ReminderRetry struct {
	Due   DueReminder // the reminder as read
	Nonce string      // the one it was sent with, kept for the next try
	At    time.Time   // when to try again
}

// RetryDue leaves a due reminder pending, to be tried again at r.At with the
// same nonce.
func (db *DB) RetryDue(ctx context.Context, r ReminderRetry) (err error) {
	defer wrap(&err, "retry reminder")
	d := r.Due
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE reminders SET attempts = attempts + 1, next_try_at = ?, updated_at = ?
			WHERE rally_id = ? AND offset_s = ? AND state = 'pending' AND due_at = ? AND nonce IS ?`,
			r.At.Unix(), tx.now.Unix(), d.Rally.ID, int64(d.Offset/time.Second), d.DueAt.Unix(), nullIfEmpty(r.Nonce))
		return err
	})
}

// Reminder is a reminder as stored, for /rally info and tests.
type Reminder struct {
	Offset    time.Duration
	DueAt     time.Time
	State     ReminderState
	MessageID string
	Attempts  int
}

// NoteOnce records a notice for a guild and reports whether it is new, so a
// failure is told to the coordinators once, not on every sweep.
func (db *DB) NoteOnce(ctx context.Context, guildID, key string) (fresh bool, err error) {
	defer wrap(&err, "note once")
	err = db.update(ctx, func(tx *Tx) error {
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

// ForgetNote removes a notice, so the same problem is told again if it comes
// back (the channel was fixed, then broke again), or if telling it failed.
func (db *DB) ForgetNote(ctx context.Context, guildID, key string) (err error) {
	defer wrap(&err, "forget note")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM notices WHERE guild_id = ? AND key = ?`, guildID, key)
		return err
	})
}

// NewNonce returns a random message nonce within Discord's 25-character limit.
func NewNonce() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
