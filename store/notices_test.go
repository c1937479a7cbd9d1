package store_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// owed returns, by rally and kind, the members owed a DM at the clock's
// time, as the next sweep would read them.
func (f *fixture) owed(tb testing.TB, db *store.DB) map[string][]string {
	tb.Helper()
	due, err := db.DueMemberDMs(ctx(), f.clock.Now(), 1000)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range due {
		kind := string(d.Kind)
		if strings.HasPrefix(kind, "change:") {
			kind = "change"
		}
		key := fmt.Sprintf("%d/%s", d.Rally.ID, kind)
		out[key] = append(out[key], d.UserID)
	}
	for _, users := range out {
		sort.Strings(users)
	}
	return out
}

// reopen opens the fixture's file as the next process finds it when the one
// that made a change stopped right after its commit, before doing anything
// else (the channel notice, the scheduled event).
func (f *fixture) reopen(tb testing.TB, path string) *store.DB {
	tb.Helper()
	return MustOpen(tb, path, f.clock)
}

// attended gives the rally a member of each kind owed a notice: u1 going,
// u2 maybe, u3 waitlisted (capacity 1), u4 a marshal; and u5, who left.
func (f *fixture) attended(tb testing.TB, id int64) {
	tb.Helper()
	for _, v := range []struct {
		user   string
		status store.RSVPStatus
	}{{"u1", store.Going}, {"u2", store.Maybe}, {"u3", store.Going}, {"u5", store.Maybe}, {"u5", store.NotGoing}} {
		if _, err := f.db.SetRSVP(ctx(), "g1", id, v.user, v.status); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := f.db.TakeRole(ctx(), "g1", id, "u4", store.Marshal); err != nil {
		tb.Fatal(err)
	}
}

const noticed = "[u1 u2 u3 u4]" // everyone attended owes a notice but u5

// TestCancelOwesNotices: cancelling a rally, the rest of a series or a day of
// action owes each member going, maybe or waitlisted (role holders too) the
// notice of it in the cancel's own transaction: a crash right after the
// cancel leaves every DM owed to the next sweep, once.
func TestCancelOwesNotices(t *testing.T) {
	t.Parallel()
	t.Run("Rally", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		f := newFixtureAt(t, path)
		r := f.staffedRally(t, 1, store.RoleNeeds{store.Marshal: 1})
		f.attended(t, r.ID)
		if _, err := f.db.CancelRally(ctx(), "g1", r.ID, "Storm", nil); err != nil {
			t.Fatal(err)
		}
		f.db.Close()
		db := f.reopen(t, path)
		got := f.owed(t, db)
		if fmt.Sprint(got[fmt.Sprintf("%d/%s", r.ID, store.DMCancelled)]) != noticed || len(got) != 1 {
			t.Errorf("owed after the cancel: %v, want %s the cancel notice of #%d", got, noticed, r.ID)
		}
		if _, err := db.CancelRally(ctx(), "g1", r.ID, "again", nil); err == nil {
			t.Fatal("cancelled twice")
		}
		if n, err := db.MemberDMCounts(ctx(), r.ID, store.DMCancelled); err != nil || n[store.DMPending] != 4 {
			t.Errorf("cancel DMs after a second cancel: %v %v, want 4 pending", n, err)
		}
	})
	t.Run("Series", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		f := newFixtureAt(t, path)
		rallies, err := f.db.CreateSeries(ctx(), store.NewSeries{Repeat: store.RepeatWeekly,
			Rally: store.NewRally{GuildID: "g1", ChapterID: f.chapter.ID, Title: "Assembly", Location: "Hall", Duration: time.Hour,
				TimeZone: f.chapter.TimeZone, Capacity: 1, Needs: store.RoleNeeds{store.Marshal: 1}},
			Starts: []time.Time{t0.Add(48 * time.Hour), t0.Add(9 * 24 * time.Hour), t0.Add(16 * 24 * time.Hour)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.attended(t, rallies[1].ID)
		if _, err := f.db.SetRSVP(ctx(), "g1", rallies[0].ID, "u9", store.Going); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.CancelSeries(ctx(), "g1", rallies[1].ID, "Hall closed", nil); err != nil {
			t.Fatal(err)
		}
		f.db.Close()
		got := f.owed(t, f.reopen(t, path))
		if fmt.Sprint(got[fmt.Sprintf("%d/%s", rallies[1].ID, store.DMCancelled)]) != noticed || len(got) != 1 {
			t.Errorf("owed after cancelling the rest: %v, want %s of #%d only (#%d is on, #%d has nobody)",
				got, noticed, rallies[1].ID, rallies[0].ID, rallies[2].ID)
		}
	})
	t.Run("Action", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		f := newFixtureAt(t, path)
		channel := "c1"
		ch, err := f.db.UpdateChapter(ctx(), "g1", f.chapter.Name, store.ChapterUpdate{ChannelID: &channel})
		if err != nil {
			t.Fatal(err)
		}
		act, rallies, err := f.db.CreateAction(ctx(), store.NewAction{GuildID: "g1", Title: "Day of action", Date: "2026-11-25", Time: "18:00",
			Location: "Hall", Duration: time.Hour, Capacity: 1, Needs: store.RoleNeeds{store.Marshal: 1},
			Rallies: []store.NewActionRally{{Chapter: ch, StartsAt: t0.Add(48 * time.Hour)}}, FirstRetry: t0})
		if err != nil {
			t.Fatal(err)
		}
		f.attended(t, rallies[0].ID)
		if _, _, err := f.db.CancelAction(ctx(), "g1", act.ID, "Called off"); err != nil {
			t.Fatal(err)
		}
		f.db.Close()
		db := f.reopen(t, path)
		got := f.owed(t, db)
		if fmt.Sprint(got[fmt.Sprintf("%d/%s", rallies[0].ID, store.DMCancelled)]) != noticed || len(got) != 1 {
			t.Errorf("owed after the action's cancel: %v, want %s", got, noticed)
		}
		c, err := db.CalendarRally(ctx(), "g1", rallies[0].ID)
		if err != nil || c.Sequence < 1 {
			t.Errorf("a cancelled action rally's revision is %d (%v): calendars would not learn it is off", c.Sequence, err)
		}
	})
}

// TestEditOwesChangeNotice: an edit with a notice owes each member going,
// maybe or waitlisted the DM of it in the edit's transaction, worded from the
// rally as it was and is; an edit whose notice is "" owes nothing, and a
// refused edit neither.
func TestEditOwesChangeNotice(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	r := f.staffedRally(t, 1, store.RoleNeeds{store.Marshal: 1})
	f.attended(t, r.ID)
	moved := func(before, after store.Rally) string {
		if before.Location == after.Location {
			return ""
		}
		return before.Location + " → " + after.Location
	}

	if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Title: ptr("Renamed"), Notice: moved}, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.owed(t, f.db); len(got) != 0 {
		t.Fatalf("owed after a retitle: %v, want nothing", got)
	}
	if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Location: ptr("Pioneer Square"), Notice: moved}, nil); err != nil {
		t.Fatal(err)
	}
	f.db.Close()
	db := f.reopen(t, path)
	got := f.owed(t, db)
	if fmt.Sprint(got[fmt.Sprintf("%d/change", r.ID)]) != noticed || len(got) != 1 {
		t.Errorf("owed after a move: %v, want %s", got, noticed)
	}
	due, err := db.DueMemberDMs(ctx(), f.clock.Now(), 10)
	if err != nil || len(due) == 0 || due[0].Body != "City Hall → Pioneer Square" {
		t.Errorf("change DM %+v (%v), want the body worded from before and after", due, err)
	}

	if _, err := db.CancelRally(ctx(), "g1", r.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Location: ptr("Elsewhere"), Notice: moved}, nil)
	if err == nil {
		t.Fatal("a cancelled rally was edited")
	}
	if n := len(f.owed(t, db)[fmt.Sprintf("%d/change", r.ID)]); n != 4 {
		t.Errorf("%d change DMs owed after a refused edit, want the 4 of the move", n)
	}
}

// TestReminderDMsNotOwedForAnOldTime: a reminder read as due just before
// its rally was re-timed owes no DMs (they would remind members of the old
// time, and stand for the new time's): only the post as re-armed does.
func TestReminderDMsNotOwedForAnOldTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	offsets := []time.Duration{24 * time.Hour, 2 * time.Hour}
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", store.Going); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(24*time.Hour + time.Minute)
	reminder := func() store.ChannelPost {
		t.Helper()
		due, err := f.db.DueChannelPosts(ctx(), f.clock.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range due {
			if p.Kind == store.PostReminder && p.Rally.ID == r.ID {
				return p
			}
		}
		t.Fatalf("no reminder due among %d posts", len(due))
		return store.ChannelPost{}
	}
	stale := reminder()
	if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: ptr(t0.Add(96 * time.Hour))}, offsets); err != nil {
		t.Fatal(err)
	}
	q := store.MemberDMs{RallyID: r.ID, Kind: store.ReminderDM(stale.Args.Offset()), Statuses: []store.RSVPStatus{store.Going}, For: &stale}
	if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 0 {
		t.Errorf("the old time's reminder owed %d DMs (%v), want 0", n, err)
	}
	f.clock.Add(48 * time.Hour)
	fresh := reminder()
	q.For = &fresh
	if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 1 {
		t.Errorf("the new time's reminder owed %d DMs (%v), want 1", n, err)
	}
}

// TestDMSentForAReplacedRowIsAStray: a reminder DM read and on its way when
// a move owes that reminder anew (another row, another nonce) is not
// recorded on the new row, which stays owed for the new time: the old send
// is a stray, whose deletion on Discord is owed.
func TestDMSentForAReplacedRowIsAStray(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	offsets := []time.Duration{24 * time.Hour, 2 * time.Hour}
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", store.Going); err != nil {
		t.Fatal(err)
	}
	kind := store.ReminderDM(24 * time.Hour)
	q := store.MemberDMs{RallyID: r.ID, Kind: kind, Statuses: []store.RSVPStatus{store.Going}}
	if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 1 {
		t.Fatalf("owed %d DMs (%v), want 1", n, err)
	}
	due, err := f.db.DueMemberDMs(ctx(), f.clock.Now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("%d DMs due (%v), want 1", len(due), err)
	}
	onItsWay := due[0]
	// Moved a day later: the reminder is owed anew, under a new nonce.
	if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: ptr(t0.Add(72 * time.Hour))}, offsets); err != nil {
		t.Fatal(err)
	}
	if n, err := f.db.QueueMemberDMs(ctx(), q); err != nil || n != 1 {
		t.Fatalf("owed anew %d DMs (%v), want 1", n, err)
	}
	strays, err := f.db.FinishMemberDMs(ctx(), []store.DMOutcome{{Due: onItsWay, State: store.DMSent, ChannelID: "500", MessageID: "600"}})
	if err != nil || len(strays) != 1 {
		t.Fatalf("%d strays (%v), want the old send", len(strays), err)
	}
	due, err = f.db.DueMemberDMs(ctx(), f.clock.Now(), 10)
	if err != nil || len(due) != 1 || due[0].Nonce == onItsWay.Nonce {
		t.Errorf("the new time's DM is not owed after the old send came back: %d due (%v)", len(due), err)
	}
}
