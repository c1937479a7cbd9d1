package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// RallyStatus is whether a rally is on.
type RallyStatus string

// Rally statuses.
const (
	RallyScheduled RallyStatus = "scheduled"
	RallyCancelled RallyStatus = "cancelled"
)

// Rally is one action of a chapter, with its RSVP counts.
type Rally struct {
	ID                int64
	GuildID           string
	ChapterID         int64
	ChapterName       string
	ChapterLeadRoleID string
	ChapterLanguage   string // what its channel posts are written in (Chapter.Language)
	Title             string
	Location          string
	Details           string
	StartsAt          time.Time // UTC
	EndsAt            time.Time
	TimeZone          string
	Capacity          int // 0: no limit
	ChannelID         string
	MessageID         string
	Status            RallyStatus
	CancelReason      string
	Going             int
	Maybe             int
	Waitlist          int
	Staffing          Staffing    // safety roles needed or held (roles.go)
	Series            SeriesPlace // zero for a rally on its own (series.go)
	// PrivateLocation: the place is told only to those going, by DM at the
	// reveal time or in their reply after it (notices.go).
	PrivateLocation bool
	CheckedIn       int // members who checked in
	// Approval: Going and role sign-ups are requests a lead answers
	// (privacy.go); Requested counts those waiting, for the leads alone.
	Approval  bool
	Requested int
	// HighRisk: no scheduled event, no check-in, and every member id tied
	// to it deleted when it ends (PurgeEndedHighRisk).
	HighRisk bool
}

// Cancelled reports whether the rally was called off.
func (r Rally) Cancelled() bool { return r.Status == RallyCancelled }

// Started reports whether the rally has begun at now.
func (r Rally) Started(now time.Time) bool { return !now.Before(r.StartsAt) }

// Full reports whether every seat is taken.
func (r Rally) Full() bool { return r.Capacity > 0 && r.Going >= r.Capacity }

const rallyColumns = `r.id, r.guild_id, r.chapter_id, c.name, COALESCE(c.lead_role_id, ''), c.language, r.title, r.location, r.details,
	r.starts_at, r.ends_at, r.timezone, COALESCE(r.capacity, 0), COALESCE(r.channel_id, ''), COALESCE(r.message_id, ''),
	r.status, r.cancel_reason, r.going_count, r.maybe_count, r.waitlist_count, ` + staffingColumn + `, ` + seriesColumns + `,
	r.private_location, r.checkin_count, r.approval, r.high_risk, ` + requestedColumn

const rallyFrom = ` FROM rallies r JOIN chapters c ON c.id = r.chapter_id `

// scanRally reads rallyColumns, then any extra columns that follow them.
func scanRally(row interface{ Scan(...any) error }, extra ...any) (Rally, error) {
	var r Rally
	var start, end int64
	var staffing, series string
	dest := append([]any{&r.ID, &r.GuildID, &r.ChapterID, &r.ChapterName, &r.ChapterLeadRoleID, &r.ChapterLanguage, &r.Title, &r.Location, &r.Details,
		&start, &end, &r.TimeZone, &r.Capacity, &r.ChannelID, &r.MessageID,
		&r.Status, &r.CancelReason, &r.Going, &r.Maybe, &r.Waitlist, &staffing,
		&r.Series.ID, &r.Series.Index, &series, &r.PrivateLocation, &r.CheckedIn, &r.Approval, &r.HighRisk, &r.Requested}, extra...)
	err := row.Scan(dest...)
	r.Staffing = parseStaffing(staffing)
	r.Series.parse(series)
	r.StartsAt, r.EndsAt = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
	return r, err
}

func scanRallies(rows *sql.Rows, err error) ([]Rally, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rally
	for rows.Next() {
		r, err := scanRally(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rally returns one rally of the guild. A rally of another guild is "no such
// rally", exactly like one that does not exist.
func (db *DB) Rally(ctx context.Context, guildID string, id int64) (_ Rally, err error) {
	defer wrap(&err, "rally")
	return rallyByID(ctx, db.read, guildID, id)
}

// RallyByID returns a rally whatever its guild, for the bot's own jobs.
func (db *DB) RallyByID(ctx context.Context, id int64) (_ Rally, err error) {
	defer wrap(&err, "rally by id")
	r, err := scanRally(db.read.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoSuchRally
	}
	return r, err
}

func rallyByID(ctx context.Context, q queryer, guildID string, id int64) (Rally, error) {
	r, err := scanRally(q.QueryRowContext(ctx,
		`SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ? AND r.guild_id = ?`, id, guildID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoSuchRally
	}
	return r, err
}

// NewRally is what /rally create stores.
type NewRally struct {
	GuildID   string
	ChapterID int64
	Title     string
	Location  string
	Details   string
	StartsAt  time.Time
	Duration  time.Duration
	TimeZone  string
	Capacity  int
	Needs     RoleNeeds // safety role minimums
	// PrivateLocation keeps the place out of channel posts until it is told
	// to those going.
	PrivateLocation bool
	// Approval makes Going and role sign-ups requests to the leads.
	Approval bool
	// HighRisk: see Rally.HighRisk.
	HighRisk bool
	// SafeHome checks on those who came when it ends (after.go).
	SafeHome bool

	// AnnounceChannelID is where the announcement goes: it is owed with the
	// rally, so an interrupted create is finished (announce.go). Empty: no
	// announcement is owed yet.
	AnnounceChannelID string
}

// CreateRally stores a rally and arms its reminders at the given offsets
// before its start (those still in the future).
func (db *DB) CreateRally(ctx context.Context, n NewRally, reminderOffsets []time.Duration) (r Rally, err error) {
	defer wrap(&err, "create rally")
	err = db.update(ctx, func(tx *Tx) error {
		id, err := insertRally(ctx, tx, n, nil, 0)
		if err != nil {
			return err
		}
		if err := armReminders(ctx, tx, id, n.StartsAt, reminderOffsets); err != nil {
			return err
		}
		if n.AnnounceChannelID != "" {
			if _, _, err := owe(ctx, tx, Owed{Kind: PostAnnounce, Key: postKey(PostAnnounce, id), GuildID: n.GuildID, RallyID: id,
				ChannelID: n.AnnounceChannelID, DueAt: tx.now}); err != nil {
				return err
			}
		}
		r, err = rallyByID(ctx, tx, n.GuildID, id)
		return err
	})
	return r, err
}

// insertRally stores a new rally with its role minimums, in a series (its
// id and the occurrence's number) or on its own (nil, 0).
func insertRally(ctx context.Context, tx *Tx, n NewRally, seriesID any, index int) (int64, error) {
	var idx any
	if index > 0 {
		idx = index
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO rallies (guild_id, chapter_id, title, location, details, starts_at, ends_at, timezone, capacity, series_id, series_index, created_at, updated_at,
			private_location, approval)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.GuildID, n.ChapterID, n.Title, n.Location, n.Details, n.StartsAt.Unix(), n.StartsAt.Add(n.Duration).Unix(),
		n.TimeZone, nullIfZero(n.Capacity), seriesID, idx, tx.now.Unix(), tx.now.Unix(),
		n.PrivateLocation, n.Approval)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if err := setHighRisk(ctx, tx, id, n.HighRisk); err != nil {
		return 0, err
	}
	if err := setSafeHome(ctx, tx, id, n.SafeHome); err != nil {
		return 0, err
	}
	return id, setRoleNeeds(ctx, tx, id, n.Needs)
}

// SetAnnouncement records the message that announces the rally.
func (db *DB) SetAnnouncement(ctx context.Context, rallyID int64, channelID, messageID string) (err error) {
	defer wrap(&err, "set announcement")
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE rallies SET channel_id = ?, message_id = ? WHERE id = ?`,
			channelID, messageID, rallyID); err != nil {
			return err
		}
		return oweEvent(ctx, tx, rallyID)
	})
}

// DeleteRally removes a rally that never got announced (its post failed).
func (db *DB) DeleteRally(ctx context.Context, guildID string, rallyID int64) (err error) {
	defer wrap(&err, "delete rally")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM rallies WHERE id = ? AND guild_id = ?`, rallyID, guildID)
		return err
	})
}

// RallyFilter selects upcoming rallies.
type RallyFilter struct {
	GuildID   string
	ChapterID int64  // 0: every chapter
	Search    string // matched against title, chapter and local date (and a place that is not private)
	Limit     int
}

// UpcomingRallies lists the scheduled rallies of a guild that have not ended
// at now, soonest first.
func (db *DB) UpcomingRallies(ctx context.Context, now time.Time, f RallyFilter) (_ []Rally, err error) {
	defer wrap(&err, "upcoming rallies")
	q := `SELECT ` + rallyColumns + rallyFrom + `WHERE r.guild_id = ? AND r.status = 'scheduled' AND r.ends_at > ?`
	args := []any{f.GuildID, now.Unix()}
	if f.ChapterID != 0 {
		q += ` AND r.chapter_id = ?`
		args = append(args, f.ChapterID)
	}
	q += ` ORDER BY r.starts_at, r.id`
	rallies, err := scanRallies(db.read.QueryContext(ctx, q, args...))
	if err != nil {
		return nil, err
	}
	if f.Search == "" {
		return limit(rallies, f.Limit), nil
	}
	needle := strings.ToLower(strings.TrimSpace(f.Search))
	var out []Rally
	for _, r := range rallies {
		if strings.Contains(strings.ToLower(r.searchText()), needle) {
			out = append(out, r)
		}
	}
	return limit(out, f.Limit), nil
}

// SummaryRallies is UpcomingRallies for the turnout summary, which shows
// counts: each rally with its id, chapter, title, times, zone, capacity,
// status, announcement, counts, staffing and check-ins, and nothing else
// (place, details, series and the rest left zero). A summary reads a
// guild's thousand rallies, and the columns it does not show were half of
// its reading time.
func (db *DB) SummaryRallies(ctx context.Context, now time.Time, guildID string) (_ []Rally, err error) {
	defer wrap(&err, "summary rallies")
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.guild_id, r.chapter_id, c.name, r.title, r.starts_at, r.ends_at, r.timezone,
		COALESCE(r.capacity, 0), COALESCE(r.message_id, ''), r.status, r.going_count, r.maybe_count, r.waitlist_count, `+staffingColumn+`,
		r.checkin_count`+rallyFrom+`WHERE r.guild_id = ? AND r.status = 'scheduled' AND r.ends_at > ? ORDER BY r.starts_at, r.id`,
		guildID, now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rally
	for rows.Next() {
		var r Rally
		var start, end int64
		var staffing string
		if err := rows.Scan(&r.ID, &r.GuildID, &r.ChapterID, &r.ChapterName, &r.Title, &start, &end, &r.TimeZone,
			&r.Capacity, &r.MessageID, &r.Status, &r.Going, &r.Maybe, &r.Waitlist, &staffing, &r.CheckedIn); err != nil {
			return nil, err
		}
		r.Staffing = parseStaffing(staffing)
		r.StartsAt, r.EndsAt = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

func (r Rally) searchText() string {
	date := r.StartsAt.Format("2006-01-02")
	if loc, err := time.LoadLocation(r.TimeZone); err == nil {
		date = r.StartsAt.In(loc).Format("2006-01-02 Mon Jan 2")
	}
	if r.PrivateLocation {
		// Autocomplete answers anyone in the server and leaves no trace: a
		// private place must not be testable a guess at a time.
		return r.Title + " " + r.ChapterName + " " + date
	}
	return r.Title + " " + r.ChapterName + " " + date + " " + r.Location
}

func limit(rallies []Rally, n int) []Rally {
	if n > 0 && len(rallies) > n {
		return rallies[:n]
	}
	return rallies
}

// RallyUpdate holds the fields /rally edit changes; nil leaves a field alone.
type RallyUpdate struct {
	Title    *string
	Location *string
	Details  *string
	StartsAt *time.Time
	Duration *time.Duration
	Capacity *int // 0 removes the limit
	Needs    RoleNeeds
	// PrivateLocation turns the private place on or off.
	PrivateLocation *bool
	// Approval turns requests on or off; requests already made wait for
	// an answer either way.
	Approval *bool
	// HighRisk turns high-risk mode on or off.
	HighRisk *bool
	// SafeHome turns the check on members after it on or off (after.go).
	SafeHome *bool
	// Notice words the DM the change owes each member going, maybe or
	// waitlisted, from the rally as it was and as it is after the change;
	// "" (or a nil Notice) owes none. It is queued in the transaction of the
	// change: a crash right after the edit cannot lose it.
	Notice func(before, after Rally) string
	// ChannelNotice words the notice the change owes the channel the rally
	// was announced in; nil (or a nil ChannelNotice) owes none. It is owed
	// in the same transaction, and so is never lost or posted twice.
	ChannelNotice func(before, after Rally) Notice
}

// UpdateRally changes a scheduled rally. A new start re-arms its reminders; a
// larger capacity promotes from the waitlist (returned, to be told).
func (db *DB) UpdateRally(ctx context.Context, guildID string, id int64, u RallyUpdate, reminderOffsets []time.Duration) (r Rally, promoted []string, err error) {
	defer wrap(&err, "update rally")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		r, err = rallyByID(ctx, tx, guildID, id)
		if err != nil {
			return err
		}
		if r.Cancelled() {
			return &RallyStateError{Change: ChangeEdit, Title: r.Title, Err: ErrRallyCancelled}
		}
		if r.Started(tx.now) {
			return &RallyStateError{Change: ChangeEdit, Title: r.Title, Err: ErrRallyStarted}
		}
		duration := r.EndsAt.Sub(r.StartsAt)
		before := r
		retime := u.StartsAt != nil && !u.StartsAt.Equal(r.StartsAt)
		if u.Title != nil {
			r.Title = *u.Title
		}
		if u.Location != nil {
			r.Location = *u.Location
		}
		if u.Details != nil {
			r.Details = *u.Details
		}
		if u.Duration != nil {
			duration = *u.Duration
		}
		if u.Capacity != nil {
			r.Capacity = *u.Capacity
		}
		if u.PrivateLocation != nil {
			r.PrivateLocation = *u.PrivateLocation
		}
		if u.Approval != nil {
			r.Approval = *u.Approval
		}
		// A moved or re-placed private rally is revealed again, at its new
		// time, with its new place. A reveal still owed (Discord refused
		// it so far) is owed no more: it would tell the new place before
		// its time; QueueReveals owes it again when the new reveal is due.
		if retime || u.Location != nil && *u.Location != before.Location || u.PrivateLocation != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE rallies SET location_revealed_at = NULL WHERE id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM member_dms WHERE rally_id = ? AND kind = ? AND state = 'pending'`, id, DMReveal); err != nil {
				return err
			}
		}
		if u.StartsAt != nil {
			r.StartsAt = u.StartsAt.UTC()
		}
		r.EndsAt = r.StartsAt.Add(duration)
		if u.HighRisk != nil {
			if err := setHighRisk(ctx, tx, id, *u.HighRisk); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE rallies SET title = ?, location = ?, details = ?, starts_at = ?, ends_at = ?, capacity = ?, private_location = ?,
				approval = ?, updated_at = ?, sequence = sequence + 1
			WHERE id = ?`,
			r.Title, r.Location, r.Details, r.StartsAt.Unix(), r.EndsAt.Unix(), nullIfZero(r.Capacity), r.PrivateLocation,
			r.Approval, tx.now.Unix(), id); err != nil {
			return err
		}
		if err := retimeDMEndEdits(ctx, tx, id, r.EndsAt.Unix()); err != nil {
			return err
		}
		if err := announceNextBy(ctx, tx, r, r.EndsAt); err != nil {
			return err
		}
		if retime {
			if err := armReminders(ctx, tx, id, r.StartsAt, reminderOffsets); err != nil {
				return err
			}
			if err := rearmReminderDMs(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := setRoleNeeds(ctx, tx, id, u.Needs); err != nil {
			return err
		}
		if u.SafeHome != nil {
			if err := setSafeHome(ctx, tx, id, *u.SafeHome); err != nil {
				return err
			}
		}
		if promoted, err = fillSeats(ctx, tx, id); err != nil {
			return err
		}
		if err := oweEvent(ctx, tx, id); err != nil {
			return err
		}
		if _, err := recount(ctx, tx, id); err != nil {
			return err
		}
		if r, err = rallyByID(ctx, tx, guildID, id); err != nil {
			return err
		}
		if u.Notice != nil {
			if body := u.Notice(before, r); body != "" {
				if _, err := queueMemberDMs(ctx, tx, MemberDMs{RallyID: id, Kind: ChangeDM(), Body: body,
					Statuses: []RSVPStatus{Going, Maybe, Waitlist}}); err != nil {
					return err
				}
			}
		}
		if u.ChannelNotice == nil || r.MessageID == "" || r.ChannelID == "" {
			return nil
		}
		if words := u.ChannelNotice(before, r); words != nil {
			return owePost(ctx, tx, id, PostRallyChange, r.ChannelID, words)
		}
		return nil
	})
	return r, promoted, err
}

// CancelRally marks a rally cancelled (it is kept), drops its pending
// reminders and owes each member going, maybe or waitlisted the notice of it
// (markCancelled). notice, if not nil, words the notice it owes the channel
// the rally was announced in, owed in the same transaction.
func (db *DB) CancelRally(ctx context.Context, guildID string, id int64, reason string, notice func(Rally) Notice) (r Rally, err error) {
	defer wrap(&err, "cancel rally")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		r, err = rallyByID(ctx, tx, guildID, id)
		if err != nil {
			return err
		}
		if r.Cancelled() {
			return &RallyStateError{Change: ChangeCancel, Title: r.Title, Err: ErrRallyCancelled}
		}
		if !tx.now.Before(r.EndsAt) {
			return &RallyStateError{Change: ChangeCancel, Title: r.Title, Err: ErrRallyOver}
		}
		if err := markCancelled(ctx, tx, id, reason); err != nil {
			return err
		}
		if err := announceNextBy(ctx, tx, r, tx.now); err != nil {
			return err
		}
		r.Status, r.CancelReason = RallyCancelled, reason
		if notice == nil || r.MessageID == "" || r.ChannelID == "" {
			return nil
		}
		if words := notice(r); words != nil {
			return owePost(ctx, tx, id, PostRallyCancel, r.ChannelID, words)
		}
		return nil
	})
	return r, err
}

// markCancelled calls a rally off inside the transaction that decided to:
// its status and reason, a new revision for the calendars that copied it
// and the cancellation of its scheduled event (oweEvent), what it still
// owed its channel dropped (dropPending), and the notice of
// it owed to each member going, maybe or waitlisted (DMCancelled). Owing
// the notice in the same transaction means a crash right after the cancel
// leaves it to the next sweep instead of losing it.
func markCancelled(ctx context.Context, tx *Tx, id int64, reason string) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE rallies SET status = 'cancelled', cancel_reason = ?, updated_at = ?, sequence = sequence + 1 WHERE id = ?`,
		reason, tx.now.Unix(), id); err != nil {
		return err
	}
	if err := dropPending(ctx, tx, id); err != nil {
		return err
	}
	if err := oweEvent(ctx, tx, id); err != nil {
		return err
	}
	_, err := queueMemberDMs(ctx, tx, MemberDMs{RallyID: id, Kind: DMCancelled, Statuses: []RSVPStatus{Going, Maybe, Waitlist}})
	return err
}

func nullIfZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
