package store_test

import (
	"testing"
	"time"

	"rallybot/store"
)

// TestEventMirrorOwed: the announcement, an edit and the cancel of a rally
// each owe its scheduled event the change in their own transaction, as the
// one event row of the outbox for the rally, due to the sweep after the
// command's lease; a rally never announced owes nothing. A sync finished
// does not take off a change made while it was on its way (the change
// re-armed the row), and a create begun and never settled is resumed as
// such, also across that re-arm.
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
	lease := f.clock.Now().Add(store.PostLease)

	due := func(at time.Time) []store.ChannelPost {
		t.Helper()
		ps, err := db.DueChannelPosts(ctx(), at, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []store.ChannelPost
		for _, p := range ps {
			if p.Kind == store.PostEvent {
				out = append(out, p)
			}
		}
		return out
	}
	if ps := due(f.clock.Now()); len(ps) != 0 {
		t.Fatalf("due within the command's lease: %+v", ps)
	}
	ps := due(lease)
	if len(ps) != 1 || ps[0].Key != store.EventKey(r.ID) || ps[0].Rally.ID != r.ID || !ps[0].BegunAt.IsZero() || ps[0].Attempts != 0 {
		t.Fatalf("owed after the announcement: %+v, want rally #%d's sync, not begun", ps, r.ID)
	}
	read := ps[0]

	if state, resumed, err := db.BeginChannelPost(ctx(), read); err != nil || state != store.ReminderPending || resumed {
		t.Fatalf("first create begun: %s, resumed %v (%v)", state, resumed, err)
	}
	if _, resumed, err := db.BeginChannelPost(ctx(), read); err != nil || !resumed {
		t.Fatalf("a create begun again after an unknown outcome: resumed %v (%v), want true", resumed, err)
	}
	// An edit while the create was on its way re-arms the sync: the
	// create's finish does not take it off, and the sync after it still
	// counts as begun (it looks for the event before making one).
	if _, _, err := db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Title: ptr("Renamed")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SetScheduledEvent(ctx(), r.ID, "e1"); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.FinishChannelPost(ctx(), store.ChannelPostOutcome{Post: read, State: store.ReminderSent, MessageID: "e1"}); err != nil || ok {
		t.Fatalf("the create's finish after the edit: moved %v (%v), want the sync left owed", ok, err)
	}
	m, ok, err := db.PostOf(ctx(), store.EventKey(r.ID))
	if err != nil || !ok || m.ID != read.ID || m.State != store.ReminderPending || m.Nonce == read.Nonce || m.BegunAt.IsZero() || !m.DueAt.Equal(lease) {
		t.Fatalf("after the create: %+v (%v), want the same row owed again, re-armed, still begun", m, err)
	}
	c, err := db.CalendarRally(ctx(), "g1", r.ID)
	if err != nil || c.EventID != "e1" || c.Title != "Renamed" {
		t.Fatalf("the rally after the create: event %q, title %q (%v)", c.EventID, c.Title, err)
	}
	if _, resumed, err := db.BeginChannelPost(ctx(), m); err != nil || !resumed {
		t.Fatalf("the sync after the edit: resumed %v (%v), want true", resumed, err)
	}
	if ok, err := db.FinishChannelPost(ctx(), store.ChannelPostOutcome{Post: m, State: store.ReminderSent, MessageID: "e1"}); err != nil || !ok {
		t.Fatalf("the sync after the edit: moved %v (%v)", ok, err)
	}
	if ps := due(lease.Add(time.Hour)); len(ps) != 0 {
		t.Fatalf("owed once synced: %+v", ps)
	}

	if _, err := db.CancelRally(ctx(), "g1", r.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelRally(ctx(), "g1", quiet.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	ps = due(lease)
	if len(ps) != 1 || ps[0].ID != read.ID || !ps[0].Rally.Cancelled() || !ps[0].BegunAt.IsZero() || ps[0].Attempts != 0 {
		t.Errorf("owed after the cancels: %+v, want rally #%d's sync re-armed afresh, nothing for the quiet one", ps, r.ID)
	}
	if _, ok, err := db.PostOf(ctx(), store.EventKey(quiet.ID)); err != nil || ok {
		t.Errorf("the rally never announced owes its event a sync (%v)", err)
	}
}
