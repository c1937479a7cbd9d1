-- The scheduled-event mirror becomes a kind of the one outbox: what a
-- rally's Discord scheduled event owes it was a counter and a retry state
-- on rallies (0014); it is now one row of channel_posts per rally, kind
-- 'event', keyed 'event:<rally id>', owed again (re-armed) by each change.
-- A sync owed moves here in this one transaction, due when it was to be
-- tried, with the attempts made, and begun if a create was begun (the next
-- attempt looks for the event it may have made before making another). A
-- create begun counts as owed whatever the counter says. event_id stays on
-- rallies: it is where the event is, not what is owed.
INSERT INTO channel_posts (kind, key, guild_id, rally_id, nonce, attempts, due_at, begun_at, updated_at)
SELECT 'event', 'event:' || id, guild_id, id, lower(hex(randomblob(10))), event_attempts, event_next_try_at, event_begun_at,
	CAST(strftime('%s', 'now') AS INTEGER)
FROM rallies WHERE event_owed > 0 OR event_begun_at IS NOT NULL ORDER BY event_next_try_at, id
ON CONFLICT (key) DO NOTHING;

DROP INDEX rallies_event_owed;
ALTER TABLE rallies DROP COLUMN event_owed;
ALTER TABLE rallies DROP COLUMN event_begun_at;
ALTER TABLE rallies DROP COLUMN event_next_try_at;
ALTER TABLE rallies DROP COLUMN event_attempts;
