package store

import (
	"context"
	"time"
)

// DMEndEdit is a DM whose buttons are owed putting out on Discord: a
// day-before reminder ("Still going" / "Can't make it") of a rally that has
// ended. A high-risk rally's DMs are deleted at its end instead, and a
// "Home safe?" DM keeps its buttons for its day.
type DMEndEdit struct {
	RallyID              int64
	Kind                 DMKind
	UserID               string
	GuildID              string
	ChannelID, MessageID string
	Attempts             int
}

// DueDMEndEdits returns up to limit DM edits owed at now.
func (db *DB) DueDMEndEdits(ctx context.Context, now time.Time, limit int) (_ []DMEndEdit, err error) {
	defer wrap(&err, "due dm end edits")
	rows, err := db.read.QueryContext(ctx, `
		SELECT d.rally_id, d.kind, d.user_id, r.guild_id, COALESCE(d.channel_id, ''), d.message_id, d.end_edit_attempts
		FROM member_dms d JOIN rallies r ON r.id = d.rally_id
		WHERE d.buttons = 1 AND d.end_edit = 0 AND d.message_id IS NOT NULL
			AND d.state = 'sent' AND d.kind <> '`+string(DMSafeHome)+`'
			AND r.ends_at <= ?1 AND r.high_risk = 0 AND d.end_edit_next <= ?1
		ORDER BY r.ends_at, d.rally_id LIMIT ?2`, now.Unix(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DMEndEdit
	for rows.Next() {
		var e DMEndEdit
		if err := rows.Scan(&e.RallyID, &e.Kind, &e.UserID, &e.GuildID, &e.ChannelID, &e.MessageID, &e.Attempts); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DMEndEdited records a DM's end edit as done (or as impossible: the DM or
// its channel is gone), so it is not tried again.
func (db *DB) DMEndEdited(ctx context.Context, e DMEndEdit) (err error) {
	defer wrap(&err, "dm end edited")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE member_dms SET end_edit = 1, end_edit_attempts = end_edit_attempts + 1
			WHERE rally_id = ? AND kind = ? AND user_id = ?`, e.RallyID, e.Kind, e.UserID)
		return err
	})
}

// RetryDMEndEdit leaves a DM's end edit owed, to be tried again at at.
func (db *DB) RetryDMEndEdit(ctx context.Context, e DMEndEdit, at time.Time) (err error) {
	defer wrap(&err, "retry dm end edit")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE member_dms SET end_edit_attempts = end_edit_attempts + 1, end_edit_next = ?
			WHERE rally_id = ? AND kind = ? AND user_id = ? AND end_edit = 0`, at.Unix(), e.RallyID, e.Kind, e.UserID)
		return err
	})
}
