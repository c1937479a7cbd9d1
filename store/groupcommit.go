package store

import (
	"context"
	"errors"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// maxBatch bounds how many clicks share one transaction, so one commit never
// holds the write lock for long.
const maxBatch = 256

// errClosed answers a click that arrives while the store is closing.
var errClosed = errors.New("store is closed")

// rsvpClick is one SetRSVP call waiting for its batch's commit.
type rsvpClick struct {
	ctx             context.Context
	guildID, userID string
	status          RSVPStatus
	rallyID         int64

	res  RSVPResult
	err  error
	done chan struct{} // closed once res and err are final
}

// committer group-commits RSVP clicks: one goroutine, owned by the DB and
// stopped by Close, takes every click waiting when it is free and writes them
// in one transaction in the order they arrived. Under load the clicks that
// queue during one commit share the next, instead of each paying a
// transaction and waiting for the write connection in random order; alone, a
// click is committed at once.
type committer struct {
	clicks chan *rsvpClick
	quit   chan struct{}
	wg     sync.WaitGroup

	mu     sync.RWMutex // held for reading while sending, so Close can stop the senders
	closed bool

	// beforeCommit, when set (tests only), runs in every transaction the
	// committer is about to commit, with the number of clicks it holds.
	beforeCommit func(clicks int)
}

func (db *DB) startCommitter() {
	db.commit = &committer{clicks: make(chan *rsvpClick, maxBatch), quit: make(chan struct{})}
	db.commit.wg.Add(1)
	go db.commitLoop()
}

// stopCommitter answers every queued click, then ends the goroutine.
func (db *DB) stopCommitter() {
	c := db.commit
	if c == nil {
		return
	}
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.quit)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// submit queues a click and waits for its answer, which comes only after the
// transaction holding it committed (or was given up).
func (db *DB) submit(ctx context.Context, click *rsvpClick) (RSVPResult, error) {
	c := db.commit
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return RSVPResult{}, errClosed
	}
	select {
	case c.clicks <- click:
	case <-ctx.Done():
		c.mu.RUnlock()
		return RSVPResult{}, ctx.Err()
	}
	c.mu.RUnlock()
	<-click.done // once queued, it is written or refused: the caller learns which
	return click.res, click.err
}

func (db *DB) commitLoop() {
	c := db.commit
	defer c.wg.Done()
	batch := make([]*rsvpClick, 0, maxBatch)
	for {
		batch = batch[:0]
		select {
		case click := <-c.clicks:
			batch = append(batch, click)
		case <-c.quit:
			// Senders are stopped; write what they queued.
			for {
				select {
				case click := <-c.clicks:
					db.commitBatch([]*rsvpClick{click})
				default:
					return
				}
			}
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case click := <-c.clicks:
				batch = append(batch, click)
			default:
				break gather
			}
		}
		db.commitBatch(batch)
	}
}

// commitBatch writes the clicks in one transaction, in order. A refusal is
// decided before its click writes anything, so it is answered and the batch
// goes on. An SQL error (or a failed commit) rolls the whole batch back and
// reruns its clicks one by one, so one bad click costs the others nothing
// but time.
func (db *DB) commitBatch(batch []*rsvpClick) {
	live := batch[:0:0]
	for _, click := range batch {
		if err := click.ctx.Err(); err != nil {
			click.err = err // gave up before its turn: nothing written
			close(click.done)
			continue
		}
		live = append(live, click)
	}
	if len(live) == 0 {
		return
	}
	// The transaction outlives any one caller's context: a caller giving up
	// must not abort the others' clicks.
	bg := context.WithoutCancel(live[0].ctx)
	err := db.update(bg, func(tx *Tx) error {
		for _, click := range live {
			click.res, click.err = setRSVP(bg, tx, click.guildID, click.rallyID, click.userID, click.status)
			if sqlFailure(click.err) {
				return click.err
			}
		}
		db.commit.willCommit(len(live))
		return nil
	})
	if err != nil && len(live) > 1 {
		for _, click := range live {
			click.err = db.update(bg, func(tx *Tx) error {
				var err error
				if click.res, err = setRSVP(bg, tx, click.guildID, click.rallyID, click.userID, click.status); err != nil {
					return err
				}
				db.commit.willCommit(1)
				return nil
			})
		}
	} else if err != nil {
		live[0].res, live[0].err = RSVPResult{}, err
	}
	for _, click := range live {
		if click.err != nil {
			click.res = RSVPResult{}
		}
		close(click.done)
	}
}

func (c *committer) willCommit(clicks int) {
	if c.beforeCommit != nil {
		c.beforeCommit(clicks)
	}
}

// sqlFailure reports whether err came from SQLite rather than from the rules
// (a refusal), which are decided before a click writes.
func sqlFailure(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se)
}
