package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// noteCache is which notices (a problem told to a guild's coordinators
// once) the file may hold, so ForgetNote, run after every successful
// channel post, writes only when there is a note to forget: a run of posts
// to a working channel takes no write lock from the clicks for it.
//
// It may name a notice the file no longer holds, never the reverse; the
// process is the file's only writer:
//   - it is read from the file at open;
//   - OweNote and NoteOnce add the key inside their write transaction,
//     before the insert (a rollback leaves an extra key: one needless
//     write later, nothing lost);
//   - ForgetNote takes the key out inside its write transaction, before the
//     delete, and puts it back if the transaction fails. The write
//     transactions run one at a time, so an insert of the same key is
//     either before (its row is deleted) or after (it adds the key again);
//   - other deletions (a departed server's data) leave extra keys.
type noteCache struct {
	mu sync.Mutex
	m  map[noteKey]struct{}

	cleared atomic.Int64 // ForgetNote transactions run
}

type noteKey struct{ guildID, key string }

// load reads every notice the file holds.
func (c *noteCache) load(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, `SELECT guild_id, key FROM notices`)
	if err != nil {
		return err
	}
	defer rows.Close()
	m := map[noteKey]struct{}{}
	for rows.Next() {
		var k noteKey
		if err := rows.Scan(&k.guildID, &k.key); err != nil {
			return err
		}
		m[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.m = m
	c.mu.Unlock()
	return nil
}

func (c *noteCache) add(k noteKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = struct{}{}
}

func (c *noteCache) drop(k noteKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

func (c *noteCache) has(k noteKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	return ok
}

// NotesCleared is how many times ForgetNote found a notice it may hold and
// deleted it in a write transaction: the writes a successful post costs
// beyond its own, none while its channel has no note.
func (db *DB) NotesCleared() int64 { return db.notes.cleared.Load() }
