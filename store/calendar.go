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

// ExpiredScheduledEvents lists rallies that ended before cutoff and still
// have a scheduled event, for retention to delete.
func (db *DB) ExpiredScheduledEvents(ctx context.Context, cutoff time.Time, limit int) (_ []CalendarRally, err error) {
	defer wrap(&err, "expired scheduled events")
	return scanCalendarRallies(db.read.QueryContext(ctx, `
		SELECT `+calendarColumns+rallyFrom+`WHERE r.event_id IS NOT NULL AND r.ends_at < ?
		ORDER BY r.ends_at, r.id LIMIT ?`, cutoff.Unix(), limit))
}
