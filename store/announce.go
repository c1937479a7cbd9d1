package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// A rally created by /rally create owes its channel an announcement from the
// moment it is stored: the channel and nonce are written with it, and
// SetAnnouncement clears them. A create that dies in between (a crash, a
// SIGKILL, a lost response) leaves the rally pending; PendingAnnouncements
// finds it, and the caller posts with the same nonce or finds the message.

// PendingAnnouncement is a rally whose announcement was begun but never
// recorded.
type PendingAnnouncement struct {
	Rally     Rally
	ChannelID string
	Nonce     string
	BegunAt   time.Time
}

func announceBegun(n NewRally, now time.Time) any {
	if n.AnnounceChannelID == "" {
		return nil
	}
	return now.Unix()
}

// PendingAnnouncements returns the rallies still owed an announcement that
// was begun at or before begunBy and that have not ended at now.
func (db *DB) PendingAnnouncements(ctx context.Context, begunBy, now time.Time) (_ []PendingAnnouncement, err error) {
	defer wrap(&err, "pending announcements")
	rows, err := db.read.QueryContext(ctx, `SELECT `+rallyColumns+`, r.announce_channel_id, r.announce_nonce, r.announce_begun_at`+rallyFrom+`
		WHERE r.announce_begun_at IS NOT NULL AND r.announce_begun_at <= ? AND r.message_id IS NULL
			AND r.status = 'scheduled' AND r.ends_at > ?
		ORDER BY r.announce_begun_at`, begunBy.Unix(), now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PendingAnnouncement
	for rows.Next() {
		var p PendingAnnouncement
		var begun int64
		if p.Rally, err = scanRally(rows, &p.ChannelID, &p.Nonce, &begun); err != nil {
			return nil, err
		}
		p.BegunAt = time.Unix(begun, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// PendingAnnouncementOf is the pending announcement of a rally stored for the
// same chapter, title and start as n: the rally a create retried after a
// crash already made. ok is false when there is none.
func (db *DB) PendingAnnouncementOf(ctx context.Context, n NewRally) (p PendingAnnouncement, ok bool, err error) {
	defer wrap(&err, "pending announcement")
	var begun int64
	p.Rally, err = scanRally(db.read.QueryRowContext(ctx, `SELECT `+rallyColumns+`, r.announce_channel_id, r.announce_nonce, r.announce_begun_at`+rallyFrom+`
		WHERE r.guild_id = ? AND r.chapter_id = ? AND r.title = ? AND r.starts_at = ?
			AND r.announce_begun_at IS NOT NULL AND r.message_id IS NULL AND r.status = 'scheduled'
		ORDER BY r.id LIMIT 1`, n.GuildID, n.ChapterID, n.Title, n.StartsAt.Unix()), &p.ChannelID, &p.Nonce, &begun)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	p.BegunAt = time.Unix(begun, 0).UTC()
	return p, err == nil, err
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
