package store_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rallybot/store"
)

// BenchmarkRSVPWrite measures one RSVP click end to end in the store (rally
// check, status change, waitlist bookkeeping, counts) on a real file, against
// a baseline measured in the same run: a bare one-row upsert in its own
// transaction, on a file opened with the store's own write settings. The
// "ratio" metric is the RSVP write's throughput over the baseline's (1 = as
// fast as the bare upsert); the target is 0.5 or more, serial and with 64
// concurrent callers.
func BenchmarkRSVPWrite(b *testing.B) {
	b.Run("Serial", func(b *testing.B) {
		f := newFixture(b)
		r := f.rally(b, 0, t0.Add(72*time.Hour))
		base := newBaseline(b)
		// Interleaved rounds, so a neighbour's load on a shared machine hits
		// both sides alike.
		var rsvpTime, baseTime time.Duration
		const round = 50
		b.ReportAllocs()
		b.ResetTimer()
		for done := 0; done < b.N; done += round {
			n := min(round, b.N-done)
			start := time.Now()
			for i := done; i < done+n; i++ {
				base.upsert(b, i)
			}
			baseTime += time.Since(start)
			start = time.Now()
			for i := done; i < done+n; i++ {
				rsvp(b, f.db, r.ID, i)
			}
			rsvpTime += time.Since(start)
		}
		report(b, rsvpTime, baseTime)
	})
	b.Run("Parallel64", func(b *testing.B) {
		f := newFixture(b)
		r := f.rally(b, 0, t0.Add(72*time.Hour))
		base := newBaseline(b)
		b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				base.upsert(b, int(next.Add(1)))
			}
		})
		baseTime := time.Since(start)
		start = time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rsvp(b, f.db, r.ID, int(next.Add(1)))
			}
		})
		report(b, time.Since(start), baseTime)
	})
}

var statuses = []store.RSVPStatus{store.Going, store.Maybe, store.NotGoing, store.Going, store.NotGoing}

// rsvp is the i-th click of a benchmark: 500 members cycling through every
// change of status.
func rsvp(b *testing.B, db *store.DB, rallyID int64, i int) {
	if _, err := db.SetRSVP(ctx(), "g1", rallyID, "u"+strconv.Itoa(i%500), statuses[(i/500)%len(statuses)]); err != nil {
		b.Error(err)
	}
}

func report(b *testing.B, rsvpTime, baseTime time.Duration) {
	b.ReportMetric(float64(rsvpTime.Nanoseconds())/float64(b.N), "rsvp-ns/op")
	b.ReportMetric(float64(baseTime.Nanoseconds())/float64(b.N), "upsert-ns/op")
	b.ReportMetric(float64(baseTime)/float64(rsvpTime), "ratio")
}

type baseline struct{ db *sql.DB }

func newBaseline(b *testing.B) *baseline {
	path := filepath.Join(b.TempDir(), "baseline.db")
	db, err := sql.Open("sqlite3", store.WriteDSN(path))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID`); err != nil {
		b.Fatal(err)
	}
	return &baseline{db: db}
}

func (x *baseline) upsert(b *testing.B, i int) {
	tx, err := x.db.Begin()
	if err != nil {
		b.Error(err)
		return
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
		"u"+strconv.Itoa(i%500), statuses[(i/500)%len(statuses)]); err != nil {
		b.Error(err)
		return
	}
	if err := tx.Commit(); err != nil {
		b.Error(err)
	}
}

// BenchmarkDueReminders shows the due-post query (reminders are posts) does
// not slow down as sent reminders pile up: History0 and History20000 should
// cost the same.
func BenchmarkDueReminders(b *testing.B) {
	for _, history := range []int{0, 20000} {
		b.Run(fmt.Sprintf("History%d", history), func(b *testing.B) {
			f := newFixture(b)
			// Rallies already past when made: their two reminders are
			// stored as dropped, the history the query must not walk.
			for i := 0; i < history/2; i++ {
				f.rally(b, 0, t0.Add(-time.Duration(i+1)*time.Hour))
			}
			for i := 0; i < 5; i++ { // five pending, due in the window
				f.rally(b, 0, t0.Add(25*time.Hour+time.Duration(i)*time.Minute))
			}
			at := t0.Add(2 * time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				due, err := f.db.DueChannelPosts(ctx(), at, 50)
				if err != nil || len(due) != 5 {
					b.Fatalf("due = %d, %v", len(due), err)
				}
			}
		})
	}
}

// BenchmarkReminderSweep is one sweep's query with 10,000 future rallies
// whose reminders are armed but not yet due, and five that are. Target:
// under 1 ms per sweep.
func BenchmarkReminderSweep(b *testing.B) {
	f := newFixture(b)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < 10000; i += 8 {
				f.rally(b, 0, t0.Add(72*time.Hour+time.Duration(i)*time.Minute))
			}
		}(w)
	}
	wg.Wait()
	for i := 0; i < 5; i++ {
		f.rally(b, 0, t0.Add(25*time.Hour+time.Duration(i)*time.Minute))
	}
	at := t0.Add(2 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		due, err := f.db.DueChannelPosts(ctx(), at, 50)
		if err != nil || len(due) != 5 {
			b.Fatalf("due = %d, %v", len(due), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/sweep")
}
