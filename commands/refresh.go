package commands

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"rallybot/discord"
)

// refresher coalesces announcement edits per rally: the first change is
// edited in at once, later ones at most once per interval, and the last edit,
// rendered when it runs, shows the counts as they are then. A burst of 500
// clicks becomes about one edit a second, not 500.
//
// Its interval is real time, on purpose, and only real time (time.Now and
// timers, both on the monotonic clock): it paces requests to Discord, whose
// rate limits run on real time. The App's injected clock says what is due in
// the domain (reminders, summaries, "upcoming"); a test or the sandbox moving
// it by a day must neither stall an edit for a day nor let a burst through.
type refresher struct {
	interval time.Duration
	edit     func(ctx context.Context, rallyID int64) error
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	state  map[int64]*refreshState
}

type refreshState struct {
	last    time.Time   // when the last edit finished, by the wall clock
	timer   *time.Timer // a scheduled edit
	running bool
	dirty   bool // changed while an edit was running
}

func newRefresher(interval time.Duration, edit func(context.Context, int64) error, log *slog.Logger) *refresher {
	ctx, cancel := context.WithCancel(context.Background())
	return &refresher{interval: interval, edit: edit, log: log, ctx: ctx, cancel: cancel, state: map[int64]*refreshState{}}
}

// mark says the rally's announcement is out of date.
func (r *refresher) mark(rallyID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	st := r.state[rallyID]
	if st == nil {
		st = &refreshState{}
		r.state[rallyID] = st
	}
	switch {
	case st.running:
		st.dirty = true
	case st.timer != nil:
		// an edit is already on its way and will read the latest counts
	default:
		r.schedule(rallyID, st)
	}
}

// schedule starts the next edit now or when the interval since the last is up.
// Called with mu held.
func (r *refresher) schedule(rallyID int64, st *refreshState) {
	wait := time.Until(st.last.Add(r.interval))
	if wait < 0 {
		wait = 0
	}
	r.wg.Add(1)
	st.timer = time.AfterFunc(wait, func() {
		defer r.wg.Done()
		r.run(rallyID)
	})
}

func (r *refresher) run(rallyID int64) {
	for {
		r.mu.Lock()
		st := r.state[rallyID]
		st.timer, st.running, st.dirty = nil, true, false
		r.mu.Unlock()

		err := r.edit(r.ctx, rallyID)
		if err != nil {
			r.log.Warn("announcement edit failed", "rally", rallyID, "err", err)
		}

		r.mu.Lock()
		st.running, st.last = false, time.Now()
		again := st.dirty || (err != nil && discord.Retryable(err) && !discord.IsGone(err))
		switch {
		case again && !r.closed:
			r.schedule(rallyID, st)
		case st.dirty:
			// closing: show the final counts now rather than never
			r.mu.Unlock()
			continue
		}
		r.mu.Unlock()
		return
	}
}

// close runs the edits still waiting (so the last counts are shown), then
// stops.
func (r *refresher) close() {
	r.mu.Lock()
	r.closed = true
	for _, st := range r.state {
		// Only a timer stopped before it fired may be re-armed: one that
		// fired is already running (waiting for mu), and Reset would run
		// it a second time.
		if st.timer != nil && st.timer.Stop() {
			st.timer.Reset(0)
		}
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.log.Warn("gave up waiting for announcement edits")
	}
	r.cancel()
}
