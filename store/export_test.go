package store

import (
	"context"
	"time"
)

// DueChannelPostsQuery is the SQL DueChannelPosts runs, so a test can read
// SQLite's plan for it.
const DueChannelPostsQuery = dueChannelPostsQuery

// WriteDSN is the write pool's data source name, so a benchmark's baseline
// runs with the very settings (and statement cache) the store uses.
func WriteDSN(path string) string { return dsn(path, true, false) }

// Synchronous is the write connection's PRAGMA synchronous (1 NORMAL, 2 FULL).
func (db *DB) Synchronous() (n int, err error) {
	err = db.write.QueryRow(`PRAGMA synchronous`).Scan(&n)
	return n, err
}

// BeforeCommit has fn run in each transaction the RSVP committer is about to
// commit, with the number of clicks in it; a failed batch, rolled back, does
// not call it. Set it before the first click.
func (db *DB) BeforeCommit(fn func(clicks int)) { db.commit.beforeCommit = fn }

// QueuedClicks is how many clicks wait for the committer's next batch.
func (db *DB) QueuedClicks() int { return len(db.commit.clicks) }

// MemberDMCounts counts a rally's DMs of one kind by state, for tests.
func (db *DB) MemberDMCounts(ctx context.Context, rallyID int64, kind DMKind) (_ map[DMState]int, err error) {
	defer wrap(&err, "member dm counts")
	rows, err := db.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM member_dms WHERE rally_id = ? AND kind = ? GROUP BY state`, rallyID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[DMState]int{}
	for rows.Next() {
		var s DMState
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Reminders lists the reminders of a rally.
func (db *DB) Reminders(ctx context.Context, rallyID int64) (_ []Reminder, err error) {
	defer wrap(&err, "reminders")
	rows, err := db.read.QueryContext(ctx, `
		SELECT json_extract(args, '$.offset_s'), due_at, state, COALESCE(message_id, ''), attempts
		FROM channel_posts WHERE rally_id = ? AND kind = 'reminder' ORDER BY due_at`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reminder
	for rows.Next() {
		var s Reminder
		var off, due int64
		if err := rows.Scan(&off, &due, &s.State, &s.MessageID, &s.Attempts); err != nil {
			return nil, err
		}
		s.Offset, s.DueAt = time.Duration(off)*time.Second, time.Unix(due, 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}
