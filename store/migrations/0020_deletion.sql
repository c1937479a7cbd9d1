-- Deletion that keeps its word, and high-risk actions.

-- The DM a member was sent, so forget-me and a high-risk rally's end can
-- delete it on Discord.
ALTER TABLE member_dms ADD COLUMN channel_id TEXT;
ALTER TABLE member_dms ADD COLUMN message_id TEXT;
CREATE INDEX member_dms_user ON member_dms(user_id);

-- When the preference was last set: retention deletes the preferences of
-- members with no RSVP since.
ALTER TABLE member_prefs ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

-- DMs owed a deletion on Discord. No member id: only the message's place.
CREATE TABLE dm_deletions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	channel_id  TEXT NOT NULL,
	message_id  TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	UNIQUE (channel_id, message_id)
);

-- Servers that removed the bot (GUILD_DELETE, not an outage): their data is
-- deleted at delete_at unless the bot comes back first.
CREATE TABLE guild_departures (
	guild_id  TEXT PRIMARY KEY,
	left_at   INTEGER NOT NULL,
	delete_at INTEGER NOT NULL
);

ALTER TABLE rallies ADD COLUMN high_risk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chapters ADD COLUMN high_risk INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rallies_high_risk_unpurged ON rallies(ends_at) WHERE high_risk = 1 AND rsvps_purged_at IS NULL;
