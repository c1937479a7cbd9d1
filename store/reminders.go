package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// ReminderState is where a reminder stands.
type ReminderState string

// Reminder states.
const (
	ReminderPending ReminderState = "pending"
	ReminderSent    ReminderState = "sent"
	ReminderFailed  ReminderState = "failed"
	ReminderDropped ReminderState = "dropped"
)

// armReminders (re)schedules one reminder per offset before the rally's start.
// One whose time has already passed is recorded as dropped, so a rally made
// an hour ahead does not get a "tomorrow" reminder. A re-timed rally's
// reminders go out again for the new time; a pending reminder of an offset no
// longer configured is dropped, since its time belongs to the old start.
func armReminders(ctx context.Context, tx *Tx, rallyID int64, start time.Time, offsets []time.Duration) error {
	var guildID string
	if err := tx.QueryRowContext(ctx, `SELECT guild_id FROM rallies WHERE id = ?`, rallyID).Scan(&guildID); err != nil {
		return err
	}
	keep := make([]string, 0, len(offsets))
	for _, off := range offsets {
		due := start.Add(-off)
		secs := int64(off / time.Second)
		key := postKey(PostReminder, rallyID, secs)
		keep = append(keep, "'"+key+"'") // integers formatted here, not user text
		if _, _, err := owe(ctx, tx, Owed{Kind: PostReminder, Key: key, GuildID: guildID, RallyID: rallyID,
			Args: PostArgs{OffsetS: secs}, DueAt: due, Rearm: true}); err != nil {
			return err
		}
		if !due.After(tx.now) {
			if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = 'dropped' WHERE key = ?`, key); err != nil {
				return err
			}
		}
	}
	q := `UPDATE channel_posts SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND kind = 'reminder' AND state = 'pending'`
	if len(keep) > 0 {
		q += ` AND key NOT IN (` + strings.Join(keep, ",") + `)`
	}
	_, err := tx.ExecContext(ctx, q, tx.now.Unix(), rallyID)
	return err
}

// rearmReminderDMs makes a re-timed rally's reminder DMs owed again with its
// reminders: one still owed was for the old time (Discord refused it so
// far) and is owed no more; one sent was for the old time, and does not
// stand for the new. The record of where a sent one went stays, so it can
// still be deleted.
func rearmReminderDMs(ctx context.Context, tx *Tx, rallyID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE OR REPLACE member_dms SET kind = 'sent:' || message_id
		WHERE rally_id = ? AND kind LIKE 'reminder:%' AND state = 'sent' AND message_id IS NOT NULL`, rallyID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM member_dms WHERE rally_id = ? AND kind LIKE 'reminder:%'`, rallyID)
	return err
}

// Reminder is a reminder as stored, for /rally info and tests.
type Reminder struct {
	Offset    time.Duration
	DueAt     time.Time
	State     ReminderState
	MessageID string
	Attempts  int
}

// PendingReminderOffsets lists the offsets of a rally's reminders still
// pending: of several due at once (the bot was down), only the latest is
// worth posting.
func (db *DB) PendingReminderOffsets(ctx context.Context, rallyID int64) (_ []time.Duration, err error) {
	defer wrap(&err, "pending reminders")
	rows, err := db.read.QueryContext(ctx, `SELECT json_extract(args, '$.offset_s') FROM channel_posts
		WHERE rally_id = ? AND kind = 'reminder' AND state = 'pending'`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, time.Duration(s)*time.Second)
	}
	return out, rows.Err()
}

// NewNonce returns a random message nonce within Discord's 25-character limit.
func NewNonce() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
