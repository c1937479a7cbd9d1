package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rallybot/store"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// clock is a settable time source shared by the store and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time           { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)      { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock(t time.Time) *clock         { return &clock{now: t} }
func ctx() context.Context                { return context.Background() }
func ptr[T any](v T) *T                   { return &v }
func dbPath(tb testing.TB) string         { return filepath.Join(tb.TempDir(), "rallybot.db") }
func closeDB(tb testing.TB, db *store.DB) { tb.Helper(); tb.Cleanup(func() { db.Close() }) }

// MustOpen opens a real SQLite file in a temporary directory.
func MustOpen(tb testing.TB, path string, c *clock) *store.DB {
	tb.Helper()
	db, err := store.Open(ctx(), path)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	db.Now = c.Now
	closeDB(tb, db)
	return db
}

// fixture is a guild with its default chapters and one rally.
type fixture struct {
	db      *store.DB
	clock   *clock
	chapter store.Chapter
}

func newFixture(tb testing.TB) *fixture { return newFixtureAt(tb, dbPath(tb)) }

// newFixtureAt is newFixture in the file at path, for a test that reopens it.
func newFixtureAt(tb testing.TB, path string) *fixture {
	c := newClock(t0)
	db := MustOpen(tb, path, c)
	if _, err := db.SeedGuild(ctx(), "g1"); err != nil {
		tb.Fatal(err)
	}
	ch, err := db.ChapterByName(ctx(), "g1", "seattle")
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{db: db, clock: c, chapter: ch}
}

func (f *fixture) rally(tb testing.TB, capacity int, start time.Time) store.Rally {
	tb.Helper()
	r, err := f.db.CreateRally(ctx(), store.NewRally{
		GuildID: "g1", ChapterID: f.chapter.ID, Title: "March", Location: "City Hall",
		StartsAt: start, Duration: 2 * time.Hour, TimeZone: f.chapter.TimeZone, Capacity: capacity,
	}, []time.Duration{24 * time.Hour, 2 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestOpen(t *testing.T) {
	t.Run("FilePrivateAndMigratedOnce", func(t *testing.T) {
		path := dbPath(t)
		c := newClock(t0)
		db := MustOpen(t, path, c)
		first, err := db.Migrations(ctx())
		if err != nil || len(first) == 0 {
			t.Fatalf("migrations = %v, %v", first, err)
		}
		db.Close()
		db2 := MustOpen(t, path, c)
		second, err := db2.Migrations(ctx())
		if err != nil || strings.Join(first, ",") != strings.Join(second, ",") {
			t.Fatalf("after reopen migrations = %v, want %v (%v)", second, first, err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatalf("stat %s: %v", p, err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %v, want 0600", filepath.Base(p), st.Mode().Perm())
			}
		}
	})
	t.Run("PathWithURICharacters", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a?b#c%20d.db")
		db := MustOpen(t, path, newClock(t0))
		if _, err := db.SeedGuild(ctx(), "g1"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "a?b#c%20d.db") {
				t.Errorf("stray file %q: the path was read as a URI", e.Name())
			}
		}
		db = MustOpen(t, path, newClock(t0))
		if chapters, _ := db.Chapters(ctx(), "g1"); len(chapters) != 7 {
			t.Errorf("reopened file has %d chapters, want 7", len(chapters))
		}
	})
	t.Run("ErrUnreadable", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "not-a-db")
		if err := os.WriteFile(path, []byte(strings.Repeat("garbage!", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Open(ctx(), path); err == nil {
			t.Fatal("opened a file that is not a database")
		}
	})
	t.Run("ErrMissingDirectory", func(t *testing.T) {
		if _, err := store.Open(ctx(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
			t.Fatal("opened a path in a directory that does not exist")
		}
	})
}

func TestSeedGuild(t *testing.T) {
	c := newClock(t0)
	path := dbPath(t)
	db := MustOpen(t, path, c)
	seeded, err := db.SeedGuild(ctx(), "g1")
	if err != nil || !seeded {
		t.Fatalf("first seed = %v, %v; want true", seeded, err)
	}
	if _, err := db.RemoveChapter(ctx(), "g1", "Oakland"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = MustOpen(t, path, c)
	seeded, err = db.SeedGuild(ctx(), "g1")
	if err != nil || seeded {
		t.Fatalf("second seed = %v, %v; want false", seeded, err)
	}
	chapters, err := db.Chapters(ctx(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	if len(chapters) != 6 {
		t.Errorf("got %d chapters after removing one and reseeding, want 6 (a guild is seeded once)", len(chapters))
	}
	zones := map[string]string{}
	for _, ch := range chapters {
		zones[ch.Name] = ch.TimeZone
	}
	if zones["Chicago"] != "America/Chicago" || zones["Washington DC"] != "America/New_York" || zones["Seattle"] != "America/Los_Angeles" {
		t.Errorf("zones = %v", zones)
	}
}

func TestChapters(t *testing.T) {
	f := newFixture(t)
	t.Run("ErrDuplicateName", func(t *testing.T) {
		_, err := f.db.AddChapter(ctx(), store.Chapter{GuildID: "g1", Name: "CHICAGO", TimeZone: "America/Chicago"})
		var exists *store.ChapterExistsError
		if !errors.As(err, &exists) || exists.Name != "CHICAGO" || exists.Renamed || store.ErrorCode(err) != store.EConflict {
			t.Fatalf("got %v, want a ChapterExistsError for CHICAGO", err)
		}
	})
	t.Run("ErrRemoveWithUpcomingRally", func(t *testing.T) {
		f.rally(t, 0, t0.Add(48*time.Hour))
		_, err := f.db.RemoveChapter(ctx(), "g1", "Seattle")
		var busy *store.ChapterHasRalliesError
		if !errors.As(err, &busy) || busy.Name != "Seattle" || busy.Upcoming != 1 || !errors.Is(err, store.ErrChapterHasRallies) {
			t.Fatalf("got %v, want a ChapterHasRalliesError for Seattle with 1 upcoming", err)
		}
	})
	t.Run("ErrRenameToExisting", func(t *testing.T) {
		_, err := f.db.UpdateChapter(ctx(), "g1", "Chicago", store.ChapterUpdate{Name: ptr("seattle")})
		var exists *store.ChapterExistsError
		if !errors.As(err, &exists) || !exists.Renamed || !strings.HasPrefix(err.Error(), "update chapter: ") {
			t.Fatalf("got %v, want a ChapterExistsError for a rename, wrapped with the operation", err)
		}
	})
	t.Run("SetupAndRename", func(t *testing.T) {
		c, err := f.db.UpdateChapter(ctx(), "g1", "oakland", store.ChapterUpdate{ChannelID: ptr("555"), LeadRoleID: ptr("777"), Name: ptr("East Bay")})
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "East Bay" || c.ChannelID != "555" || c.LeadRoleID != "777" {
			t.Errorf("got %+v", c)
		}
		_, err = f.db.ChapterByName(ctx(), "g1", " Oakland ")
		var missing *store.NoSuchChapterError
		if !errors.As(err, &missing) || missing.Name != "Oakland" || !errors.Is(err, store.ErrNoSuchChapter) {
			t.Errorf("old name still found: %v", err)
		}
	})
	t.Run("OtherGuildIsolated", func(t *testing.T) {
		if _, err := f.db.ChapterByName(ctx(), "g2", "Seattle"); !errors.Is(err, store.ErrNoSuchChapter) {
			t.Errorf("chapter of g1 visible from g2: %v", err)
		}
	})
}

func TestRSVP(t *testing.T) {
	f := newFixture(t)
	r := f.rally(t, 2, t0.Add(72*time.Hour))
	set := func(user string, status store.RSVPStatus) store.RSVPResult {
		t.Helper()
		res, err := f.db.SetRSVP(ctx(), "g1", r.ID, user, status)
		if err != nil {
			t.Fatalf("%s %s: %v", user, status, err)
		}
		return res
	}
	if res := set("u1", store.Going); res.Status != store.Going || res.Rally.Going != 1 {
		t.Fatalf("u1 going: %+v", res)
	}
	if res := set("u1", store.Maybe); res.Status != store.Maybe || res.Rally.Going != 0 || res.Rally.Maybe != 1 {
		t.Fatalf("u1 change of mind: %+v", res)
	}
	set("u1", store.Going)
	set("u2", store.Going)
	res := set("u3", store.Going)
	if res.Status != store.Waitlist || res.Position != 1 {
		t.Fatalf("u3 on a full rally: status %s position %d, want waitlist #1", res.Status, res.Position)
	}
	if res := set("u4", store.Going); res.Status != store.Waitlist || res.Position != 2 {
		t.Fatalf("u4: %+v", res)
	}
	if res := set("u3", store.Going); res.Status != store.Waitlist || res.Position != 1 {
		t.Fatalf("u3 clicking going again keeps the place: %+v", res)
	}
	res = set("u1", store.NotGoing)
	if len(res.Promoted) != 1 || res.Promoted[0] != "u3" {
		t.Fatalf("promoted = %v, want [u3]", res.Promoted)
	}
	if res.Rally.Going != 2 || res.Rally.Waitlist != 1 {
		t.Fatalf("counts after drop: going %d waitlist %d", res.Rally.Going, res.Rally.Waitlist)
	}
	mine, err := f.db.MemberRSVPs(ctx(), "g1", "u3", f.clock.Now())
	if err != nil || len(mine) != 1 || mine[0].Status != store.Going || !mine[0].Promoted {
		t.Fatalf("u3's RSVPs = %+v, %v; want going and promoted", mine, err)
	}
	mine, _ = f.db.MemberRSVPs(ctx(), "g1", "u4", f.clock.Now())
	if len(mine) != 1 || mine[0].Position != 1 {
		t.Fatalf("u4 moved up to waitlist #1: %+v", mine)
	}
	att, err := f.db.RallyAttendees(ctx(), r.ID)
	if err != nil || strings.Join(att.Going, ",") != "u2,u3" || strings.Join(att.Waitlist, ",") != "u4" {
		t.Fatalf("attendees = %+v", att)
	}

	t.Run("ErrOtherGuild", func(t *testing.T) {
		_, err := f.db.SetRSVP(ctx(), "g2", r.ID, "u9", store.Going)
		if !errors.Is(err, store.ErrNoSuchRally) || store.ErrorCode(err) != store.ENotFound {
			t.Fatalf("RSVP across guilds: %v", err)
		}
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		r2 := f.rally(t, 0, t0.Add(96*time.Hour))
		if _, err := f.db.CancelRally(ctx(), "g1", r2.ID, "rain", nil); err != nil {
			t.Fatal(err)
		}
		_, err := f.db.SetRSVP(ctx(), "g1", r2.ID, "u1", store.Going)
		var refused *store.RallyStateError
		if !errors.As(err, &refused) || refused.Change != store.ChangeRSVP || refused.Title != "March" || !errors.Is(err, store.ErrRallyCancelled) {
			t.Fatalf("RSVP to a cancelled rally: %v", err)
		}
		_, err = f.db.CancelRally(ctx(), "g1", r2.ID, "", nil)
		if !errors.As(err, &refused) || refused.Change != store.ChangeCancel || !errors.Is(err, store.ErrRallyCancelled) {
			t.Fatalf("cancel a cancelled rally: %v", err)
		}
		_, _, err = f.db.UpdateRally(ctx(), "g1", r2.ID, store.RallyUpdate{Title: ptr("x")}, nil)
		if !errors.As(err, &refused) || refused.Change != store.ChangeEdit || !errors.Is(err, store.ErrRallyCancelled) {
			t.Fatalf("edit a cancelled rally: %v", err)
		}
	})
	t.Run("ErrStarted", func(t *testing.T) {
		r3 := f.rally(t, 0, t0.Add(time.Hour))
		f.clock.Add(90 * time.Minute)
		defer f.clock.Add(-90 * time.Minute)
		_, err := f.db.SetRSVP(ctx(), "g1", r3.ID, "u1", store.Going)
		if !errors.Is(err, store.ErrRallyStarted) || store.ErrorCode(err) != store.EConflict || !strings.HasPrefix(err.Error(), "set rsvp: ") {
			t.Fatalf("RSVP to a started rally: %v", err)
		}
		f.clock.Add(2 * time.Hour) // now over
		defer f.clock.Add(-2 * time.Hour)
		_, err = f.db.CancelRally(ctx(), "g1", r3.ID, "", nil)
		if !errors.Is(err, store.ErrRallyOver) {
			t.Fatalf("cancel a rally that is over: %v", err)
		}
	})
	t.Run("ErrBadStatus", func(t *testing.T) {
		_, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", store.Waitlist)
		if !errors.Is(err, store.ErrBadRSVPStatus) || store.ErrorCode(err) != store.EInvalid {
			t.Fatalf("RSVP as waitlist: %v", err)
		}
	})
	t.Run("CapacityRaisePromotes", func(t *testing.T) {
		r, promoted, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Capacity: ptr(3)}, nil)
		if err != nil || len(promoted) != 1 || promoted[0] != "u4" || r.Going != 3 || r.Waitlist != 0 {
			t.Fatalf("raise capacity: %+v %v %v", r, promoted, err)
		}
	})
}

// TestRSVPConcurrentLastSeats: many members click Going at once on a rally
// with two seats; exactly two get them, the rest queue in order.
func TestRSVPConcurrentLastSeats(t *testing.T) {
	f := newFixture(t)
	r := f.rally(t, 2, t0.Add(72*time.Hour))
	var wg sync.WaitGroup
	results := make([]store.RSVPResult, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = f.db.SetRSVP(ctx(), "g1", r.ID, fmt.Sprintf("u%d", i), store.Going)
		}(i)
	}
	wg.Wait()
	going, positions := 0, map[int]bool{}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("click %d: %v", i, errs[i])
		}
		if res.Status == store.Going {
			going++
		} else {
			positions[res.Position] = true
		}
	}
	if going != 2 || len(positions) != 6 {
		t.Fatalf("going = %d, distinct waitlist places = %d; want 2 and 6", going, len(positions))
	}
	got, _ := f.db.Rally(ctx(), "g1", r.ID)
	if got.Going != 2 || got.Waitlist != 6 {
		t.Fatalf("stored counts going %d waitlist %d", got.Going, got.Waitlist)
	}
}

func TestForgetMember(t *testing.T) {
	f := newFixture(t)
	a := f.rally(t, 1, t0.Add(72*time.Hour))
	b := f.rally(t, 0, t0.Add(96*time.Hour))
	for _, s := range []struct {
		r    store.Rally
		user string
	}{{a, "me"}, {a, "next"}, {b, "me"}, {b, "other"}} {
		if _, err := f.db.SetRSVP(ctx(), "g1", s.r.ID, s.user, store.Going); err != nil {
			t.Fatal(err)
		}
	}
	forgotten, err := f.db.Forget(ctx(), "g1", "me")
	if err != nil || len(forgotten.Rallies) != 2 {
		t.Fatalf("removed from %v, %v; want 2", forgotten.Rallies, err)
	}
	promotions := forgotten.Promotions
	if len(promotions) != 1 || promotions[0].UserID != "next" || promotions[0].Rally.ID != a.ID {
		t.Fatalf("promotions = %+v", promotions)
	}
	mine, _ := f.db.MemberRSVPs(ctx(), "g1", "me", f.clock.Now())
	if len(mine) != 0 {
		t.Fatalf("still has %d RSVPs", len(mine))
	}
}

func TestPurgeRSVPs(t *testing.T) {
	f := newFixture(t)
	old := f.rally(t, 0, t0.Add(3*time.Hour))
	recent := f.rally(t, 0, t0.Add(20*24*time.Hour))
	for _, r := range []store.Rally{old, recent} {
		for _, u := range []string{"a", "b", "c"} {
			if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, store.Going); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.clock.Add(40 * 24 * time.Hour) // old ended 40 days ago, recent 20
	rsvps, rallies, err := f.db.PurgeRSVPs(ctx(), f.clock.Now().AddDate(0, 0, -30))
	if err != nil || rsvps != 3 || rallies != 1 {
		t.Fatalf("purged %d rsvps of %d rallies (%v); want 3 of 1", rsvps, rallies, err)
	}
	got, _ := f.db.Rally(ctx(), "g1", old.ID)
	if got.Going != 3 {
		t.Errorf("count after purge = %d, want 3 kept on the rally", got.Going)
	}
	att, _ := f.db.RallyAttendees(ctx(), old.ID)
	if len(att.Going) != 0 {
		t.Errorf("old attendees kept: %v", att.Going)
	}
	att, _ = f.db.RallyAttendees(ctx(), recent.ID)
	if len(att.Going) != 3 {
		t.Errorf("recent attendees = %v, want 3 kept", att.Going)
	}
}

func TestReminders(t *testing.T) {
	f := newFixture(t)
	r := f.rally(t, 0, t0.Add(30*time.Hour)) // reminders at +6h and +28h
	reminders := func() []store.ChannelPost {
		ps, err := f.db.DueChannelPosts(ctx(), f.clock.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []store.ChannelPost
		for _, p := range ps {
			if p.Kind == store.PostReminder {
				out = append(out, p)
			}
		}
		return out
	}
	if due := reminders(); len(due) != 0 {
		t.Fatalf("due now = %v", due)
	}
	f.clock.Add(6 * time.Hour)
	due := reminders()
	if len(due) != 1 || due[0].Args.Offset() != 24*time.Hour || due[0].Rally.ID != r.ID || due[0].Nonce == "" || len(due[0].Nonce) > 25 {
		t.Fatalf("due at +6h = %+v", due)
	}
	if state, resumed, err := f.db.BeginChannelPost(ctx(), due[0]); err != nil || state != store.ReminderPending || resumed {
		t.Fatalf("begin = %v %v %v", state, resumed, err)
	}
	if ok, err := f.db.FinishChannelPost(ctx(), store.ChannelPostOutcome{Post: due[0], State: store.ReminderSent, MessageID: "m1"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if state, _, _ := f.db.BeginChannelPost(ctx(), due[0]); state != store.ReminderSent {
		t.Fatal("a sent reminder began again")
	}
	if rs, _ := f.db.Reminders(ctx(), r.ID); rs[0].Offset != 24*time.Hour || rs[0].State != store.ReminderSent || rs[0].MessageID != "m1" {
		t.Fatalf("after finish: %+v", rs)
	}
	t.Run("RetimeRearms", func(t *testing.T) {
		start := r.StartsAt.Add(48 * time.Hour)
		if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: &start}, []time.Duration{24 * time.Hour, 2 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		rs, _ := f.db.Reminders(ctx(), r.ID)
		for _, x := range rs {
			if x.State != store.ReminderPending || !x.DueAt.Equal(start.Add(-x.Offset)) {
				t.Errorf("after re-time: %+v", x)
			}
		}
	})
	t.Run("CancelDrops", func(t *testing.T) {
		if _, err := f.db.CancelRally(ctx(), "g1", r.ID, "", nil); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(100 * time.Hour)
		if due := reminders(); len(due) != 0 {
			t.Fatalf("cancelled rally still has due reminders: %+v", due)
		}
	})
}
