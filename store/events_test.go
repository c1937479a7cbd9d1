package store_test

import (
	"testing"
	"time"

	"rallybot/store"
)

// TestEventMirrorOwed: the announcement, an edit and the cancel of a rally
// each owe its scheduled event the change in their own transaction, due to
// the sweep after the command's lease; a rally never announced owes nothing.
// What was mirrored is taken off without losing a change made meanwhile, and
// a create begun and never settled is resumed as such.
func TestEventMirrorOwed(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	quiet := f.rally(t, 0, t0.Add(72*time.Hour)) // never announced
	if _, _, err := f.db.UpdateRally(ctx(), "g1", quiet.ID, store.RallyUpdate{Title: ptr("Quiet")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetAnnouncement(ctx(), r.ID, "c1", "m1"); err != nil {
		t.Fatal(err)
	}
	f.db.Close()
	db := f.reopen(t, path)

	due := func(at time.Time) []store.EventMirror {
		t.Helper()
		ms, err := db.DueEventMirrors(ctx(), at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	if ms := due(f.clock.Now()); len(ms) != 0 {
		t.Fatalf("due within the command's lease: %+v", ms)
	}
	ms := due(f.clock.Now().Add(store.PostLease))
	if len(ms) != 1 || ms[0].ID != r.ID || ms[0].Owed != 1 || ms[0].Begun || ms[0].EventID != "" {
		t.Fatalf("owed after the announcement: %+v, want rally #%d's create", ms, r.ID)
	}
	read := ms[0]

	if resumed, err := db.BeginEventCreate(ctx(), r.ID); err != nil || resumed {
		t.Fatalf("first create begun: resumed %v (%v)", resumed, err)
	}
	if resumed, err := db.BeginEventCreate(ctx(), r.ID); err != nil || !resumed {
		t.Fatalf("a create begun again after an unknown outcome: resumed %v (%v), want true", resumed, err)
	}
	// An edit while the create was on its way stays owed once it is done.
	if _, _, err := db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Title: ptr("Renamed")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SetScheduledEvent(ctx(), r.ID, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := db.EventMirrored(ctx(), read); err != nil {
		t.Fatal(err)
	}
	m, err := db.EventMirrorOf(ctx(), r.ID)
	if err != nil || m.Owed != 1 || m.Begun || m.EventID != "e1" || m.Title != "Renamed" {
		t.Fatalf("after the create: %+v (%v), want the edit still owed to event e1", m, err)
	}
	if err := db.EventMirrored(ctx(), m); err != nil {
		t.Fatal(err)
	}

	if _, err := db.CancelRally(ctx(), "g1", r.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelRally(ctx(), "g1", quiet.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	ms = due(f.clock.Now().Add(store.PostLease))
	if len(ms) != 1 || ms[0].ID != r.ID || !ms[0].Cancelled() || ms[0].EventID != "e1" {
		t.Errorf("owed after the cancels: %+v, want rally #%d's event to cancel, nothing for the quiet one", ms, r.ID)
	}
}
