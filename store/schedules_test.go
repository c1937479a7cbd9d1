package store_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// TestDueReminderQueryPlan reads SQLite's plan for the very query
// DueReminders runs, on a database the store migrated.
func TestDueReminderQueryPlan(t *testing.T) {
	path := dbPath(t)
	MustOpen(t, path, newClock(t0))
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx(), `EXPLAIN QUERY PLAN `+store.DueRemindersQuery, 0, 100)
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
	// The plan is of the query DueReminders runs, joins included: it starts
	// from the partial index and sorts nothing.
	if !strings.HasPrefix(joined, "SEARCH m USING INDEX reminders_pending_due") {
		t.Errorf("plan %q does not start from reminders_pending_due", joined)
	}
	if strings.Contains(joined, "SCAN") || strings.Contains(joined, "TEMP B-TREE") {
		t.Errorf("plan %q scans or sorts", joined)
	}
}

func TestDueReminderGuards(t *testing.T) {
	offsets := []time.Duration{24 * time.Hour, 2 * time.Hour}
	due := func(t *testing.T, f *fixture) store.DueReminder {
		t.Helper()
		ds, err := f.db.DueReminders(ctx(), f.clock.Now(), 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("due = %+v, %v; want one", ds, err)
		}
		return ds[0]
	}
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
		d := due(t, f)
		first, ok, err := f.db.BeginDue(ctx(), d)
		if err != nil || !ok || first.Resumed || first.Nonce == "" {
			t.Fatalf("first begin = %+v %v %v", first, ok, err)
		}
		if err := f.db.RetryDue(ctx(), store.ReminderRetry{Due: d, Nonce: first.Nonce, At: f.clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Minute)
		d = due(t, f)
		if d.Nonce != first.Nonce || d.Attempts != 1 {
			t.Fatalf("due after a retry = %+v, want nonce %s after 1 attempt", d, first.Nonce)
		}
		again, ok, err := f.db.BeginDue(ctx(), d)
		if err != nil || !ok || !again.Resumed || again.Nonce != first.Nonce {
			t.Fatalf("second begin = %+v %v %v; want the same nonce, resumed", again, ok, err)
		}
	})

	t.Run("RetimeDuringSendLeavesNewTimePending", func(t *testing.T) {
		f := newFixture(t)
		r := f.rally(t, 0, t0.Add(30*time.Hour))
		f.clock.Add(6 * time.Hour)
		d := due(t, f)
		att, _, _ := f.db.BeginDue(ctx(), d)
		// While the reminder is being sent, a lead moves the rally.
		moved := r.StartsAt.Add(48 * time.Hour)
		if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{StartsAt: &moved}, offsets); err != nil {
			t.Fatal(err)
		}
		if err := f.db.FinishDue(ctx(), store.ReminderOutcome{Due: d, Nonce: att.Nonce, State: store.ReminderSent, MessageID: "m1"}); err != nil {
			t.Fatal(err)
		}
		if st := state(t, f, r.ID, 24*time.Hour); st.State != store.ReminderPending || !st.DueAt.Equal(moved.Add(-24*time.Hour)) {
			t.Fatalf("re-armed reminder = %+v, want pending for the new time", st)
		}
		if _, ok, _ := f.db.BeginDue(ctx(), d); ok {
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

	run, ok, err := f.db.BeginSummary(ctx(), "g1", slot)
	if err != nil || !ok || run.Resumed || run.Parts != nil {
		t.Fatalf("first begin = %+v %v %v", run, ok, err)
	}
	parts, err := f.db.SaveSummaryContent(ctx(), "g1", slot, []byte(`[["first"]]`), map[int64]store.Counts{r.ID: {Going: 4, Maybe: 1}})
	if err != nil || string(parts) != `[["first"]]` {
		t.Fatalf("save = %s %v", parts, err)
	}
	// A second attempt (after a restart) gets the first rendering, not its own.
	parts, _ = f.db.SaveSummaryContent(ctx(), "g1", slot, []byte(`[["second"]]`), nil)
	if string(parts) != `[["first"]]` {
		t.Fatalf("second save = %s, want the first kept", parts)
	}
	if err := f.db.SummaryPartSent(ctx(), "g1", slot, 1); err != nil {
		t.Fatal(err)
	}
	run, ok, _ = f.db.BeginSummary(ctx(), "g1", slot)
	if !ok || !run.Resumed || run.PartsSent != 1 || string(run.Parts) != `[["first"]]` {
		t.Fatalf("resumed run = %+v %v", run, ok)
	}
	if before, _ := f.db.SummaryCounts(ctx(), []int64{r.ID}); len(before) != 0 {
		t.Fatalf("baseline before the run is posted: %+v", before)
	}
	if err := f.db.FinishSummary(ctx(), "g1", slot, store.SummarySent); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.db.BeginSummary(ctx(), "g1", slot); ok {
		t.Fatal("a posted run began again")
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
