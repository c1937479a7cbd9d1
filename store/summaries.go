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

// SummaryOwed reports whether the guild's summary for a scheduled time was
// owed already (posted, given up on, or on its way): it is made once.
func (db *DB) SummaryOwed(ctx context.Context, guildID string, scheduledFor time.Time) (owed bool, err error) {
	defer wrap(&err, "summary owed")
	err = db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?)`,
		guildID, scheduledFor.Unix()).Scan(&owed)
	return owed, err
}

// OweSummary records the guild's summary for a scheduled time and owes its
// messages (parts, each a JSON array of embeds, posted in order to the
// coordinators' channel), with the counts they show, in one transaction:
// once per guild and time. fresh is false when it was owed already.
func (db *DB) OweSummary(ctx context.Context, guildID string, scheduledFor time.Time, parts []string, counts map[int64]Counts) (fresh bool, err error) {
	defer wrap(&err, "owe summary")
	b, err := json.Marshal(counts)
	if err != nil {
		return false, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO summary_runs (guild_id, scheduled_for, counts, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (guild_id, scheduled_for) DO NOTHING`,
			guildID, scheduledFor.Unix(), string(b), tx.now.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fresh = true
		slot := scheduledFor.Unix()
		for i, part := range parts {
			key := "summary:" + guildID + ":" + itoa(slot) + ":" + strconv.Itoa(i)
			if _, _, err := owe(ctx, tx, Owed{Kind: PostSummary, Key: key, GuildID: guildID, Body: part,
				Args: PostArgs{Slot: slot, Part: i, Parts: len(parts)}, DueAt: tx.now}); err != nil {
				return err
			}
		}
		return nil
	})
	return fresh, err
}

// EarlierSummaryPartPending reports whether a part before p of its summary
// is still to be posted: the parts go in order.
func (db *DB) EarlierSummaryPartPending(ctx context.Context, p ChannelPost) (pending bool, err error) {
	defer wrap(&err, "earlier summary part")
	err = db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM channel_posts
		WHERE kind = 'summary' AND guild_id = ? AND state = 'pending' AND json_extract(args, '$.slot') = ?
			AND COALESCE(json_extract(args, '$.part'), 0) < ?)`,
		p.GuildID, p.Args.Slot, p.Args.Part).Scan(&pending)
	return pending, err
}

// FinishSummaryPart moves a summary's part to its final state and, once no
// part of the run is pending, closes the run in the same transaction: sent
// when every part was posted (its counts become the baseline of the next
// summary's changes), else failed. done reports the run closed now.
func (db *DB) FinishSummaryPart(ctx context.Context, o ChannelPostOutcome) (done bool, state SummaryState, err error) {
	defer wrap(&err, "finish summary part")
	p := o.Post
	err = db.update(ctx, func(tx *Tx) error {
		if ok, err := finishPost(ctx, tx, o); err != nil || !ok {
			return err
		}
		var pending, unsent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state != 'sent')
			FROM channel_posts WHERE kind = 'summary' AND guild_id = ? AND json_extract(args, '$.slot') = ?`,
			p.GuildID, p.Args.Slot).Scan(&pending, &unsent); err != nil {
			return err
		}
		if pending > 0 {
			return nil
		}
		state = SummarySent
		if unsent > 0 {
			state = SummaryFailed
		}
		done = true
		return finishSummary(ctx, tx, p.GuildID, time.Unix(p.Args.Slot, 0), state)
	})
	return done, state, err
}

// finishSummary closes a run. A posted run (SummarySent) also makes the
// counts it showed the baseline for the next summary's changes.
func finishSummary(ctx context.Context, tx *Tx, guildID string, scheduledFor time.Time, state SummaryState) error {
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
// role left in the server, and their preferences (DM reminders, the
// "Home safe?" DM) once they have had none since cutoff. It returns how
// many RSVPs and rallies it cleared (Retention says what else).
func (db *DB) PurgeRSVPs(ctx context.Context, cutoff time.Time) (rsvps, rallies int, err error) {
	p, err := db.Retention(ctx, cutoff)
	return p.RSVPs, p.Rallies, err
}

// Retained is what one run of retention deleted.
type Retained struct {
	RSVPs, Rallies int // the RSVPs, and the rallies cleared
	// Members is how many other rows holding a member id went: locales
	// and preferences of members idle since the cutoff.
	Members int64
}

// Deleted reports whether the run deleted any member id, so the log is
// to be emptied of them.
func (p Retained) Deleted() bool { return p.Rallies > 0 || p.Members > 0 }

// Retention is PurgeRSVPs, saying all it deleted.
func (db *DB) Retention(ctx context.Context, cutoff time.Time) (p Retained, err error) {
	defer wrap(&err, "purge rsvps")
	err = db.update(ctx, func(tx *Tx) error {
		p = Retained{}
		ids, err := queryIDs(ctx, tx, `SELECT id FROM rallies WHERE ends_at < ? AND rsvps_purged_at IS NULL`, cutoff.Unix())
		if err != nil {
			return err
		}
		for _, id := range ids {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rsvps WHERE rally_id = ?`, id).Scan(&n); err != nil {
				return err
			}
			p.RSVPs += n
			if err := purgeRally(ctx, tx, id); err != nil {
				return err
			}
		}
		p.Rallies = len(ids)
		if err := dueKeptDMDeletions(ctx, tx, cutoff); err != nil {
			return err
		}
		if p.Members, err = dropIdleLocales(ctx, tx); err != nil {
			return err
		}
		// A preference says the member used the bot: kept while they do.
		// Turning "Home safe?" off is one too.
		for _, table := range []string{"member_prefs", "safe_home_optout"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE updated_at < ? AND NOT `+
				memberHolds(table+".user_id", table+".guild_id"), cutoff.Unix())
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			p.Members += n
		}
		return nil
	})
	return p, err
}
