-- A day of action: one call to action held by several chapters on the same
-- day, each at the same wall-clock time in its own zone. Each chapter's part
-- is an ordinary rally linked by action_id; it waits for a place (no
-- announcement, no reminders) until its lead sets one.
CREATE TABLE actions (
	id            INTEGER PRIMARY KEY,
	guild_id      TEXT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
	title         TEXT NOT NULL,
	local_date    TEXT NOT NULL,                 -- YYYY-MM-DD
	local_time    TEXT NOT NULL,                 -- HH:MM, in each chapter's zone
	status        TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
	cancel_reason TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
-- A /action create retried (after an error, or a reply that never came) finds
-- the action it already made instead of making a second one.
CREATE UNIQUE INDEX actions_once ON actions(guild_id, title COLLATE NOCASE, local_date, local_time) WHERE status = 'scheduled';

ALTER TABLE rallies ADD COLUMN action_id INTEGER REFERENCES actions(id);
CREATE INDEX rallies_action ON rallies(action_id) WHERE action_id IS NOT NULL;

-- Messages an action owes each chapter channel: the request to its lead role
-- to set the place ('ask'), and the cancellation ('cancel'). Like reminders,
-- each row is 'pending' until posted, and its nonce is fixed when the row is
-- written, so a send retried after a Discord error or a crash is deduplicated.
CREATE TABLE action_posts (
	action_id   INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL CHECK (kind IN ('ask', 'cancel')),
	channel_id  TEXT NOT NULL,
	role_id     TEXT NOT NULL DEFAULT '',         -- pinged by an 'ask'; '' for none
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (action_id, rally_id, kind)
);
CREATE INDEX action_posts_pending ON action_posts(next_try_at) WHERE state = 'pending';
