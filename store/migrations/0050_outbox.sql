-- One outbox for every message owed to a Discord channel. channel_posts was
-- already the model (owed in the transaction that makes it owed, its nonce
-- fixed then, begun_at set before the first send so a later attempt looks
-- for the message before sending again); the reminders, staffing alerts, a
-- series' announcements, a rally's own announcement and the parts of a
-- summary were each a copy of it with a table of their own. They become
-- kinds of it, and their pending rows move here in this one transaction.
--
-- kind says what the post is and how it is worded and finished (commands'
-- table of kinds). key is unique: owing the same post twice owes it once.
-- channel_id '' is the place the kind sends to, decided when it is sent (a
-- chapter's channel now; the coordinators' channel). args are the kind's
-- typed arguments (JSON). due_at is when it is (next) to be tried.
-- AUTOINCREMENT: a notice's marker names its row's id, never to be reused.
CREATE TABLE outbox (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	key         TEXT NOT NULL UNIQUE,
	guild_id    TEXT NOT NULL,
	rally_id    INTEGER REFERENCES rallies(id) ON DELETE CASCADE,
	action_id   INTEGER REFERENCES actions(id) ON DELETE CASCADE,
	channel_id  TEXT NOT NULL DEFAULT '',
	role_id     TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '',
	marker      TEXT NOT NULL DEFAULT '',
	args        TEXT NOT NULL DEFAULT '{}',
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	due_at      INTEGER NOT NULL,
	begun_at    INTEGER,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL
);

-- The posts already owed to channels keep their ids (their markers name them).
INSERT INTO outbox (id, kind, key, guild_id, rally_id, action_id, channel_id, role_id, body, marker, state, nonce, attempts,
	due_at, begun_at, message_id, updated_at)
SELECT p.id, p.kind,
	CASE WHEN p.action_id IS NOT NULL THEN p.kind || ':' || p.action_id || ':' || p.rally_id ELSE 'post:' || p.id END,
	r.guild_id, p.rally_id, p.action_id, p.channel_id, p.role_id, p.body, p.marker, p.state, p.nonce, p.attempts,
	p.next_try_at, p.begun_at, p.message_id, p.updated_at
FROM channel_posts p JOIN rallies r ON r.id = p.rally_id ORDER BY p.id;

-- Reminders: a nonce was written only by a send begun.
INSERT INTO outbox (kind, key, guild_id, rally_id, args, state, nonce, attempts, due_at, begun_at, message_id, updated_at)
SELECT 'reminder', 'reminder:' || m.rally_id || ':' || m.offset_s, r.guild_id, m.rally_id, json_object('offset_s', m.offset_s),
	m.state, COALESCE(m.nonce, lower(hex(randomblob(10)))), m.attempts, max(m.due_at, m.next_try_at),
	CASE WHEN m.nonce IS NOT NULL THEN m.updated_at END, m.message_id, m.updated_at
FROM reminders m JOIN rallies r ON r.id = m.rally_id ORDER BY m.due_at, m.rally_id;

-- Staffing alerts: a row was written only by a send begun.
INSERT INTO outbox (kind, key, guild_id, rally_id, args, state, nonce, attempts, due_at, begun_at, message_id, updated_at)
SELECT 'staffing', 'staffing:' || a.rally_id, r.guild_id, a.rally_id, json_object('languages', 0),
	a.state, a.nonce, a.attempts, a.next_try_at, a.updated_at, a.message_id, a.updated_at
FROM staffing_alerts a JOIN rallies r ON r.id = a.rally_id;

-- A series' later announcements, due once the occurrences before are over;
-- announced, they arm their rally's reminders.
INSERT INTO outbox (kind, key, guild_id, rally_id, args, state, nonce, attempts, due_at, begun_at, message_id, updated_at)
SELECT 'announce', 'announce:' || a.rally_id, r.guild_id, a.rally_id, json_object('arm', json('true')),
	a.state, a.nonce, a.attempts, a.next_try_at, CASE WHEN a.begun THEN a.updated_at END, a.message_id, a.updated_at
FROM series_announcements a JOIN rallies r ON r.id = a.rally_id;

-- A /rally create whose announcement was begun and never recorded.
INSERT OR IGNORE INTO outbox (kind, key, guild_id, rally_id, channel_id, state, nonce, due_at, begun_at, updated_at)
SELECT 'announce', 'announce:' || id, guild_id, id, announce_channel_id, 'pending', announce_nonce, announce_begun_at,
	announce_begun_at, announce_begun_at
FROM rallies WHERE announce_begun_at IS NOT NULL AND message_id IS NULL AND status = 'scheduled';

-- The parts of a summary not yet posted, with the nonces they were (or
-- would have been) sent with; the part a begun run was sending may have
-- been posted. A run whose content was never stored posted nothing: it is
-- made again within its grace.
INSERT INTO outbox (kind, key, guild_id, body, args, state, nonce, attempts, due_at, begun_at, updated_at)
SELECT 'summary', 'summary:' || s.guild_id || ':' || s.scheduled_for || ':' || j.key, s.guild_id, j.value,
	json_object('slot', s.scheduled_for, 'part', j.key, 'parts', json_array_length(s.parts)),
	'pending', s.nonce || '-' || j.key, s.attempts, 0, CASE WHEN j.key = s.parts_sent THEN s.updated_at END, s.updated_at
FROM summary_runs s, json_each(s.parts) j
WHERE s.state = 'pending' AND s.parts IS NOT NULL AND j.key >= s.parts_sent;
DELETE FROM summary_runs WHERE state = 'pending' AND parts IS NULL;
UPDATE summary_runs SET state = 'sent' WHERE state = 'pending' AND parts_sent >= json_array_length(parts);

-- No id a notice ever had is given again.
UPDATE sqlite_sequence SET seq = max(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'channel_posts'), 0))
WHERE name = 'outbox';

DROP TABLE channel_posts;
DROP TABLE reminders;
DROP TABLE staffing_alerts;
DROP TABLE series_announcements;
ALTER TABLE outbox RENAME TO channel_posts;
CREATE INDEX channel_posts_of_rally ON channel_posts(rally_id);
CREATE INDEX channel_posts_of_action ON channel_posts(action_id) WHERE action_id IS NOT NULL;
CREATE INDEX channel_posts_pending ON channel_posts(due_at) WHERE state = 'pending';

DROP INDEX rallies_announce_pending;
ALTER TABLE rallies DROP COLUMN announce_channel_id;
ALTER TABLE rallies DROP COLUMN announce_nonce;
ALTER TABLE rallies DROP COLUMN announce_begun_at;

-- A summary run keeps its slot, state and the counts it showed (the
-- baseline of the next); what it posts is in the outbox.
ALTER TABLE summary_runs DROP COLUMN nonce;
ALTER TABLE summary_runs DROP COLUMN parts;
ALTER TABLE summary_runs DROP COLUMN parts_sent;
