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
	if kept.Location != "City Hall" {
		t.Errorf("a rally inside retention lost its place: %q", kept.Location)
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
	for _, u := range []string{"es-forgets", "es-stays"} {
		if err := f.db.SetMemberLocale(ctx(), "g1", u, "es-419"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, store.Going); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := f.db.MemberLocale(ctx(), "g1", "es-stays"); l != "es-419" {
		t.Fatalf("locale = %q, want es-419", l)
	}
	if _, _, err := f.db.ForgetMember(ctx(), "g1", "es-forgets"); err != nil {
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
