package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// A rally owes its channel an announcement from the moment it is stored: the
// announcement is a post of the outbox (PostAnnounce), owed in the
// transaction that stores the rally (CreateRally, CreateSeries) with its
// nonce. A create that dies before the post was recorded (a crash, a
// SIGKILL, a lost response) leaves it pending, and it is finished later with
// the same nonce, or by finding the message. FinishAnnouncement records it.

// AnnouncementsOf are the announcements of the rallies stored for the same
// chapter, title and start as n: still owed, or sent and made since since.
// One is the rally a create retried after a crash already made (and the
// restart may have finished).
func (db *DB) AnnouncementsOf(ctx context.Context, n NewRally, since time.Time) (_ []ChannelPost, err error) {
	defer wrap(&err, "announcements of")
	return db.posts(ctx, db.read, `JOIN rallies r ON r.id = p.rally_id
		WHERE r.guild_id = ? AND r.chapter_id = ? AND r.title = ? AND r.starts_at = ? AND r.status = 'scheduled'
			AND p.key = 'announce:' || r.id
			AND (p.state = 'pending' AND r.message_id IS NULL OR p.state = 'sent' AND r.created_at >= ?)
		ORDER BY r.id`, n.GuildID, n.ChapterID, n.Title, n.StartsAt.Unix(), since.Unix())
}

// AnnouncementSent is an announcement as posted.
type AnnouncementSent struct {
	Post                 ChannelPost
	ChannelID, MessageID string
	// ReminderOffsets are armed when the post says so (a series' later
	// rally, whose reminders wait for it).
	ReminderOffsets []time.Duration
}

// FinishAnnouncement records a posted announcement as the rally's, in one
// transaction with the post: the rally's message, the request for its place
// (a day of action's) moot, its scheduled event owed, and its reminders
// armed when the post arms them and the rally is still on. It returns the
// rally as it is then; ok is false when the post was no longer pending, or
// the rally had an announcement already (nothing was changed).
func (db *DB) FinishAnnouncement(ctx context.Context, a AnnouncementSent) (r Rally, ok bool, err error) {
	defer wrap(&err, "finish announcement")
	id := a.Post.Rally.ID
	err = db.update(ctx, func(tx *Tx) error {
		var announced bool
		if err := tx.QueryRowContext(ctx, `SELECT message_id IS NOT NULL FROM rallies WHERE id = ?`, id).Scan(&announced); err != nil {
			return err
		}
		if announced {
			_, err := finishPost(ctx, tx, ChannelPostOutcome{Post: a.Post, State: ReminderDropped})
			return err
		}
		if ok, err = finishPost(ctx, tx, ChannelPostOutcome{Post: a.Post, State: ReminderSent, MessageID: a.MessageID}); err != nil || !ok {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rallies SET channel_id = ?, message_id = ?, updated_at = ? WHERE id = ?`,
			a.ChannelID, a.MessageID, tx.now.Unix(), id); err != nil {
			return err
		}
		if err := dropRallyPosts(ctx, tx, id, PostActionAsk); err != nil {
			return err
		}
		if err := oweEvent(ctx, tx, id); err != nil {
			return err
		}
		if r, err = rallyByID(ctx, tx, a.Post.GuildID, id); err != nil {
			return err
		}
		if a.Post.Args.Arm && !r.Cancelled() {
			return armReminders(ctx, tx, id, r.StartsAt, a.ReminderOffsets)
		}
		return nil
	})
	return r, ok, err
}

// OweAnnouncement owes the announcement of a rally waiting for its place
// (a day of action's), in channelID; it returns the post.
func (db *DB) OweAnnouncement(ctx context.Context, r Rally, channelID string) (p ChannelPost, err error) {
	defer wrap(&err, "owe announcement")
	key := postKey(PostAnnounce, r.ID)
	err = db.update(ctx, func(tx *Tx) error {
		// A post owed before (its send failed) is owed again, anew.
		_, _, err := owe(ctx, tx, Owed{Kind: PostAnnounce, Key: key, GuildID: r.GuildID, RallyID: r.ID, ChannelID: channelID,
			Args: PostArgs{Arm: true}, DueAt: tx.now, Rearm: true})
		return err
	})
	if err != nil {
		return p, err
	}
	p, _, err = db.PostOf(ctx, key)
	return p, err
}

// DisownAnnouncement takes back an announcement a command owed and could
// not send (a day of action's rally stays waiting for its place).
func (db *DB) DisownAnnouncement(ctx context.Context, p ChannelPost) (err error) {
	defer wrap(&err, "disown announcement")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE id = ? AND state IN ('pending', 'failed')`, p.ID)
		return err
	})
}

// EarlierOccurrenceEnd is, for a rally of a series, the end of the latest
// earlier occurrence still scheduled and not over at now; zero when every
// earlier one is over or cancelled (its announcement is due).
func (db *DB) EarlierOccurrenceEnd(ctx context.Context, r Rally, now time.Time) (_ time.Time, err error) {
	defer wrap(&err, "earlier occurrence")
	if !r.Series.InSeries() {
		return time.Time{}, nil
	}
	var end sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(ends_at) FROM rallies
		WHERE series_id = ? AND series_index < ? AND status = 'scheduled' AND ends_at > ?`,
		r.Series.ID, r.Series.Index, now.Unix()).Scan(&end); err != nil || !end.Valid {
		return time.Time{}, err
	}
	return time.Unix(end.Int64, 0).UTC(), nil
}

// RefreshMark is how many changes an announcement had not yet shown when it
// was read: an edit that rendered them clears the mark with RefreshDone,
// unless more changes came meanwhile.
type RefreshMark int64

// RallyToRefresh reads a rally to render its announcement, with its mark.
func (db *DB) RallyToRefresh(ctx context.Context, id int64) (r Rally, mark RefreshMark, err error) {
	defer wrap(&err, "rally to refresh")
	r, err = scanRally(db.read.QueryRowContext(ctx,
		`SELECT `+rallyColumns+`, r.refresh_pending`+rallyFrom+`WHERE r.id = ?`, id), &mark)
	if errors.Is(err, sql.ErrNoRows) {
		return r, 0, ErrNoSuchRally
	}
	return r, mark, err
}

// RefreshDone clears the rally's mark if no change came after it was read.
func (db *DB) RefreshDone(ctx context.Context, id int64, mark RefreshMark) (err error) {
	defer wrap(&err, "refresh done")
	if mark == 0 {
		return nil
	}
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET refresh_pending = 0 WHERE id = ? AND refresh_pending = ?`, id, mark)
		return err
	})
}

// PendingRefreshes returns the rallies whose announcements have changes not
// yet shown: those a crash interrupted, to be re-rendered at start.
func (db *DB) PendingRefreshes(ctx context.Context) (_ []int64, err error) {
	defer wrap(&err, "pending refreshes")
	return queryIDs(ctx, db.read, `SELECT id FROM rallies WHERE refresh_pending > 0 ORDER BY id`)
}
