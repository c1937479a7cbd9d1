-- Access and language needs: what a member going says they need to take
-- part (interpretation, an accessible route, seating, childcare, a ride).
-- Only counts are ever shown; a row lives only while its member is going
-- (a seat or a safety role), so the triggers below delete it on every way
-- out of going — Can't go, Maybe, forget-me, removal, retention — whatever
-- code path makes the move.
CREATE TABLE rsvp_needs (
	rally_id INTEGER NOT NULL REFERENCES rallies(id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL,
	need     TEXT NOT NULL CHECK (need IN ('asl', 'spanish', 'other_interpretation', 'wheelchair', 'seating', 'childcare', 'ride')),
	PRIMARY KEY (rally_id, user_id, need)
) WITHOUT ROWID;
-- forget-me finds a member's rows across the guild's rallies.
CREATE INDEX rsvp_needs_user ON rsvp_needs(user_id);

-- A going RSVP deleted (Can't go, forget-me, retention) takes its needs,
-- unless the member holds a role there instead.
CREATE TRIGGER rsvp_needs_rsvp_deleted AFTER DELETE ON rsvps WHEN OLD.status = 'going'
BEGIN
	DELETE FROM rsvp_needs WHERE rally_id = OLD.rally_id AND user_id = OLD.user_id
		AND NOT EXISTS (SELECT 1 FROM role_signups s WHERE s.rally_id = OLD.rally_id AND s.user_id = OLD.user_id);
END;

-- Going → maybe (or any status but going) takes them too.
CREATE TRIGGER rsvp_needs_rsvp_left_going AFTER UPDATE OF status ON rsvps
WHEN OLD.status = 'going' AND NEW.status <> 'going'
BEGIN
	DELETE FROM rsvp_needs WHERE rally_id = OLD.rally_id AND user_id = OLD.user_id
		AND NOT EXISTS (SELECT 1 FROM role_signups s WHERE s.rally_id = OLD.rally_id AND s.user_id = OLD.user_id);
END;

-- A role given up (Maybe, Can't go, forget-me, retention) takes them,
-- unless the member is going with a seat.
CREATE TRIGGER rsvp_needs_role_deleted AFTER DELETE ON role_signups
BEGIN
	DELETE FROM rsvp_needs WHERE rally_id = OLD.rally_id AND user_id = OLD.user_id
		AND NOT EXISTS (SELECT 1 FROM rsvps v WHERE v.rally_id = OLD.rally_id AND v.user_id = OLD.user_id AND v.status = 'going');
END;
