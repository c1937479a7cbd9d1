package commands

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"rallybot/store"
)

// Deletion that keeps its word: forget-me, the end of a high-risk rally, the
// deletion of a server that removed the bot, and the DMs and log frames those
// leave behind.

// guildGrace is how long a server that removed the bot keeps its data, in
// case it was a mistake and the bot is added back.
const guildGrace = 7 * 24 * time.Hour

// privacyJobs serializes the privacy sweep.
type privacyJobs struct{ sweep sync.Mutex }

// forgetMe deletes everything kept about the member: in this server, or,
// from a DM with the bot, in every server at once.
func (a *App) forgetMe(ctx context.Context, in *Input) (*Response, error) {
	userID := in.userID()
	f, err := a.db.Forget(ctx, in.GuildID, userID)
	if err != nil {
		return nil, err
	}
	f.DMs += a.deleteKeptDMsNow(ctx, userID)
	a.discord.ForgetDMChannel(userID)
	for _, id := range f.Rallies {
		a.refresher.mark(id)
	}
	clean := a.wal.clean(ctx)
	a.log.Info("member forgotten", "guild", in.GuildID, "rallies", len(f.Rallies), "rows", f.Rows, "dms", f.DMs, "log_clean", clean)
	everywhere := in.GuildID == ""
	var msg string
	switch {
	case f.Rows == 0 && everywhere:
		msg = in.Lang.T("forget_nothing_everywhere")
	case f.Rows == 0:
		msg = in.Lang.T("forget_nothing")
	case everywhere:
		msg = in.Lang.T("forget_done_everywhere", "Count", len(f.Rallies))
	default:
		msg = in.Lang.T("forget_done", "Count", len(f.Rallies))
	}
	if f.DMs > 0 {
		msg += "\n" + in.Lang.T("forget_dms_deleting", "Count", f.DMs)
	}
	if !clean {
		msg += "\n" + in.Lang.T("forget_log_pending")
	}
	return ephemeral(msg), nil
}

// deleteKeptDMsNow makes the DM deletions owed for later in the member's DM
// channel due now: a high-risk rally's "Home safe?" DM, kept on Discord
// for its day after the end, has no record naming them by then, only its
// channel. That channel is looked up from who asks (opening it returns the
// one there is), never taken from the interaction, even one from a DM: a
// forged one naming another member's DM channel would delete their "Home
// safe?" DM before its day is out. It returns how many.
func (a *App) deleteKeptDMsNow(ctx context.Context, userID string) int {
	if kept, err := a.db.DMDeletionsKept(ctx); err != nil || !kept {
		return 0 // none to find (or the read failed: retention's sweep still deletes them)
	}
	channelID, err := a.discord.DMChannel(ctx, userID)
	if err != nil {
		a.log.Warn("could not find a forgotten member's DM channel; the DMs kept for later are deleted then", "err", err)
		return 0
	}
	n, err := a.db.DMDeletionsNow(ctx, channelID)
	if err != nil {
		a.log.Warn("could not delete now the DMs kept for later of a forgotten member", "err", err)
	}
	return n
}

// KeepPrivacy is the privacy sweep: it ends high-risk rallies that are
// over, deletes the data of servers that removed the bot a week ago, and
// cleans the log if a reader kept it from being cleaned before. The DM
// deletions it and forget-me owe are outbox rows (dmDeleteKind): the
// drainer starts them as soon as they are committed, and the outbox's sweep
// retries them.
func (a *App) KeepPrivacy(ctx context.Context, now time.Time) error {
	a.privacy.sweep.Lock()
	defer a.privacy.sweep.Unlock()
	var errs []error
	purged, dms, err := a.db.PurgeEndedHighRisk(ctx, now)
	errs = append(errs, err)
	for _, p := range purged {
		a.refresher.mark(p.ID)
		// Nothing in memory ties them to the rally either: their DM
		// channel is read again when next needed.
		for _, u := range p.Members {
			a.discord.ForgetDMChannel(u)
		}
	}
	gone, err := a.db.DeleteDepartedGuilds(ctx, now)
	errs = append(errs, err)
	if len(purged) > 0 || len(gone) > 0 {
		a.log.Info("deleted the member ids of ended high-risk rallies and departed servers",
			"rallies", len(purged), "dms_to_delete", dms, "servers", len(gone))
		a.wal.clean(ctx)
	}
	if a.wal.dirty() {
		a.wal.clean(ctx)
	}
	return errors.Join(errs...)
}

// GuildLeft records that the bot was removed from a server (not an
// outage): its data is deleted a week later unless the bot comes back.
func (a *App) GuildLeft(ctx context.Context, guildID string) {
	at, err := a.db.GuildLeft(ctx, guildID, a.now().Add(guildGrace))
	if err != nil {
		a.log.Error("could not record a server's removal of the bot", "guild", guildID, "err", err)
		return
	}
	a.log.Info("removed from a server; its data will be deleted unless the bot is added back", "guild", guildID, "delete_at", at.UTC().Format(time.RFC3339))
}

// GuildBack cancels the deletion of a server's data: the bot is back in it.
func (a *App) GuildBack(ctx context.Context, guildID string) {
	back, err := a.db.GuildBack(ctx, guildID)
	if err != nil {
		a.log.Error("could not cancel the deletion of a server's data", "guild", guildID, "err", err)
		return
	}
	if back {
		a.log.Info("back in a server; its data is kept", "guild", guildID)
	}
}

// walCleaner empties the database's write-ahead log after a deletion, so the
// deleted ids do not stay in old log frames. A reader (a backup,
// Litestream) can keep it from doing so; it then retries in the background
// with growing waits, never holding up a click for more than
// store.CheckpointBusyTimeout at a time.
type walCleaner struct {
	db  *store.DB
	log *slog.Logger

	mu      sync.Mutex
	pending bool
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	// firstWait and maxWait bound the waits between retries.
	firstWait, maxWait time.Duration
}

func newWALCleaner(db *store.DB, log *slog.Logger) *walCleaner {
	c := &walCleaner{db: db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		firstWait: 250 * time.Millisecond, maxWait: 30 * time.Second}
	go c.loop()
	return c
}

// clean checkpoints now and reports whether the log is clean; when it is
// not, the background retries until it is.
func (c *walCleaner) clean(ctx context.Context) bool {
	err := c.db.Checkpoint(context.WithoutCancel(ctx))
	if err == nil {
		c.mu.Lock()
		c.pending = false
		c.mu.Unlock()
		return true
	}
	if !errors.Is(err, store.ErrCheckpointBusy) {
		c.log.Warn("could not empty the write-ahead log after a deletion; will retry", "err", err)
	}
	c.mu.Lock()
	c.pending = true
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return false
}

func (c *walCleaner) dirty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending
}

func (c *walCleaner) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		for wait := c.firstWait; c.dirty(); wait = min(2*wait, c.maxWait) {
			select {
			case <-c.stop:
				return
			case <-time.After(wait):
			}
			err := c.db.Checkpoint(context.Background())
			if err == nil {
				c.mu.Lock()
				c.pending = false
				c.mu.Unlock()
				c.log.Info("write-ahead log cleaned after a deletion")
			} else if !errors.Is(err, store.ErrCheckpointBusy) {
				c.log.Warn("could not empty the write-ahead log; will retry", "err", err)
			}
		}
	}
}

// close stops the retries; a log still dirty is cleaned at the next start's
// first deletion or sweep.
func (c *walCleaner) close() {
	close(c.stop)
	<-c.done
}
