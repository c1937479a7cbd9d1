-- A day-before reminder DM carries "Still going" / "Can't make it": when its
-- rally ends, the bot edits the DM on Discord to put them out (an owed edit,
-- paced as a send is). end_edit is 1 once done, or once it cannot be done.
-- Nothing new is kept: where the DM is was kept already (to delete it).
ALTER TABLE member_dms ADD COLUMN end_edit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE member_dms ADD COLUMN end_edit_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE member_dms ADD COLUMN end_edit_next INTEGER NOT NULL DEFAULT 0;
CREATE INDEX member_dms_end_edit ON member_dms(rally_id) WHERE buttons = 1 AND end_edit = 0 AND message_id IS NOT NULL;
-- The DMs of rallies over before this version are left as they are.
UPDATE member_dms SET end_edit = 1 WHERE rally_id IN (SELECT id FROM rallies WHERE ends_at <= CAST(strftime('%s', 'now') AS INTEGER));
