-- A role holder counts as going but has no RSVP row (role_signups holds
-- them), so their "Still going" on the day-before DM is kept here.
ALTER TABLE role_signups ADD COLUMN confirmed_at INTEGER;
