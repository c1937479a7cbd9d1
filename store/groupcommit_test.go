package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"rallybot/store"
)

// committed holds the committer at its transactions' commits: each call of
// the store's BeforeCommit hook reports its batch size and, while held,
// waits for the test to let it go.
type committed struct {
	batches chan int
	proceed chan struct{}
}

func holdCommits(t *testing.T, db *store.DB) *committed {
	c := &committed{batches: make(chan int, 1024), proceed: make(chan struct{}, 1024)}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before the store closes: a failed test leaves nothing held
	db.BeforeCommit(func(clicks int) {
		c.batches <- clicks
		select {
		case <-c.proceed:
		case <-stop:
		}
	})
	return c
}

// next waits for the committer's next transaction to reach its commit.
func (c *committed) next(t *testing.T) int {
	t.Helper()
	select {
	case n := <-c.batches:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no transaction reached its commit")
		return 0
	}
}

type click struct {
	user   string
	rally  int64
	status store.RSVPStatus
	res    store.RSVPResult
	err    error
	stored string // the member's row as a separate reader saw it the moment the click returned
}

// send clicks c in the background; out gets it back once SetRSVP returned
// and a reader on another connection looked up the member's row.
func send(db *store.DB, raw *sql.DB, c *click, out chan<- *click) {
	go func() {
		c.res, c.err = db.SetRSVP(ctx(), "g1", c.rally, c.user, c.status)
		var s string
		err := raw.QueryRow(`SELECT status FROM rsvps WHERE rally_id = ? AND user_id = ?`, c.rally, c.user).Scan(&s)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			c.stored = "none"
		case err != nil:
			c.stored = err.Error()
		default:
			c.stored = s
		}
		out <- c
	}()
}

// queue sends the clicks, while the committer is busy, one after another,
// each only once the one before waits in the committer's queue, so their
// arrival order is known; the returned channel gives each click back as
// SetRSVP returns.
func queue(t *testing.T, db *store.DB, raw *sql.DB, clicks []*click) <-chan *click {
	t.Helper()
	out := make(chan *click, len(clicks))
	base := db.QueuedClicks()
	for i, c := range clicks {
		send(db, raw, c, out)
		deadline := time.Now().Add(10 * time.Second)
		for db.QueuedClicks() < base+i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("click %d of %d never queued", i+1, len(clicks))
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return out
}

// busy has the committer write one click and hold its transaction open at
// the commit, as a slow write would: what arrives meanwhile queues. The
// returned function lets that transaction commit.
func busy(t *testing.T, f *fixture, hold *committed, raw *sql.DB) (release func()) {
	t.Helper()
	other := f.rally(t, 0, t0.Add(96*time.Hour))
	done := make(chan *click, 1)
	send(f.db, raw, &click{user: "first", rally: other.ID, status: store.Going}, done)
	if n := hold.next(t); n != 1 {
		t.Fatalf("first transaction holds %d clicks, want 1", n)
	}
	return func() {
		hold.proceed <- struct{}{}
		if c := <-done; c.err != nil || c.stored != "going" {
			t.Fatalf("first click: %v, stored %s", c.err, c.stored)
		}
	}
}

// TestGroupCommitBatches holds the committer busy while 64 members click,
// and checks that their clicks share one transaction, written in the order
// they arrived, and that no click is answered before that transaction
// commits: a reader on another connection sees each answered click's row.
func TestGroupCommitBatches(t *testing.T) {
	f := newFixture(t)
	raw := openRaw(t, f.db)
	hold := holdCommits(t, f.db)
	r := f.rally(t, 40, t0.Add(48*time.Hour))
	cancelled := f.rally(t, 0, t0.Add(48*time.Hour))
	if _, err := f.db.CancelRally(ctx(), "g1", cancelled.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	release := busy(t, f, hold, raw)

	const n = 64
	var clicks []*click
	for i := 0; i < n; i++ {
		c := &click{user: fmt.Sprintf("u%02d", i), rally: r.ID, status: store.Going}
		if i == 10 { // a refusal is decided before it writes: the batch goes on
			c.rally = cancelled.ID
		}
		clicks = append(clicks, c)
	}
	answers := queue(t, f.db, raw, clicks)
	release()

	if got := hold.next(t); got != n {
		t.Fatalf("second transaction holds %d clicks, want all %d", got, n)
	}
	// Written but not committed: nobody may have an answer yet.
	time.Sleep(50 * time.Millisecond)
	if k := len(answers); k != 0 {
		t.Fatalf("%d clicks answered before their transaction committed", k)
	}
	hold.proceed <- struct{}{}
	for range clicks {
		<-answers
	}
	select {
	case k := <-hold.batches:
		t.Fatalf("a third transaction of %d clicks, want two in all", k)
	default:
	}

	for i, c := range clicks {
		switch {
		case c.rally == cancelled.ID:
			if store.ErrorCode(c.err) != store.EConflict || c.stored != "none" {
				t.Errorf("%s on the cancelled rally: %v, stored %s; want a refusal", c.user, c.err, c.stored)
			}
		case c.err != nil:
			t.Errorf("%s: %v", c.user, c.err)
		default:
			// Arrival order: the first 40 (less the refused one) get seats.
			want, pos := store.Going, 0
			if i > 40 {
				want, pos = store.Waitlist, i-40
			}
			if c.res.Status != want || c.res.Position != pos || c.stored != string(want) {
				t.Errorf("%s (click %d): %s position %d, stored %s; want %s position %d",
					c.user, i+1, c.res.Status, c.res.Position, c.stored, want, pos)
			}
		}
	}
	if line := checkRally(t, raw, r.ID); len(line) != n-1-40 {
		t.Errorf("waitlist %v, want %d", line, n-1-40)
	}
}

// TestGroupCommitRerun makes one click of a batch fail in SQLite (a trigger
// refuses it) and checks that the batch is rolled back and its clicks rerun
// one by one, in arrival order, each answered with its own outcome: seats
// and waitlist places as if the batch had never failed, the refusal and the
// failure each to its own click.
func TestGroupCommitRerun(t *testing.T) {
	f := newFixture(t)
	raw := openRaw(t, f.db)
	hold := holdCommits(t, f.db)
	r := f.rally(t, 3, t0.Add(48*time.Hour))
	cancelled := f.rally(t, 0, t0.Add(48*time.Hour))
	failingClicks(t, f, cancelled.ID)
	release := busy(t, f, hold, raw)

	type want struct {
		status   store.RSVPStatus
		position int
		going    int
		waitlist int
	}
	clicks := []*click{
		{user: "a", rally: r.ID, status: store.Going},
		{user: "b", rally: r.ID, status: store.Going},
		{user: "bad", rally: r.ID, status: store.Going},
		{user: "c", rally: r.ID, status: store.Going},
		{user: "x", rally: cancelled.ID, status: store.Going},
		{user: "d", rally: r.ID, status: store.Going},
		{user: "e", rally: r.ID, status: store.Going},
		{user: "a", rally: r.ID, status: store.Maybe},
	}
	wants := []want{
		{store.Going, 0, 1, 0},
		{store.Going, 0, 2, 0},
		{}, // the trigger's error
		{store.Going, 0, 3, 0},
		{},                        // refused: cancelled
		{store.Waitlist, 1, 3, 1}, // promoted when a leaves
		{store.Waitlist, 2, 3, 2},
		{store.Maybe, 0, 3, 1},
	}
	answers := queue(t, f.db, raw, clicks)
	release()
	// The batch fails at "bad" and is rolled back without committing; then
	// each click runs alone, and each that writes commits its own.
	for i := 0; i < 6; i++ {
		if n := hold.next(t); n != 1 {
			t.Fatalf("rerun transaction %d holds %d clicks, want 1", i+1, n)
		}
		hold.proceed <- struct{}{}
	}
	for range clicks {
		<-answers
	}
	select {
	case n := <-hold.batches:
		t.Fatalf("another transaction of %d clicks", n)
	default:
	}

	for i, c := range clicks {
		w := wants[i]
		var sqlErr sqlite3.Error
		switch c.user {
		case "bad":
			if !errors.As(c.err, &sqlErr) || c.stored != "none" {
				t.Errorf("bad: %v, stored %s; want the trigger's error", c.err, c.stored)
			}
			continue
		case "x":
			if store.ErrorCode(c.err) != store.EConflict {
				t.Errorf("x: %v, want a refusal", c.err)
			}
			continue
		}
		if c.err != nil {
			t.Errorf("click %d (%s): %v", i+1, c.user, c.err)
			continue
		}
		if c.res.Status != w.status || c.res.Position != w.position ||
			c.res.Rally.Going != w.going || c.res.Rally.Waitlist != w.waitlist || c.res.Rally.ID != r.ID {
			t.Errorf("click %d (%s): %s position %d, rally %d with %d going %d waiting; want %s position %d, %d going %d waiting",
				i+1, c.user, c.res.Status, c.res.Position, c.res.Rally.ID, c.res.Rally.Going, c.res.Rally.Waitlist,
				w.status, w.position, w.going, w.waitlist)
		}
		if i == len(clicks)-1 && (len(c.res.Promoted) != 1 || c.res.Promoted[0] != "d") {
			t.Errorf("a leaving promoted %v, want [d]", c.res.Promoted)
		}
	}
	a, err := f.db.RallyAttendees(ctx(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Going, a.Maybe, a.Waitlist) != "[b c d] [a] [e]" {
		t.Errorf("stored going %v maybe %v waitlist %v, want [b c d] [a] [e]", a.Going, a.Maybe, a.Waitlist)
	}
	checkRally(t, raw, r.ID)
}
