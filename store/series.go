package store

import (
	"context"
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
			// Each is owed its announcement: the first now, in the
			// chapter's channel as it is; each later one once the
			// occurrences before it are over, wherever the chapter posts
			// then, arming its reminders.
			due, arm, channel := tx.now, false, n.Rally.AnnounceChannelID
			if i == 0 {
				err = armReminders(ctx, tx, id, occ.StartsAt, reminderOffsets)
			} else {
				due, arm, channel = n.Starts[i-1].Add(n.Rally.Duration), true, ""
			}
			if err != nil {
				return err
			}
			if _, _, err := owe(ctx, tx, Owed{Kind: PostAnnounce, Key: postKey(PostAnnounce, id), GuildID: n.Rally.GuildID, RallyID: id,
				ChannelID: channel, Args: PostArgs{Arm: arm}, DueAt: due}); err != nil {
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
// reminders, its announcement (a series' later rally), the alert of its
// staffing and the notices of changes not yet posted (the cancellation says
// more).
func dropPending(ctx context.Context, tx *Tx, rallyID int64) error {
	return dropRallyPosts(ctx, tx, rallyID, PostReminder, PostRallyChange, PostAnnounce, PostStaffing)
}

// announceNextBy makes the announcement of the occurrence after r, in
// r's series, due by at rather than later: now when r is cancelled on its
// own (members may answer for the next one at once), r's new end when r is
// moved or shortened. The sweep still holds it while an earlier occurrence
// is on (EarlierOccurrenceEnd).
func announceNextBy(ctx context.Context, tx *Tx, r Rally, at time.Time) error {
	if !r.Series.InSeries() {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE channel_posts SET due_at = ?1, updated_at = ?2
		WHERE kind = ?3 AND state = 'pending' AND due_at > ?1 AND rally_id = (
			SELECT id FROM rallies WHERE series_id = ?4 AND series_index > ?5 AND status = 'scheduled'
			ORDER BY series_index LIMIT 1)`,
		at.Unix(), tx.now.Unix(), PostAnnounce, r.Series.ID, r.Series.Index)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n > 0 && !at.After(tx.now) {
		tx.owed = true
	}
	return nil
}
