package store_test

import (
	"testing"

	"rallybot/store"
)

func TestWritable(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		db := MustOpen(t, dbPath(t), newClock(t0))
		if err := db.Writable(ctx()); err != nil {
			t.Fatalf("writable = %v, want nil", err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		db := MustOpen(t, dbPath(t), newClock(t0))
		db.Close()
		if err := db.Writable(ctx()); err == nil {
			t.Fatal("writable = nil on a closed database")
		}
	})
}

func TestSyncFull(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		full bool
		want int
	}{{false, 1}, {true, 2}} {
		db, err := store.OpenWith(ctx(), dbPath(t), store.Options{SyncFull: c.full})
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.Synchronous()
		db.Close()
		if err != nil || n != c.want {
			t.Errorf("SyncFull %v: synchronous = %d (%v), want %d", c.full, n, err, c.want)
		}
	}
}
