-- A rally's announcement is owed from the moment the rally is saved. The
-- channel and the nonce of its post are fixed in the same transaction, so a
-- create interrupted before the post was recorded (a crash, a SIGKILL, a lost
-- response) is finished later with the same nonce, or by finding the message,
-- never posted twice. Cleared when the announcement is recorded.
ALTER TABLE rallies ADD COLUMN announce_channel_id TEXT;
ALTER TABLE rallies ADD COLUMN announce_nonce TEXT;
ALTER TABLE rallies ADD COLUMN announce_begun_at INTEGER;
CREATE INDEX rallies_announce_pending ON rallies(announce_begun_at) WHERE announce_begun_at IS NOT NULL;

-- Counts the changes to what an announcement shows (RSVP counts), raised in
-- the transaction that makes them and cleared once an edit rendered them: what a
-- crash leaves set is re-rendered at the next start.
ALTER TABLE rallies ADD COLUMN refresh_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rallies_refresh_pending ON rallies(id) WHERE refresh_pending > 0;
