-- One outbox for every message owed to a chapter channel, whoever owes it: a
-- day of action's request for a place and its cancellation (action_id set),
-- and a rally's own notices: its cancellation, the cancellation of the rest
-- of its series, a change of its time or place. A row is written in the
-- transaction that makes the change, with the nonce it is sent with, so a
-- crash after the commit cannot lose the message and a retry cannot post it
-- twice.
--
-- body is the message as worded when it was owed ('' for an action's posts,
-- worded when sent), and marker the line in it by which a send whose outcome
-- was lost is found in the channel. begun_at is set before the first send:
-- a later attempt looks for the message before sending it again.
-- AUTOINCREMENT: a marker names its row's id, which must never be reused.
CREATE TABLE channel_posts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	action_id   INTEGER REFERENCES actions(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL CHECK (kind IN ('action_ask', 'action_cancel', 'rally_cancel', 'series_cancel', 'rally_change')),
	channel_id  TEXT NOT NULL,
	role_id     TEXT NOT NULL DEFAULT '',         -- pinged by an 'action_ask'; '' for none
	body        TEXT NOT NULL DEFAULT '',
	marker      TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	begun_at    INTEGER,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL,
	CHECK ((action_id IS NOT NULL) = (kind IN ('action_ask', 'action_cancel')))
);
CREATE UNIQUE INDEX channel_posts_of_action ON channel_posts(action_id, rally_id, kind) WHERE action_id IS NOT NULL;
CREATE INDEX channel_posts_of_rally ON channel_posts(rally_id);
CREATE INDEX channel_posts_pending ON channel_posts(next_try_at) WHERE state = 'pending';

-- An action post tried before may have been posted: it counts as begun.
INSERT INTO channel_posts (rally_id, action_id, kind, channel_id, role_id, state, nonce, attempts, next_try_at, begun_at, message_id, updated_at)
SELECT rally_id, action_id, 'action_' || kind, channel_id, role_id, state, nonce, attempts, next_try_at,
	CASE WHEN attempts > 0 THEN updated_at END, message_id, updated_at
FROM action_posts ORDER BY updated_at, action_id, rally_id;
DROP TABLE action_posts;
