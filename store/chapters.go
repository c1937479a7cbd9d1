package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// Chapter is a city chapter of a guild: where its rallies are announced, who
// leads it, and the time zone its rally times are written in.
type Chapter struct {
	ID         int64
	GuildID    string
	Name       string
	TimeZone   string
	ChannelID  string // "" until /chapter setup binds one
	LeadRoleID string
	// Language is what its channel posts are written in: "en", "es" or
	// "en+es" (both in one post, Spanish second).
	Language string
	// HighRisk is the chapter's default for new rallies (high-risk.go).
	HighRisk bool
}

// DefaultChapters are the chapters every guild starts with.
var DefaultChapters = []Chapter{
	{Name: "Seattle", TimeZone: "America/Los_Angeles"},
	{Name: "Chicago", TimeZone: "America/Chicago"},
	{Name: "Los Angeles", TimeZone: "America/Los_Angeles"},
	{Name: "New York City", TimeZone: "America/New_York"},
	{Name: "Oakland", TimeZone: "America/Los_Angeles"},
	{Name: "San Bernardino", TimeZone: "America/Los_Angeles"},
	{Name: "Washington DC", TimeZone: "America/New_York"},
}

// Guild holds a guild's settings.
type Guild struct {
	ID                   string
	CoordinatorChannelID string
	CoordinatorRoleID    string
	Language             string // of the posted summaries, as Chapter.Language
}

// SeedGuild records the guild and gives it the default chapters, once: a guild
// seen again (a restart, a reconnect) is left as its admins made it.
func (db *DB) SeedGuild(ctx context.Context, guildID string) (seeded bool, err error) {
	defer wrap(&err, "seed guild")
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO guilds (id, seeded_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
			guildID, tx.now.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		for _, c := range DefaultChapters {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO chapters (guild_id, name, timezone) VALUES (?, ?, ?)`,
				guildID, c.Name, c.TimeZone); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	return seeded, err
}

// Guild returns the guild's settings; a guild never seen has empty settings.
func (db *DB) Guild(ctx context.Context, guildID string) (_ Guild, err error) {
	defer wrap(&err, "guild")
	g := Guild{ID: guildID, Language: "en"}
	var ch, role sql.NullString
	err = db.read.QueryRowContext(ctx,
		`SELECT coordinator_channel_id, coordinator_role_id, language FROM guilds WHERE id = ?`, guildID).Scan(&ch, &role, &g.Language)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	}
	g.CoordinatorChannelID, g.CoordinatorRoleID = ch.String, role.String
	return g, err
}

// Guilds lists every guild the bot has seen.
func (db *DB) Guilds(ctx context.Context) (_ []Guild, err error) {
	defer wrap(&err, "guilds")
	rows, err := db.read.QueryContext(ctx,
		`SELECT id, coordinator_channel_id, coordinator_role_id, language FROM guilds ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Guild
	for rows.Next() {
		var g Guild
		var ch, role sql.NullString
		if err := rows.Scan(&g.ID, &ch, &role, &g.Language); err != nil {
			return nil, err
		}
		g.CoordinatorChannelID, g.CoordinatorRoleID = ch.String, role.String
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetCoordinators sets where the guild's summaries go and which role counts as
// coordinator ("" for none).
func (db *DB) SetCoordinators(ctx context.Context, g Guild) (err error) {
	defer wrap(&err, "set coordinators")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO guilds (id, seeded_at, coordinator_channel_id, coordinator_role_id, language) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET coordinator_channel_id = excluded.coordinator_channel_id,
				coordinator_role_id = excluded.coordinator_role_id, language = excluded.language`,
			g.ID, tx.now.Unix(), g.CoordinatorChannelID, nullIfEmpty(g.CoordinatorRoleID), languageOrEnglish(g.Language))
		return err
	})
}

const chapterColumns = `id, guild_id, name, timezone, COALESCE(channel_id, ''), COALESCE(lead_role_id, ''), language, high_risk`

func scanChapter(row interface{ Scan(...any) error }) (Chapter, error) {
	var c Chapter
	err := row.Scan(&c.ID, &c.GuildID, &c.Name, &c.TimeZone, &c.ChannelID, &c.LeadRoleID, &c.Language, &c.HighRisk)
	return c, err
}

// Chapters lists the guild's chapters by name.
func (db *DB) Chapters(ctx context.Context, guildID string) (_ []Chapter, err error) {
	defer wrap(&err, "chapters")
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+chapterColumns+` FROM chapters WHERE guild_id = ? AND removed_at IS NULL ORDER BY name COLLATE NOCASE`, guildID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Chapter
	for rows.Next() {
		c, err := scanChapter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChapterByName finds a chapter of the guild by name, ignoring case and
// surrounding space.
func (db *DB) ChapterByName(ctx context.Context, guildID, name string) (_ Chapter, err error) {
	defer wrap(&err, "chapter by name")
	return chapterByName(ctx, db.read, guildID, name)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func chapterByName(ctx context.Context, q queryer, guildID, name string) (Chapter, error) {
	c, err := scanChapter(q.QueryRowContext(ctx,
		`SELECT `+chapterColumns+` FROM chapters WHERE guild_id = ? AND name = ? COLLATE NOCASE AND removed_at IS NULL`,
		guildID, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return c, &NoSuchChapterError{Name: strings.TrimSpace(name)}
	}
	return c, err
}

// AddChapter adds a chapter; its name must be new in the guild.
func (db *DB) AddChapter(ctx context.Context, c Chapter) (_ Chapter, err error) {
	defer wrap(&err, "add chapter")
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO guilds (id, seeded_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, c.GuildID, tx.now.Unix()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO chapters (guild_id, name, timezone, channel_id, lead_role_id, language) VALUES (?, ?, ?, ?, ?, ?)`,
			c.GuildID, c.Name, c.TimeZone, nullIfEmpty(c.ChannelID), nullIfEmpty(c.LeadRoleID), languageOrEnglish(c.Language))
		if isUniqueViolation(err) {
			return &ChapterExistsError{Name: c.Name}
		}
		if err != nil {
			return err
		}
		c.Language = languageOrEnglish(c.Language)
		c.ID, err = res.LastInsertId()
		return err
	})
	return c, err
}

// ChapterUpdate holds the fields /chapter setup changes; nil leaves a field as it is.
type ChapterUpdate struct {
	Name       *string
	TimeZone   *string
	ChannelID  *string
	LeadRoleID *string
	Language   *string
	HighRisk   *bool
}

// UpdateChapter changes the named chapter and returns it as it now is.
func (db *DB) UpdateChapter(ctx context.Context, guildID, name string, u ChapterUpdate) (c Chapter, err error) {
	defer wrap(&err, "update chapter")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		c, err = chapterByName(ctx, tx, guildID, name)
		if err != nil {
			return err
		}
		if u.Name != nil {
			c.Name = *u.Name
		}
		if u.TimeZone != nil {
			c.TimeZone = *u.TimeZone
		}
		if u.ChannelID != nil {
			c.ChannelID = *u.ChannelID
		}
		if u.LeadRoleID != nil {
			c.LeadRoleID = *u.LeadRoleID
		}
		if u.Language != nil {
			c.Language = *u.Language
		}
		if u.HighRisk != nil {
			c.HighRisk = *u.HighRisk
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE chapters SET name = ?, timezone = ?, channel_id = ?, lead_role_id = ?, language = ?, high_risk = ? WHERE id = ?`,
			c.Name, c.TimeZone, nullIfEmpty(c.ChannelID), nullIfEmpty(c.LeadRoleID), c.Language, c.HighRisk, c.ID)
		if isUniqueViolation(err) {
			return &ChapterExistsError{Name: c.Name, Renamed: true}
		}
		return err
	})
	return c, err
}

// RemoveChapter removes a chapter that has no upcoming rallies. Its past
// rallies keep their history.
func (db *DB) RemoveChapter(ctx context.Context, guildID, name string) (c Chapter, err error) {
	defer wrap(&err, "remove chapter")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		c, err = chapterByName(ctx, tx, guildID, name)
		if err != nil {
			return err
		}
		var upcoming int
		if err := tx.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM rallies WHERE chapter_id = ? AND status = 'scheduled' AND ends_at > ?`,
			c.ID, tx.now.Unix()).Scan(&upcoming); err != nil {
			return err
		}
		if upcoming > 0 {
			return &ChapterHasRalliesError{Name: c.Name, Upcoming: upcoming}
		}
		_, err = tx.ExecContext(ctx, `UPDATE chapters SET removed_at = ? WHERE id = ?`, tx.now.Unix(), c.ID)
		return err
	})
	return c, err
}

// languageOrEnglish is a post language as stored: English unless set.
func languageOrEnglish(lang string) string {
	if lang == "" {
		return "en"
	}
	return lang
}

// SetMemberLocale records the locale a member's Discord client sent, which
// their DMs follow, if they have an RSVP or a role in the server. Only a locale other than English is kept: English is what
// a member without a row gets, so most members are never stored at all, and
// a member who switches back to English is removed. Unchanged, it writes
// nothing, and once the process knows what is stored (localecache.go) it
// reads nothing either: a click's locale costs a statement only when it
// changes.
func (db *DB) SetMemberLocale(ctx context.Context, guildID, userID, locale string) (err error) {
	defer wrap(&err, "set member locale")
	k := localeKey{guildID, userID}
	mu := db.locales.stripe(k)
	mu.Lock()
	defer mu.Unlock()
	known, hit, gen := db.locales.get(k)
	if !hit {
		if known, err = memberLocale(ctx, db.read, guildID, userID); err != nil {
			return err
		}
	}
	stored := known != ""
	english := !strings.HasPrefix(locale, "es")
	switch {
	case stored && known == locale, !stored && english:
		db.locales.put(k, known, gen)
		return nil
	case english:
		err := db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM member_locales WHERE guild_id = ? AND user_id = ?`, guildID, userID)
			return err
		})
		if err != nil {
			db.locales.forget(k)
			return err
		}
		db.locales.put(k, "", gen)
		return nil
	}
	// Kept only while the member has an RSVP, a request or a role in the server: a
	// language is a hint of origin, and a member who only looked at a list
	// is owed no DM to write in it.
	var written bool
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO member_locales (guild_id, user_id, locale, updated_at)
			SELECT ?1, ?2, ?3, ?4 WHERE `+memberHolds("?2", "?1")+`
			ON CONFLICT (guild_id, user_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at`,
			guildID, userID, locale, tx.now.Unix())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		written = n > 0
		return err
	})
	switch {
	case err != nil:
		db.locales.forget(k)
	case written:
		db.locales.put(k, locale, gen)
	default:
		// Nothing to keep it for: not cached, so the member's next
		// interaction (after their first RSVP, say) tries again.
		db.locales.forget(k)
	}
	return err
}

// MemberLocale is the locale the member last interacted with; "" if never seen.
func (db *DB) MemberLocale(ctx context.Context, guildID, userID string) (_ string, err error) {
	defer wrap(&err, "member locale")
	k := localeKey{guildID, userID}
	if locale, hit, _ := db.locales.get(k); hit {
		return locale, nil
	}
	mu := db.locales.stripe(k)
	mu.Lock()
	defer mu.Unlock()
	locale, hit, gen := db.locales.get(k)
	if hit {
		return locale, nil
	}
	if locale, err = memberLocale(ctx, db.read, guildID, userID); err != nil {
		return "", err
	}
	db.locales.put(k, locale, gen)
	return locale, nil
}

func memberLocale(ctx context.Context, q queryer, guildID, userID string) (string, error) {
	var locale string
	err := q.QueryRowContext(ctx,
		`SELECT locale FROM member_locales WHERE guild_id = ? AND user_id = ?`, guildID, userID).Scan(&locale)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return locale, err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
