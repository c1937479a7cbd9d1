package store_test

import (
	"database/sql"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rallybot/store"
)

// checkRally compares what the rally row says with its RSVP rows: the counts,
// sequence numbers unique and handed out by the rally, and a full rally's
// waitlist waiting only while the seats are taken. It returns the waitlist in
// order.
func checkRally(t *testing.T, raw *sql.DB, rallyID int64) []string {
	t.Helper()
	var going, maybe, waitlist, capacity, seqTop int
	if err := raw.QueryRow(`SELECT going_count, maybe_count, waitlist_count, COALESCE(capacity, 0), rsvp_seq FROM rallies WHERE id = ?`,
		rallyID).Scan(&going, &maybe, &waitlist, &capacity, &seqTop); err != nil {
		t.Fatal(err)
	}
	rows, err := raw.Query(`SELECT user_id, status, seq FROM rsvps WHERE rally_id = ? ORDER BY seq`, rallyID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[store.RSVPStatus]int{}
	seqs := map[int]string{}
	var line []string
	for rows.Next() {
		var u string
		var s store.RSVPStatus
		var seq int
		if err := rows.Scan(&u, &s, &seq); err != nil {
			t.Fatal(err)
		}
		got[s]++
		if other, dup := seqs[seq]; dup {
			t.Errorf("rally %d: %s and %s share sequence number %d", rallyID, other, u, seq)
		}
		seqs[seq] = u
		if seq < 1 || seq > seqTop {
			t.Errorf("rally %d: %s has sequence %d outside 1..%d", rallyID, u, seq, seqTop)
		}
		if s == store.Waitlist {
			line = append(line, u)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if going != got[store.Going] || maybe != got[store.Maybe] || waitlist != got[store.Waitlist] {
		t.Errorf("rally %d: stored counts going %d maybe %d waitlist %d, rows %v", rallyID, going, maybe, waitlist, got)
	}
	if waitlist > 0 && (capacity == 0 || going < capacity) {
		t.Errorf("rally %d: %d waiting with %d/%d seats taken", rallyID, waitlist, going, capacity)
	}
	return line
}

func openRaw(t *testing.T, db *store.DB) *sql.DB {
	raw, err := sql.Open("sqlite3", "file:"+db.Path()+"?_query_only=on")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// TestRSVPRandomized drives a small rally through random clicks, capacity
// changes and forget-me, and checks after each step the stored counts
// against the rows, the sequence numbers, and the position each reply gave.
func TestRSVPRandomized(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t)
	raw := openRaw(t, f.db)
	rallies := []store.Rally{f.rally(t, 4, t0.Add(48*time.Hour)), f.rally(t, 0, t0.Add(72*time.Hour))}
	statuses := []store.RSVPStatus{store.Going, store.Going, store.Maybe, store.NotGoing}
	for step := 0; step < 600; step++ {
		r := rallies[rng.Intn(len(rallies))]
		u := fmt.Sprintf("u%d", rng.Intn(15))
		switch n := rng.Intn(40); {
		case n == 0:
			capacity := rng.Intn(7) // 0 lifts the limit
			if _, _, err := f.db.UpdateRally(ctx(), "g1", r.ID, store.RallyUpdate{Capacity: &capacity}, nil); err != nil {
				t.Fatal(err)
			}
		case n == 1:
			if _, err := f.db.Forget(ctx(), "g1", u); err != nil {
				t.Fatal(err)
			}
		default:
			res, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, statuses[rng.Intn(len(statuses))])
			if err != nil {
				t.Fatal(err)
			}
			line := checkRally(t, raw, r.ID)
			if res.Status == store.Waitlist {
				if want := slices.Index(line, u) + 1; res.Position != want {
					t.Fatalf("step %d: %s told waitlist position %d, is %d in %v", step, u, res.Position, want, line)
				}
			}
			if res.Rally.Waitlist != len(line) {
				t.Fatalf("step %d: reply shows %d waitlisted, rows %d", step, res.Rally.Waitlist, len(line))
			}
		}
		for _, r := range rallies {
			checkRally(t, raw, r.ID)
		}
		if t.Failed() {
			t.Fatalf("step %d broke the rally", step)
		}
	}
}

// TestRSVPConcurrentCounts has many members click at once on two rallies,
// one of them full, and checks the rows and counts that come out.
func TestRSVPConcurrentCounts(t *testing.T) {
	f := newFixture(t)
	raw := openRaw(t, f.db)
	rallies := []store.Rally{f.rally(t, 10, t0.Add(48*time.Hour)), f.rally(t, 0, t0.Add(72*time.Hour))}
	statuses := []store.RSVPStatus{store.Going, store.Maybe, store.NotGoing, store.Going}
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < 40; i++ {
				r := rallies[rng.Intn(2)]
				u := fmt.Sprintf("u%d", rng.Intn(40))
				res, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, statuses[rng.Intn(len(statuses))])
				if err != nil {
					t.Error(err)
					return
				}
				if res.Status == store.Waitlist && (res.Position < 1 || res.Position > res.Rally.Waitlist) {
					t.Errorf("position %d of %d waiting", res.Position, res.Rally.Waitlist)
				}
			}
		}(w)
	}
	wg.Wait()
	for _, r := range rallies {
		checkRally(t, raw, r.ID)
	}
}

// TestGroupCommitFailures sends clicks at once so they share transactions:
// clicks on a cancelled rally are refused without taking the others down,
// and a click that fails in SQLite (a trigger refuses one member) rolls its
// batch back, after which every other click of the batch is still written.
func TestGroupCommitFailures(t *testing.T) {
	f := newFixture(t)
	raw := openRaw(t, f.db)
	open := f.rally(t, 0, t0.Add(48*time.Hour))
	cancelled := f.rally(t, 0, t0.Add(48*time.Hour))
	failingClicks(t, f, cancelled.ID)
	type outcome struct {
		user  string
		rally int64
		err   error
	}
	out := make(chan outcome, 300)
	var wg sync.WaitGroup
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u, r := fmt.Sprintf("u%d", i), open.ID
			switch i % 10 {
			case 3:
				r = cancelled.ID
			case 7:
				u = fmt.Sprintf("bad%d", i)
			}
			_, err := f.db.SetRSVP(ctx(), "g1", r, u, store.Going)
			out <- outcome{u, r, err}
		}(i)
	}
	wg.Wait()
	close(out)
	written := map[string]bool{}
	for o := range out {
		switch {
		case o.rally == cancelled.ID:
			if store.ErrorCode(o.err) != store.EConflict {
				t.Errorf("%s on the cancelled rally: %v, want a refusal", o.user, o.err)
			}
		case strings.HasPrefix(o.user, "bad"):
			if o.err == nil {
				t.Errorf("%s: no error, want the trigger's", o.user)
			}
		case o.err != nil:
			t.Errorf("%s: %v", o.user, o.err)
		default:
			written[o.user] = true
		}
	}
	att, err := f.db.RallyAttendees(ctx(), open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Going) != len(written) || len(written) != 240 {
		t.Errorf("%d going stored, %d acknowledged, want 240", len(att.Going), len(written))
	}
	for _, u := range att.Going {
		if !written[u] {
			t.Errorf("%s stored but not acknowledged", u)
		}
	}
	checkRally(t, raw, open.ID)
	checkRally(t, raw, cancelled.ID)
}

// failingClicks cancels the rally and adds a trigger to the file that makes
// SQLite refuse any RSVP of a member whose id starts with "bad": a click
// refused by the store and one that fails inside a batch's transaction.
func failingClicks(t *testing.T, f *fixture, cancelledID int64) {
	t.Helper()
	if _, err := f.db.CancelRally(ctx(), "g1", cancelledID, "", nil); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite3", "file:"+f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec(`CREATE TRIGGER refuse_bad BEFORE INSERT ON rsvps WHEN NEW.user_id LIKE 'bad%'
		BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
}
