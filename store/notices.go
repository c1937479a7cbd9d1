package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DMState is where a DM owed to a member stands.
type DMState string

// DM states.
const (
	DMPending DMState = "pending"
	DMSent    DMState = "sent"
	// DMClosed: the member does not take DMs from the server (Discord 50007).
	// Never retried.
	DMClosed  DMState = "closed"
	DMFailed  DMState = "failed"
	DMDropped DMState = "dropped"
)

// DMKind says what a DM to a member is about; one of each kind per member
// per rally.
type DMKind string

// DM kinds worded when they are sent, from the rally as it is then.
const (
	// DMReveal is the private place, told to those going.
	DMReveal DMKind = "reveal"
	// DMCancelled tells a member the rally is called off, with its reason.
	// It is owed in the transaction that cancels the rally (markCancelled).
	DMCancelled DMKind = "cancelled"
	// DMPromoted tells a member they moved off the waitlist. It is owed in
	// the transaction that promotes them (fillSeats).
	DMPromoted DMKind = "promoted"
)

// ReminderDM is the kind of the DM copy of a reminder at offset.
func ReminderDM(offset time.Duration) DMKind {
	return DMKind("reminder:" + strconv.FormatInt(int64(offset/time.Second), 10))
}

// NoticeDM is the kind of a notice to one member (a lead's answer to their
// request), named by a fresh id.
func NoticeDM() DMKind { return DMKind("notice:" + NewNonce()) }

// approvedPrefix begins the kind of a DM telling a member a lead let them in.
const approvedPrefix = "approved:"

// ApprovedDM is the kind of the DM telling a member a lead let them in with
// a seat or a role, named by a fresh id (a member may ask and be let in
// again). Its body is stored; a private place it may name is not (TellsPlace).
func ApprovedDM() DMKind { return DMKind(approvedPrefix + NewNonce()) }

// TellsPlace reports whether a DM of the kind may name a private place: the
// place is then worded when the DM goes out, never stored with it, and the
// DM goes only to a member going at that moment.
func (k DMKind) TellsPlace() bool {
	return k == DMReveal || k == DMPromoted || strings.HasPrefix(string(k), approvedPrefix)
}

// OweMemberDM owes one member a DM of the kind about a rally, with its body
// (dmBodies), sent as every owed DM is.
func (db *DB) OweMemberDM(ctx context.Context, rallyID int64, userID string, kind DMKind, body string) (err error) {
	defer wrap(&err, "owe member dm")
	return db.update(ctx, func(tx *Tx) error {
		return oweMemberDM(ctx, tx, rallyID, userID, kind, body)
	})
}

func oweMemberDM(ctx context.Context, tx *Tx, rallyID int64, userID string, kind DMKind, body string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO member_dms (rally_id, kind, user_id, body, nonce, created_at, updated_at)
		VALUES (?, ?, ?, ?, lower(hex(randomblob(10))), ?, ?) ON CONFLICT DO NOTHING`,
		rallyID, kind, userID, body, tx.now.Unix(), tx.now.Unix())
	tx.owed = true
	return err
}

// ChangeDM is the kind of the notice of one change of a rally, named by a
// fresh id, so two changes made in the same second are two notices.
func ChangeDM() DMKind { return DMKind("change:" + NewNonce()) }

// Reminder reports whether the kind is a reminder, and its offset.
func (k DMKind) Reminder() (time.Duration, bool) {
	const p = "reminder:"
	if len(k) <= len(p) || string(k[:len(p)]) != p {
		return 0, false
	}
	n, err := strconv.ParseInt(string(k[len(p):]), 10, 64)
	return time.Duration(n) * time.Second, err == nil
}

// MemberDMs says which members of a rally are owed a DM of one kind.
type MemberDMs struct {
	RallyID  int64
	Kind     DMKind
	Statuses []RSVPStatus // members with one of these RSVPs
	// Body is the text to send, for notices that cannot be rendered at send
	// time (old → new); "" to render it then.
	Body string
	// Buttons: the DM carries "Still going" / "Can't make it".
	Buttons bool
	// OptedIn: only members who have not turned DM reminders off.
	OptedIn bool
	// For, when set, is the channel post the DMs go with (a reminder's):
	// they are owed only while it is owed as read, so a rally re-timed
	// since is not reminded for its old time.
	For *ChannelPost
}

// QueueMemberDMs records the DM owed to each member the selection names, once:
// a member already owed this kind is left as is. It returns how many were
// added.
func (db *DB) QueueMemberDMs(ctx context.Context, q MemberDMs) (added int, err error) {
	defer wrap(&err, "queue member dms")
	err = db.update(ctx, func(tx *Tx) error {
		added, err = queueMemberDMs(ctx, tx, q)
		return err
	})
	return added, err
}

func queueMemberDMs(ctx context.Context, tx *Tx, q MemberDMs) (int, error) {
	if len(q.Statuses) == 0 {
		return 0, nil
	}
	if q.For != nil {
		var owed bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM channel_posts WHERE id = ? AND state = 'pending' AND nonce = ?)`,
			q.For.ID, q.For.Nonce).Scan(&owed)
		if err != nil || !owed {
			return 0, err
		}
	}
	args := []any{q.Kind, q.Body, q.Buttons, tx.now.Unix(), tx.now.Unix(), q.RallyID}
	in := ""
	going := false
	for i, s := range q.Statuses {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, s)
		going = going || s == Going
	}
	// A role holder counts as going, but their sign-up took the place of
	// their RSVP row: they are owed what those going are.
	members := `SELECT rally_id, user_id FROM rsvps WHERE rally_id = ?6 AND status IN (` + in + `)`
	if going {
		members += ` UNION SELECT rally_id, user_id FROM role_signups WHERE rally_id = ?6`
	}
	optIn := ""
	if q.OptedIn {
		optIn = ` AND NOT EXISTS (SELECT 1 FROM member_prefs p JOIN rallies r ON r.id = v.rally_id
			WHERE p.guild_id = r.guild_id AND p.user_id = v.user_id AND p.dm_reminders = 0)`
	}
	// WHERE true: an INSERT … SELECT … ON CONFLICT needs a WHERE to parse.
	res, err := tx.ExecContext(ctx, `
		INSERT INTO member_dms (rally_id, kind, user_id, body, buttons, nonce, created_at, updated_at)
		SELECT v.rally_id, ?1, v.user_id, ?2, ?3, lower(hex(randomblob(10))), ?4, ?5 FROM (`+members+`) v
		WHERE true`+optIn+`
		ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if n > 0 {
		tx.owed = true
	}
	return int(n), err
}

// DueDM is a DM owed to a member, as read.
type DueDM struct {
	Rally    Rally
	Kind     DMKind
	UserID   string
	Body     string
	Buttons  bool
	Attempts int
	Nonce    string // "" until a send was begun
}

// DueMemberDMs returns up to max DMs owed at now (and not backing off),
// oldest first.
func (db *DB) DueMemberDMs(ctx context.Context, now time.Time, max int) (_ []DueDM, err error) {
	defer wrap(&err, "due member dms")
	rows, err := db.read.QueryContext(ctx, `
		SELECT `+rallyColumns+`, d.kind, d.user_id, d.body, d.buttons, d.attempts, COALESCE(d.nonce, '')
		FROM member_dms d JOIN rallies r ON r.id = d.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE d.state = 'pending' AND d.next_try_at <= ?
		ORDER BY d.created_at, d.rally_id, d.user_id LIMIT ?`, now.Unix(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueDM
	for rows.Next() {
		var d DueDM
		var err error
		if d.Rally, err = scanRally(rows, &d.Kind, &d.UserID, &d.Body, &d.Buttons, &d.Attempts, &d.Nonce); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// BeginMemberDM checks that d is still owed, as it was read, and returns
// the nonce to send it with, fixed when it was owed, so Discord drops a
// second copy of a DM resumed after a crash. ok is false if it is no longer
// pending (sent, or forgotten with its member).
func (db *DB) BeginMemberDM(ctx context.Context, d DueDM) (nonce string, ok bool, err error) {
	defer wrap(&err, "begin member dm")
	var state DMState
	err = db.read.QueryRowContext(ctx, `SELECT state, COALESCE(nonce, '') FROM member_dms WHERE rally_id = ? AND kind = ? AND user_id = ?`,
		d.Rally.ID, d.Kind, d.UserID).Scan(&state, &nonce)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil || state != DMPending || nonce == "" || nonce != d.Nonce {
		return "", false, err
	}
	return nonce, true, nil
}

// DMOutcome is how the send of a DM owed to a member ended.
type DMOutcome struct {
	Due   DueDM
	State DMState // DMSent, DMClosed, DMFailed or DMDropped
	// ChannelID and MessageID are where a sent DM is, so it can be deleted
	// on Discord (forget-me, a high-risk rally's end).
	ChannelID, MessageID string
}

// FinishMemberDMs records the outcomes of several DMs in one transaction.
// strays are the DMs sent whose record went while they were on their way:
// their deletion on Discord is owed, and their member is not to be held in
// memory either.
func (db *DB) FinishMemberDMs(ctx context.Context, outs []DMOutcome) (strays []DMOutcome, err error) {
	defer wrap(&err, "finish member dms")
	if len(outs) == 0 {
		return nil, nil
	}
	err = db.update(ctx, func(tx *Tx) error {
		strays = strays[:0]
		for _, o := range outs {
			res, err := tx.ExecContext(ctx, `UPDATE member_dms SET state = ?, updated_at = ?, channel_id = ?, message_id = ?
				WHERE rally_id = ? AND kind = ? AND user_id = ? AND state = 'pending' AND nonce = ?`,
				o.State, tx.now.Unix(), nullIfEmpty(o.ChannelID), nullIfEmpty(o.MessageID), o.Due.Rally.ID, o.Due.Kind, o.Due.UserID, o.Due.Nonce)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 && o.State == DMSent {
				// Its row went while it was on its way (forget-me, a
				// high-risk rally's end, the member leaving the rally, a
				// move owing the reminder anew under another nonce):
				// it reached Discord after the deletion of the rest, so it
				// is deleted too, unless a row already holds it (a second
				// send of it that Discord answered with the first).
				if err := oweStrayDMDeletion(ctx, tx, o.ChannelID, o.MessageID); err != nil {
					return err
				}
				strays = append(strays, o)
				continue
			}
			if o.State == DMSent {
				// A reminder's buttons are owed putting out at its rally's end.
				if err := oweDMEndEdit(ctx, tx, o.Due.Rally.ID, o.Due.Kind, o.Due.UserID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return strays, nil
}

// DMRetry is a failed send of a DM, to be tried again at At with its nonce.
type DMRetry struct {
	Due DueDM
	At  time.Time
}

// RetryMemberDM leaves a DM pending, to be tried again at r.At.
func (db *DB) RetryMemberDM(ctx context.Context, r DMRetry) (err error) {
	defer wrap(&err, "retry member dm")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE member_dms SET attempts = attempts + 1, next_try_at = ?, updated_at = ?
			WHERE rally_id = ? AND kind = ? AND user_id = ? AND state = 'pending' AND nonce = ?`,
			r.At.Unix(), tx.now.Unix(), r.Due.Rally.ID, r.Due.Kind, r.Due.UserID, r.Due.Nonce)
		return err
	})
}

// SetDMReminders turns a member's DM reminders in a server on or off.
func (db *DB) SetDMReminders(ctx context.Context, guildID, userID string, on bool) (err error) {
	defer wrap(&err, "set dm reminders")
	return db.update(ctx, func(tx *Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `DELETE FROM member_prefs WHERE guild_id = ? AND user_id = ?`, guildID, userID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO member_prefs (guild_id, user_id, dm_reminders, updated_at) VALUES (?, ?, 0, ?)
				ON CONFLICT DO UPDATE SET dm_reminders = 0, updated_at = excluded.updated_at`, guildID, userID, tx.now.Unix())
		}
		return err
	})
}

// QueueReveals queues, for each private rally whose place is due to be told
// at now (reveal before its start, and not ended), a reveal DM to everyone
// going, once per rally: it returns the rallies handled.
func (db *DB) QueueReveals(ctx context.Context, now time.Time, reveal time.Duration) (rallies []int64, err error) {
	defer wrap(&err, "queue reveals")
	err = db.update(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM rallies WHERE private_location = 1 AND location_revealed_at IS NULL
			AND status = 'scheduled' AND starts_at <= ? AND ends_at > ? AND message_id IS NOT NULL`,
			now.Add(reveal).Unix(), now.Unix())
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			rallies = append(rallies, id)
		}
		rows.Close()
		for _, id := range rallies {
			// A reveal of an earlier place is owed no more: the row is
			// re-queued with the place as it is now. The record of where
			// the earlier one went stays, so it can still be deleted. One
			// that never went (dropped, closed, failed) goes too: whoever
			// is going now is owed this reveal, whatever became of that one.
			if _, err := tx.ExecContext(ctx, `UPDATE OR REPLACE member_dms SET kind = 'sent:' || message_id
				WHERE rally_id = ? AND kind = ? AND state = 'sent' AND message_id IS NOT NULL`, id, DMReveal); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM member_dms WHERE rally_id = ? AND kind = ? AND state <> 'pending'`, id, DMReveal); err != nil {
				return err
			}
			if _, err := queueMemberDMs(ctx, tx, MemberDMs{RallyID: id, Kind: DMReveal, Statuses: []RSVPStatus{Going}}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE rallies SET location_revealed_at = ? WHERE id = ?`, tx.now.Unix(), id); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return rallies, err
}

// LocationRevealed reports whether a rally's private place has been told.
func (db *DB) LocationRevealed(ctx context.Context, rallyID int64) (ok bool, err error) {
	defer wrap(&err, "location revealed")
	err = db.read.QueryRowContext(ctx, `SELECT location_revealed_at IS NOT NULL FROM rallies WHERE id = ?`, rallyID).Scan(&ok)
	return ok, err
}

// ConfirmRSVP records a going or maybe member's "Still going", or a role
// holder's; ok is false when the member has neither.
func (db *DB) ConfirmRSVP(ctx context.Context, rallyID int64, userID string) (ok bool, err error) {
	defer wrap(&err, "confirm rsvp")
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE rsvps SET confirmed_at = COALESCE(confirmed_at, ?)
			WHERE rally_id = ? AND user_id = ? AND status IN ('going', 'maybe')`, tx.now.Unix(), rallyID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			ok = true
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE role_signups SET confirmed_at = COALESCE(confirmed_at, ?)
			WHERE rally_id = ? AND user_id = ?`, tx.now.Unix(), rallyID, userID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// Confirmed counts the members going to a rally, role holders included, who
// said "Still going".
func (db *DB) Confirmed(ctx context.Context, rallyID int64) (n int, err error) {
	defer wrap(&err, "confirmed")
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM rsvps WHERE rally_id = ?1 AND status = 'going' AND confirmed_at IS NOT NULL) +
		(SELECT COUNT(*) FROM role_signups WHERE rally_id = ?1 AND confirmed_at IS NOT NULL)`,
		rallyID).Scan(&n)
	return n, err
}

// ErrNotCheckInTime is a check-in outside the rally's start to end.
var ErrNotCheckInTime = &Error{Code: EConflict, Desc: "not check-in time"}

// CheckIn records that a member came, once; fresh is false if they had
// already checked in. It is open from the start to the end of the rally.
func (db *DB) CheckIn(ctx context.Context, guildID string, rallyID int64, userID string) (r Rally, fresh bool, err error) {
	defer wrap(&err, "check in")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		if r, err = rallyByID(ctx, tx, guildID, rallyID); err != nil {
			return err
		}
		if r.Cancelled() {
			return &RallyStateError{Change: ChangeRSVP, Title: r.Title, Err: ErrRallyCancelled}
		}
		if r.HighRisk {
			return ErrHighRiskNoCheckIn
		}
		if tx.now.Before(r.StartsAt) || !tx.now.Before(r.EndsAt) {
			return ErrNotCheckInTime
		}
		if removed, err := removedFrom(ctx, tx, rallyID, userID); err != nil || removed {
			if err == nil {
				err = &RemovedError{Title: r.Title, ChapterName: r.ChapterName}
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO checkins (rally_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			rallyID, userID, tx.now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if fresh = n == 1; fresh {
			r.CheckedIn++
			_, err = tx.ExecContext(ctx, `UPDATE rallies SET checkin_count = checkin_count + 1 WHERE id = ?`, rallyID)
		}
		return err
	})
	return r, fresh, err
}

// CheckInOpenRallies lists the announced, scheduled rallies whose check-in
// opened or closed since (after since, at or before now), so their
// announcements are redrawn with or without the "Check in" button.
func (db *DB) CheckInOpenRallies(ctx context.Context, since, now time.Time) (_ []int64, err error) {
	defer wrap(&err, "check-in rallies")
	return queryIDs(ctx, db.read, `SELECT id FROM rallies WHERE status = 'scheduled' AND message_id IS NOT NULL
		AND ((starts_at > ?1 AND starts_at <= ?2) OR (ends_at > ?1 AND ends_at <= ?2))`, since.Unix(), now.Unix())
}

// EndedRallies lists the scheduled rallies of a guild that ended after from
// and at or before to, for the turnout of the last day.
func (db *DB) EndedRallies(ctx context.Context, guildID string, from, to time.Time) (_ []Rally, err error) {
	defer wrap(&err, "ended rallies")
	return scanRallies(db.read.QueryContext(ctx, `SELECT `+rallyColumns+rallyFrom+`
		WHERE r.guild_id = ? AND r.status = 'scheduled' AND r.ends_at > ? AND r.ends_at <= ? ORDER BY r.starts_at, r.id`,
		guildID, from.Unix(), to.Unix()))
}

// DMProgress is how far the DMs of one kind owed to a rally's members
// have got: counts, never who.
type DMProgress struct {
	// Kind is DMProgressReminder, DMProgressNotice or DMProgressPlace.
	Kind                                 string
	Total, Sent, Closed, Failed, Pending int
}

// The kinds DMProgress counts by.
const (
	DMProgressReminder = "reminder" // the reminders' DM copies
	DMProgressPlace    = "place"    // a private place's reveal
	DMProgressNotice   = "notice"   // notices of a change, a cancellation, a promotion, an answer
)

// DMsInProgress counts the DMs owed to a rally's members, burst by burst
// (one kind: a reminder, a notice), of each burst with some still to send:
// the leads see a burst that takes minutes under Discord's limits go out.
func (db *DB) DMsInProgress(ctx context.Context, rallyID int64) (_ []DMProgress, err error) {
	defer wrap(&err, "dms in progress")
	rows, err := db.read.QueryContext(ctx, `
		SELECT kind, COUNT(*), COUNT(*) FILTER (WHERE state = 'sent'), COUNT(*) FILTER (WHERE state = 'closed'),
			COUNT(*) FILTER (WHERE state = 'failed'), COUNT(*) FILTER (WHERE state = 'pending')
		FROM member_dms WHERE rally_id = ?
		GROUP BY kind HAVING COUNT(*) FILTER (WHERE state = 'pending') > 0
		ORDER BY MIN(created_at), kind`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DMProgress
	for rows.Next() {
		var p DMProgress
		var kind DMKind
		if err := rows.Scan(&kind, &p.Total, &p.Sent, &p.Closed, &p.Failed, &p.Pending); err != nil {
			return nil, err
		}
		p.Kind = DMProgressNotice
		if _, ok := kind.Reminder(); ok {
			p.Kind = DMProgressReminder
		} else if kind == DMReveal {
			p.Kind = DMProgressPlace
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
