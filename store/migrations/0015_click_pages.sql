-- Every page an RSVP click dirties is written to the log at its commit, so
-- each index a click touches is paid for on every click.
--
-- The waitlist is the only reader that needs RSVPs in arrival order (its
-- order, positions and promotions); counts and member lists of one rally
-- read the rally's own rows through the primary key. Indexing only the
-- waitlist leaves going and maybe clicks out of the index.
DROP INDEX rsvps_rally_status_seq;
CREATE INDEX rsvps_waitlist ON rsvps(rally_id, seq) WHERE status = 'waitlist';

-- refresh_pending changes with every click, and an index whose condition
-- reads it is rewritten each time. Its one reader runs once, at start, and
-- may scan the rallies instead.
DROP INDEX rallies_refresh_pending;
