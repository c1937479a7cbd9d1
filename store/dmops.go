package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// What is owed to a DM already sent is a kind of the one outbox too: a row
// of channel_posts whose "send" is an operation on the message (an edit, a
// delete) rather than a post. Its channel_id is the DM's channel, its args
// name the message, and its key (the kind, the channel and the message) owes
// it once. Neither keeps a member id: the member, where needed, is read from
// member_dms when it is sent, and is gone with that row.

// Kinds of operation owed to a DM.
const (
	// PostDMDelete deletes a DM on Discord (forget-me, a high-risk
	// rally's end). Its row is deleted once done: nothing of it is kept.
	PostDMDelete PostKind = "dm_delete"
	// PostDMEndEdit puts out the buttons of a day-before reminder DM when
	// its rally ends. Owed when the DM is recorded sent, due at the end.
	PostDMEndEdit PostKind = "dm_end_edit"
)

// dmOpKey is the SQL of a DM operation's key, for a kind and the SQL
// expressions of the DM's channel and message.
func dmOpKey(kind PostKind, channel, message string) string {
	return `'` + string(kind) + `:' || ` + channel + ` || ':' || ` + message
}

// oweDMDeletions owes, in tx, the deletion on Discord of each DM sent that
// member_dms rows matching where hold (a safe-home DM at keep, so its
// buttons work for its day; the others at once), and drops what was owed to
// them otherwise (their end edits). Owing what is owed already changes
// nothing.
func oweDMDeletions(ctx context.Context, tx *Tx, where string, args []any, keep int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_posts (kind, key, guild_id, channel_id, args, nonce, due_at, updated_at)
		SELECT '`+string(PostDMDelete)+`', `+dmOpKey(PostDMDelete, "channel_id", "message_id")+`, '', channel_id,
			json_object('message_id', message_id), lower(hex(randomblob(10))),
			CASE WHEN kind = '`+string(DMSafeHome)+`' THEN ?1 ELSE ?2 END, ?2
		FROM member_dms WHERE message_id IS NOT NULL AND channel_id IS NOT NULL AND `+where+`
		ON CONFLICT (key) DO NOTHING`, append([]any{keep, tx.now.Unix()}, args...)...); err != nil {
		return err
	}
	tx.owed = true
	return dropDMEndEdits(ctx, tx, where, args)
}

// oweStrayDMDeletion owes, in tx, the deletion on Discord of a DM sent
// after its member_dms row was deleted, unless a row holds that message.
// Owing what is owed already changes nothing.
func oweStrayDMDeletion(ctx context.Context, tx *Tx, channelID, messageID string) error {
	if channelID == "" || messageID == "" {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO channel_posts (kind, key, guild_id, channel_id, args, nonce, due_at, updated_at)
		SELECT '`+string(PostDMDelete)+`', `+dmOpKey(PostDMDelete, "?1", "?2")+`, '', ?1,
			json_object('message_id', ?2), lower(hex(randomblob(10))), ?3, ?3
		WHERE NOT EXISTS (SELECT 1 FROM member_dms WHERE channel_id = ?1 AND message_id = ?2)
		ON CONFLICT (key) DO NOTHING`, channelID, messageID, tx.now.Unix())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		tx.owed = true
	}
	return nil
}

// dropDMEndEdits deletes, in tx, the end edits owed or done of the DMs that
// member_dms rows matching where hold: the rows go, and with them where the
// DMs are.
func dropDMEndEdits(ctx context.Context, tx *Tx, where string, args []any) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE key IN (SELECT `+dmOpKey(PostDMEndEdit, "channel_id", "message_id")+`
		FROM member_dms WHERE message_id IS NOT NULL AND channel_id IS NOT NULL AND `+where+`)`, args...)
	return err
}

// oweDMEndEdit owes, in tx, the end edit of the DM just recorded sent, if
// it is a reminder with buttons (not "Home safe?", whose buttons work for
// its day) of a rally not high-risk (its DMs are deleted at its end
// instead): due when the rally ends. It keeps the language the DM was
// written in: by the end the member may hold nothing that keeps their
// locale (they said they could not make it).
func oweDMEndEdit(ctx context.Context, tx *Tx, rallyID int64, kind DMKind, userID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO channel_posts (kind, key, guild_id, rally_id, channel_id, args, nonce, due_at, updated_at)
		SELECT '`+string(PostDMEndEdit)+`', `+dmOpKey(PostDMEndEdit, "d.channel_id", "d.message_id")+`, r.guild_id, d.rally_id, d.channel_id,
			json_object('message_id', d.message_id, 'lang', CASE WHEN l.locale = 'es' OR l.locale LIKE 'es-%' THEN 'es' ELSE 'en' END),
			lower(hex(randomblob(10))), r.ends_at, ?4
		FROM member_dms d JOIN rallies r ON r.id = d.rally_id
		LEFT JOIN member_locales l ON l.guild_id = r.guild_id AND l.user_id = d.user_id
		WHERE d.rally_id = ?1 AND d.kind = ?2 AND d.user_id = ?3 AND d.state = 'sent' AND d.buttons = 1
			AND d.kind <> '`+string(DMSafeHome)+`' AND d.message_id IS NOT NULL AND d.channel_id IS NOT NULL AND r.high_risk = 0
		ON CONFLICT (key) DO NOTHING`, rallyID, kind, userID, tx.now.Unix())
	return err
}

// retimeDMEndEdits moves, in tx, the end edits still owed to a rally's DMs
// to its new end.
func retimeDMEndEdits(ctx context.Context, tx *Tx, rallyID int64, endsAt int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET due_at = ?, updated_at = ?
		WHERE rally_id = ? AND kind = '`+string(PostDMEndEdit)+`' AND state = 'pending'`, endsAt, tx.now.Unix(), rallyID)
	return err
}

// DMDeletionsNow makes every DM deletion owed in the channel (a member's DM
// channel with the bot) due now: a "Home safe?" DM kept for its day after
// a high-risk rally's end goes at once when its member asks to be
// forgotten. Its row names no member, so only the channel can find it. It
// returns how many were moved.
func (db *DB) DMDeletionsNow(ctx context.Context, channelID string) (n int, err error) {
	defer wrap(&err, "dm deletions now")
	if channelID == "" {
		return 0, nil
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE channel_posts SET due_at = ?1, updated_at = ?1
			WHERE kind = '`+string(PostDMDelete)+`' AND channel_id = ?2 AND state = 'pending' AND due_at > ?1`, tx.now.Unix(), channelID)
		if err != nil {
			return err
		}
		moved, err := res.RowsAffected()
		if n = int(moved); n > 0 {
			tx.owed = true
		}
		return err
	})
	return n, err
}

// DMDeletionsKept reports whether any DM deletion is owed for later (a
// "Home safe?" DM kept for its day or until retention): when none is, a
// forgotten member's DM channel need not be looked up for them.
func (db *DB) DMDeletionsKept(ctx context.Context) (kept bool, err error) {
	defer wrap(&err, "dm deletions kept")
	err = db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM channel_posts
		WHERE kind = '`+string(PostDMDelete)+`' AND state = 'pending' AND due_at > ?)`, db.Now().Unix()).Scan(&kept)
	return kept, err
}

// keptDMDeletion is the due time of a DM deletion kept for later: a closed
// "Home safe?" DM's, made due at retention (dueKeptDMDeletions) or by its
// member's forget-me (DMDeletionsNow), whichever comes first.
const keptDMDeletion = int64(1) << 53

// dueKeptDMDeletions makes due now, in tx, the DM deletions kept for later
// since before cutoff: retention's, for the DMs whose records it deleted
// earlier.
func dueKeptDMDeletions(ctx context.Context, tx *Tx, cutoff time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE channel_posts SET due_at = ?1, updated_at = ?1
		WHERE kind = '`+string(PostDMDelete)+`' AND state = 'pending' AND due_at = ?2 AND updated_at < ?3`,
		tx.now.Unix(), keptDMDeletion, cutoff.Unix())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		tx.owed = true
	}
	return nil
}

// countDMDeletions is how many DM deletions are owed.
func countDMDeletions(ctx context.Context, tx *Tx) (n int, err error) {
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_posts WHERE kind = '`+string(PostDMDelete)+`'`).Scan(&n)
	return n, err
}

// DMOfMessage returns the member a DM was sent to, and the guild of its
// rally, from its record; ok is false once the record is gone (forgotten,
// purged): nothing more is owed to it.
func (db *DB) DMOfMessage(ctx context.Context, channelID, messageID string) (guildID, userID string, ok bool, err error) {
	defer wrap(&err, "dm of message")
	err = db.read.QueryRowContext(ctx, `SELECT r.guild_id, d.user_id FROM member_dms d JOIN rallies r ON r.id = d.rally_id
		WHERE d.channel_id = ? AND d.message_id = ?`, channelID, messageID).Scan(&guildID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	return guildID, userID, err == nil, err
}

// FinishDMDeletion records a DM deletion as done (or as impossible: the
// message or channel is gone) by deleting its row, so nothing of it is
// kept. A row owed again since it was read is left alone.
func (db *DB) FinishDMDeletion(ctx context.Context, p ChannelPost) (err error) {
	defer wrap(&err, "finish dm deletion")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE id = ? AND kind = ? AND nonce = ?`, p.ID, PostDMDelete, p.Nonce)
		return err
	})
}
