-- Safety roles. A rally's minimum of each role, and how many hold it: the
-- count is kept on the row (like rallies.going_count) so history survives
-- the deletion of the sign-ups by retention.
CREATE TABLE rally_roles (
	rally_id INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	role     TEXT NOT NULL CHECK (role IN ('marshal', 'medic', 'legal_observer', 'interpreter')),
	needed   INTEGER NOT NULL DEFAULT 0 CHECK (needed BETWEEN 0 AND 50),
	filled   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (rally_id, role)
) WITHOUT ROWID;
-- The staffing alert sweep looks only at rallies short of a minimum.
CREATE INDEX rally_roles_short ON rally_roles(rally_id) WHERE filled < needed;

-- Who holds a role: one role per member per rally. A role sign-up counts as
-- going but lives apart from rsvps: it holds a seat outside the capacity.
CREATE TABLE role_signups (
	rally_id   INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('marshal', 'medic', 'legal_observer', 'interpreter')),
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;
CREATE INDEX role_signups_user ON role_signups(user_id);

-- One under-staffing alert per rally, ever: the row is written, with its
-- nonce, before the send, so a restart or a retry reuses the nonce and
-- Discord drops a second copy.
CREATE TABLE staffing_alerts (
	rally_id    INTEGER PRIMARY KEY REFERENCES rallies(id) ON DELETE CASCADE,
	state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
	nonce       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_try_at INTEGER NOT NULL DEFAULT 0,
	message_id  TEXT,
	updated_at  INTEGER NOT NULL
);
