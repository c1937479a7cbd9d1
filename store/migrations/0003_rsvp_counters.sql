-- Each rally hands out its own RSVP sequence numbers (order of arrival, for
-- the waitlist), so a click takes the next one from its rally's row instead
-- of scanning the rally's RSVPs for the largest. The counts on the row are
-- kept by delta from now on; this starts the sequence where the rows are.
ALTER TABLE rallies ADD COLUMN rsvp_seq INTEGER NOT NULL DEFAULT 0;
UPDATE rallies SET rsvp_seq = COALESCE((SELECT MAX(seq) FROM rsvps WHERE rsvps.rally_id = rallies.id), 0);
