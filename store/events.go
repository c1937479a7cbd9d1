package store

import (
	"context"
	"time"
)

// A rally's Discord scheduled event is a copy of it the outbox keeps in
// line: an event kind of channel_posts, one row per rally (keyed
// event:<rally id>), owed in the transaction that changes the rally. Owing
// it again while it is owed re-arms the same row, so changes coalesce into
// one sync; the re-arm gives it a new nonce, so a sync in flight when the
// change came cannot finish it (FinishChannelPost compares the nonce) and
// the sync after it runs. An event create has no nonce: begun_at, set before
// every attempt (BeginChannelPost), is kept by a re-arm while the row is
// pending, so an attempt after one whose outcome was never recorded looks
// for the event it may have made (its description names the rally) before
// it creates another. Where the event is, once made, is the rally's
// event_id.

// PostEvent brings a rally's scheduled event in line with the rally: made,
// edited, cancelled or deleted as the rally now is. Its "send" is that
// operation; it has no channel.
const PostEvent PostKind = "event"

// EventKey is the key of the sync owed to a rally's scheduled event.
func EventKey(rallyID int64) string { return postKey(PostEvent, rallyID) }

// PostLease is how long a rally's scheduled event belongs to the command
// that changed the rally, which mirrors it at once, before the sweep may.
const PostLease = 2 * time.Minute

// oweEvent owes, in the transaction that changed the rally, that its
// scheduled event be brought in line with it: for a rally announced, or
// with an event, or with a create begun. The command that made the change
// does it at once; the sweep may after PostLease. Owed already, the row is
// re-armed: due after the lease, with a new nonce, its attempts and begun_at
// kept while it is pending (a create begun is looked for before another).
func oweEvent(ctx context.Context, tx *Tx, rallyID int64) error {
	key := EventKey(rallyID)
	_, err := tx.ExecContext(ctx, `
		INSERT INTO channel_posts (kind, key, guild_id, rally_id, nonce, due_at, updated_at)
		SELECT ?1, ?2, r.guild_id, r.id, ?3, ?4, ?5 FROM rallies r
		WHERE r.id = ?6 AND (r.message_id IS NOT NULL OR r.event_id IS NOT NULL OR EXISTS (SELECT 1 FROM channel_posts p
			WHERE p.key = ?2 AND p.state = 'pending' AND p.begun_at IS NOT NULL))
		ON CONFLICT (key) DO UPDATE SET state = 'pending', nonce = excluded.nonce, due_at = excluded.due_at,
			attempts = CASE WHEN channel_posts.state = 'pending' THEN channel_posts.attempts ELSE 0 END,
			begun_at = CASE WHEN channel_posts.state = 'pending' THEN channel_posts.begun_at END,
			message_id = NULL, updated_at = excluded.updated_at`,
		PostEvent, key, NewNonce(), tx.now.Add(PostLease).Unix(), tx.now.Unix(), rallyID)
	return err
}

// SetScheduledEvent records the Discord scheduled event mirroring a rally;
// "" records that there is none any more.
func (db *DB) SetScheduledEvent(ctx context.Context, rallyID int64, eventID string) (err error) {
	defer wrap(&err, "set scheduled event")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE rallies SET event_id = ? WHERE id = ?`, nullIfEmpty(eventID), rallyID)
		return err
	})
}
