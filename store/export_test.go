package store

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
