package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Counts are a rally's RSVP totals at some moment.
type Counts struct {
	Going, Maybe, Waitlist int
}

// SummaryCounts returns the counts of each rally as of the last posted
// summary; rallies not in it had no summary yet.
func (db *DB) SummaryCounts(ctx context.Context, rallyIDs []int64) (map[int64]Counts, error) {
	out := make(map[int64]Counts, len(rallyIDs))
	for _, id := range rallyIDs {
		var c Counts
		err := db.read.QueryRowContext(ctx, `SELECT going, maybe, waitlist FROM summary_counts WHERE rally_id = ?`, id).
			Scan(&c.Going, &c.Maybe, &c.Waitlist)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, nil
}

// SummaryRun is the durable record of one guild's summary for one scheduled time.
type SummaryRun struct {
	GuildID      string
	ScheduledFor time.Time
	State        string
	Nonce        string
	PartsSent    int
}

// BeginSummary records the intent to post the guild's summary for a scheduled
// time, or returns the run already recorded. ok is false when that run was
// already posted (or given up on): it must not be posted again.
func (db *DB) BeginSummary(ctx context.Context, guildID string, scheduledFor time.Time) (run SummaryRun, ok bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO summary_runs (guild_id, scheduled_for, nonce, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (guild_id, scheduled_for) DO NOTHING`,
			guildID, scheduledFor.Unix(), NewNonce()[:16], tx.now.Unix()); err != nil {
			return err
		}
		run = SummaryRun{GuildID: guildID, ScheduledFor: scheduledFor}
		if err := tx.QueryRowContext(ctx, `SELECT state, nonce, parts_sent FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?`,
			guildID, scheduledFor.Unix()).Scan(&run.State, &run.Nonce, &run.PartsSent); err != nil {
			return err
		}
		ok = run.State == "pending"
		return nil
	})
	return run, ok, err
}

// SummaryPartSent records that one more message of a run was posted.
func (db *DB) SummaryPartSent(ctx context.Context, guildID string, scheduledFor time.Time, parts int) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE summary_runs SET parts_sent = ?, updated_at = ? WHERE guild_id = ? AND scheduled_for = ?`,
			parts, tx.now.Unix(), guildID, scheduledFor.Unix())
		return err
	})
}

// FinishSummary closes a run. A posted run ("sent") also becomes the baseline
// for the next summary's changes.
func (db *DB) FinishSummary(ctx context.Context, guildID string, scheduledFor time.Time, state string, rallies []Rally) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE summary_runs SET state = ?, updated_at = ? WHERE guild_id = ? AND scheduled_for = ?`,
			state, tx.now.Unix(), guildID, scheduledFor.Unix()); err != nil {
			return err
		}
		if state != "sent" {
			return nil
		}
		for _, r := range rallies {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO summary_counts (rally_id, going, maybe, waitlist, at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (rally_id) DO UPDATE SET going = excluded.going, maybe = excluded.maybe,
					waitlist = excluded.waitlist, at = excluded.at`,
				r.ID, r.Going, r.Maybe, r.Waitlist, tx.now.Unix()); err != nil {
				return err
			}
		}
		return nil
	})
}

// RetrySummary counts a failed attempt; the run stays pending.
func (db *DB) RetrySummary(ctx context.Context, guildID string, scheduledFor time.Time) (attempts int, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `
			UPDATE summary_runs SET attempts = attempts + 1, updated_at = ? WHERE guild_id = ? AND scheduled_for = ?
			RETURNING attempts`, tx.now.Unix(), guildID, scheduledFor.Unix()).Scan(&attempts)
	})
	return attempts, err
}

// LastSummary returns when the guild's last posted summary was scheduled, or zero.
func (db *DB) LastSummary(ctx context.Context, guildID string) (time.Time, error) {
	var t sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MAX(scheduled_for) FROM summary_runs WHERE guild_id = ? AND state = 'sent'`, guildID).Scan(&t)
	if err != nil || !t.Valid {
		return time.Time{}, err
	}
	return time.Unix(t.Int64, 0).UTC(), nil
}

// PurgeRSVPs deletes the RSVPs of rallies that ended before cutoff; the counts
// stay on the rally rows. It returns how many RSVPs and rallies it cleared.
func (db *DB) PurgeRSVPs(ctx context.Context, cutoff time.Time) (rsvps, rallies int, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM rsvps WHERE rally_id IN (
				SELECT id FROM rallies WHERE ends_at < ? AND rsvps_purged_at IS NULL)`, cutoff.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		rsvps = int(n)
		res, err = tx.ExecContext(ctx, `UPDATE rallies SET rsvps_purged_at = ? WHERE ends_at < ? AND rsvps_purged_at IS NULL`,
			tx.now.Unix(), cutoff.Unix())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		rallies = int(n)
		return nil
	})
	return rsvps, rallies, err
}
