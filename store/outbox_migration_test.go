package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOutboxMigration: a database of the version before the one outbox,
// holding what each old table still owed (some sends begun, their outcome
// unknown), is migrated in one transaction into channel_posts with the same
// nonces, begun where they were begun, and keeps only two tables with a
// nonce: the channel posts and the members' DMs.
func TestOutboxMigration(t *testing.T) {
	path, exec := oldDatabase(t, "0050")
	at := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	start := at.Add(30 * time.Hour).Unix()
	exec(`INSERT INTO guilds (id, seeded_at, coordinator_channel_id) VALUES ('g1', 0, 'coord')`)
	exec(`INSERT INTO chapters (id, guild_id, name, timezone, channel_id) VALUES (1, 'g1', 'Seattle', 'America/Los_Angeles', 'c1')`)
	exec(`INSERT INTO series (id, guild_id, repeat, occurrences, created_at) VALUES (1, 'g1', 'weekly', 2, 0)`)
	rally := func(id int64, extra string, vals ...any) {
		t.Helper()
		exec(`INSERT INTO rallies (id, guild_id, chapter_id, title, location, starts_at, ends_at, timezone, created_at, updated_at`+extra+`)
			VALUES (?, 'g1', 1, 'March', 'City Hall', ?, ?, 'America/Los_Angeles', 0, 0`+strings.Repeat(", ?", len(vals))+`)`,
			append([]any{id, start, start + 7200}, vals...)...)
	}
	rally(1, ", channel_id, message_id", "c1", "m1")                                                     // announced
	rally(2, ", announce_channel_id, announce_nonce, announce_begun_at", "c1", "createnonce", at.Unix()) // a create cut short
	rally(3, ", series_id, series_index", 1, 2)                                                          // a series' later rally
	exec(`INSERT INTO reminders (rally_id, offset_s, due_at, state, nonce, attempts, next_try_at, updated_at) VALUES
		(1, 86400, ?, 'pending', 'remnonce', 1, ?, ?), (1, 7200, ?, 'pending', NULL, 0, 0, 0), (2, 86400, ?, 'sent', 'old', 0, 0, 0)`,
		start-86400, start-86400+60, at.Unix(), start-7200, start-86400)
	exec(`INSERT INTO staffing_alerts (rally_id, nonce, state, attempts, next_try_at, updated_at) VALUES (1, 'staffnonce', 'pending', 0, 0, ?)`, at.Unix())
	exec(`INSERT INTO series_announcements (rally_id, nonce, begun, updated_at) VALUES (3, 'seriesnonce', 1, ?)`, at.Unix())
	exec(`INSERT INTO channel_posts (id, rally_id, kind, channel_id, body, marker, nonce, next_try_at, begun_at, updated_at)
		VALUES (7, 1, 'rally_change', 'c1', 'moved\n-# notice #7', 'notice #7', 'postnonce', 0, ?, ?)`, at.Unix(), at.Unix())
	exec(`INSERT INTO summary_runs (guild_id, scheduled_for, state, nonce, parts_sent, updated_at, parts, counts)
		VALUES ('g1', ?, 'pending', 'sumnonce', 1, ?, '[[{"title":"a"}],[{"title":"b"}],[{"title":"c"}]]', '{}')`, at.Unix(), at.Unix())
	db := openMigrated(t, path)
	ctx := context.Background()

	var nonceTables []string
	rows, err := db.read.QueryContext(ctx, `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'nonce' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		nonceTables = append(nonceTables, n)
	}
	rows.Close()
	if strings.Join(nonceTables, ",") != "channel_posts,member_dms" {
		t.Errorf("tables with a nonce: %v, want channel_posts and member_dms", nonceTables)
	}
	for _, gone := range []string{"reminders", "staffing_alerts", "series_announcements"} {
		var n int
		db.read.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = ?`, gone).Scan(&n)
		if n != 0 {
			t.Errorf("table %s is still there", gone)
		}
	}

	posts, err := db.posts(ctx, db.read, `WHERE p.state = 'pending' ORDER BY p.id`)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind    PostKind
		nonce   string
		begun   bool
		channel string
	}
	got := map[string]want{}
	for _, p := range posts {
		got[p.Key] = want{p.Kind, p.Nonce, !p.BegunAt.IsZero(), p.ChannelID}
	}
	for key, w := range map[string]want{
		"reminder:1:86400":                     {PostReminder, "remnonce", true, ""},
		"staffing:1":                           {PostStaffing, "staffnonce", true, ""},
		"announce:2":                           {PostAnnounce, "createnonce", true, "c1"},
		"announce:3":                           {PostAnnounce, "seriesnonce", true, ""},
		"post:7":                               {PostRallyChange, "postnonce", true, "c1"},
		"summary:g1:" + itoa(at.Unix()) + ":1": {PostSummary, "sumnonce-1", true, ""},
		"summary:g1:" + itoa(at.Unix()) + ":2": {PostSummary, "sumnonce-2", false, ""},
	} {
		if got[key] != w {
			t.Errorf("%s migrated as %+v, want %+v", key, got[key], w)
		}
	}
	if g, ok := got["reminder:1:7200"]; !ok || g.begun || g.nonce == "" {
		t.Errorf("a reminder never begun migrated as %+v, want pending, not begun, with a nonce", g)
	}
	if _, ok := got["summary:g1:"+itoa(at.Unix())+":0"]; ok {
		t.Error("a summary part already posted is owed again")
	}
	for _, p := range posts {
		switch p.Key {
		case "announce:3":
			if !p.Args.Arm {
				t.Error("a series' announcement does not arm its rally's reminders any more")
			}
		case "reminder:1:86400":
			if p.Args.Offset() != 24*time.Hour || p.Attempts != 1 {
				t.Errorf("reminder migrated as %+v", p)
			}
		}
	}
	// A new notice never takes an id a marker already named.
	var seq int64
	db.read.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'channel_posts'`).Scan(&seq)
	if seq < 7 {
		t.Errorf("channel_posts' sequence at %d, below the ids already used", seq)
	}
}

// oldDatabase makes a database of the version before the migration named
// before (every migration sorting before it applied), and returns its path
// and a function that runs SQL on it.
func oldDatabase(t *testing.T, before string) (string, func(q string, args ...any)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	known, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { raw.Close() })
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	for _, name := range known {
		if name >= before {
			break
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(body))
		exec(`INSERT INTO migrations (name, applied_at) VALUES (?, 0)`, name)
	}
	return path, exec
}

// TestDMOpsMigration: a database of the version before the DM operations
// joined the outbox, owing DM deletions (one backing off) and end edits
// (one backing off, one of a rally not over yet), is migrated in one
// transaction into channel_posts: each owed once, due when it was, with the
// attempts made, keyed by where the DM is and holding no member id; the
// edits not owed (done already, a "Home safe?" DM, a high-risk rally's, one
// with nowhere to edit) are not. dm_deletions and the end_edit columns are
// gone. That they are then sent, once, is bot's TestDMOpsOwedBeforeTheMigrationAreSentOnce.
func TestDMOpsMigration(t *testing.T) {
	path, exec := oldDatabase(t, "0080")
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ended, later := now.Add(-time.Hour).Unix(), now.Add(48*time.Hour).Unix()
	exec(`INSERT INTO guilds (id, seeded_at) VALUES ('g1', 0)`)
	exec(`INSERT INTO chapters (id, guild_id, name, timezone, channel_id) VALUES (1, 'g1', 'Seattle', 'America/Los_Angeles', 'c1')`)
	for _, r := range []struct {
		id       int64
		ends     int64
		highRisk bool
	}{{1, ended, false}, {2, later, false}, {3, ended, true}} {
		exec(`INSERT INTO rallies (id, guild_id, chapter_id, title, location, starts_at, ends_at, timezone, created_at, updated_at, high_risk)
			VALUES (?, 'g1', 1, 'March', 'City Hall', ?, ?, 'America/Los_Angeles', 0, 0, ?)`, r.id, r.ends-7200, r.ends, r.highRisk)
	}
	dm := func(rally int64, kind, user string, channel any, message string, endEdit, attempts int, next int64) {
		t.Helper()
		exec(`INSERT INTO member_dms (rally_id, kind, user_id, state, buttons, nonce, created_at, updated_at, channel_id, message_id,
			end_edit, end_edit_attempts, end_edit_next) VALUES (?, ?, ?, 'sent', 1, 'n', 0, 0, ?, ?, ?, ?, ?)`,
			rally, kind, user, channel, message, endEdit, attempts, next)
	}
	backoff := now.Add(-time.Minute).Unix()
	dm(1, "reminder:86400", "u1", "dm1", "m1", 0, 2, backoff) // owed, backing off
	dm(1, "reminder:86400", "u2", "dm2", "m2", 1, 1, 0)       // done
	dm(1, string(DMSafeHome), "u1", "dm1", "m3", 0, 0, 0)     // its buttons work for its day
	dm(3, "reminder:86400", "u1", "dm1", "m4", 0, 0, 0)       // high-risk: deleted instead
	dm(2, "reminder:86400", "u1", "dm1", "m5", 0, 0, 0)       // owed at its end
	dm(1, "reminder:7200", "u3", nil, "m6", 0, 0, 0)          // nowhere to edit
	exec(`INSERT INTO dm_deletions (channel_id, message_id, attempts, next_try_at) VALUES ('dm7', 'm7', 0, 0), ('dm8', 'm8', 3, ?)`,
		now.Add(time.Minute).Unix())

	db := openMigrated(t, path)
	ctx := context.Background()
	posts, err := db.posts(ctx, db.read, `WHERE p.kind IN (?, ?) ORDER BY p.key`, PostDMDelete, PostDMEndEdit)
	if err != nil {
		t.Fatal(err)
	}
	type owed struct {
		kind     PostKind
		rally    int64
		channel  string
		message  string
		attempts int
		due      int64
	}
	got := map[string]owed{}
	for _, p := range posts {
		if p.State != ReminderPending || !p.BegunAt.IsZero() {
			t.Errorf("%s migrated as %s, begun %v; want pending, not begun", p.Key, p.State, p.BegunAt)
		}
		got[p.Key] = owed{p.Kind, p.Rally.ID, p.ChannelID, p.Args.MessageID, p.Attempts, p.DueAt.Unix()}
	}
	want := map[string]owed{
		"dm_end_edit:dm1:m1": {PostDMEndEdit, 1, "dm1", "m1", 2, backoff},
		"dm_end_edit:dm1:m5": {PostDMEndEdit, 2, "dm1", "m5", 0, later},
		"dm_delete:dm7:m7":   {PostDMDelete, 0, "dm7", "m7", 0, 0},
		"dm_delete:dm8:m8":   {PostDMDelete, 0, "dm8", "m8", 3, now.Add(time.Minute).Unix()},
	}
	if len(got) != len(want) {
		t.Errorf("migrated %d DM operations (%v), want %d", len(got), got, len(want))
	}
	for key, w := range want {
		if got[key] != w {
			t.Errorf("%s migrated as %+v, want %+v", key, got[key], w)
		}
	}
	var withMember int
	db.read.QueryRow(`SELECT COUNT(*) FROM channel_posts WHERE key LIKE '%u1%' OR args LIKE '%u1%' OR body LIKE '%u1%'`).Scan(&withMember)
	if withMember != 0 {
		t.Errorf("%d DM operations hold a member id", withMember)
	}
	due, err := db.DueChannelPosts(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var dueKeys []string
	for _, p := range due {
		dueKeys = append(dueKeys, p.Key)
	}
	if strings.Join(dueKeys, ",") != "dm_delete:dm7:m7,dm_end_edit:dm1:m1" {
		t.Errorf("due at once after the migration: %v, want the deletion not backing off and the ended rally's edit", dueKeys)
	}
	var left int
	db.read.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('dm_deletions', 'member_dms_end_edit')`).Scan(&left)
	db.read.QueryRow(`SELECT ? + COUNT(*) FROM pragma_table_info('member_dms') WHERE name LIKE 'end_edit%'`, left).Scan(&left)
	if left != 0 {
		t.Errorf("%d of dm_deletions, its index and member_dms' end_edit columns are still there", left)
	}
}
