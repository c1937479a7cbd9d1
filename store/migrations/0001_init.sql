-- Times are Unix seconds (UTC). Discord ids are TEXT snowflakes. No usernames,
-- nicknames or message text are stored anywhere: only user ids and counts.

CREATE TABLE guilds (
	id                     TEXT PRIMARY KEY,
	seeded_at              INTEGER NOT NULL,       -- default chapters created (once)
	coordinator_channel_id TEXT,
	coordinator_role_id    TEXT
);

CREATE TABLE chapters (
	id           INTEGER PRIMARY KEY,
	guild_id     TEXT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	timezone     TEXT NOT NULL,
	channel_id   TEXT,
	lead_role_id TEXT,
	removed_at   INTEGER                        -- kept for the history of its past rallies
);
CREATE UNIQUE INDEX chapters_guild_name ON chapters(guild_id, name COLLATE NOCASE) WHERE removed_at IS NULL;

CREATE TABLE rallies (
	id             INTEGER PRIMARY KEY,
	guild_id       TEXT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
	chapter_id     INTEGER NOT NULL REFERENCES chapters(id),
	title          TEXT NOT NULL,
	location       TEXT NOT NULL,
	details        TEXT NOT NULL DEFAULT '',
	starts_at      INTEGER NOT NULL,
	ends_at        INTEGER NOT NULL,
	timezone       TEXT NOT NULL,                 -- the chapter's zone when created
	capacity       INTEGER,                       -- NULL: no limit
	channel_id     TEXT,                          -- the announcement
	message_id     TEXT,
	status         TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
	cancel_reason  TEXT NOT NULL DEFAULT '',
	-- Counts kept on the row so history survives the deletion of the RSVPs.
	going_count    INTEGER NOT NULL DEFAULT 0,
	maybe_count    INTEGER NOT NULL DEFAULT 0,
	waitlist_count INTEGER NOT NULL DEFAULT 0,
	rsvps_purged_at INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX rallies_guild_start ON rallies(guild_id, starts_at);
CREATE INDEX rallies_chapter_start ON rallies(chapter_id, starts_at);
CREATE INDEX rallies_unpurged_end ON rallies(ends_at) WHERE rsvps_purged_at IS NULL;

-- One row per member per rally. "Can't go" is stored as no row at all.
CREATE TABLE rsvps (
	rally_id   INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('going', 'maybe', 'waitlist')),
	seq        INTEGER NOT NULL,                  -- order of arrival, for the waitlist
	promoted   INTEGER NOT NULL DEFAULT 0,        -- moved off the waitlist, not yet told by DM
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;
CREATE INDEX rsvps_rally_status_seq ON rsvps(rally_id, status, seq);
CREATE INDEX rsvps_user ON rsvps(user_id);

-- A reminder is due at due_at; 'pending' until posted. nonce is written before
-- the send, so a crash between send and record is deduplicated by Discord.
CREATE TABLE reminders (
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	offset_s    INTEGER NOT NULL,
	due_at      INTEGER NOT NULL,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (rally_id, offset_s)
);
CREATE INDEX reminders_pending_due ON reminders(due_at) WHERE state = 'pending';

-- One row per guild per scheduled summary run: the run is posted once.
CREATE TABLE summary_runs (
	guild_id      TEXT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
	scheduled_for INTEGER NOT NULL,
	state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
	nonce         TEXT NOT NULL,
	parts_sent    INTEGER NOT NULL DEFAULT 0,
	attempts      INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL,
	PRIMARY KEY (guild_id, scheduled_for)
);

-- Counts as of the last posted summary, for "+12 going since yesterday".
CREATE TABLE summary_counts (
	rally_id INTEGER PRIMARY KEY REFERENCES rallies(id) ON DELETE CASCADE,
	going    INTEGER NOT NULL,
	maybe    INTEGER NOT NULL,
	waitlist INTEGER NOT NULL,
	at       INTEGER NOT NULL
);

-- Failures told to the coordinators once (e.g. a chapter channel the bot cannot post in).
CREATE TABLE notices (
	guild_id TEXT NOT NULL,
	key      TEXT NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (guild_id, key)
);
