package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Repeat is how often a series' rallies recur.
type Repeat string

// The repeats /rally create offers.
const (
	RepeatWeekly      Repeat = "weekly"
	RepeatEvery2Weeks Repeat = "every_2_weeks"
	RepeatMonthly     Repeat = "monthly"
)

// Valid reports whether r is one of the repeats.
func (r Repeat) Valid() bool {
	return r == RepeatWeekly || r == RepeatEvery2Weeks || r == RepeatMonthly
}

// Limits on the number of occurrences in a series.
const (
	MinOccurrences = 2
	MaxOccurrences = 26
)

// ErrNotInSeries refuses a series change to a rally that is not in one.
var ErrNotInSeries = &Error{Code: EInvalid, Desc: "rally not in a series"}

// SeriesPlace is where a rally stands in its series: the Index-th of Count,
// numbered from 1. It is zero for a rally on its own.
type SeriesPlace struct {
	ID     int64
	Index  int
	Count  int
	Repeat Repeat
}

// InSeries reports whether the rally is an occurrence of a series.
func (p SeriesPlace) InSeries() bool { return p.ID != 0 }

// seriesColumns is three columns of rallyColumns: the series id, the
// occurrence's number, and "repeat:occurrences" of its series.
const seriesColumns = `COALESCE(r.series_id, 0), COALESCE(r.series_index, 0),
	COALESCE((SELECT s.repeat || ':' || s.occurrences FROM series s WHERE s.id = r.series_id), '')`

func (p *SeriesPlace) parse(s string) {
	repeat, count, ok := strings.Cut(s, ":")
	if !ok {
		return
	}
	p.Repeat = Repeat(repeat)
	p.Count, _ = strconv.Atoi(count)
}

// NewSeries is what /rally create stores for a recurring rally: the rally as
// for one on its own (its StartsAt the first occurrence's), and the start of
// every occurrence, first included, in order.
type NewSeries struct {
	Rally  NewRally
	Repeat Repeat
	Starts []time.Time
}

// CreateSeries stores every occurrence of a series in one transaction, each a
// rally of its own with the same details and role minimums. The first is the
// one announced now, so only its reminders are armed; each later one gets a
// pending announcement, sent by the reminder sweep once the occurrences
// before it are over (DueSeriesAnnouncements), which arms its reminders.
func (db *DB) CreateSeries(ctx context.Context, n NewSeries, reminderOffsets []time.Duration) (rallies []Rally, err error) {
	defer wrap(&err, "create series")
	if !n.Repeat.Valid() || len(n.Starts) < MinOccurrences || len(n.Starts) > MaxOccurrences {
		return nil, errors.New("bad series")
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO series (guild_id, repeat, occurrences, created_at) VALUES (?, ?, ?, ?)`,
			n.Rally.GuildID, n.Repeat, len(n.Starts), tx.now.Unix())
		if err != nil {
			return err
		}
		seriesID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for i, start := range n.Starts {
			occ := n.Rally
			occ.StartsAt = start.UTC()
			id, err := insertRally(ctx, tx, occ, seriesID, i+1)
			if err != nil {
				return err
			}
			if i == 0 {
				err = armReminders(ctx, tx, id, occ.StartsAt, reminderOffsets)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO series_announcements (rally_id, nonce, updated_at) VALUES (?, ?, ?)`,
					id, NewNonce(), tx.now.Unix())
			}
			if err != nil {
				return err
			}
		}
		rallies, err = seriesRallies(ctx, tx, seriesID)
		return err
	})
	return rallies, err
}

func seriesRallies(ctx context.Context, q rowsQueryer, seriesID int64) ([]Rally, error) {
	return scanRallies(q.QueryContext(ctx,
		`SELECT `+rallyColumns+rallyFrom+`WHERE r.series_id = ? ORDER BY r.series_index`, seriesID))
}

// DeleteSeries removes a series none of whose rallies was announced (the
// first one's post failed).
func (db *DB) DeleteSeries(ctx context.Context, guildID string, seriesID int64) (err error) {
	defer wrap(&err, "delete series")
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rallies WHERE series_id = ? AND guild_id = ?`, seriesID, guildID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM series WHERE id = ? AND guild_id = ?`, seriesID, guildID)
		return err
	})
}

// CancelSeries cancels the rally and every later occurrence of its series
// that is neither over nor cancelled, in one transaction: their reminders
// and unsent announcements are dropped, and the notice of each is owed to
// its members (markCancelled). It returns the rallies it cancelled,
// in order. A rally not in a series is ErrNotInSeries; a series with nothing
// left to cancel is a RallyStateError. notice, if not nil, words the one
// notice owed, in the same transaction, to the channel where the first of
// them that was announced was.
func (db *DB) CancelSeries(ctx context.Context, guildID string, rallyID int64, reason string, notice func(cancelled []Rally) Notice) (cancelled []Rally, err error) {
	defer wrap(&err, "cancel series")
	err = db.update(ctx, func(tx *Tx) error {
		r, err := rallyByID(ctx, tx, guildID, rallyID)
		if err != nil {
			return err
		}
		if !r.Series.InSeries() {
			return ErrNotInSeries
		}
		all, err := seriesRallies(ctx, tx, r.Series.ID)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Series.Index < r.Series.Index || o.Cancelled() || !tx.now.Before(o.EndsAt) {
				continue
			}
			if err := markCancelled(ctx, tx, o.ID, reason); err != nil {
				return err
			}
			o.Status, o.CancelReason = RallyCancelled, reason
			cancelled = append(cancelled, o)
		}
		if len(cancelled) == 0 {
			reason := ErrRallyOver
			if r.Cancelled() {
				reason = ErrRallyCancelled
			}
			return &RallyStateError{Change: ChangeCancel, Title: r.Title, Err: reason}
		}
		if notice == nil {
			return nil
		}
		for _, o := range cancelled {
			if o.MessageID == "" || o.ChannelID == "" {
				continue
			}
			// Posted under the announced rally: a send resumed later looks
			// for it after that rally's announcement.
			if words := notice(cancelled); words != nil {
				return owePost(ctx, tx, o.ID, PostSeriesCancel, o.ChannelID, words)
			}
			return nil
		}
		return nil
	})
	return cancelled, err
}

// dropPending drops what a cancelled rally still owes its channel: its
// reminders, in a series its announcement, and the notices of changes not
// yet posted (the cancellation says more).
func dropPending(ctx context.Context, tx *Tx, rallyID int64) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE reminders SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND state = 'pending'`,
		tx.now.Unix(), rallyID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE channel_posts SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND kind = 'rally_change' AND state = 'pending'`,
		tx.now.Unix(), rallyID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE series_announcements SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND state = 'pending'`,
		tx.now.Unix(), rallyID)
	return err
}

// SeriesAnnouncement is the announcement a series owes one of its rallies,
// as read.
type SeriesAnnouncement struct {
	Rally    Rally
	Nonce    string // fixed when the series was created
	Begun    bool   // a send was begun before: it may have been posted
	Attempts int
	// ChapterChannelID is the chapter's channel now ("" if unbound).
	ChapterChannelID string
}

// DueSeriesAnnouncements returns up to max pending announcements (not
// backing off at now) of rallies whose earlier occurrences have all ended or
// been cancelled, and of cancelled rallies, whose announcement is to be
// dropped.
func (db *DB) DueSeriesAnnouncements(ctx context.Context, now time.Time, max int) (_ []SeriesAnnouncement, err error) {
	defer wrap(&err, "due series announcements")
	rows, err := db.read.QueryContext(ctx, `
		SELECT `+rallyColumns+`, a.nonce, a.begun, a.attempts, COALESCE(c.channel_id, '')
		FROM series_announcements a JOIN rallies r ON r.id = a.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE a.state = 'pending' AND a.next_try_at <= ?1
			AND (r.status = 'cancelled' OR NOT EXISTS (SELECT 1 FROM rallies p
				WHERE p.series_id = r.series_id AND p.series_index < r.series_index AND p.status = 'scheduled' AND p.ends_at > ?1))
		ORDER BY r.starts_at, r.id LIMIT ?2`, now.Unix(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SeriesAnnouncement
	for rows.Next() {
		var a SeriesAnnouncement
		if a.Rally, err = scanRally(rows, &a.Nonce, &a.Begun, &a.Attempts, &a.ChapterChannelID); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// BeginSeriesAnnouncement records that a send of the announcement is about
// to be made. ok is false if it is no longer pending; resumed is true if an
// earlier send was begun and its outcome never recorded.
func (db *DB) BeginSeriesAnnouncement(ctx context.Context, a SeriesAnnouncement) (resumed, ok bool, err error) {
	defer wrap(&err, "begin series announcement")
	err = db.update(ctx, func(tx *Tx) error {
		var state ReminderState
		var begun bool
		err := tx.QueryRowContext(ctx, `SELECT state, begun FROM series_announcements WHERE rally_id = ?`, a.Rally.ID).Scan(&state, &begun)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || state != ReminderPending {
			return err
		}
		ok, resumed = true, begun
		if begun {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE series_announcements SET begun = 1, updated_at = ? WHERE rally_id = ?`, tx.now.Unix(), a.Rally.ID)
		return err
	})
	return resumed, ok, err
}

// SeriesAnnouncementOutcome is how the announcement of a series' rally ended.
type SeriesAnnouncementOutcome struct {
	Due   SeriesAnnouncement
	State ReminderState // ReminderSent, ReminderFailed or ReminderDropped
	// ChannelID and MessageID are the announcement, when sent.
	ChannelID, MessageID string
	// ReminderOffsets are armed for a rally announced (and still on).
	ReminderOffsets []time.Duration
}

// FinishSeriesAnnouncement moves a pending announcement to its final state.
// Sent, it becomes the rally's announcement and arms the rally's reminders,
// in the same transaction. It returns the rally as it is then; ok is false
// if the announcement was no longer pending (nothing was changed).
func (db *DB) FinishSeriesAnnouncement(ctx context.Context, o SeriesAnnouncementOutcome) (r Rally, ok bool, err error) {
	defer wrap(&err, "finish series announcement")
	id := o.Due.Rally.ID
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE series_announcements SET state = ?, message_id = ?, attempts = attempts + 1, updated_at = ?
			WHERE rally_id = ? AND state = 'pending'`, o.State, nullIfEmpty(o.MessageID), tx.now.Unix(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		ok = true
		if o.State == ReminderSent {
			if _, err := tx.ExecContext(ctx, `UPDATE rallies SET channel_id = ?, message_id = ?, updated_at = ? WHERE id = ? AND message_id IS NULL`,
				o.ChannelID, o.MessageID, tx.now.Unix(), id); err != nil {
				return err
			}
			if err := oweEvent(ctx, tx, id); err != nil {
				return err
			}
		}
		if r, err = scanRally(tx.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, id)); err != nil {
			return err
		}
		if o.State == ReminderSent && !r.Cancelled() {
			return armReminders(ctx, tx, id, r.StartsAt, o.ReminderOffsets)
		}
		return nil
	})
	return r, ok, err
}

// SeriesAnnouncementRetry is a failed send of a series' announcement, to be
// tried again with the same nonce.
type SeriesAnnouncementRetry struct {
	Due SeriesAnnouncement
	At  time.Time // when to try again
}

// RetrySeriesAnnouncement leaves the announcement pending until r.At.
func (db *DB) RetrySeriesAnnouncement(ctx context.Context, r SeriesAnnouncementRetry) (err error) {
	defer wrap(&err, "retry series announcement")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE series_announcements SET attempts = attempts + 1, next_try_at = ?, updated_at = ?
			WHERE rally_id = ? AND state = 'pending'`, r.At.Unix(), tx.now.Unix(), r.Due.Rally.ID)
		return err
	})
}
