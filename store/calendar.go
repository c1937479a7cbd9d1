package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// CalendarRally is a rally with what its copies in calendars need: how many
// times it was revised (an .ics SEQUENCE) and the Discord scheduled event
// that mirrors it ("" when none).
type CalendarRally struct {
	Rally
	Sequence int
	EventID  string
}

const calendarColumns = rallyColumns + `, r.sequence, COALESCE(r.event_id, '')`

func scanCalendarRally(row interface{ Scan(...any) error }) (CalendarRally, error) {
	var c CalendarRally
	var err error
	c.Rally, err = scanRally(row, &c.Sequence, &c.EventID)
	return c, err
}

func scanCalendarRallies(rows *sql.Rows, err error) ([]CalendarRally, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarRally
	for rows.Next() {
		c, err := scanCalendarRally(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CalendarRally returns one rally of the guild with its calendar fields. A
// rally of another guild is no such rally.
func (db *DB) CalendarRally(ctx context.Context, guildID string, id int64) (_ CalendarRally, err error) {
	defer wrap(&err, "calendar rally")
	c, err := scanCalendarRally(db.read.QueryRowContext(ctx,
		`SELECT `+calendarColumns+rallyFrom+`WHERE r.id = ? AND r.guild_id = ?`, id, guildID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoSuchRally
	}
	return c, err
}

// MemberCalendar lists the guild's rallies that have not ended and that the
// member RSVPed to (going, maybe or waitlisted) or holds a safety role at,
// cancelled ones included so a calendar that has them learns they are off.
func (db *DB) MemberCalendar(ctx context.Context, guildID, userID string, now time.Time) (_ []CalendarRally, err error) {
	defer wrap(&err, "member calendar")
	return scanCalendarRallies(db.read.QueryContext(ctx, `
		SELECT `+calendarColumns+rallyFrom+`JOIN (`+myRallies+`) v ON v.rally_id = r.id
		WHERE r.guild_id = ?2 AND r.ends_at > ?3
		ORDER BY r.starts_at, r.id`, userID, guildID, now.Unix()))
}

// ExportRally is a rally as the turnout export shows it: with the day of
// action it belongs to, if any.
type ExportRally struct {
	Rally
	ActionID    int64  // 0: not part of a day of action
	ActionTitle string // "" when ActionID is 0
	// Needs are the counts of needs of its members going, filled by the
	// caller from RallyNeeds.
	Needs NeedCounts
}

// ExportRallies lists every rally of the guild starting in [from, until),
// whatever its status, soonest first.
func (db *DB) ExportRallies(ctx context.Context, guildID string, from, until time.Time) (_ []ExportRally, err error) {
	defer wrap(&err, "export rallies")
	rows, err := db.read.QueryContext(ctx, `
		SELECT `+rallyColumns+`, COALESCE(a.id, 0), COALESCE(a.title, '')`+rallyFrom+`LEFT JOIN actions a ON a.id = r.action_id
		WHERE r.guild_id = ? AND r.starts_at >= ? AND r.starts_at < ?
		ORDER BY r.starts_at, r.id`, guildID, from.Unix(), until.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExportRally
	for rows.Next() {
		var e ExportRally
		if e.Rally, err = scanRally(rows, &e.ActionID, &e.ActionTitle); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetScheduledEvent records the Discord scheduled event mirroring a rally;
// "" records that there is none any more. Either way a create begun is
// settled: its event is known, or known not to have been made.
func (db *DB) SetScheduledEvent(ctx context.Context, rallyID int64, eventID string) (err error) {
	defer wrap(&err, "set scheduled event")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_id = ?, event_begun_at = NULL WHERE id = ?`, nullIfEmpty(eventID), rallyID)
		return err
	})
}

// PostLease is how long a rally's scheduled event belongs to the command
// that changed the rally, which mirrors it at once, before the sweep may.
const PostLease = 2 * time.Minute

// oweEvent records, in the transaction that changed the rally, that its
// scheduled event must be brought in line with it: for a rally announced,
// or with an event or a create begun. The command that made the change
// does it at once; the sweep may after PostLease.
func oweEvent(ctx context.Context, tx *Tx, rallyID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_owed = event_owed + 1, event_next_try_at = ?
		WHERE id = ? AND (message_id IS NOT NULL OR event_id IS NOT NULL OR event_begun_at IS NOT NULL)`,
		tx.now.Add(PostLease).Unix(), rallyID)
	return err
}

// EventMirror is what a rally's scheduled event owes it, as read.
type EventMirror struct {
	CalendarRally
	// Owed counts the changes not yet mirrored; EventMirrored takes off
	// what was read.
	Owed int64
	// Begun: a create was sent whose outcome was never recorded; the event
	// may exist.
	Begun    bool
	Attempts int
}

const eventMirrorColumns = calendarColumns + `, r.event_owed, r.event_begun_at IS NOT NULL, r.event_attempts`

func scanEventMirrors(rows *sql.Rows, err error) ([]EventMirror, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EventMirror
	for rows.Next() {
		var m EventMirror
		if m.Rally, err = scanRally(rows, &m.Sequence, &m.EventID, &m.Owed, &m.Begun, &m.Attempts); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EventMirrorOf returns what the rally's scheduled event owes it (Owed 0:
// nothing).
func (db *DB) EventMirrorOf(ctx context.Context, rallyID int64) (_ EventMirror, err error) {
	defer wrap(&err, "event mirror")
	ms, err := scanEventMirrors(db.read.QueryContext(ctx, `SELECT `+eventMirrorColumns+rallyFrom+`WHERE r.id = ?`, rallyID))
	if err != nil {
		return EventMirror{}, err
	}
	if len(ms) == 0 {
		return EventMirror{}, ErrNoSuchRally
	}
	return ms[0], nil
}

// DueEventMirrors returns up to max rallies whose scheduled event owes them
// a change and whose (re)try time has come.
func (db *DB) DueEventMirrors(ctx context.Context, now time.Time, max int) (_ []EventMirror, err error) {
	defer wrap(&err, "due event mirrors")
	return scanEventMirrors(db.read.QueryContext(ctx, `SELECT `+eventMirrorColumns+rallyFrom+`
		WHERE r.event_owed > 0 AND r.event_next_try_at <= ? ORDER BY r.event_next_try_at, r.id LIMIT ?`, now.Unix(), max))
}

// BeginEventCreate records that a create of the rally's scheduled event is
// about to be sent. resumed is true when an earlier create's outcome was
// never recorded: look for its event before making another.
func (db *DB) BeginEventCreate(ctx context.Context, rallyID int64) (resumed bool, err error) {
	defer wrap(&err, "begin event create")
	err = db.update(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT event_begun_at IS NOT NULL FROM rallies WHERE id = ?`, rallyID).Scan(&resumed); err != nil {
			return err
		}
		if resumed {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_begun_at = ? WHERE id = ?`, tx.now.Unix(), rallyID)
		return err
	})
	return resumed, err
}

// EventMirrored records that the scheduled event shows the changes read in
// m (or that there is nothing to show them on): those made since stay owed.
func (db *DB) EventMirrored(ctx context.Context, m EventMirror) (err error) {
	defer wrap(&err, "event mirrored")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_owed = MAX(event_owed - ?, 0), event_attempts = 0 WHERE id = ?`,
			m.Owed, m.ID)
		return err
	})
}

// RetryEventMirror leaves the rally's event owed, to be tried again at next.
func (db *DB) RetryEventMirror(ctx context.Context, m EventMirror, next time.Time) (err error) {
	defer wrap(&err, "retry event mirror")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_attempts = event_attempts + 1, event_next_try_at = ? WHERE id = ?`,
			next.Unix(), m.ID)
		return err
	})
}

// ExpiredScheduledEvents lists rallies that ended before cutoff and still
// have a scheduled event, for retention to delete.
func (db *DB) ExpiredScheduledEvents(ctx context.Context, cutoff time.Time, limit int) (_ []CalendarRally, err error) {
	defer wrap(&err, "expired scheduled events")
	return scanCalendarRallies(db.read.QueryContext(ctx, `
		SELECT `+calendarColumns+rallyFrom+`WHERE r.event_id IS NOT NULL AND r.ends_at < ?
		ORDER BY r.ends_at, r.id LIMIT ?`, cutoff.Unix(), limit))
}
