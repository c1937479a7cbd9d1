package store_test

import (
	"database/sql"
	"testing"

	"rallybot/store"
)

// storedNotes counts the notices the file holds under key, past the store.
func storedNotes(t *testing.T, path, key string) int {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM notices WHERE key = ?`, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestForgetNoteWritesOnlyANote: forgetting a notice the file does not hold
// (a post to a channel that works) takes no write lock: it returns while
// another connection holds the file's write lock, and counts no clearing;
// one it holds is deleted, once, so the problem is told again; and a notice
// written by an earlier process is known after a restart.
func TestForgetNoteWritesOnlyANote(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	db := f.db
	if fresh, err := db.NoteOnce(ctx(), "g1", "channel:c1"); err != nil || !fresh {
		t.Fatalf("note once: %v %v", fresh, err)
	}

	// Another connection holds the write lock: a write would wait out the
	// busy timeout and fail with "database is locked".
	locker, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	held, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	before := db.NotesCleared()
	const posts = 100
	for i := 0; i < posts; i++ {
		if err := db.ForgetNote(ctx(), "g1", "channel:c2"); err != nil {
			t.Fatalf("forgetting a note never taken, with the write lock held elsewhere: %v", err)
		}
		if err := db.ForgetNote(ctx(), "g2", "channel:c1"); err != nil {
			t.Fatalf("forgetting another guild's note: %v", err)
		}
	}
	if n := db.NotesCleared() - before; n != 0 {
		t.Errorf("%d posts to working channels cleared %d notes, want 0", 2*posts, n)
	}
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}

	// The channel that broke works again: its note goes, once.
	if err := db.ForgetNote(ctx(), "g1", "channel:c1"); err != nil {
		t.Fatal(err)
	}
	if n := storedNotes(t, path, "channel:c1"); n != 0 {
		t.Errorf("%d notes left after the channel came back", n)
	}
	for i := 0; i < posts; i++ {
		if err := db.ForgetNote(ctx(), "g1", "channel:c1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.NotesCleared() - before; n != 1 {
		t.Errorf("the note was cleared %d times, want 1", n)
	}
	if fresh, err := db.NoteOnce(ctx(), "g1", "channel:c1"); err != nil || !fresh {
		t.Errorf("breaking again is not told again: %v %v", fresh, err)
	}

	// A restart reads the notes the file holds.
	if err := db.SetCoordinators(ctx(), store.Guild{ID: "g1", CoordinatorChannelID: "coord"}); err != nil {
		t.Fatal(err)
	}
	if _, fresh, err := db.OweNote(ctx(), "g1", "channel:c3", "body"); err != nil || !fresh {
		t.Fatalf("owe note: %v %v", fresh, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := store.Open(ctx(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	again.Now = f.clock.Now
	for _, key := range []string{"channel:c1", "channel:c3"} {
		if err := again.ForgetNote(ctx(), "g1", key); err != nil {
			t.Fatal(err)
		}
		if n := storedNotes(t, path, key); n != 0 {
			t.Errorf("%s: %d notes left after a restart and the channel came back", key, n)
		}
	}
	if n := again.NotesCleared(); n != 2 {
		t.Errorf("after the restart %d notes cleared, want 2", n)
	}
}
