package store_test

import (
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"rallybot/store"
)

// storedLocale reads member_locales from the file itself, past the store's
// cache: what a restarted process would find.
func storedLocale(t *testing.T, path, guildID, userID string) string {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var l string
	err = raw.QueryRow(`SELECT locale FROM member_locales WHERE guild_id = ? AND user_id = ?`, guildID, userID).Scan(&l)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return l
}

// Every path that deletes a member's locale behind SetMemberLocale's back
// (forget-me here and from a DM, a high-risk rally's end, retention, a
// departed server) leaves no cached locale behind: the member who comes back
// and RSVPs again has their Spanish stored again, and MemberLocale answers
// what the file holds.
func TestLocaleCacheFollowsEveryDeletion(t *testing.T) {
	t.Parallel()
	paths := []struct {
		name string
		// deletes the member's locale; returns the rally to RSVP to after
		drop func(t *testing.T, f *fixture, r store.Rally) store.Rally
	}{
		{"forget-me in the server", func(t *testing.T, f *fixture, r store.Rally) store.Rally {
			if _, err := f.db.Forget(ctx(), "g1", "m"); err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"forget-me from a DM", func(t *testing.T, f *fixture, r store.Rally) store.Rally {
			if _, err := f.db.Forget(ctx(), "", "m"); err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"high-risk rally's end", func(t *testing.T, f *fixture, r store.Rally) store.Rally {
			if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{HighRisk: ptr(true)}, nil); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(6 * time.Hour)
			purged, _, err := f.db.PurgeEndedHighRisk(ctx(), f.clock.Now())
			if err != nil || len(purged) != 1 {
				t.Fatalf("purge: %v %v", purged, err)
			}
			if !slices.Contains(purged[0].Members, "m") {
				t.Fatalf("purged rally's members %q lack the member who was going", purged[0].Members)
			}
			return f.rally(t, 0, f.clock.Now().Add(3*time.Hour))
		}},
		{"retention", func(t *testing.T, f *fixture, r store.Rally) store.Rally {
			f.clock.Add(40 * 24 * time.Hour)
			if _, _, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30)); err != nil {
				t.Fatal(err)
			}
			return f.rally(t, 0, f.clock.Now().Add(3*time.Hour))
		}},
		{"departed server", func(t *testing.T, f *fixture, r store.Rally) store.Rally {
			if _, err := f.db.GuildLeft(ctx(), "g1", f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if gone, err := f.db.DeleteDepartedGuilds(ctx(), f.clock.Now()); err != nil || len(gone) != 1 {
				t.Fatalf("delete departed: %v %v", gone, err)
			}
			if _, err := f.db.SeedGuild(ctx(), "g1"); err != nil { // the server invites the bot back
				t.Fatal(err)
			}
			ch, err := f.db.ChapterByName(ctx(), "g1", "seattle")
			if err != nil {
				t.Fatal(err)
			}
			f.chapter = ch
			return f.rally(t, 0, f.clock.Now().Add(3*time.Hour))
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			f := newFixtureAt(t, path)
			r := f.rally(t, 0, t0.Add(3*time.Hour))
			if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "m", store.Going); err != nil {
				t.Fatal(err)
			}
			// Twice, so the second is answered from what the process knows.
			for range 2 {
				if err := f.db.SetMemberLocale(ctx(), "g1", "m", "es-419"); err != nil {
					t.Fatal(err)
				}
			}
			if l, _ := f.db.MemberLocale(ctx(), "g1", "m"); l != "es-419" {
				t.Fatalf("locale = %q, want es-419", l)
			}
			r = p.drop(t, f, r)
			if l := storedLocale(t, path, "g1", "m"); l != "" {
				t.Fatalf("the file kept %q", l)
			}
			if l, err := f.db.MemberLocale(ctx(), "g1", "m"); err != nil || l != "" {
				t.Errorf("MemberLocale = %q, %v after the deletion; want none", l, err)
			}
			if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "m", store.Going); err != nil {
				t.Fatal(err)
			}
			if err := f.db.SetMemberLocale(ctx(), "g1", "m", "es-419"); err != nil {
				t.Fatal(err)
			}
			if l := storedLocale(t, path, "g1", "m"); l != "es-419" {
				t.Errorf("after a new RSVP the file holds %q, want es-419: a stale cache skipped the write", l)
			}
			if l, _ := f.db.MemberLocale(ctx(), "g1", "m"); l != "es-419" {
				t.Errorf("MemberLocale = %q, want es-419", l)
			}
		})
	}
}

// A Spanish member whose locale could not be kept (no RSVP yet) has it
// stored by their first interaction after an RSVP, and one who switches
// language has the new one stored, each once.
func TestLocaleCacheWritesOnChange(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	r := f.rally(t, 0, t0.Add(3*time.Hour))
	if err := f.db.SetMemberLocale(ctx(), "g1", "m", "es-419"); err != nil {
		t.Fatal(err)
	}
	if l := storedLocale(t, path, "g1", "m"); l != "" {
		t.Fatalf("stored %q with nothing in the server", l)
	}
	if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "m", store.Going); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"es-419", "es-ES", ""} {
		locale := want
		if locale == "" {
			locale = "en-US"
		}
		if err := f.db.SetMemberLocale(ctx(), "g1", "m", locale); err != nil {
			t.Fatal(err)
		}
		if l := storedLocale(t, path, "g1", "m"); l != want {
			t.Errorf("after %s the file holds %q, want %q", locale, l, want)
		}
	}
}
