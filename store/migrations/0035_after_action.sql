-- After the action: the safe-home check, the leads' report, and the posts
-- they owe (SPEC "After the action").

-- A chapter's safe-home default and where its support team is reached: a
-- private channel (legal / jail support) and the role it pings.
CREATE TABLE chapter_support (
	chapter_id         INTEGER PRIMARY KEY REFERENCES chapters(id) ON DELETE CASCADE,
	safe_home          INTEGER NOT NULL DEFAULT 0,
	support_channel_id TEXT NOT NULL DEFAULT '',
	support_role_id    TEXT NOT NULL DEFAULT ''
);

-- What a rally keeps of its aftermath: whether it checks on members after
-- it, the stages done (so each goes once), and its leads' report. Counts
-- and the leads' own words only: no member ids.
CREATE TABLE rally_after (
	rally_id    INTEGER PRIMARY KEY REFERENCES rallies(id) ON DELETE CASCADE,
	safe_home   INTEGER NOT NULL DEFAULT 0,
	ended_at    INTEGER,          -- end handled: safe-home DMs and report prompt owed
	late_at     INTEGER,          -- the unanswered listed in the support channel
	purged_at   INTEGER,          -- safe-home rows deleted
	crowd       INTEGER,          -- the leads' estimate, NULL until reported
	highlights  TEXT NOT NULL DEFAULT '',
	reported_at INTEGER
);
CREATE INDEX rally_after_open ON rally_after(rally_id) WHERE purged_at IS NULL;

-- One row per member asked "Home safe?" after a rally: answer is NULL until
-- they press a button. Deleted 24 h after the rally's end.
CREATE TABLE safe_home (
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id     TEXT NOT NULL,
	answer      TEXT CHECK (answer IN ('safe', 'help')),
	answered_at INTEGER,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;

-- Members who turned the safe-home DM off in a server (default on).
CREATE TABLE safe_home_optout (
	guild_id TEXT NOT NULL,
	user_id  TEXT NOT NULL,
	PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- The files a summary run attaches (charts, a recap's CSV), by the part
-- they go with; written before the run's parts, so a resumed run sends the
-- same files.
CREATE TABLE summary_files (
	guild_id      TEXT NOT NULL,
	scheduled_for INTEGER NOT NULL,
	part          INTEGER NOT NULL,
	name          TEXT NOT NULL,
	content_type  TEXT NOT NULL,
	data          BLOB NOT NULL,
	PRIMARY KEY (guild_id, scheduled_for, part, name)
) WITHOUT ROWID;

-- New kinds of channel post: the leads' report prompt, a member's call for
-- help and the list of those who did not answer. SQLite cannot change a
-- CHECK, so the table is rebuilt; ids (named by markers) keep counting.
CREATE TABLE channel_posts_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rally_id    INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	action_id   INTEGER REFERENCES actions(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL CHECK (kind IN ('action_ask', 'action_cancel', 'rally_cancel', 'series_cancel', 'rally_change',
		'report_ask', 'safe_help', 'safe_late')),
	channel_id  TEXT NOT NULL,
	role_id     TEXT NOT NULL DEFAULT '',         -- pinged by an 'action_ask', 'report_ask', 'safe_help', 'safe_late'; '' for none
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
INSERT INTO channel_posts_new (id, rally_id, action_id, kind, channel_id, role_id, body, marker, state, nonce, attempts, next_try_at, begun_at, message_id, updated_at)
SELECT id, rally_id, action_id, kind, channel_id, role_id, body, marker, state, nonce, attempts, next_try_at, begun_at, message_id, updated_at FROM channel_posts;
INSERT INTO sqlite_sequence (name, seq) SELECT 'channel_posts_new', seq FROM sqlite_sequence WHERE name = 'channel_posts'
	AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'channel_posts_new');
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'channel_posts'), 0)) WHERE name = 'channel_posts_new';
DROP TABLE channel_posts;
ALTER TABLE channel_posts_new RENAME TO channel_posts;
CREATE UNIQUE INDEX channel_posts_of_action ON channel_posts(action_id, rally_id, kind) WHERE action_id IS NOT NULL;
CREATE INDEX channel_posts_of_rally ON channel_posts(rally_id);
CREATE INDEX channel_posts_pending ON channel_posts(next_try_at) WHERE state = 'pending';

-- Rallies that ended before this version are not asked about afterwards.
INSERT INTO rally_after (rally_id, ended_at, late_at, purged_at)
SELECT id, ends_at, ends_at, ends_at FROM rallies WHERE ends_at <= CAST(strftime('%s', 'now') AS INTEGER);
