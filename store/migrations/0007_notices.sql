-- Notices to attendees: DMs owed to members (reminders, change notices, a
-- private place's reveal), each member's DM preference, check-ins, the
-- day-before confirmations and private locations.

-- A private place is shown only to those going, from location_revealed_at
-- (set when its reveal DMs were queued, so they are queued once).
ALTER TABLE rallies ADD COLUMN private_location INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rallies ADD COLUMN location_revealed_at INTEGER;
-- Kept on the row, like the RSVP counts, so turnout survives retention.
ALTER TABLE rallies ADD COLUMN checkin_count INTEGER NOT NULL DEFAULT 0;

-- "Still going" on the day-before DM.
ALTER TABLE rsvps ADD COLUMN confirmed_at INTEGER;

-- One row per member per server who turned DM reminders off (default on).
CREATE TABLE member_prefs (
	guild_id     TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	dm_reminders INTEGER NOT NULL,
	PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- One row per DM owed to one member: kind is 'reminder:<offset s>',
-- 'change:<id>' or 'reveal'. The row exists before the send and
-- its nonce is written before the send, so a DM goes once across restarts.
-- body is the text of a change notice (old → new cannot be rendered later).
CREATE TABLE member_dms (
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'closed', 'failed', 'dropped')),
	body        TEXT NOT NULL DEFAULT '',
	buttons     INTEGER NOT NULL DEFAULT 0,
	nonce       TEXT,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (rally_id, kind, user_id)
) WITHOUT ROWID;
CREATE INDEX member_dms_pending ON member_dms(next_try_at) WHERE state = 'pending';

-- One check-in per member per rally.
CREATE TABLE checkins (
	rally_id INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;
