package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"rallybot/store"
)

// needsOf returns the member's stored needs, failing on error.
func needsOf(t *testing.T, db *store.DB, rallyID int64, user string) []store.Need {
	t.Helper()
	got, err := db.MemberNeeds(ctx(), rallyID, user)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A member's needs live exactly as long as they are going: a seat or a
// role. Every way out of going takes them, whichever code path moves them.
func TestNeedsLiveWhileGoing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r, err := f.db.CreateRally(ctx(), store.NewRally{
		GuildID: "g1", ChapterID: f.chapter.ID, Title: "March", Location: "City Hall",
		StartsAt: t0.Add(48 * time.Hour), Duration: 2 * time.Hour, TimeZone: f.chapter.TimeZone, Capacity: 1,
		Needs: store.RoleNeeds{store.Interpreter: 2},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := func(user string, needs ...store.Need) error {
		_, err := f.db.SetNeeds(ctx(), "g1", r.ID, user, needs)
		return err
	}
	rsvp := func(user string, s store.RSVPStatus) {
		t.Helper()
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, user, s); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ErrNotGoing", func(t *testing.T) {
		if err := set("u-none", store.NeedSeating); !errors.Is(err, store.ErrNotGoing) {
			t.Errorf("needs of a member with no RSVP: %v, want ErrNotGoing", err)
		}
		rsvp("u-maybe", store.Maybe)
		if err := set("u-maybe", store.NeedSeating); !errors.Is(err, store.ErrNotGoing) {
			t.Errorf("needs of a maybe: %v, want ErrNotGoing", err)
		}
	})

	t.Run("ErrBadNeed", func(t *testing.T) {
		if err := set("u-maybe", "teleport"); !errors.Is(err, store.ErrBadNeed) {
			t.Errorf("unknown need: %v, want ErrBadNeed", err)
		}
	})

	rsvp("u-seat", store.Going)
	rsvp("u-wait", store.Going) // capacity 1: on the waitlist
	t.Run("ErrWaitlisted", func(t *testing.T) {
		if err := set("u-wait", store.NeedRide); !errors.Is(err, store.ErrNotGoing) {
			t.Errorf("needs of a waitlisted member: %v, want ErrNotGoing", err)
		}
	})

	t.Run("SetAndReplace", func(t *testing.T) {
		if err := set("u-seat", store.NeedSeating, store.NeedASL, store.NeedASL); err != nil {
			t.Fatal(err)
		}
		if got, want := needsOf(t, f.db, r.ID, "u-seat"), []store.Need{store.NeedASL, store.NeedSeating}; !reflect.DeepEqual(got, want) {
			t.Errorf("needs %v, want %v (deduplicated, in order)", got, want)
		}
		if err := set("u-seat", store.NeedSpanish); err != nil {
			t.Fatal(err)
		}
		if got, want := needsOf(t, f.db, r.ID, "u-seat"), []store.Need{store.NeedSpanish}; !reflect.DeepEqual(got, want) {
			t.Errorf("needs %v after a change, want %v", got, want)
		}
	})

	t.Run("KeptWhenTakingARole", func(t *testing.T) {
		if _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u-seat", store.Interpreter); err != nil {
			t.Fatal(err)
		}
		if got := needsOf(t, f.db, r.ID, "u-seat"); !reflect.DeepEqual(got, []store.Need{store.NeedSpanish}) {
			t.Errorf("needs %v after taking a role, want them kept: still going", got)
		}
		counts, err := f.db.RallyNeeds(ctx(), r.ID)
		if err != nil || counts[r.ID][store.NeedSpanish] != 1 || counts[r.ID].Total() != 1 {
			t.Errorf("counts %v (%v), want 1 Spanish", counts, err)
		}
	})

	t.Run("GoneWithTheRole", func(t *testing.T) {
		if _, err := f.db.LeaveRole(ctx(), "g1", r.ID, "u-seat"); err != nil {
			t.Fatal(err)
		}
		if got := needsOf(t, f.db, r.ID, "u-seat"); len(got) != 0 {
			t.Errorf("needs %v after leaving the role, want none", got)
		}
	})

	t.Run("GoneOnMaybeAndCantGo", func(t *testing.T) {
		// u-wait was promoted when u-seat's seat went to the role.
		for _, s := range []store.RSVPStatus{store.Maybe, store.NotGoing} {
			rsvp("u-again", store.NotGoing)
			if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u-wait", store.NotGoing); err != nil {
				t.Fatal(err)
			}
			rsvp("u-again", store.Going)
			if err := set("u-again", store.NeedWheelchair); err != nil {
				t.Fatal(err)
			}
			rsvp("u-again", s)
			if got := needsOf(t, f.db, r.ID, "u-again"); len(got) != 0 {
				t.Errorf("needs %v after %s, want none", got, s)
			}
		}
	})

	t.Run("GoneByForgetMe", func(t *testing.T) {
		rsvp("u-again", store.Going)
		if err := set("u-again", store.NeedChildcare); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Forget(ctx(), "g1", "u-again"); err != nil {
			t.Fatal(err)
		}
		if got := needsOf(t, f.db, r.ID, "u-again"); len(got) != 0 {
			t.Errorf("needs %v after forget-me, want none", got)
		}
	})

	t.Run("GoneByRetention", func(t *testing.T) {
		rsvp("u-kept", store.Going)
		if err := set("u-kept", store.NeedRide); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u-role", store.Interpreter); err != nil {
			t.Fatal(err)
		}
		if err := set("u-role", store.NeedSeating); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(40 * 24 * time.Hour)
		if _, _, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30)); err != nil {
			t.Fatal(err)
		}
		counts, err := f.db.RallyNeeds(ctx(), r.ID)
		if err != nil || len(counts) != 0 {
			t.Errorf("counts after retention %v (%v), want none", counts, err)
		}
	})

	t.Run("ErrStarted", func(t *testing.T) {
		var state *store.RallyStateError
		if err := set("u-kept", store.NeedRide); !errors.As(err, &state) || state.Change != store.ChangeNeeds || !errors.Is(err, store.ErrRallyStarted) {
			t.Errorf("needs after the start: %v, want a needs refusal for a started rally", err)
		}
	})
}
