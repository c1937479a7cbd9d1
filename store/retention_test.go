package store_test

import (
	"testing"
	"time"

	"rallybot/store"
)

// The spec keeps a rally's counts past retention but not where people met.
func TestPurgeClearsPlaceAndDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old, err := f.db.CreateRally(ctx(), store.NewRally{
		GuildID: "g1", ChapterID: f.chapter.ID, Title: "March", Location: "Behind the church on 5th",
		Details: "Meet at the side door", StartsAt: t0.Add(3 * time.Hour), Duration: 2 * time.Hour, TimeZone: f.chapter.TimeZone,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	recent := f.rally(t, 0, t0.Add(20*24*time.Hour))
	// Each owes its channel a notice quoting its place.
	for _, r := range []store.Rally{old, recent} {
		if err := f.db.SetAnnouncement(ctx(), r.ID, "c1", "m1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Location: ptr("Behind the hall"),
			ChannelNotice: func(before, after store.Rally) store.Notice { return words(before.Location + " → " + after.Location) }}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(40 * 24 * time.Hour)
	if _, _, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.RallyByID(ctx(), old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Location != "" || got.Details != "" {
		t.Errorf("after retention location = %q, details = %q; want both cleared", got.Location, got.Details)
	}
	if got.Title != "March" {
		t.Errorf("title = %q, want it kept for summaries", got.Title)
	}
	kept, _ := f.db.RallyByID(ctx(), recent.ID)
	if kept.Location != "Behind the hall" {
		t.Errorf("a rally inside retention lost its place: %q", kept.Location)
	}
	posts, err := f.db.PendingRallyPosts(ctx(), old.ID, recent.ID)
	if err != nil || len(posts) != 1 || posts[0].Rally.ID != recent.ID {
		t.Errorf("notices after retention: %+v (%v), want only the recent rally's (the old one's quotes its place)", posts, err)
	}
}

// A member's DM language is kept only when it is not English, and only while
// they have something in the guild; forget-me and retention take it too.
func TestMemberLocaleKeptOnlyWhileNeeded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.db.SetMemberLocale(ctx(), "g1", "en-member", "en-US"); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "en-member"); l != "" {
		t.Errorf("an English locale was stored: %q", l)
	}
	r := f.rally(t, 0, t0.Add(3*time.Hour))
	// A member with nothing in the guild has no language kept; one with an
	// RSVP has.
	if err := f.db.SetMemberLocale(ctx(), "g1", "es-browsing", "es-419"); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-browsing"); l != "" {
		t.Errorf("the locale of a member with no RSVP or role was stored: %q", l)
	}
	for _, u := range []string{"es-forgets", "es-stays"} {
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, store.Going); err != nil {
			t.Fatal(err)
		}
		if err := f.db.SetMemberLocale(ctx(), "g1", u, "es-419"); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-stays"); l != "es-419" {
		t.Fatalf("locale = %q, want es-419", l)
	}
	if _, err := f.db.Forget(ctx(), "g1", "es-forgets"); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-forgets"); l != "" {
		t.Errorf("forget-me kept the member's locale %q", l)
	}
	if err := f.db.SetMemberLocale(ctx(), "g1", "es-stays", "en-GB"); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-stays"); l != "" {
		t.Errorf("switching back to English kept %q", l)
	}
	if err := f.db.SetMemberLocale(ctx(), "g1", "es-stays", "es-ES"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(40 * 24 * time.Hour)
	if _, _, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-stays"); l != "" {
		t.Errorf("retention kept the locale %q of a member with nothing left", l)
	}
}
