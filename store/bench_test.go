package store_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"rallybot/store"
)

// BenchmarkSetRSVP measures one RSVP click end to end in the store (rally
// check, status change, waitlist bookkeeping, recount) on a real file.
// Compare with BenchmarkBaselineUpsert, a bare one-row upsert in its own
// transaction on the same kind of file: the ratio is what the RSVP rules cost.
func BenchmarkSetRSVP(b *testing.B) {
	f := newFixture(b)
	r := f.rally(b, 0, t0.Add(72*time.Hour))
	statuses := []store.RSVPStatus{store.Going, store.Maybe, store.NotGoing}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, fmt.Sprintf("u%d", i%500), statuses[i%3]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineUpsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "baseline.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID`); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
			fmt.Sprintf("u%d", i%500), "going"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDueReminders shows the due-reminder query does not slow down as
// sent reminders pile up: History0 and History20000 should cost the same.
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
				due, err := f.db.DueReminders(ctx(), at, 50)
				if err != nil || len(due) != 5 {
					b.Fatalf("due = %d, %v", len(due), err)
				}
			}
		})
	}
}
