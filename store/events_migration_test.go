package store

import (
	"context"
	"testing"
	"time"
)

// TestEventOutboxMigration: a database of the version before the event
// mirror joined the outbox, owing one rally's event a sync (backing off,
// after tries), another's a create begun whose outcome was never recorded,
// and a third nothing, is migrated in one transaction into channel_posts:
// one event row per rally owed, due when it was, with its attempts, begun
// if a create was; nothing for the rally that owed nothing. The four
// columns and their index are gone; event_id stays. That the syncs are then
// done, once, is bot's TestEventSyncsOwedBeforeTheMigrationAreDoneOnce.
func TestEventOutboxMigration(t *testing.T) {
	path, exec := oldDatabase(t, "0085")
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	backoff, begun := now.Add(2*time.Minute).Unix(), now.Add(-time.Minute).Unix()
	exec(`INSERT INTO guilds (id, seeded_at) VALUES ('g1', 0)`)
	exec(`INSERT INTO chapters (id, guild_id, name, timezone, channel_id) VALUES (1, 'g1', 'Seattle', 'America/Los_Angeles', 'c1')`)
	for _, r := range []struct {
		id       int64
		eventID  any
		owed     int
		begun    any
		next     int64
		attempts int
	}{
		{1, "e1", 2, nil, backoff, 3}, // an edit owed, backing off
		{2, nil, 1, begun, 0, 0},      // a create begun, its answer lost
		{3, "e3", 0, nil, 0, 0},       // in line
	} {
		exec(`INSERT INTO rallies (id, guild_id, chapter_id, title, location, starts_at, ends_at, timezone, created_at, updated_at,
			message_id, event_id, event_owed, event_begun_at, event_next_try_at, event_attempts)
			VALUES (?, 'g1', 1, 'March', 'City Hall', ?, ?, 'America/Los_Angeles', 0, 0, 'm', ?, ?, ?, ?, ?)`,
			r.id, now.Add(48*time.Hour).Unix(), now.Add(50*time.Hour).Unix(), r.eventID, r.owed, r.begun, r.next, r.attempts)
	}

	db := openMigrated(t, path)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	posts, err := db.posts(ctx, db.read, `WHERE p.kind = ? ORDER BY p.key`, PostEvent)
	if err != nil {
		t.Fatal(err)
	}
	type owed struct {
		rally    int64
		guild    string
		attempts int
		due      int64
		begun    int64
	}
	got := map[string]owed{}
	for _, p := range posts {
		if p.State != ReminderPending || p.ChannelID != "" {
			t.Errorf("%s migrated as %s in channel %q; want pending, in no channel", p.Key, p.State, p.ChannelID)
		}
		var b int64
		if !p.BegunAt.IsZero() {
			b = p.BegunAt.Unix()
		}
		got[p.Key] = owed{p.Rally.ID, p.GuildID, p.Attempts, p.DueAt.Unix(), b}
	}
	want := map[string]owed{
		"event:1": {1, "g1", 3, backoff, 0},
		"event:2": {2, "g1", 0, 0, begun},
	}
	if len(got) != len(want) {
		t.Errorf("migrated %d event syncs (%v), want %d", len(got), got, len(want))
	}
	for key, w := range want {
		if got[key] != w {
			t.Errorf("%s migrated as %+v, want %+v", key, got[key], w)
		}
	}
	due, err := db.DueChannelPosts(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Key != "event:2" {
		t.Errorf("due at once after the migration: %+v, want the begun create's sync alone", due)
	}
	// Owed again, the begun create's row is re-armed, still begun.
	before, _, err := db.PostOf(ctx, EventKey(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UpdateRally(ctx, "g1", 2, RallyUpdate{Title: ptrTo("Moved")}, nil); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := db.PostOf(ctx, EventKey(2)); err != nil || !ok || p.BegunAt.Unix() != begun || p.Nonce == before.Nonce {
		t.Errorf("the begun create's sync owed again: %+v (%v), want it re-armed and still begun", p, err)
	}
	var left int
	db.read.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'rallies_event_owed'`).Scan(&left)
	db.read.QueryRow(`SELECT ? + COUNT(*) FROM pragma_table_info('rallies') WHERE name IN ('event_owed', 'event_begun_at',
		'event_next_try_at', 'event_attempts')`, left).Scan(&left)
	if left != 0 {
		t.Errorf("%d of the event_owed columns and their index are still there", left)
	}
	c, err := db.CalendarRally(ctx, "g1", 3)
	if err != nil || c.EventID != "e3" {
		t.Errorf("rally #3's event after the migration: %q (%v), want e3 kept", c.EventID, err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// openMigrated opens (so migrates) the database at path, closed at the
// test's end.
func openMigrated(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
