-- Languages. A chapter posts in English, Spanish or both ('en+es', Spanish
-- second); the guild's summaries likewise. A member's DMs follow the locale
-- their Discord client last sent with an interaction: a locale code such as
-- 'es-419', never anything they wrote.
ALTER TABLE chapters ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es', 'en+es'));
ALTER TABLE guilds ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es', 'en+es'));

CREATE TABLE member_locales (
	guild_id   TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	locale     TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
