package store

import (
	"context"
	"time"
)

// StaffingAlert is a rally short of a role minimum within the alert window,
// not yet told to its chapter (or told by an attempt whose outcome is unknown).
type StaffingAlert struct {
	Rally Rally
	// ChapterChannelID is the chapter's channel now ("" if unbound).
	ChapterChannelID string
	Attempts         int
	// Languages is how many kinds of interpretation members going need
	// (NeedCounts.Languages): fewer interpreters signed up is a shortfall
	// too, whatever the minimum.
	Languages int
}

// DueStaffingAlerts returns up to max rallies that start within window of now,
// are short of a minimum or of an interpreter for each kind of
// interpretation members going need, and have no alert sent or given up on. A rally
// edited (or left) into shortfall inside the window is found by the next
// sweep: the window is checked at every sweep, not armed once.
func (db *DB) DueStaffingAlerts(ctx context.Context, now time.Time, window time.Duration, max int) (_ []StaffingAlert, err error) {
	defer wrap(&err, "due staffing alerts")
	rows, err := db.read.QueryContext(ctx, `
		SELECT `+rallyColumns+`, COALESCE(c.channel_id, ''), COALESCE(a.attempts, 0), `+interpretationKinds+`
		FROM rallies r JOIN chapters c ON c.id = r.chapter_id LEFT JOIN staffing_alerts a ON a.rally_id = r.id
		WHERE (r.id IN (SELECT rally_id FROM rally_roles WHERE filled < needed) OR r.id IN (`+shortOfInterpreters+`))
			AND r.status = 'scheduled' AND r.starts_at > ?1 AND r.starts_at <= ?2
			AND (a.rally_id IS NULL OR (a.state = 'pending' AND a.next_try_at <= ?1))
		ORDER BY r.starts_at, r.id LIMIT ?3`, now.Unix(), now.Add(window).Unix(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StaffingAlert
	for rows.Next() {
		var s StaffingAlert
		var err error
		if s.Rally, err = scanRally(rows, &s.ChapterChannelID, &s.Attempts, &s.Languages); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// interpretationKinds is a column of rallies r: how many kinds of
// interpretation its members going need.
const interpretationKinds = `(SELECT COUNT(DISTINCT need) FROM rsvp_needs
	WHERE rally_id = r.id AND need IN ('asl', 'spanish', 'other_interpretation'))`

// shortOfInterpreters selects the rallies with fewer interpreters signed up
// than kinds of interpretation their members going need. rsvp_needs holds
// only members going at rallies not yet purged: a small table.
const shortOfInterpreters = `
	SELECT n.rally_id FROM rsvp_needs n
	WHERE n.need IN ('asl', 'spanish', 'other_interpretation')
	GROUP BY n.rally_id
	HAVING COUNT(DISTINCT n.need) > COALESCE(
		(SELECT filled FROM rally_roles x WHERE x.rally_id = n.rally_id AND x.role = 'interpreter'), 0)`

// BeginStaffingAlert records the intent to send a rally's alert and returns
// the nonce to send it with: the one an earlier attempt recorded, if any
// (Resumed), so Discord drops a second copy. ok is false once the alert was
// sent or given up on: a rally is alerted once.
func (db *DB) BeginStaffingAlert(ctx context.Context, rallyID int64) (att ReminderAttempt, ok bool, err error) {
	defer wrap(&err, "begin staffing alert")
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO staffing_alerts (rally_id, nonce, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			rallyID, NewNonce(), tx.now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		var state ReminderState
		if err := tx.QueryRowContext(ctx, `SELECT state, nonce FROM staffing_alerts WHERE rally_id = ?`, rallyID).
			Scan(&state, &att.Nonce); err != nil {
			return err
		}
		att.Resumed = n == 0
		ok = state == ReminderPending
		return nil
	})
	return att, ok, err
}

// StaffingAlertOutcome is how an attempt at a rally's staffing alert ended.
type StaffingAlertOutcome struct {
	RallyID   int64
	Nonce     string // the attempt's, from BeginStaffingAlert
	State     ReminderState
	MessageID string // when sent
}

// FinishStaffingAlert closes the alert begun with o.Nonce: sent (with its
// message), failed or dropped.
func (db *DB) FinishStaffingAlert(ctx context.Context, o StaffingAlertOutcome) (err error) {
	defer wrap(&err, "finish staffing alert")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE staffing_alerts SET state = ?, message_id = ?, updated_at = ?
			WHERE rally_id = ? AND nonce = ? AND state = 'pending'`,
			o.State, nullIfEmpty(o.MessageID), tx.now.Unix(), o.RallyID, o.Nonce)
		return err
	})
}

// RetryStaffingAlert leaves the alert pending, to be tried again at next
// with the same nonce.
func (db *DB) RetryStaffingAlert(ctx context.Context, rallyID int64, nonce string, next time.Time) (err error) {
	defer wrap(&err, "retry staffing alert")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE staffing_alerts SET attempts = attempts + 1, next_try_at = ?, updated_at = ?
			WHERE rally_id = ? AND nonce = ? AND state = 'pending'`, next.Unix(), tx.now.Unix(), rallyID, nonce)
		return err
	})
}
