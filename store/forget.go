package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// How deletion finds a member's rows. Every table with a member-id column
// (user_id, or a name ending in _user_id) is found by reading the schema,
// not from a list someone must remember to extend: forget-me, a high-risk
// rally's end, retention and a departed server's deletion all walk what
// memberTables returns. What the schema cannot say is how a table's rows
// belong to a server or a rally; memberKeys says it, and a test fails when
// a table with a member column is missing from it.

// memberKey is how a table's rows belong to a server and a rally.
type memberKey int

const (
	// byRally: a rally_id column; the server is the rally's.
	byRally memberKey = iota + 1
	// byGuild: a guild_id column; the rows outlive any one rally.
	byGuild
)

// memberKeys says, for every table holding member ids, how it is keyed.
// New tables go here; TestEveryMemberTableIsKeyed fails until they do.
var memberKeys = map[string]memberKey{
	"rsvps":            byRally,
	"role_signups":     byRally,
	"member_dms":       byRally,
	"checkins":         byRally,
	"rally_requests":   byRally,
	"rally_removals":   byRally,
	"rsvp_needs":       byRally,
	"safe_home":        byRally,
	"safe_home_optout": byGuild,
	"member_prefs":     byGuild,
	"member_locales":   byGuild,
}

// memberTable is one table holding member ids, as the schema shows it.
type memberTable struct {
	Name    string
	Columns []string // the member-id columns
	Key     memberKey
}

// ErrUnkeyedMemberTable means a table holds member ids but neither a
// rally_id nor a guild_id says whose they are: deletion refuses to guess.
var ErrUnkeyedMemberTable = errors.New("a table holds member ids with no rally_id or guild_id")

// memberTables reads the schema for every table with a member-id column and
// how it is keyed: from memberKeys, or, for a table added since and not
// listed, from its rally_id or guild_id column.
func memberTables(ctx context.Context, q querier) ([]memberTable, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'
		ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return nil, err
		}
		cols[table] = append(cols[table], col)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []memberTable
	for table, cs := range cols {
		var users []string
		has := map[string]bool{}
		for _, c := range cs {
			has[c] = true
			if isMemberColumn(c) {
				users = append(users, c)
			}
		}
		if len(users) == 0 {
			continue
		}
		key, ok := memberKeys[table]
		switch {
		case ok && key == byRally && !has["rally_id"], ok && key == byGuild && !has["guild_id"]:
			return nil, fmt.Errorf("%w: %s is listed as keyed by a column it lacks", ErrUnkeyedMemberTable, table)
		case ok:
		case has["rally_id"]:
			key = byRally
		case has["guild_id"]:
			key = byGuild
		default:
			return nil, fmt.Errorf("%w: %s", ErrUnkeyedMemberTable, table)
		}
		out = append(out, memberTable{Name: table, Columns: users, Key: key})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// isMemberColumn reports whether a column holds a Discord user id.
func isMemberColumn(c string) bool { return c == "user_id" || strings.HasSuffix(c, "_user_id") }

// MemberTables lists every table holding member ids and how each is keyed
// ("rally" or "guild"), for tests and the README's privacy table.
func (db *DB) MemberTables(ctx context.Context) (_ map[string]string, err error) {
	defer wrap(&err, "member tables")
	ts, err := memberTables(ctx, db.read)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range ts {
		out[t.Name] = map[memberKey]string{byRally: "rally", byGuild: "guild"}[t.Key]
	}
	return out, nil
}

// memberScope picks rows of member tables: those of one member (userID), or
// of anyone; in one server (guildID), or every server; at one rally
// (rallyID), or any.
type memberScope struct {
	userID  string
	guildID string
	rallyID int64
}

// where is the condition and arguments selecting t's rows in the scope.
func (s memberScope) where(t memberTable) (string, []any) {
	var conds []string
	var args []any
	if s.userID != "" {
		var ors []string
		for _, c := range t.Columns {
			ors = append(ors, c+" = ?")
			args = append(args, s.userID)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	switch {
	case t.Key == byRally && s.rallyID != 0:
		conds = append(conds, "rally_id = ?")
		args = append(args, s.rallyID)
	case t.Key == byRally && s.guildID != "":
		conds = append(conds, "rally_id IN (SELECT id FROM rallies WHERE guild_id = ?)")
		args = append(args, s.guildID)
	case t.Key == byGuild && s.rallyID != 0:
		// A server-wide row is not the rally's to delete.
		conds = append(conds, "0")
	case t.Key == byGuild && s.guildID != "":
		conds = append(conds, "guild_id = ?")
		args = append(args, s.guildID)
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

// deleteMemberRows deletes, in tx, every row of every member table in the
// scope, after owing a Discord deletion for each DM sent in it: once its
// record is gone nothing could find it again, not even the member's
// forget-me. It returns how many rows went.
func deleteMemberRows(ctx context.Context, tx *Tx, s memberScope) (int64, error) {
	tables, err := memberTables(ctx, tx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, t := range tables {
		where, args := s.where(t)
		if t.Name == "member_dms" {
			// At a rally's end its "Home safe?" DMs still carry the buttons
			// members answer with: they go when the check closes
			// (SafeHomeKeep after the end), the rest at once. Forget-me and
			// a server's deletion take them all now. What else was owed to
			// the DMs (their end edits) goes with their rows.
			keep := tx.now.Unix()
			if s.rallyID != 0 {
				keep = tx.now.Add(SafeHomeKeep).Unix()
			}
			if err := oweDMDeletions(ctx, tx, where, args, keep); err != nil {
				return 0, err
			}
		}
		if t.Name == "member_locales" {
			tx.dropsLocales = true
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+t.Name+` WHERE `+where, args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", t.Name, err)
		}
		d, _ := res.RowsAffected()
		n += d
	}
	return n, nil
}

// Forgotten is what forgetting a member did.
type Forgotten struct {
	// Rallies the member was taken off (an RSVP or a role), whose
	// announcements need redrawing.
	Rallies []int64
	// Promotions are members moved off a waitlist into the freed seats.
	Promotions []Promotion
	// Rows is how many rows held the member's id.
	Rows int64
	// DMs is how many of the bot's DMs to them are owed a deletion.
	DMs int
}

// Forget deletes, in one transaction, every row holding the member's id in
// the server, or in every server when guildID is "" (forget-me from a DM):
// RSVPs, roles and requests at every rally, ended or not (their seats go to
// the waitlist as a departure's do: takeOffRallies), check-ins, DM records, confirmations, preferences, locale and
// whatever table has been added since. The DMs the bot sent them are owed a
// deletion on Discord (PostDMDelete).
func (db *DB) Forget(ctx context.Context, guildID, userID string) (f Forgotten, err error) {
	defer wrap(&err, "forget")
	if userID == "" {
		return f, errors.New("no member")
	}
	err = db.update(ctx, func(tx *Tx) error {
		scope := memberScope{userID: userID, guildID: guildID}
		t, err := takeOffRallies(ctx, tx, scope, false)
		if err != nil {
			return err
		}
		f = Forgotten{Rallies: t.Rallies, Promotions: t.Promotions}
		before, err := countDMDeletions(ctx, tx)
		if err != nil {
			return err
		}
		n, err := deleteMemberRows(ctx, tx, scope)
		if err != nil {
			return err
		}
		// A post still owed (a call for help, the list of who did not
		// answer) may name them as a mention: the post stays owed to the
		// others, without them.
		postScope, postArgs := "", []any{userID}
		if guildID != "" {
			postScope = " AND rally_id IN (SELECT id FROM rallies WHERE guild_id = ?2)"
			postArgs = append(postArgs, guildID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET body = REPLACE(body, '<@' || ?1 || '>', '')
			WHERE instr(body, '<@' || ?1 || '>') > 0`+postScope, postArgs...); err != nil {
			return err
		}
		after, err := countDMDeletions(ctx, tx)
		f.Rows, f.DMs = n+t.Rows, after-before
		return err
	})
	if err != nil {
		return Forgotten{}, err
	}
	sort.Slice(f.Rallies, func(i, j int) bool { return f.Rallies[i] < f.Rallies[j] })
	return f, nil
}

// PurgedRally is a high-risk rally whose member ids were deleted at its end.
type PurgedRally struct {
	ID      int64
	GuildID string
	// Members are the members it held (RSVPs, requests, roles, DMs), read
	// before their rows went, so the process can drop what it holds of
	// them in memory too (their DM channel, a membership answer).
	Members []string
}

// PurgeEndedHighRisk deletes, in one transaction, every member id tied to
// each high-risk rally that has ended by now (RSVPs, roles, check-ins, DM
// records, and any table added since), its place, details and cancel reason,
// and the notices owed to its channel; the DMs sent for it are owed a
// deletion on Discord. The rally keeps its title, time and counts.
func (db *DB) PurgeEndedHighRisk(ctx context.Context, now time.Time) (purged []PurgedRally, dms int, err error) {
	defer wrap(&err, "purge high-risk")
	// Run every minute: most minutes nothing has ended, and a look through
	// the read pool takes no write lock from the clicks.
	var due bool
	if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rallies r
		WHERE high_risk = 1 AND rsvps_purged_at IS NULL AND ends_at <= ?1 AND `+safeHomeSent+`)`,
		now.Unix(), now.Add(-safeHomeWait).Unix()).Scan(&due); err != nil || !due {
		return nil, 0, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		purged, dms = nil, 0
		rows, err := tx.QueryContext(ctx, `SELECT id, guild_id FROM rallies r
			WHERE high_risk = 1 AND rsvps_purged_at IS NULL AND ends_at <= ?1 AND `+safeHomeSent+` ORDER BY id`,
			now.Unix(), now.Add(-safeHomeWait).Unix())
		if err != nil {
			return err
		}
		for rows.Next() {
			var p PurgedRally
			if err := rows.Scan(&p.ID, &p.GuildID); err != nil {
				rows.Close()
				return err
			}
			purged = append(purged, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(purged) == 0 {
			return err
		}
		before, err := countDMDeletions(ctx, tx)
		if err != nil {
			return err
		}
		for i, p := range purged {
			if purged[i].Members, err = rallyMembers(ctx, tx, p.ID); err != nil {
				return err
			}
			if err := purgeRally(ctx, tx, p.ID); err != nil {
				return err
			}
		}
		if _, err := dropIdleLocales(ctx, tx); err != nil {
			return err
		}
		after, err := countDMDeletions(ctx, tx)
		dms = after - before
		return err
	})
	return purged, dms, err
}

// safeHomeWait is how long a high-risk rally's purge waits for its
// "Home safe?" DMs to go out (a Discord outage at its end); past it the
// purge goes ahead and those still owed are not sent.
const safeHomeWait = time.Hour

// safeHomeSent holds for a rally r (?2: the end before which the purge no
// longer waits) whose "Home safe?" DMs, if it asks, are owed and sent: the
// purge of a high-risk rally waits for them, since it deletes who was asked.
const safeHomeSent = `(r.ends_at <= ?2 OR NOT EXISTS (SELECT 1 FROM rally_after a WHERE a.rally_id = r.id AND a.safe_home = 1
			AND a.ended_at IS NULL AND r.status = 'scheduled' AND r.message_id IS NOT NULL)
		AND NOT EXISTS (SELECT 1 FROM member_dms d WHERE d.rally_id = r.id AND d.kind = '` + string(DMSafeHome) + `' AND d.state = 'pending'))`

// rallyMembers are the members with a row about the rally: an RSVP or
// request, a role, or a DM owed or sent.
func rallyMembers(ctx context.Context, tx *Tx, rallyID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM rsvps WHERE rally_id = ?1
		UNION SELECT user_id FROM role_signups WHERE rally_id = ?1
		UNION SELECT user_id FROM rally_requests WHERE rally_id = ?1
		UNION SELECT user_id FROM member_dms WHERE rally_id = ?1`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// purgeRally deletes, in tx, what of the rally names or places people: every
// member row tied to it (owing the deletion of the DMs sent for it), the
// notices owed to its channel (they quote its place), and its place,
// details and cancel reason. Its title, time and counts stay.
func purgeRally(ctx context.Context, tx *Tx, rallyID int64) error {
	if _, err := deleteMemberRows(ctx, tx, memberScope{rallyID: rallyID}); err != nil {
		return err
	}
	// The sync owed to its scheduled event stays: it holds nothing of
	// anyone, and an event owed its deletion (high-risk) must still get it.
	if _, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE rally_id = ? AND kind <> '`+string(PostEvent)+`'`, rallyID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE rallies SET rsvps_purged_at = ?, location = '', details = '', cancel_reason = ''
		WHERE id = ?`, tx.now.Unix(), rallyID)
	return err
}

// setHighRisk turns the rally's high-risk mode on or off in tx. On, the
// check-ins it may hold go (a record of presence), and its scheduled event
// is owed a deletion (its Interested list names members).
func setHighRisk(ctx context.Context, tx *Tx, rallyID int64, on bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE rallies SET high_risk = ? WHERE id = ?`, on, rallyID); err != nil || !on {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM checkins WHERE rally_id = ?`, rallyID); err != nil {
		return err
	}
	return oweEvent(ctx, tx, rallyID)
}

// dropIdleLocales deletes the locales of members with no RSVP or role left
// in the guild: a member's DM language is kept only while something may be
// sent to them. It returns how many went.
func dropIdleLocales(ctx context.Context, tx *Tx) (int64, error) {
	tx.dropsLocales = true
	res, err := tx.ExecContext(ctx, `DELETE FROM member_locales WHERE NOT `+
		memberHolds("member_locales.user_id", "member_locales.guild_id"))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// dropIdleLocale deletes the member's locale in the guild, in tx, once they
// hold no RSVP, request or role there: a language is kept only while
// something may be sent to them.
func dropIdleLocale(ctx context.Context, tx *Tx, guildID, userID string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM member_locales WHERE guild_id = ?1 AND user_id = ?2 AND NOT `+
		memberHolds("?2", "?1"), guildID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		tx.forgetLocales = append(tx.forgetLocales, localeKey{guildID, userID})
	}
	return nil
}

// memberHolds is an SQL condition: the member (user) has an RSVP, a request
// or a safety role at a rally of the guild, or a check-in (a safe-home rally
// asks whoever came, RSVP or not, whether they got home, in their
// language). That is what keeps their locale and preferences. user and
// guild are SQL expressions.
func memberHolds(user, guild string) string {
	return `(EXISTS (SELECT 1 FROM rsvps v JOIN rallies r ON r.id = v.rally_id WHERE v.user_id = ` + user + ` AND r.guild_id = ` + guild + `)
		OR EXISTS (SELECT 1 FROM role_signups s JOIN rallies r ON r.id = s.rally_id WHERE s.user_id = ` + user + ` AND r.guild_id = ` + guild + `)
		OR EXISTS (SELECT 1 FROM rally_requests q JOIN rallies r ON r.id = q.rally_id WHERE q.user_id = ` + user + ` AND r.guild_id = ` + guild + `)
		OR EXISTS (SELECT 1 FROM checkins c JOIN rallies r ON r.id = c.rally_id WHERE c.user_id = ` + user + ` AND r.guild_id = ` + guild + `))`
}

// ErrHighRiskNoCheckIn refuses a check-in at a high-risk rally: it would be
// a record of who was there.
var ErrHighRiskNoCheckIn = &Error{Code: EConflict, Desc: "no check-in at a high-risk rally"}
