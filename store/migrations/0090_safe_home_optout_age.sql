-- Turning the "Home safe?" DM off is a preference like the DM reminders':
-- retention deletes it once its member has had no RSVP, request or role
-- for RETENTION_DAYS, which needs to know when it was set. An opt-out made
-- before this migration counts as set now, so none is dropped early.
ALTER TABLE safe_home_optout ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE safe_home_optout SET updated_at = CAST(strftime('%s', 'now') AS INTEGER);
