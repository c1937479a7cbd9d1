package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"rallybot/store"
)

func (f *fixture) staffedRally(tb testing.TB, capacity int, needs store.RoleNeeds) store.Rally {
	tb.Helper()
	r, err := f.db.CreateRally(ctx(), store.NewRally{
		GuildID: "g1", ChapterID: f.chapter.ID, Title: "March", Location: "City Hall",
		StartsAt: t0.Add(48 * time.Hour), Duration: 2 * time.Hour, TimeZone: f.chapter.TimeZone, Capacity: capacity, Needs: needs,
	}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func roleKind(err error) store.RoleErrorKind {
	var re *store.RoleError
	if errors.As(err, &re) {
		return re.Kind
	}
	return 0
}

func TestTakeRole(t *testing.T) {
	f := newFixture(t)
	r := f.staffedRally(t, 1, store.RoleNeeds{store.Marshal: 2, store.Medic: 1})
	if got := r.Staffing.Of(store.Marshal); got.Needed != 2 || got.Filled != 0 {
		t.Fatalf("marshals = %+v, want 0/2", got)
	}

	t.Run("SeatGivenUpAndWaitlistPromoted", func(t *testing.T) {
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", store.Going); err != nil {
			t.Fatal(err)
		}
		if res, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u2", store.Going); err != nil || res.Status != store.Waitlist {
			t.Fatalf("u2: %+v %v, want waitlisted", res.Status, err)
		}
		res, err := f.db.TakeRole(ctx(), "g1", r.ID, "u1", store.Marshal)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(res.Promoted) != "[u2]" {
			t.Errorf("promoted %v, want [u2]", res.Promoted)
		}
		if res.Rally.Going != 1 || res.Rally.GoingTotal() != 2 || res.Rally.Staffing.Of(store.Marshal).Filled != 1 {
			t.Errorf("after: going %d, total %d, staffing %+v", res.Rally.Going, res.Rally.GoingTotal(), res.Rally.Staffing)
		}
	})

	t.Run("ErrRoleNotNeeded", func(t *testing.T) {
		if _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u3", store.Interpreter); roleKind(err) != store.RoleNotNeeded {
			t.Fatalf("err = %v, want RoleNotNeeded", err)
		}
	})

	t.Run("RaceForTheLastPlace", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = f.db.TakeRole(ctx(), "g1", r.ID, fmt.Sprintf("racer%d", i), store.Marshal)
			}(i)
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case roleKind(err) != store.RoleFull:
				t.Errorf("err = %v, want RoleFull", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d won the last marshal place, want 1", won)
		}
		got, _ := f.db.Rally(ctx(), "g1", r.ID)
		if c := got.Staffing.Of(store.Marshal); c.Filled != 2 {
			t.Errorf("marshals %+v, want 2/2", c)
		}
	})

	t.Run("LeaveAndForgetFree", func(t *testing.T) {
		if _, err := f.db.LeaveRole(ctx(), "g1", r.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u9", store.Medic); err != nil {
			t.Fatal(err)
		}
		forgotten, err := f.db.Forget(ctx(), "g1", "u9")
		if err != nil || len(forgotten.Rallies) != 1 {
			t.Fatalf("forget: %v %v", forgotten.Rallies, err)
		}
		got, _ := f.db.Rally(ctx(), "g1", r.ID)
		if got.Staffing.Of(store.Marshal).Filled != 1 || got.Staffing.Of(store.Medic).Filled != 0 {
			t.Errorf("staffing %+v, want 1 marshal, 0 medics", got.Staffing)
		}
	})
}

func TestStaffingAlerts(t *testing.T) {
	f := newFixture(t)
	r := f.staffedRally(t, 0, store.RoleNeeds{store.Marshal: 1})
	owe := func(at time.Time) int {
		t.Helper()
		n, err := f.db.OweStaffingAlerts(ctx(), at, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := owe(r.StartsAt.Add(-25 * time.Hour)); n != 0 {
		t.Fatalf("%d owed before the window", n)
	}
	at := r.StartsAt.Add(-24 * time.Hour)
	if n := owe(at); n != 1 {
		t.Fatalf("%d owed in the window, want 1", n)
	}
	if n := owe(at); n != 0 {
		t.Fatalf("%d owed again, want the alert owed once", n)
	}
	ps, err := f.db.DueChannelPosts(ctx(), at, 10)
	if err != nil {
		t.Fatal(err)
	}
	var alert store.ChannelPost
	for _, p := range ps {
		if p.Kind == store.PostStaffing {
			alert = p
		}
	}
	if alert.Rally.ID != r.ID || alert.Nonce == "" {
		t.Fatalf("alert owed = %+v", alert)
	}
	if state, resumed, err := f.db.BeginChannelPost(ctx(), alert); err != nil || state != store.ReminderPending || resumed {
		t.Fatalf("begin: %v %v %v", state, resumed, err)
	}
	if _, resumed, _ := f.db.BeginChannelPost(ctx(), alert); !resumed {
		t.Fatal("a second begin is not resumed")
	}
	if _, err := f.db.FinishChannelPost(ctx(), store.ChannelPostOutcome{Post: alert, State: store.ReminderSent, MessageID: "m1"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := f.db.PostOf(ctx(), fmt.Sprintf("staffing:%d", r.ID)); p.State != store.ReminderSent || p.MessageID != "m1" {
		t.Fatalf("after finish: %+v", p)
	}
	if n := owe(at); n != 0 {
		t.Fatalf("%d owed after sending, want 0", n)
	}
}

// TestRoleHolderNotices: a role sign-up replaces the member's RSVP row, yet
// the member counts as going: owed the DMs those going are owed, once, and
// counted when they confirm, a confirmation given before the sign-up kept.
func TestRoleHolderNotices(t *testing.T) {
	f := newFixture(t)
	r := f.staffedRally(t, 0, store.RoleNeeds{store.Marshal: 2})
	for _, u := range []string{"u1", "u2"} {
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, store.Going); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := f.db.ConfirmRSVP(ctx(), r.ID, "u1"); err != nil || !ok {
		t.Fatalf("confirm u1: %v %v", ok, err)
	}
	for _, u := range []string{"u1", "u3"} {
		if _, err := f.db.TakeRole(ctx(), "g1", r.ID, u, store.Marshal); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ConfirmationKeptAndCounted", func(t *testing.T) {
		if n, err := f.db.Confirmed(ctx(), r.ID); err != nil || n != 1 {
			t.Fatalf("confirmed = %d %v, want 1 (u1, before the sign-up)", n, err)
		}
		if ok, err := f.db.ConfirmRSVP(ctx(), r.ID, "u3"); err != nil || !ok {
			t.Fatalf("confirm u3: %v %v", ok, err)
		}
		if n, err := f.db.Confirmed(ctx(), r.ID); err != nil || n != 2 {
			t.Errorf("confirmed = %d %v, want 2", n, err)
		}
		if ok, err := f.db.ConfirmRSVP(ctx(), r.ID, "u9"); err != nil || ok {
			t.Errorf("confirm of a member with neither: %v %v, want false", ok, err)
		}
	})
	t.Run("OwedWhatThoseGoingAreOwedOnce", func(t *testing.T) {
		q := store.MemberDMs{RallyID: r.ID, Kind: store.ReminderDM(24 * time.Hour), Statuses: []store.RSVPStatus{store.Going, store.Maybe}, OptedIn: true}
		if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 3 {
			t.Fatalf("queued %d %v, want 3 (u2 going, u1 and u3 marshals)", n, err)
		}
		if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 0 {
			t.Errorf("queued again %d %v, want 0", n, err)
		}
		maybeOnly := store.MemberDMs{RallyID: r.ID, Kind: "change:maybe", Statuses: []store.RSVPStatus{store.Maybe}}
		if n, err := f.db.QueueMemberDMs(ctx(), maybeOnly); err != nil || n != 0 {
			t.Errorf("queued for maybe only %d %v, want 0: role holders are going", n, err)
		}
	})
	t.Run("DMsOffRespected", func(t *testing.T) {
		if err := f.db.SetDMReminders(ctx(), "g1", "u3", false); err != nil {
			t.Fatal(err)
		}
		q := store.MemberDMs{RallyID: r.ID, Kind: store.ReminderDM(2 * time.Hour), Statuses: []store.RSVPStatus{store.Going}, OptedIn: true}
		if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 2 {
			t.Errorf("queued %d %v, want 2 (u3 turned DMs off)", n, err)
		}
	})
}

// Retention takes who held a role with the rest of a past rally's RSVPs, in
// the same transaction, and keeps the counts; a rally inside retention keeps
// its holders.
func TestRetentionPurgesRoleSignups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old := f.staffedRally(t, 0, store.RoleNeeds{store.Marshal: 2, store.Medic: 1})
	recent, err := f.db.CreateRally(ctx(), store.NewRally{
		GuildID: "g1", ChapterID: f.chapter.ID, Title: "Vigil", Location: "Park",
		StartsAt: t0.Add(40 * 24 * time.Hour), Duration: time.Hour, TimeZone: f.chapter.TimeZone, Needs: store.RoleNeeds{store.Marshal: 1},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, take := range []struct {
		rally int64
		user  string
		role  store.Role
	}{{old.ID, "u1", store.Marshal}, {old.ID, "u2", store.Medic}, {recent.ID, "u1", store.Marshal}} {
		if _, err := f.db.TakeRole(ctx(), "g1", take.rally, take.user, take.role); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(40 * 24 * time.Hour)
	if _, _, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	holders, err := f.db.RoleHolders(ctx(), old.ID)
	if err != nil || len(holders) != 0 {
		t.Fatalf("role holders of a purged rally = %v (%v), want none", holders, err)
	}
	got, err := f.db.RallyByID(ctx(), old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m, d := got.Staffing.Of(store.Marshal), got.Staffing.Of(store.Medic); m.Filled != 1 || m.Needed != 2 || d.Filled != 1 {
		t.Errorf("counts after the purge: marshals %+v, medics %+v; want 1/2 and 1/1 kept", m, d)
	}
	kept, err := f.db.RoleHolders(ctx(), recent.ID)
	if err != nil || len(kept[store.Marshal]) != 1 {
		t.Errorf("a rally inside retention lost its role holders: %v (%v)", kept, err)
	}
}

// TestWrappedErrors: a store error names the operation that failed, and
// its typed cause still answers errors.Is and errors.As.
func TestWrappedErrors(t *testing.T) {
	f := newFixture(t)
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	for _, c := range []struct {
		name, op string
		err      error
		is       error
		kind     store.RoleErrorKind
	}{
		{"Action", "action: ", func() error { _, err := f.db.Action(ctx(), "g1", 999); return err }(), store.ErrNoSuchAction, 0},
		{"CalendarRally", "calendar rally: ", func() error { _, err := f.db.CalendarRally(ctx(), "g2", r.ID); return err }(), store.ErrNoSuchRally, 0},
		{"TakeRole", "take role: ", func() error { _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u1", store.Marshal); return err }(), nil, store.RoleNotNeeded},
		{"LeaveRole", "leave role: ", func() error { _, err := f.db.LeaveRole(ctx(), "g1", r.ID, "u1"); return err }(), nil, store.RoleNotHeld},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil || !strings.HasPrefix(c.err.Error(), c.op) {
				t.Fatalf("got %v, want an error starting %q", c.err, c.op)
			}
			if c.is != nil && !errors.Is(c.err, c.is) {
				t.Errorf("errors.Is(%v, %v) = false", c.err, c.is)
			}
			if c.kind != 0 && roleKind(c.err) != c.kind {
				t.Errorf("role error kind = %v, want %v", roleKind(c.err), c.kind)
			}
		})
	}
}
