package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Counts are a rally's RSVP totals at some moment.
type Counts struct {
	Going    int `json:"going"`
	Maybe    int `json:"maybe"`
	Waitlist int `json:"waitlist"`
}

// SummaryCounts returns the counts of each rally as of the last posted
// summary; rallies not in it had no summary yet. One query whatever the
// number of rallies: the ids go in as one JSON array.
func (db *DB) SummaryCounts(ctx context.Context, rallyIDs []int64) (_ map[int64]Counts, err error) {
	defer wrap(&err, "summary counts")
	out := make(map[int64]Counts, len(rallyIDs))
	if len(rallyIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(rallyIDs)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `
		SELECT rally_id, going, maybe, waitlist FROM summary_counts
		WHERE rally_id IN (SELECT value FROM json_each(?))`, string(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c Counts
		if err := rows.Scan(&id, &c.Going, &c.Maybe, &c.Waitlist); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

// SummaryState is where a summary run stands.
type SummaryState string

// Summary run states.
const (
	SummaryPending SummaryState = "pending"
	SummarySent    SummaryState = "sent"
	SummaryFailed  SummaryState = "failed"
)

// SummaryRun is the durable record of one guild's summary for one scheduled time.
type SummaryRun struct {
	GuildID      string
	ScheduledFor time.Time
	State        SummaryState
	Nonce        string
	PartsSent    int
	Attempts     int
	// Parts is what the run posts, as the caller rendered it (nil until
	// SaveSummaryContent); a retry resends these very messages.
	Parts []byte
	// Resumed is true when the run was begun before (by an earlier attempt
	// or process): a part it was sending may have been posted.
	Resumed bool
}

// BeginSummary records the intent to post the guild's summary for a scheduled
// time, or returns the run already recorded. ok is false when that run was
// already posted (or given up on): it must not be posted again.
func (db *DB) BeginSummary(ctx context.Context, guildID string, scheduledFor time.Time) (run SummaryRun, ok bool, err error) {
	defer wrap(&err, "begin summary")
	// Every reminder sweep asks; a run already closed is answered without a
	// write transaction.
	var state SummaryState
	err = db.read.QueryRowContext(ctx, `SELECT state FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?`,
		guildID, scheduledFor.Unix()).Scan(&state)
	switch {
	case err == nil && state != SummaryPending:
		return SummaryRun{GuildID: guildID, ScheduledFor: scheduledFor, State: state}, false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return run, false, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO summary_runs (guild_id, scheduled_for, nonce, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (guild_id, scheduled_for) DO NOTHING`,
			guildID, scheduledFor.Unix(), NewNonce()[:16], tx.now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		run = SummaryRun{GuildID: guildID, ScheduledFor: scheduledFor, Resumed: n == 0}
		var parts sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT state, nonce, parts_sent, attempts, parts FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?`,
			guildID, scheduledFor.Unix()).Scan(&run.State, &run.Nonce, &run.PartsSent, &run.Attempts, &parts); err != nil {
			return err
		}
		if parts.Valid {
			run.Parts = []byte(parts.String)
		}
		ok = run.State == SummaryPending
		return nil
	})
	return run, ok, err
}

// SaveSummaryContent stores what a run posts and the counts it shows, unless
// an earlier attempt stored them first; it returns the parts the run must
// post.
func (db *DB) SaveSummaryContent(ctx context.Context, guildID string, scheduledFor time.Time, parts []byte, counts map[int64]Counts) (_ []byte, err error) {
	defer wrap(&err, "save summary")
	b, err := json.Marshal(counts)
	if err != nil {
		return nil, err
	}
	var stored string
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE summary_runs SET parts = ?, counts = ?, updated_at = ? WHERE guild_id = ? AND scheduled_for = ? AND parts IS NULL`,
			string(parts), string(b), tx.now.Unix(), guildID, scheduledFor.Unix()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT parts FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?`,
			guildID, scheduledFor.Unix()).Scan(&stored)
	})
	return []byte(stored), err
}

// SummaryPartSent records that one more message of a run was posted.
func (db *DB) SummaryPartSent(ctx context.Context, guildID string, scheduledFor time.Time, parts int) (err error) {
	defer wrap(&err, "summary part sent")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE summary_runs SET parts_sent = ?, updated_at = ? WHERE guild_id = ? AND scheduled_for = ?`,
			parts, tx.now.Unix(), guildID, scheduledFor.Unix())
		return err
	})
}

// FinishSummary closes a run. A posted run (SummarySent) also makes the
// counts it showed the baseline for the next summary's changes.
func (db *DB) FinishSummary(ctx context.Context, guildID string, scheduledFor time.Time, state SummaryState) (err error) {
	defer wrap(&err, "finish summary")
	return db.update(ctx, func(tx *Tx) error {
		var counts sql.NullString
		if err := tx.QueryRowContext(ctx, `
			UPDATE summary_runs SET state = ?, updated_at = ? WHERE guild_id = ? AND scheduled_for = ? AND state = 'pending'
			RETURNING counts`, state, tx.now.Unix(), guildID, scheduledFor.Unix()).Scan(&counts); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // already closed
			}
			return err
		}
		if state != SummarySent || !counts.Valid {
			return nil
		}
		var byRally map[string]Counts
		if err := json.Unmarshal([]byte(counts.String), &byRally); err != nil {
			return err
		}
		for key, c := range byRally {
			id, err := strconv.ParseInt(key, 10, 64)
			if err != nil {
				return err
			}
			// A rally deleted since (an announcement that failed) has no baseline to keep.
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO summary_counts (rally_id, going, maybe, waitlist, at)
				SELECT id, ?, ?, ?, ? FROM rallies WHERE id = ?
				ON CONFLICT (rally_id) DO UPDATE SET going = excluded.going, maybe = excluded.maybe,
					waitlist = excluded.waitlist, at = excluded.at`,
				c.Going, c.Maybe, c.Waitlist, tx.now.Unix(), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// RetrySummary counts a failed attempt; the run stays pending.
func (db *DB) RetrySummary(ctx context.Context, guildID string, scheduledFor time.Time) (attempts int, err error) {
	defer wrap(&err, "retry summary")
	err = db.update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `
			UPDATE summary_runs SET attempts = attempts + 1, updated_at = ? WHERE guild_id = ? AND scheduled_for = ?
			RETURNING attempts`, tx.now.Unix(), guildID, scheduledFor.Unix()).Scan(&attempts)
	})
	return attempts, err
}

// LastSummary returns when the guild's last posted summary was scheduled, or zero.
func (db *DB) LastSummary(ctx context.Context, guildID string) (_ time.Time, err error) {
	defer wrap(&err, "last summary")
	var t sql.NullInt64
	err = db.read.QueryRowContext(ctx, `SELECT MAX(scheduled_for) FROM summary_runs WHERE guild_id = ? AND state = 'sent'`, guildID).Scan(&t)
	if err != nil || !t.Valid {
		return time.Time{}, err
	}
	return time.Unix(t.Int64, 0).UTC(), nil
}

// PurgeRSVPs deletes the RSVPs of rallies that ended before cutoff, and
// every other row naming a member at them (roles, check-ins, DM records, and
// any table added since), and clears their place, details and cancel reason,
// which can say where people met or why; the counts and title stay on the
// rally rows for summaries. Members' locales go once they have no RSVP or
// role left in the server, and their preferences once they have had none
// since cutoff. It returns how many RSVPs and rallies it cleared.
func (db *DB) PurgeRSVPs(ctx context.Context, cutoff time.Time) (rsvps, rallies int, err error) {
	defer wrap(&err, "purge rsvps")
	err = db.update(ctx, func(tx *Tx) error {
		rsvps, rallies = 0, 0
		ids, err := queryIDs(ctx, tx, `SELECT id FROM rallies WHERE ends_at < ? AND rsvps_purged_at IS NULL`, cutoff.Unix())
		if err != nil {
			return err
		}
		for _, id := range ids {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rsvps WHERE rally_id = ?`, id).Scan(&n); err != nil {
				return err
			}
			rsvps += n
			if err := purgeRally(ctx, tx, id, false); err != nil {
				return err
			}
		}
		rallies = len(ids)
		if err := dropIdleLocales(ctx, tx); err != nil {
			return err
		}
		// A preference says the member used the bot: kept while they do.
		_, err = tx.ExecContext(ctx, `
			DELETE FROM member_prefs WHERE updated_at < ? AND NOT EXISTS (
				SELECT 1 FROM rsvps v JOIN rallies r ON r.id = v.rally_id
				WHERE v.user_id = member_prefs.user_id AND r.guild_id = member_prefs.guild_id)
			AND NOT EXISTS (
				SELECT 1 FROM role_signups s JOIN rallies r ON r.id = s.rally_id
				WHERE s.user_id = member_prefs.user_id AND r.guild_id = member_prefs.guild_id)
			AND NOT EXISTS (
				SELECT 1 FROM rally_requests q JOIN rallies r ON r.id = q.rally_id
				WHERE q.user_id = member_prefs.user_id AND r.guild_id = member_prefs.guild_id)`, cutoff.Unix())
		return err
	})
	return rsvps, rallies, err
}
