package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// Who may come: a lead taking a member off a rally (/rally remove), requests
// to come to a rally with approval, and what a member who left the server
// loses. Every row here names a member by user_id only.

// requestedColumn is one column of rallyColumns: the requests waiting for a
// lead's answer.
const requestedColumn = `(SELECT COUNT(*) FROM rally_requests q WHERE q.rally_id = r.id)`

// ErrRemovedFromRally is an RSVP, role sign-up or check-in of a member a
// lead took off the rally.
var ErrRemovedFromRally = &Error{Code: EConflict, Desc: "removed from rally"}

// ErrNoSuchRequest is an answer to a request that is not (or no longer)
// waiting: answered by another lead, or withdrawn.
var ErrNoSuchRequest = &Error{Code: ENotFound, Desc: "no such request"}

// RemovedError is ErrRemovedFromRally with the rally, to send the member to
// its chapter's leads.
type RemovedError struct{ Title, ChapterName string }

func (e *RemovedError) Error() string { return ErrRemovedFromRally.Desc }
func (e *RemovedError) Unwrap() error { return ErrRemovedFromRally }

// requestSeat records a member's request to come (role "" for a seat), in
// place of the maybe they had: a request holds no seat.
func requestSeat(ctx context.Context, tx *Tx, r Rally, userID string, prev RSVPStatus, role Role) (RSVPResult, error) {
	res := RSVPResult{Previous: prev, Status: Requested}
	if prev == Maybe {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rsvps WHERE rally_id = ? AND user_id = ?`, r.ID, userID); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rallies SET maybe_count = MAX(maybe_count - 1, 0), refresh_pending = refresh_pending + 1
			WHERE id = ?`, r.ID); err != nil {
			return res, err
		}
		r.Maybe = max(r.Maybe-1, 0)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO rally_requests (rally_id, user_id, role, requested_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (rally_id, user_id) DO UPDATE SET role = excluded.role`, r.ID, userID, string(role), tx.now.Unix()); err != nil {
		return res, err
	}
	res.Rally = r
	return res, nil
}

// removedFrom reports whether a lead took the member off the rally.
func removedFrom(ctx context.Context, q queryer, rallyID int64, userID string) (bool, error) {
	var removed bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rally_removals WHERE rally_id = ? AND user_id = ?)`,
		rallyID, userID).Scan(&removed)
	return removed, err
}

// Removed reports whether a lead took the member off the rally: such a
// member is refused before being shown anything to pick.
func (db *DB) Removed(ctx context.Context, rallyID int64, userID string) (_ bool, err error) {
	defer wrap(&err, "removed")
	return removedFrom(ctx, db.read, rallyID, userID)
}

// Standing is where a member stands at a rally: an RSVP's status, Going
// for a role holder (Role set), Requested for a request, else NotGoing.
type Standing struct {
	Status RSVPStatus
	Role   Role
}

// MemberStanding reads where the member stands at the rally.
func (db *DB) MemberStanding(ctx context.Context, rallyID int64, userID string) (s Standing, err error) {
	defer wrap(&err, "member standing")
	return memberStanding(ctx, db.read, rallyID, userID)
}

func memberStanding(ctx context.Context, q queryer, rallyID int64, userID string) (Standing, error) {
	var s Standing
	var status, role sql.NullString
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT status FROM rsvps WHERE rally_id = ?1 AND user_id = ?2),
		COALESCE((SELECT role FROM role_signups WHERE rally_id = ?1 AND user_id = ?2),
			(SELECT 'request:' || role FROM rally_requests WHERE rally_id = ?1 AND user_id = ?2))`,
		rallyID, userID).Scan(&status, &role)
	if err != nil {
		return s, err
	}
	switch {
	case role.Valid && len(role.String) >= 8 && role.String[:8] == "request:":
		s.Status, s.Role = Requested, Role(role.String[8:])
	case role.Valid:
		s.Status, s.Role = Going, Role(role.String)
	case status.Valid:
		s.Status = RSVPStatus(status.String)
	default:
		s.Status = NotGoing
	}
	return s, nil
}

// RemoveResult is what /rally remove did.
type RemoveResult struct {
	Rally    Rally    // with its counts after the removal
	Had      Standing // where the member stood before
	Again    bool     // they had been removed before (the reason is replaced)
	Promoted []string // moved off the waitlist by the seat it freed
}

// RemoveFromRally takes a member off a rally in one transaction: their RSVP,
// safety role, request, check-in and the DMs still owed to them for it go,
// the seat goes to the waitlist, and a row keeps them from coming back. The
// reason is for the leads alone.
func (db *DB) RemoveFromRally(ctx context.Context, guildID string, rallyID int64, userID, reason string) (res RemoveResult, err error) {
	defer wrap(&err, "remove from rally")
	err = db.update(ctx, func(tx *Tx) error {
		r, err := rallyByID(ctx, tx, guildID, rallyID)
		if err != nil {
			return err
		}
		if !tx.now.Before(r.EndsAt) {
			return &RallyStateError{Change: ChangeRemove, Title: r.Title, Err: ErrRallyOver}
		}
		if res.Had, err = memberStanding(ctx, tx, rallyID, userID); err != nil {
			return err
		}
		if res.Again, err = removedFrom(ctx, tx, rallyID, userID); err != nil {
			return err
		}
		if res.Promoted, _, err = takeOff(ctx, tx, r, userID); err != nil {
			return err
		}
		res2, err := tx.ExecContext(ctx, `DELETE FROM checkins WHERE rally_id = ? AND user_id = ?`, rallyID, userID)
		if err != nil {
			return err
		}
		if n, _ := res2.RowsAffected(); n > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE rallies SET checkin_count = MAX(checkin_count - 1, 0) WHERE id = ?`, rallyID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_dms WHERE rally_id = ? AND user_id = ? AND state = 'pending'`, rallyID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO rally_removals (rally_id, user_id, reason, removed_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (rally_id, user_id) DO UPDATE SET reason = excluded.reason, removed_at = excluded.removed_at`,
			rallyID, userID, reason, tx.now.Unix()); err != nil {
			return err
		}
		if err := dropIdleLocale(ctx, tx, guildID, userID); err != nil {
			return err
		}
		res.Rally, err = rallyByID(ctx, tx, guildID, rallyID)
		return err
	})
	return res, err
}

// takeOff deletes the member's RSVP, role and request at the rally, gives a
// seat they held to the waitlist (while the rally is open: the promoted are
// owed their DM as a row) and recounts. It returns who was promoted and how
// many of the member's rows went.
func takeOff(ctx context.Context, tx *Tx, r Rally, userID string) ([]string, int64, error) {
	var rows int64
	var status string
	err := tx.QueryRowContext(ctx, `DELETE FROM rsvps WHERE rally_id = ? AND user_id = ? RETURNING status`, r.ID, userID).Scan(&status)
	switch {
	case err == nil:
		rows++
	case !errors.Is(err, sql.ErrNoRows):
		return nil, 0, err
	}
	role, err := dropSignup(ctx, tx, r.ID, userID)
	if err != nil {
		return nil, 0, err
	}
	if role != "" {
		rows++
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM rally_requests WHERE rally_id = ? AND user_id = ?`, r.ID, userID)
	if err != nil {
		return nil, 0, err
	}
	n, _ := res.RowsAffected()
	rows += n
	var promoted []string
	if status == string(Going) && !r.Cancelled() && !r.Started(tx.now) {
		if promoted, err = fillSeats(ctx, tx, r.ID); err != nil {
			return nil, 0, err
		}
	}
	_, err = recount(ctx, tx, r.ID)
	return promoted, rows, err
}

// takenOff is what taking a member off their rallies did.
type takenOff struct {
	Rallies    []int64     // the rallies they held an RSVP, role or request at
	Promotions []Promotion // who got the seats they held
	Rows       int64       // how many of their rows went
}

// takeOffRallies takes the member (s.userID) off every rally they hold an
// RSVP, role or request at, in the server (s.guildID) or every server ("");
// with openOnly, only off rallies that have not ended. Each goes as
// takeOff does, the seat to the waitlist: the one way forget-me and a
// departure free a seat.
func takeOffRallies(ctx context.Context, tx *Tx, s memberScope, openOnly bool) (t takenOff, err error) {
	query := `SELECT r.id, r.guild_id FROM rallies r WHERE (
			EXISTS (SELECT 1 FROM rsvps v WHERE v.rally_id = r.id AND v.user_id = ?1)
			OR EXISTS (SELECT 1 FROM role_signups x WHERE x.rally_id = r.id AND x.user_id = ?1)
			OR EXISTS (SELECT 1 FROM rally_requests q WHERE q.rally_id = r.id AND q.user_id = ?1))`
	args := []any{s.userID}
	if s.guildID != "" {
		query += ` AND r.guild_id = ?2`
		args = append(args, s.guildID)
	}
	if openOnly {
		query += ` AND r.ends_at > ?` + strconv.Itoa(len(args)+1)
		args = append(args, tx.now.Unix())
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY r.id`, args...)
	if err != nil {
		return t, err
	}
	var guilds []string
	for rows.Next() {
		var id int64
		var guild string
		if err := rows.Scan(&id, &guild); err != nil {
			rows.Close()
			return t, err
		}
		t.Rallies, guilds = append(t.Rallies, id), append(guilds, guild)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, err
	}
	for i, id := range t.Rallies {
		r, err := rallyByID(ctx, tx, guilds[i], id)
		if err != nil {
			return t, err
		}
		promoted, n, err := takeOff(ctx, tx, r, s.userID)
		if err != nil {
			return t, err
		}
		t.Rows += n
		if len(promoted) > 0 {
			if r, err = rallyByID(ctx, tx, guilds[i], id); err != nil {
				return t, err
			}
		}
		for _, u := range promoted {
			t.Promotions = append(t.Promotions, Promotion{Rally: r, UserID: u})
		}
	}
	return t, nil
}

// Removal is a member a lead took off a rally, with the lead's reason.
type Removal struct {
	UserID, Reason string
	At             time.Time
}

// RallyRemovals lists who was taken off the rally, oldest first.
func (db *DB) RallyRemovals(ctx context.Context, rallyID int64) (_ []Removal, err error) {
	defer wrap(&err, "rally removals")
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, reason, removed_at FROM rally_removals WHERE rally_id = ? ORDER BY removed_at, user_id`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Removal
	for rows.Next() {
		var m Removal
		var at int64
		if err := rows.Scan(&m.UserID, &m.Reason, &at); err != nil {
			return nil, err
		}
		m.At = time.Unix(at, 0).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Request is a member asking to come to a rally with approval.
type Request struct {
	UserID string
	Role   Role // "" for a seat
	At     time.Time
}

// RallyRequests lists the requests waiting for an answer, first asked first.
func (db *DB) RallyRequests(ctx context.Context, rallyID int64) (_ []Request, err error) {
	defer wrap(&err, "rally requests")
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, role, requested_at FROM rally_requests WHERE rally_id = ?
		ORDER BY requested_at, user_id`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var q Request
		var at int64
		if err := rows.Scan(&q.UserID, &q.Role, &at); err != nil {
			return nil, err
		}
		q.At = time.Unix(at, 0).UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// AnswerResult is where a member stands after a lead answered their request.
type AnswerResult struct {
	Rally    Rally      // with its counts after the answer
	Status   RSVPStatus // Going or Waitlist when approved; NotGoing when declined
	Role     Role       // the safety role given, when approved for one
	Position int        // on the waitlist
}

// AnswerTold words the DM telling a member a lead's answer to their
// request (dmBodies), from where the answer left them.
type AnswerTold func(res AnswerResult) string

// AnswerRequest approves or declines a member's request in one transaction.
// Approval seats them as Going would have without approval: a role asked
// for while the rally still needs it, else a seat, else the waitlist. The
// same transaction owes the member's DM telling them (tell; nil: none):
// the answer and the DM that tells it are one, so a forget-me cannot come
// between them and leave a DM owed to a member it has just deleted.
func (db *DB) AnswerRequest(ctx context.Context, guildID string, rallyID int64, userID string, approve bool, tell AnswerTold) (res AnswerResult, err error) {
	defer wrap(&err, "answer request")
	err = db.update(ctx, func(tx *Tx) error {
		if err := answerRequest(ctx, tx, guildID, rallyID, userID, approve, &res); err != nil || tell == nil {
			return err
		}
		// Let in with a seat or a role, they are told a private place with
		// it: worded when the DM goes out, and only if still going then.
		kind := NoticeDM()
		if res.Status == Going {
			kind = ApprovedDM()
		}
		return oweMemberDM(ctx, tx, rallyID, userID, kind, tell(res))
	})
	return res, err
}

// answerRequest answers the request in tx, into res.
func answerRequest(ctx context.Context, tx *Tx, guildID string, rallyID int64, userID string, approve bool, res *AnswerResult) error {
	r, err := rallyByID(ctx, tx, guildID, rallyID)
	if err != nil {
		return err
	}
	var role string
	err = tx.QueryRowContext(ctx, `DELETE FROM rally_requests WHERE rally_id = ? AND user_id = ? RETURNING role`, rallyID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoSuchRequest
	}
	if err != nil {
		return err
	}
	res.Status = NotGoing
	if !approve {
		res.Rally, err = rallyByID(ctx, tx, guildID, rallyID)
		return err
	}
	if r.Cancelled() {
		return &RallyStateError{Change: ChangeRSVP, Title: r.Title, Err: ErrRallyCancelled}
	}
	if r.Started(tx.now) {
		return &RallyStateError{Change: ChangeRSVP, Title: r.Title, Err: ErrRallyStarted}
	}
	if c := r.Staffing.Of(Role(role)); role != "" && c.Short() > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_signups (rally_id, user_id, role, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (rally_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
			rallyID, userID, role, tx.now.Unix()); err != nil {
			return err
		}
		if err := addFilled(ctx, tx, rallyID, Role(role), 1); err != nil {
			return err
		}
		res.Status, res.Role = Going, Role(role)
	} else {
		res.Status = Going
		if r.Full() {
			res.Status = Waitlist
		}
		var d Counts
		d.add(res.Status, 1)
		var seq int64
		if err := tx.QueryRowContext(ctx, `UPDATE rallies SET rsvp_seq = rsvp_seq + 1, going_count = going_count + ?,
			waitlist_count = waitlist_count + ?, refresh_pending = refresh_pending + 1 WHERE id = ? RETURNING rsvp_seq`,
			d.Going, d.Waitlist, rallyID).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO rsvps (rally_id, user_id, status, seq, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rally_id, user_id) DO UPDATE SET status = excluded.status, seq = excluded.seq,
				promoted = 0, updated_at = excluded.updated_at`,
			rallyID, userID, res.Status, seq, tx.now.Unix()); err != nil {
			return err
		}
		if res.Status == Waitlist {
			if res.Position, err = waitlistPosition(ctx, tx, rallyID, userID); err != nil {
				return err
			}
		}
	}
	res.Rally, err = rallyByID(ctx, tx, guildID, rallyID)
	return err
}

// Departure is what a member who left the server lost.
type Departure struct {
	Rallies    []int64     // the rallies they were taken off
	Promotions []Promotion // who got the seats they held
}

// DepartMember takes a member who is no longer in the server off every
// rally of it that has not ended (RSVP, role, request: the seat goes to the
// waitlist as a Can't go would give it) and drops every DM still owed to
// them there, with the safe-home check of a "Home safe?" not sent yet, in
// one transaction. They may come back and RSVP again.
func (db *DB) DepartMember(ctx context.Context, guildID, userID string) (d Departure, err error) {
	defer wrap(&err, "depart member")
	err = db.update(ctx, func(tx *Tx) error {
		t, err := takeOffRallies(ctx, tx, memberScope{userID: userID, guildID: guildID}, true)
		if err != nil {
			return err
		}
		d = Departure{Rallies: t.Rallies, Promotions: t.Promotions}
		// A "Home safe?" not sent yet is never sent now: the member was
		// not asked, so the support channel's list of those who did not
		// answer is not to name them (nobody chases someone who left or
		// was removed). One they got stays: a call for help from it is
		// still taken.
		if _, err = tx.ExecContext(ctx, `DELETE FROM safe_home WHERE user_id = ?1 AND answer IS NULL AND rally_id IN (
			SELECT m.rally_id FROM member_dms m JOIN rallies r ON r.id = m.rally_id
			WHERE m.user_id = ?1 AND m.kind = ?2 AND m.state = 'pending' AND r.guild_id = ?3)`,
			userID, DMSafeHome, guildID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE member_dms SET state = 'dropped', updated_at = ?
			WHERE user_id = ? AND state = 'pending' AND rally_id IN (SELECT id FROM rallies WHERE guild_id = ?)`,
			tx.now.Unix(), userID, guildID); err != nil {
			return err
		}
		return dropIdleLocale(ctx, tx, guildID, userID)
	})
	return d, err
}

// AskPost is a day of action's request for a rally's place, as posted.
type AskPost struct{ ChannelID, MessageID string }

// ActionAskPost returns the posted request for the rally's place, once the
// place is set; a request still owed is dropped: nobody needs asking now.
func (db *DB) ActionAskPost(ctx context.Context, rallyID int64) (p AskPost, ok bool, err error) {
	defer wrap(&err, "action ask post")
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = 'dropped', updated_at = ?
			WHERE rally_id = ? AND kind = 'action_ask' AND state = 'pending'`, tx.now.Unix(), rallyID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT channel_id, COALESCE(message_id, '') FROM channel_posts
			WHERE rally_id = ? AND kind = 'action_ask' AND state = 'sent' ORDER BY id DESC LIMIT 1`, rallyID).Scan(&p.ChannelID, &p.MessageID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	return p, ok, err
}
