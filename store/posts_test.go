package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// words is a notice that names its post, as commands words them.
func words(text string) store.Notice {
	return func(id int64) (string, string) {
		marker := fmt.Sprintf("notice #%d", id)
		return text + "\n-# " + marker, marker
	}
}

// TestChangesOweChannelPosts: a move and a cancel owe the rally's channel
// their notice in their own transaction, due at once (the command that owed
// it and the sweep keep apart by the process's claims, and a restart finds
// it due); a rally never announced owes none, and a cancel drops the change
// notices still unsent.
func TestChangesOweChannelPosts(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	quiet := f.rally(t, 0, t0.Add(72*time.Hour)) // never announced
	if err := f.db.SetAnnouncement(ctx(), r.ID, "c1", "m1"); err != nil {
		t.Fatal(err)
	}
	moved := func(before, after store.Rally) store.Notice {
		if before.Location == after.Location {
			return nil
		}
		return words(before.Location + " → " + after.Location)
	}
	for _, id := range []int64{r.ID, quiet.ID} {
		for _, place := range []string{"Pioneer Square", "Pioneer Square", "Occidental Park"} {
			if _, _, err := f.db.UpdateRally(ctx(), "g1", id, store.RallyUpdate{Location: ptr(place), ChannelNotice: moved}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.db.Close()
	db := f.reopen(t, path)

	due, err := db.DueChannelPosts(ctx(), f.clock.Now(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range due {
		if p.Kind != store.PostRallyChange {
			continue
		}
		if p.Rally.ID != r.ID || p.ChannelID != "c1" || p.Nonce == "" || p.Marker != fmt.Sprintf("notice #%d", p.ID) {
			t.Errorf("owed post %+v", p)
		}
		got = append(got, strings.TrimSuffix(p.Body, "\n-# "+p.Marker))
	}
	want := []string{"City Hall → Pioneer Square", "Pioneer Square → Occidental Park"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("owed notices %q, want %q (one per move, none for the rally never announced)", got, want)
	}

	if _, err := db.CancelRally(ctx(), "g1", r.ID, "Storm", func(c store.Rally) store.Notice { return words(c.CancelReason) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelRally(ctx(), "g1", quiet.ID, "Storm", func(c store.Rally) store.Notice { return words(c.CancelReason) }); err != nil {
		t.Fatal(err)
	}
	posts, err := db.PendingRallyPosts(ctx(), r.ID, quiet.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || posts[0].Kind != store.PostRallyCancel || posts[0].Body != fmt.Sprintf("Storm\n-# notice #%d", posts[0].ID) {
		t.Errorf("pending after the cancels: %+v, want only the cancel notice (the moves dropped, the quiet rally silent)", posts)
	}
}
