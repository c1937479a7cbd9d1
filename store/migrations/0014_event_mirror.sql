-- What a rally's Discord scheduled event owes it, recorded in the
-- transaction that changes the rally, so a crash right after the change
-- still leaves the Events tab to be brought in line. event_owed is raised
-- by the announcement, each edit and the cancellation, and lowered by what
-- was read once the event shows it (a change made meanwhile keeps it
-- raised). An event create has no nonce: event_begun_at is set before one is
-- sent, and a create resumed after a crash or a lost answer first looks for
-- the event it may have made (its description names the rally) and adopts
-- it instead of making a second. event_next_try_at and event_attempts back
-- off a mirror Discord keeps failing.
ALTER TABLE rallies ADD COLUMN event_owed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rallies ADD COLUMN event_begun_at INTEGER;
ALTER TABLE rallies ADD COLUMN event_next_try_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rallies ADD COLUMN event_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rallies_event_owed ON rallies(event_next_try_at) WHERE event_owed > 0;
