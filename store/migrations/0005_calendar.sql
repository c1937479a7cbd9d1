-- Calendar copies of a rally. sequence counts its revisions (edits and the
-- cancellation), the SEQUENCE of its .ics event, so a calendar that imported
-- an older copy takes the newer one. event_id is the Discord scheduled event
-- that mirrors it, NULL when there is none (mirroring off, refused, or gone).
ALTER TABLE rallies ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rallies ADD COLUMN event_id TEXT;
CREATE INDEX rallies_event_end ON rallies(ends_at) WHERE event_id IS NOT NULL;
