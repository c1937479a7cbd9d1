package store_test

import "testing"

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
