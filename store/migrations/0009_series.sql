-- Recurring rallies. A series is the rallies /rally create made in one go
-- (weekly, every two weeks or monthly); each occurrence is a rally of its
-- own, with its own RSVPs, linked by series_id and numbered from 1.
CREATE TABLE series (
	id          INTEGER PRIMARY KEY,
	guild_id    TEXT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
	repeat      TEXT NOT NULL CHECK (repeat IN ('weekly', 'every_2_weeks', 'monthly')),
	occurrences INTEGER NOT NULL CHECK (occurrences BETWEEN 2 AND 26),
	created_at  INTEGER NOT NULL
);

ALTER TABLE rallies ADD COLUMN series_id INTEGER REFERENCES series(id);
ALTER TABLE rallies ADD COLUMN series_index INTEGER;
CREATE UNIQUE INDEX rallies_series ON rallies(series_id, series_index) WHERE series_id IS NOT NULL;

-- Only the next occurrence is announced; each later one owes its chapter
-- channel an announcement once every earlier occurrence has ended or been
-- cancelled. Like a reminder, the row is 'pending' until posted, its nonce is
-- fixed when the row is written, and begun is set before the first send, so
-- a send retried after a Discord error or a restart is posted once.
CREATE TABLE series_announcements (
	rally_id    INTEGER PRIMARY KEY REFERENCES rallies(id) ON DELETE CASCADE,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT NOT NULL,
	begun       INTEGER NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX series_announcements_pending ON series_announcements(rally_id) WHERE state = 'pending';
