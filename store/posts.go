package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PostKind says what a message owed to a chapter channel is about.
type PostKind string

// Kinds of channel post.
const (
	// PostActionAsk asks a chapter's lead role to set the place of its
	// rally of a day of action.
	PostActionAsk PostKind = "action_ask"
	// PostActionCancel tells a chapter the day of action is off.
	PostActionCancel PostKind = "action_cancel"
	// PostRallyCancel tells a rally's channel it is cancelled.
	PostRallyCancel PostKind = "rally_cancel"
	// PostSeriesCancel tells a series' channel the rest of it is cancelled.
	PostSeriesCancel PostKind = "series_cancel"
	// PostRallyChange tells a rally's channel its time or place changed.
	PostRallyChange PostKind = "rally_change"
)

// OfAction reports whether posts of the kind belong to a day of action.
func (k PostKind) OfAction() bool { return k == PostActionAsk || k == PostActionCancel }

// PostLease is how long a post belongs to the command that owed it, which
// sends it at once, before the reminder sweep may send it instead.
const PostLease = 2 * time.Minute

// Notice words a post a rally owes its channel, given the post's id: the
// message, and the marker in it (naming the id) by which a send whose outcome
// was lost is found in the channel.
type Notice func(postID int64) (body, marker string)

// ChannelPost is a message owed to a chapter channel, as stored. Its State is
// one of the reminder states (pending, sent, failed, dropped).
type ChannelPost struct {
	ID        int64
	Kind      PostKind
	Rally     Rally
	Action    Action // the day of action of an action's post; zero otherwise
	ChannelID string
	RoleID    string
	// Body and Marker are the message as worded when it was owed; "" for
	// an action's posts, which are worded when sent.
	Body      string
	Marker    string
	State     ReminderState
	Nonce     string
	Attempts  int
	MessageID string
	UpdatedAt time.Time
}

const channelPostQuery = `SELECT ` + rallyColumns + `,
		COALESCE(a.id, 0), COALESCE(a.guild_id, ''), COALESCE(a.title, ''), COALESCE(a.local_date, ''), COALESCE(a.local_time, ''),
		COALESCE(a.status, ''), COALESCE(a.cancel_reason, ''),
		p.id, p.kind, p.channel_id, p.role_id, p.body, p.marker, p.state, p.nonce, p.attempts, COALESCE(p.message_id, ''), p.updated_at
	FROM channel_posts p JOIN rallies r ON r.id = p.rally_id JOIN chapters c ON c.id = r.chapter_id LEFT JOIN actions a ON a.id = p.action_id `

func scanChannelPosts(rows *sql.Rows, err error) ([]ChannelPost, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChannelPost
	for rows.Next() {
		var p ChannelPost
		var updated int64
		a := &p.Action
		p.Rally, err = scanRally(rows, &a.ID, &a.GuildID, &a.Title, &a.Date, &a.Time, &a.Status, &a.CancelReason,
			&p.ID, &p.Kind, &p.ChannelID, &p.RoleID, &p.Body, &p.Marker, &p.State, &p.Nonce, &p.Attempts, &p.MessageID, &updated)
		if err != nil {
			return nil, err
		}
		p.UpdatedAt = time.Unix(updated, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// owePost records a post a rally owes its channel, worded by words once its
// id is known, to be sent with a nonce fixed now. The sweep may send it after
// PostLease; the command that owed it sends it at once.
func owePost(ctx context.Context, tx *Tx, rallyID int64, kind PostKind, channelID string, words Notice) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO channel_posts (rally_id, kind, channel_id, nonce, next_try_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		rallyID, kind, channelID, NewNonce(), tx.now.Add(PostLease).Unix(), tx.now.Unix())
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	body, marker := words(id)
	_, err = tx.ExecContext(ctx, `UPDATE channel_posts SET body = ?, marker = ? WHERE id = ?`, body, marker, id)
	return err
}

// DueChannelPosts returns up to max pending posts whose (re)try time has come.
func (db *DB) DueChannelPosts(ctx context.Context, now time.Time, max int) (_ []ChannelPost, err error) {
	defer wrap(&err, "due channel posts")
	return scanChannelPosts(db.read.QueryContext(ctx,
		channelPostQuery+`WHERE p.state = 'pending' AND p.next_try_at <= ? ORDER BY p.next_try_at, p.id LIMIT ?`,
		now.Unix(), max))
}

// ActionPosts returns every post of an action of the kind, by chapter name.
func (db *DB) ActionPosts(ctx context.Context, actionID int64, kind PostKind) (_ []ChannelPost, err error) {
	defer wrap(&err, "action posts")
	return scanChannelPosts(db.read.QueryContext(ctx,
		channelPostQuery+`WHERE p.action_id = ? AND p.kind = ? ORDER BY c.name COLLATE NOCASE`, actionID, kind))
}

// PendingRallyPosts returns the pending notices the rallies owe their
// channels (not those of a day of action), oldest first: for the command
// that owed them to send at once.
func (db *DB) PendingRallyPosts(ctx context.Context, rallyIDs ...int64) (_ []ChannelPost, err error) {
	defer wrap(&err, "pending rally posts")
	var out []ChannelPost
	for _, id := range rallyIDs {
		posts, err := scanChannelPosts(db.read.QueryContext(ctx,
			channelPostQuery+`WHERE p.rally_id = ? AND p.action_id IS NULL AND p.state = 'pending' ORDER BY p.id`, id))
		if err != nil {
			return nil, err
		}
		out = append(out, posts...)
	}
	return out, nil
}

// BeginChannelPost records that a send of the post is about to be made. It
// returns the post's state, and whether an earlier send was begun (it may
// have reached the channel: look for it before sending again). Only a
// pending post is to be sent.
func (db *DB) BeginChannelPost(ctx context.Context, p ChannelPost) (state ReminderState, resumed bool, err error) {
	defer wrap(&err, "begin channel post")
	err = db.update(ctx, func(tx *Tx) error {
		var begun sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT state, begun_at FROM channel_posts WHERE id = ?`, p.ID).Scan(&state, &begun)
		if errors.Is(err, sql.ErrNoRows) {
			state = ReminderDropped // its rally was deleted
			return nil
		}
		if err != nil || state != ReminderPending {
			return err
		}
		resumed = begun.Valid
		if resumed {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE channel_posts SET begun_at = ?, updated_at = ? WHERE id = ?`, tx.now.Unix(), tx.now.Unix(), p.ID)
		return err
	})
	return state, resumed, err
}

// ChannelPostOutcome is how an attempt at a channel post ended.
type ChannelPostOutcome struct {
	Post      ChannelPost
	State     ReminderState // sent, failed or dropped
	MessageID string        // when sent
}

// FinishChannelPost moves a pending post to its final state (sent with its
// message, failed or dropped). A post no longer pending is left alone.
func (db *DB) FinishChannelPost(ctx context.Context, o ChannelPostOutcome) (err error) {
	defer wrap(&err, "finish channel post")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = ?, message_id = ?, attempts = attempts + 1, updated_at = ?
			WHERE id = ? AND state = 'pending'`,
			o.State, nullIfEmpty(o.MessageID), tx.now.Unix(), o.Post.ID)
		return err
	})
}

// RetryChannelPost leaves a post pending, to be tried again at next with the
// same nonce.
func (db *DB) RetryChannelPost(ctx context.Context, p ChannelPost, next time.Time) (err error) {
	defer wrap(&err, "retry channel post")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET attempts = attempts + 1, next_try_at = ?, updated_at = ?
			WHERE id = ? AND state = 'pending'`,
			next.Unix(), tx.now.Unix(), p.ID)
		return err
	})
}
