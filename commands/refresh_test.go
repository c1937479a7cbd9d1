package commands

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// TestRefresherCloseWhileFiring closes the refresher as its timers fire: each
// pending edit runs once, never twice (a re-armed timer that had already
// fired would run it again and take the wait group below zero).
func TestRefresherCloseWhileFiring(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < 300; i++ {
		var edits atomic.Int32
		r := newRefresher(time.Microsecond, func(context.Context, int64) error { edits.Add(1); return nil }, log)
		for id := int64(1); id <= 8; id++ {
			r.mark(id)
		}
		r.close()
		if n := edits.Load(); n != 8 {
			t.Fatalf("round %d: %d edits for 8 marked rallies, want 8", i, n)
		}
	}
}
