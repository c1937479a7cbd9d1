package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// RSVPStatus is where a member stands for a rally.
type RSVPStatus string

// RSVP statuses. NotGoing is never stored: "can't go" deletes the row.
const (
	Going    RSVPStatus = "going"
	Maybe    RSVPStatus = "maybe"
	NotGoing RSVPStatus = "not_going"
	Waitlist RSVPStatus = "waitlist"
	// Requested: the member asked to come to a rally with approval and
	// waits for a lead's answer; kept in rally_requests, never in rsvps.
	Requested RSVPStatus = "requested"
)

// RSVPResult says where a member stands after an RSVP.
type RSVPResult struct {
	Rally    Rally      // with the counts after the change
	Previous RSVPStatus // NotGoing if there was no RSVP
	Status   RSVPStatus // Going, Maybe, Waitlist or NotGoing
	Position int        // place on the waitlist (1 = next), when Status is Waitlist
	Promoted []string   // members moved from the waitlist to going by this change
	// Role is the safety role the member holds at the rally: SetRSVP then
	// writes nothing (a role is given up by LeaveRole, not by an RSVP), and
	// Rally is the rally as it stands.
	Role Role
}

// SetRSVP records a member's RSVP. Asking for Going on a full rally puts the
// member on the waitlist; a going member who leaves frees a seat for the first
// on the waitlist, in the same transaction. Concurrent calls are committed
// together (see committer); each returns once its RSVP is committed.
func (db *DB) SetRSVP(ctx context.Context, guildID string, rallyID int64, userID string, status RSVPStatus) (res RSVPResult, err error) {
	defer wrap(&err, "set rsvp")
	switch status {
	case Going, Maybe, NotGoing:
	default:
		return res, ErrBadRSVPStatus
	}
	return db.submit(ctx, &rsvpClick{ctx: ctx, guildID: guildID, rallyID: rallyID, userID: userID, status: status,
		done: make(chan struct{})})
}

// setRSVP is one click inside a write transaction. Every refusal is decided
// before its first write, so a refused click leaves the transaction as it
// found it. The counts on the rally row move by the click's delta; only a
// going member leaving a rally with a waitlist refills seats and recounts.
func setRSVP(ctx context.Context, tx *Tx, guildID string, rallyID int64, userID string, status RSVPStatus) (RSVPResult, error) {
	var res RSVPResult
	r, prev, st, err := clickState(ctx, tx, guildID, rallyID, userID)
	if err != nil {
		return res, err
	}
	if st.role != "" {
		// Read in the click's own statement rather than before it, so the
		// click costs no second read and the answer is the committed state.
		res.Rally, res.Previous, res.Status, res.Role = r, prev, prev, st.role
		return res, nil
	}
	if r.Cancelled() {
		return res, &RallyStateError{Change: ChangeRSVP, Title: r.Title, Err: ErrRallyCancelled}
	}
	if r.Started(tx.now) {
		return res, &RallyStateError{Change: ChangeRSVP, Title: r.Title, Err: ErrRallyStarted}
	}
	if st.removed {
		return res, &RemovedError{Title: r.Title, ChapterName: r.ChapterName}
	}
	if st.requested {
		prev = Requested // a request takes the place of the RSVP row
	}
	res.Previous = prev
	if r.Approval && status == Going && (prev == NotGoing || prev == Maybe || prev == Requested) {
		// Going on a rally with approval asks the leads; no seat is held
		// until one of them says yes (privacy.go).
		return requestSeat(ctx, tx, r, userID, prev, "")
	}
	if prev == Requested {
		// Maybe or Can't go withdraws the request.
		if _, err := tx.ExecContext(ctx, `DELETE FROM rally_requests WHERE rally_id = ? AND user_id = ?`, rallyID, userID); err != nil {
			return res, err
		}
		prev = NotGoing
	}
	next := status
	if status == Going && prev != Going {
		if prev == Waitlist {
			next = Waitlist // keep their place; they are promoted in order
		} else if r.Full() {
			next = Waitlist
		}
	}
	res.Status = next
	if next == prev {
		res.Rally = r
		if next == Waitlist {
			res.Position, err = waitlistPosition(ctx, tx, rallyID, userID)
		}
		return res, err
	}

	var d Counts
	d.add(prev, -1)
	d.add(next, +1)
	seqStep := 1
	if next == NotGoing {
		seqStep = 0
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `
		UPDATE rallies SET rsvp_seq = rsvp_seq + ?, going_count = going_count + ?,
			maybe_count = maybe_count + ?, waitlist_count = waitlist_count + ?, refresh_pending = refresh_pending + 1
		WHERE id = ? RETURNING rsvp_seq, going_count, maybe_count, waitlist_count`,
		seqStep, d.Going, d.Maybe, d.Waitlist, rallyID).Scan(&seq, &r.Going, &r.Maybe, &r.Waitlist); err != nil {
		return res, err
	}
	if next == NotGoing {
		_, err = tx.ExecContext(ctx, `DELETE FROM rsvps WHERE rally_id = ? AND user_id = ?`, rallyID, userID)
		if err == nil {
			err = dropIdleLocale(ctx, tx, guildID, userID)
		}
	} else {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO rsvps (rally_id, user_id, status, seq, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rally_id, user_id) DO UPDATE SET status = excluded.status, seq = excluded.seq,
				promoted = 0, updated_at = excluded.updated_at`,
			rallyID, userID, next, seq, tx.now.Unix())
	}
	if err != nil {
		return res, err
	}
	if prev == Going && r.Waitlist > 0 {
		if res.Promoted, err = fillSeats(ctx, tx, rallyID); err != nil {
			return res, err
		}
		c, err := recount(ctx, tx, rallyID)
		if err != nil {
			return res, err
		}
		r.Going, r.Maybe, r.Waitlist = c.Going, c.Maybe, c.Waitlist
	}
	res.Rally = r
	if next == Waitlist {
		// The newest sequence number on the rally: last in line.
		res.Position = r.Waitlist
	}
	return res, nil
}

// add moves the count of status by n.
func (c *Counts) add(status RSVPStatus, n int) {
	switch status {
	case Going:
		c.Going += n
	case Maybe:
		c.Maybe += n
	case Waitlist:
		c.Waitlist += n
	}
}

// clickState reads what a click needs in one statement: the rally (without
// a join, its chapter through a scalar subquery on the primary key), the
// member's current status, NotGoing if none, and the safety role they hold.
func clickState(ctx context.Context, tx *Tx, guildID string, rallyID int64, userID string) (Rally, RSVPStatus, clickStanding, error) {
	var r Rally
	var start, end int64
	var prev sql.NullString
	var st clickStanding
	err := tx.QueryRowContext(ctx, `
		SELECT id, guild_id, chapter_id, title, location, details, starts_at, ends_at, timezone,
			COALESCE(capacity, 0), COALESCE(channel_id, ''), COALESCE(message_id, ''),
			status, cancel_reason, going_count, maybe_count, waitlist_count, private_location, checkin_count, approval,
			(SELECT name FROM chapters WHERE chapters.id = rallies.chapter_id),
			(SELECT COALESCE(lead_role_id, '') FROM chapters WHERE chapters.id = rallies.chapter_id),
			(SELECT status FROM rsvps WHERE rsvps.rally_id = rallies.id AND rsvps.user_id = ?1),
			EXISTS (SELECT 1 FROM rally_removals m WHERE m.rally_id = rallies.id AND m.user_id = ?1),
			EXISTS (SELECT 1 FROM rally_requests q WHERE q.rally_id = rallies.id AND q.user_id = ?1),
			COALESCE((SELECT role FROM role_signups s WHERE s.rally_id = rallies.id AND s.user_id = ?1), '')
		FROM rallies WHERE id = ?2 AND guild_id = ?3`, userID, rallyID, guildID).Scan(
		&r.ID, &r.GuildID, &r.ChapterID, &r.Title, &r.Location, &r.Details, &start, &end, &r.TimeZone,
		&r.Capacity, &r.ChannelID, &r.MessageID, &r.Status, &r.CancelReason, &r.Going, &r.Maybe, &r.Waitlist, &r.PrivateLocation, &r.CheckedIn, &r.Approval,
		&r.ChapterName, &r.ChapterLeadRoleID, &prev, &st.removed, &st.requested, &st.role)
	if errors.Is(err, sql.ErrNoRows) {
		return r, "", st, ErrNoSuchRally
	}
	r.StartsAt, r.EndsAt = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
	if !prev.Valid {
		return r, NotGoing, st, err
	}
	return r, RSVPStatus(prev.String), st, err
}

// clickStanding is what else a click needs to know of the member: whether
// a lead took them off the rally, whether they asked to come, and the
// safety role they hold ("" if none).
type clickStanding struct {
	removed, requested bool
	role               Role
}

// waitlistPosition counts, in Go, the waitlist entries up to the member's
// along the (rally, status, seq) index: an aggregate would be re-planned on
// every click, and the walk stops at the member.
func waitlistPosition(ctx context.Context, tx *Tx, rallyID int64, userID string) (int, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT user_id FROM rsvps WHERE rally_id = ? AND status = 'waitlist' ORDER BY seq`, rallyID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return 0, err
		}
		n++
		if u == userID {
			return n, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("waitlisted member not on the waitlist")
}

// fillSeats promotes waitlisted members, first come first served, while the
// rally has free seats, and returns who was promoted.
func fillSeats(ctx context.Context, tx *Tx, rallyID int64) ([]string, error) {
	var capacity sql.NullInt64
	var going int
	if err := tx.QueryRowContext(ctx, `
		SELECT capacity, (SELECT COUNT(*) FROM rsvps WHERE rally_id = ?1 AND status = 'going')
		FROM rallies WHERE id = ?1`, rallyID).Scan(&capacity, &going); err != nil {
		return nil, err
	}
	free := -1 // no limit: everyone waiting gets in
	if capacity.Valid {
		free = int(capacity.Int64) - going
		if free <= 0 {
			return nil, nil
		}
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT user_id FROM rsvps WHERE rally_id = ? AND status = 'waitlist' ORDER BY seq LIMIT ?`, rallyID, free)
	if err != nil {
		return nil, err
	}
	var users []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, u := range users {
		if _, err := tx.ExecContext(ctx,
			`UPDATE rsvps SET status = 'going', promoted = 1, updated_at = ? WHERE rally_id = ? AND user_id = ?`,
			tx.now.Unix(), rallyID, u); err != nil {
			return nil, err
		}
		// The DM that tells them is owed with the promotion (a member
		// promoted again, after leaving, is told again).
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO member_dms (rally_id, kind, user_id, nonce, created_at, updated_at) VALUES (?, ?, ?, lower(hex(randomblob(10))), ?, ?)
			ON CONFLICT DO UPDATE SET state = 'pending', nonce = excluded.nonce, attempts = 0, next_try_at = 0,
				created_at = excluded.created_at, updated_at = excluded.updated_at`,
			rallyID, DMPromoted, u, tx.now.Unix(), tx.now.Unix()); err != nil {
			return nil, err
		}
		tx.owed = true
	}
	return users, nil
}

// recount stores the rally's counts on its row and returns them.
func recount(ctx context.Context, tx *Tx, rallyID int64) (Counts, error) {
	var c Counts
	err := tx.QueryRowContext(ctx, `
		UPDATE rallies SET
			going_count    = (SELECT COUNT(*) FROM rsvps WHERE rally_id = ?1 AND status = 'going'),
			maybe_count    = (SELECT COUNT(*) FROM rsvps WHERE rally_id = ?1 AND status = 'maybe'),
			waitlist_count = (SELECT COUNT(*) FROM rsvps WHERE rally_id = ?1 AND status = 'waitlist'),
			refresh_pending = refresh_pending + 1
		WHERE id = ?1
		RETURNING going_count, maybe_count, waitlist_count`, rallyID).Scan(&c.Going, &c.Maybe, &c.Waitlist)
	return c, err
}

// PromotionTold records that a promoted member has been told (by DM or by /myrsvps).
func (db *DB) PromotionTold(ctx context.Context, rallyID int64, userID string) (err error) {
	defer wrap(&err, "promotion told")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rsvps SET promoted = 0 WHERE rally_id = ? AND user_id = ?`, rallyID, userID)
		return err
	})
}

// MyRSVP is one of a member's RSVPs, or a safety role they signed up for.
type MyRSVP struct {
	Rally    Rally
	Status   RSVPStatus
	Position int  // on the waitlist
	Promoted bool // moved off the waitlist and not yet told
	// Role is the safety role held ("" for an RSVP); a role counts as
	// going, and Status is then Going.
	Role Role
}

// myRallies is, for a member (?1), the rallies they have an RSVP to or hold
// a role at, with the RSVP's status and seq or the role: a role sign-up took
// the place of the member's RSVP row, so each rally comes once; so does a
// request to come, as 'requested'.
const myRallies = `
	SELECT rally_id, status, seq, promoted, '' AS role FROM rsvps WHERE user_id = ?1
	UNION ALL
	SELECT rally_id, 'going', NULL, 0, role FROM role_signups WHERE user_id = ?1
	UNION ALL
	SELECT rally_id, 'requested', NULL, 0, '' FROM rally_requests WHERE user_id = ?1`

// MemberRSVPs lists a member's RSVPs to the guild's rallies that have not
// ended, and the roles they hold at them.
func (db *DB) MemberRSVPs(ctx context.Context, guildID, userID string, now time.Time) (_ []MyRSVP, err error) {
	defer wrap(&err, "member rsvps")
	rows, err := db.read.QueryContext(ctx, `
		SELECT `+rallyColumns+`, v.status, v.promoted, v.role,
			(SELECT COUNT(*) FROM rsvps w WHERE w.rally_id = v.rally_id AND w.status = 'waitlist' AND w.seq <= v.seq)
		FROM (`+myRallies+`) v JOIN rallies r ON r.id = v.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE r.guild_id = ?2 AND r.ends_at > ?3
		ORDER BY r.starts_at, r.id`, userID, guildID, now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MyRSVP
	for rows.Next() {
		var m MyRSVP
		var err error
		if m.Rally, err = scanRally(rows, &m.Status, &m.Promoted, &m.Role, &m.Position); err != nil {
			return nil, err
		}
		if m.Status != Waitlist {
			m.Position = 0
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Attendees lists who is going, maybe and waitlisted (in order) for a rally.
type Attendees struct {
	Going, Maybe, Waitlist []string
}

// RallyAttendees returns the user ids RSVPed to the rally.
func (db *DB) RallyAttendees(ctx context.Context, rallyID int64) (a Attendees, err error) {
	defer wrap(&err, "rally attendees")
	rows, err := db.read.QueryContext(ctx,
		`SELECT user_id, status FROM rsvps WHERE rally_id = ? ORDER BY seq`, rallyID)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var s RSVPStatus
		if err := rows.Scan(&u, &s); err != nil {
			return a, err
		}
		switch s {
		case Going:
			a.Going = append(a.Going, u)
		case Maybe:
			a.Maybe = append(a.Maybe, u)
		case Waitlist:
			a.Waitlist = append(a.Waitlist, u)
		}
	}
	return a, rows.Err()
}

// Promotion is a member moved off a rally's waitlist.
type Promotion struct {
	Rally  Rally
	UserID string
}

// queryIDs runs a query of one integer column (in a transaction or on a
// pool) and returns its values.
func queryIDs(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// IsGoing reports whether the member holds a seat or a safety role at the
// rally now: what a private place is shown to.
func (db *DB) IsGoing(ctx context.Context, rallyID int64, userID string) (going bool, err error) {
	defer wrap(&err, "is going")
	err = db.read.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM rsvps WHERE rally_id = ?1 AND user_id = ?2 AND status = 'going')
			OR EXISTS (SELECT 1 FROM role_signups WHERE rally_id = ?1 AND user_id = ?2)`, rallyID, userID).Scan(&going)
	return going, err
}
