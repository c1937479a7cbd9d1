-- Who may come. A lead may take a member off a rally (/rally remove): the
-- row keeps them from RSVPing to it again, with the lead's reason, which is
-- for the leads alone and goes with the rally's RSVPs at retention.
CREATE TABLE rally_removals (
	rally_id   INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	removed_at INTEGER NOT NULL,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;
CREATE INDEX rally_removals_user ON rally_removals(user_id);

-- A rally with approval: Going (or a safety role) asks the chapter's leads
-- instead of taking a seat. A request holds no seat and is told no private
-- place; role is the safety role asked for ('' for a seat). One per member
-- per rally; it takes the place of the member's RSVP until answered.
ALTER TABLE rallies ADD COLUMN approval INTEGER NOT NULL DEFAULT 0;
CREATE TABLE rally_requests (
	rally_id     INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL,
	role         TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'marshal', 'medic', 'legal_observer', 'interpreter')),
	requested_at INTEGER NOT NULL,
	PRIMARY KEY (rally_id, user_id)
) WITHOUT ROWID;
CREATE INDEX rally_requests_user ON rally_requests(user_id);
