package store_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// TestDuePostQueryPlan reads SQLite's plan for the very query
// DueChannelPosts runs, on a database the store migrated.
func TestDuePostQueryPlan(t *testing.T) {
	path := dbPath(t)
	MustOpen(t, path, newClock(t0))
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx(), `EXPLAIN QUERY PLAN `+store.DueChannelPostsQuery, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(plan, "; ")
	// It starts from the partial index and sorts nothing.
	if !strings.HasPrefix(joined, "SEARCH p USING INDEX channel_posts_pending") {
		t.Errorf("plan %q does not start from channel_posts_pending", joined)
	}
	if strings.Contains(joined, "SCAN") || strings.Contains(joined, "TEMP B-TREE") {
		t.Errorf("plan %q scans or sorts", joined)
	}
}

// dueReminder is the one reminder due at the clock's now.
func dueReminder(t *testing.T, f *fixture) store.ChannelPost {
	t.Helper()
	ps, err := f.db.DueChannelPosts(ctx(), f.clock.Now(), 10)
	var due []store.ChannelPost
	for _, p := range ps {
		if p.Kind == store.PostReminder {
			due = append(due, p)
		}
	}
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %+v, %v; want one reminder", due, err)
	}
	return due[0]
}

func TestDueReminderGuards(t *testing.T) {
	offsets := []time.Duration{24 * time.Hour, 2 * time.Hour}
	state := func(t *testing.T, f *fixture, id int64, off time.Duration) store.Reminder {
		t.Helper()
		rs, err := f.db.Reminders(ctx(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Offset == off {
				return r
			}
		}
		t.Fatalf("no %v reminder", off)
		return store.Reminder{}
	}

	t.Run("ResumedAttemptReusesNonce", func(t *testing.T) {
		f := newFixture(t)
		f.rally(t, 0, t0.Add(30*time.Hour))
		f.clock.Add(6 * time.Hour)
		d := dueReminder(t, f)
		state, resumed, err := f.db.BeginChannelPost(ctx(), d)
		if err != nil || state != store.ReminderPending || resumed || d.Nonce == "" || len(d.Nonce) > 25 {
			t.Fatalf("first begin = %v %v %v (nonce %q)", state, resumed, err, d.Nonce)
		}
		if err := f.db.RetryChannelPost(ctx(), d, f.clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
		again := dueReminder(t, f)
		if again.Nonce != d.Nonce || again.Attempts != 1 || again.BegunAt.IsZero() {
			t.Fatalf("due after a retry = %+v, want nonce %s after 1 attempt, begun", again, d.Nonce)
		}
		state, resumed, err = f.db.BeginChannelPost(ctx(), again)
		if err != nil || state != store.ReminderPending || !resumed {
			t.Fatalf("second begin = %v %v %v; want resumed", state, resumed, err)
		}
	})

	t.Run("RetimeDuringSendLeavesNewTimePending", func(t *testing.T) {
		f := newFixture(t)
		r := f.rally(t, 0, t0.Add(30*time.Hour))
		f.clock.Add(6 * time.Hour)
		d := dueReminder(t, f)
		f.db.BeginChannelPost(ctx(), d)
		// While the reminder is being sent, a lead moves the rally.
		moved := r.StartsAt.Add(48 * time.Hour)
		if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: &moved}, offsets); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.db.FinishChannelPost(ctx(), store.ChannelPostOutcome{Post: d, State: store.ReminderSent, MessageID: "m1"}); err != nil || ok {
			t.Fatalf("finish of the old arming = %v %v, want nothing changed", ok, err)
		}
		if st := state(t, f, r.ID, 24*time.Hour); st.State != store.ReminderPending || !st.DueAt.Equal(moved.Add(-24*time.Hour)) {
			t.Fatalf("re-armed reminder = %+v, want pending for the new time", st)
		}
		if state, _, _ := f.db.BeginChannelPost(ctx(), d); state == store.ReminderPending {
			t.Fatal("a sweep that read the old arming began a send")
		}
	})

	t.Run("RetimeDropsOffsetsNoLongerConfigured", func(t *testing.T) {
		f := newFixture(t)
		r := f.rally(t, 0, t0.Add(72*time.Hour)) // armed at 24h and 2h
		moved := r.StartsAt.Add(time.Hour)
		if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: &moved}, []time.Duration{30 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		for off, want := range map[time.Duration]store.ReminderState{24 * time.Hour: store.ReminderDropped, 2 * time.Hour: store.ReminderDropped, 30 * time.Minute: store.ReminderPending} {
			if st := state(t, f, r.ID, off); st.State != want {
				t.Errorf("%v reminder %s, want %s", off, st.State, want)
			}
		}
	})
}

func TestSummaryRun(t *testing.T) {
	f := newFixture(t)
	r := f.rally(t, 0, t0.Add(30*time.Hour))
	slot := t0.Truncate(time.Hour)

	if owed, err := f.db.SummaryOwed(ctx(), "g1", slot); err != nil || owed {
		t.Fatalf("owed before = %v %v", owed, err)
	}
	fresh, err := f.db.OweSummary(ctx(), "g1", slot, []string{`[{"title":"first"}]`, `[{"title":"second"}]`}, map[int64]store.Counts{r.ID: {Going: 4, Maybe: 1}})
	if err != nil || !fresh {
		t.Fatalf("owe = %v %v", fresh, err)
	}
	// A second attempt (after a restart) owes nothing more.
	if fresh, _ := f.db.OweSummary(ctx(), "g1", slot, []string{`[{"title":"again"}]`}, nil); fresh {
		t.Fatal("the run was owed twice")
	}
	var parts []store.ChannelPost
	ps, _ := f.db.DueChannelPosts(ctx(), f.clock.Now(), 10)
	for _, p := range ps {
		if p.Kind == store.PostSummary {
			parts = append(parts, p)
		}
	}
	if len(parts) != 2 || parts[0].Body != `[{"title":"first"}]` || parts[1].Args.Part != 1 || parts[1].Args.Parts != 2 {
		t.Fatalf("parts owed = %+v", parts)
	}
	if earlier, _ := f.db.EarlierSummaryPartPending(ctx(), parts[1]); !earlier {
		t.Error("the second part does not wait for the first")
	}
	done, _, err := f.db.FinishSummaryPart(ctx(), store.ChannelPostOutcome{Post: parts[0], State: store.ReminderSent, MessageID: "m1"})
	if err != nil || done {
		t.Fatalf("first part = %v %v, want the run still open", done, err)
	}
	if before, _ := f.db.SummaryCounts(ctx(), []int64{r.ID}); len(before) != 0 {
		t.Fatalf("baseline before the run is posted: %+v", before)
	}
	done, state, err := f.db.FinishSummaryPart(ctx(), store.ChannelPostOutcome{Post: parts[1], State: store.ReminderSent, MessageID: "m2"})
	if err != nil || !done || state != store.SummarySent {
		t.Fatalf("last part = %v %v %v, want the run posted", done, state, err)
	}
	base, _ := f.db.SummaryCounts(ctx(), []int64{r.ID})
	if base[r.ID] != (store.Counts{Going: 4, Maybe: 1}) {
		t.Errorf("baseline = %+v, want the counts the run showed", base)
	}
	if last, _ := f.db.LastSummary(ctx(), "g1"); !last.Equal(slot) {
		t.Errorf("last summary %v, want %v", last, slot)
	}
}

func TestNotices(t *testing.T) {
	f := newFixture(t)
	for i, want := range []bool{true, false} {
		if fresh, err := f.db.NoteOnce(ctx(), "g1", "channel:1"); err != nil || fresh != want {
			t.Fatalf("note #%d = %v %v, want %v", i+1, fresh, err, want)
		}
	}
	if err := f.db.ForgetNote(ctx(), "g1", "channel:1"); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := f.db.NoteOnce(ctx(), "g1", "channel:1"); !fresh {
		t.Fatal("a forgotten notice is not new again")
	}
}
