-- The operations owed to DMs already sent become kinds of the one outbox:
-- a DM's deletion on Discord (dm_deletions) and the end edit that puts out a
-- day-before reminder DM's buttons (end_edit* on member_dms). Each is a row
-- of channel_posts in the DM's channel, naming the message in its args,
-- keyed by kind, channel and message, so it is owed once. Neither keeps a
-- member id. What was owed moves here in this one transaction.

-- Deletions: when they were to be tried, and how many tries were made.
INSERT INTO channel_posts (kind, key, guild_id, channel_id, args, nonce, attempts, due_at, updated_at)
SELECT 'dm_delete', 'dm_delete:' || channel_id || ':' || message_id, '', channel_id, json_object('message_id', message_id),
	lower(hex(randomblob(10))), attempts, next_try_at, CAST(strftime('%s', 'now') AS INTEGER)
FROM dm_deletions ORDER BY id
ON CONFLICT (key) DO NOTHING;

-- End edits not yet done: of a day-before reminder DM with buttons, sent,
-- at a rally not high-risk; due at its end, or later if backing off. One
-- sent before the bot kept where DMs go has nowhere to be edited.
INSERT INTO channel_posts (kind, key, guild_id, rally_id, channel_id, args, nonce, attempts, due_at, updated_at)
SELECT 'dm_end_edit', 'dm_end_edit:' || d.channel_id || ':' || d.message_id, r.guild_id, d.rally_id, d.channel_id,
	json_object('message_id', d.message_id), lower(hex(randomblob(10))), d.end_edit_attempts, max(r.ends_at, d.end_edit_next),
	CAST(strftime('%s', 'now') AS INTEGER)
FROM member_dms d JOIN rallies r ON r.id = d.rally_id
WHERE d.buttons = 1 AND d.end_edit = 0 AND d.message_id IS NOT NULL AND d.channel_id IS NOT NULL AND d.state = 'sent'
	AND d.kind <> 'safe_home' AND r.high_risk = 0
ORDER BY r.ends_at, d.rally_id
ON CONFLICT (key) DO NOTHING;

DROP TABLE dm_deletions;
DROP INDEX member_dms_end_edit;
ALTER TABLE member_dms DROP COLUMN end_edit;
ALTER TABLE member_dms DROP COLUMN end_edit_attempts;
ALTER TABLE member_dms DROP COLUMN end_edit_next;

-- An end edit reads whom its DM went to (their language) from the DM's
-- record, by where the DM is.
CREATE INDEX member_dms_message ON member_dms(message_id) WHERE message_id IS NOT NULL;
