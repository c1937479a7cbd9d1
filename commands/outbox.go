package commands

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// Everything owed to Discord is a row: a channel post (store.ChannelPost, of
// a kind in postKinds, some of which act on a DM already sent: its deletion,
// its end edit) or a member's DM (store.DueDM). Each is owed in the
// transaction that makes it owed, with its nonce, and goes through deliver,
// the one place that reads how a send ended: sent; the channel gone (the
// coordinators are told, once); the member's DMs closed; refused; or a
// passing failure, retried with the one backoff. The drainer sends owed work
// as soon as it is committed (the store kicks it); the sweep is the safety
// net; rows begun by an earlier process are resumed at the next start, by
// finding the message before posting again.

// retryBackoff is how long a send waits after a transient failure, by the
// attempts already made: 30 s, 1 m, 2 m … doubling up to 32 m, so a Discord
// outage is not hammered yet a short blip costs only seconds.
func retryBackoff(attempts int) time.Duration {
	return time.Duration(1<<min(max(attempts, 0), 6)) * 30 * time.Second
}

// errSkip is a send that turned out not to be owed any more (a member who
// left the server): it is dropped, not failed.
var errSkip = errors.New("no longer owed")

// errTaken: another goroutine of this process is sending the post.
var errTaken = errors.New("being sent")

// outcome is how one delivery ended.
type outcome string

// The outcomes of a delivery; pending: still owed (retrying, or shutting
// down).
const (
	outcomeSent    outcome = "sent"
	outcomeClosed  outcome = "closed"  // a member who takes no DMs
	outcomeGone    outcome = "failed"  // the channel is gone or forbidden
	outcomeRefused outcome = "refused" // Discord refused the message itself
	outcomeDropped outcome = "dropped" // not owed any more
	outcomePending outcome = "pending"
)

// delivery is one owed message on its way: what deliver needs of its kind.
type delivery struct {
	kind     string // what it is, for the metrics and the log
	log      *slog.Logger
	guildID  string
	channel  string // where it goes ("" for a DM)
	attempts int
	// find, when the send is resumed (an earlier attempt may have
	// reached Discord), looks for the message: its id, or "".
	find func() string
	send func() (*discordgo.Message, error)
	// finish records a final outcome; retry leaves it owed until at.
	finish func(o outcome, messageID string) error
	retry  func(at time.Time) error
	// gone is what the coordinators are told, once, when the channel is
	// gone or forbidden; nil: nobody.
	gone func(Lang) string
}

// deliver sends d once and records how it ended. It holds the one outcome
// switch, the metrics of every kind, and the coordinators' note.
func (a *App) deliver(ctx context.Context, now time.Time, d delivery) (outcome, string, error) {
	if d.find != nil {
		if id := d.find(); id != "" {
			d.log.Info("already sent by an earlier attempt", "message", id)
			return a.settle(ctx, d, outcomeSent, id)
		}
	}
	msg, err := d.send()
	switch {
	case err == nil:
		d.log.Debug("sent", "message", msg.ID)
		o, id, err := a.settle(ctx, d, outcomeSent, msg.ID)
		if err == nil && d.channel != "" {
			// The channel works (again): if it breaks later, say so again.
			// Without a note (most posts) this writes nothing.
			err = a.db.ForgetNote(ctx, d.guildID, "channel:"+d.channel)
		}
		return o, id, err
	case errors.Is(err, errSkip):
		return a.settle(ctx, d, outcomeDropped, "")
	case discord.ClosedDMs(err):
		return a.settle(ctx, d, outcomeClosed, "")
	case errors.Is(err, context.Canceled):
		return outcomePending, "", err // shutting down: resumed with its nonce at the next start
	case discord.IsGone(err):
		d.log.Warn("cannot be sent: channel gone or forbidden", "channel", d.channel, "err", err)
		o, id, serr := a.settle(ctx, d, outcomeGone, "")
		if serr == nil && d.gone != nil {
			a.tellCoordinatorsOnce(ctx, d.guildID, "channel:"+d.channel, d.gone)
		}
		return o, id, serr
	case discord.Retryable(err):
		backoff := retryBackoff(d.attempts)
		d.log.Warn("send failed; will retry", "err", err, "retry_in", backoff)
		a.cfg.Metrics.Scheduled(d.kind, "retry")
		return outcomePending, "", d.retry(now.Add(backoff))
	default:
		d.log.Error("refused by Discord; giving up", "err", err)
		return a.settle(ctx, d, outcomeRefused, "")
	}
}

// settle records a final outcome and counts it.
func (a *App) settle(ctx context.Context, d delivery, o outcome, messageID string) (outcome, string, error) {
	a.cfg.Metrics.Scheduled(d.kind, string(o))
	if err := d.finish(o, messageID); err != nil {
		return outcomePending, "", err
	}
	return o, messageID, nil
}

// postState is the stored state of a post that ended as o.
func postState(o outcome) store.ReminderState {
	switch o {
	case outcomeSent:
		return store.ReminderSent
	case outcomeDropped:
		return store.ReminderDropped
	case outcomePending:
		return store.ReminderPending
	}
	return store.ReminderFailed
}

// hold is what a kind's check says of a post before it is sent: send it
// (zero), drop it, or wait until a later time.
type hold struct {
	drop  bool
	why   string // logged with a drop
	until time.Time
}

// search is how a post whose earlier send may have reached the channel is
// found there: its own message matching, no older than floor.
type search struct {
	floor string
	match func(*discordgo.Message) bool
}

// postKind is what differs between the kinds of channel post.
type postKind struct {
	name string // in the log: "dropped a <name> …"
	// place is where a post that leaves it to its kind goes ("" for
	// nowhere: it fails, and nowhere, if set, is told to the
	// coordinators once under its key).
	place   func(a *App, ctx context.Context, p store.ChannelPost) (string, error)
	nowhere func(p store.ChannelPost) (key string, text func(Lang) string)
	// check says whether to send it now; it may prepare what goes with it.
	check func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error)
	// render words the post as sent now, and how to find it after a crash.
	render func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error)
	// op, for a kind that acts on a message already sent (an edit, a
	// delete of a DM), is what is done instead of posting: no nonce,
	// nothing to find after a crash (done again, it is the same).
	op func(a *App, ctx context.Context, p store.ChannelPost) (*discordgo.Message, error)
	// record stores a final outcome (nil: FinishChannelPost), and after
	// is what follows a send recorded (nil: nothing).
	record func(a *App, ctx context.Context, p store.ChannelPost, o store.ChannelPostOutcome, channel string) error
	after  func(a *App, ctx context.Context, p store.ChannelPost, channel, messageID string, resumed bool)
	// gone is what the coordinators are told when the channel is gone;
	// leadTells: not when a command sends it, whose lead is answered.
	gone      func(l Lang, p store.ChannelPost, channel string) string
	leadTells bool
	// told, when a command sends it and its send failed for good, is what
	// the command's lead is told of err, in l ("": nothing).
	told func(a *App, ctx context.Context, p store.ChannelPost, l Lang, err error) string
}

// sender is a command sending a post it owed, rather than the drainer or
// the sweep: its lead is answered with how it went.
type sender struct {
	lang Lang   // the lead's language; "": nobody to tell
	note string // what the kind's told says of a failure, for the reply
}

// postKinds is the table of kinds, kept by the App (some kinds' hooks send
// posts of other kinds: an announcement mirrors its rally's event).
func postKinds() map[store.PostKind]postKind {
	return map[store.PostKind]postKind{
		store.PostAnnounce:     announceKind,
		store.PostReminder:     reminderKind,
		store.PostStaffing:     staffingKind,
		store.PostNote:         noteKind,
		store.PostSummary:      summaryKind,
		store.PostActionAsk:    noticeKind,
		store.PostActionCancel: noticeKind,
		store.PostRallyCancel:  noticeKind,
		store.PostSeriesCancel: noticeKind,
		store.PostRallyChange:  noticeKind,
		store.PostReportAsk:    noticeKind,
		store.PostSafeHelp:     noticeKind,
		store.PostSafeLate:     noticeKind,
		store.PostDMDelete:     dmDeleteKind,
		store.PostDMEndEdit:    dmEndEditKind,
		store.PostEvent:        eventKind,
	}
}

// sendPost sends one owed post exactly once and returns how it stands; by
// is the command sending it (nil: the drainer or the sweep). A post another
// goroutine of this process is sending is left to it (pending).
func (a *App) sendPost(ctx context.Context, now time.Time, p store.ChannelPost, by *sender) (store.ReminderState, string, error) {
	if !a.outbox.claim(p.ID) {
		return store.ReminderPending, "", errTaken
	}
	defer a.outbox.release(p.ID)
	log := a.log
	if p.Rally.ID != 0 {
		log = log.With("rally", p.Rally.ID)
	}
	log = log.With("post", p.ID, "kind", string(p.Kind))
	k, ok := a.kinds[p.Kind]
	if !ok {
		log.Error("a post of an unknown kind is owed; giving up")
		_, err := a.db.FinishChannelPost(ctx, store.ChannelPostOutcome{Post: p, State: store.ReminderFailed})
		return store.ReminderFailed, "", err
	}
	record := func(state store.ReminderState, channel, messageID string) error {
		o := store.ChannelPostOutcome{Post: p, State: state, MessageID: messageID}
		if k.record != nil {
			return k.record(a, ctx, p, o, channel)
		}
		_, err := a.db.FinishChannelPost(ctx, o)
		return err
	}
	if k.check != nil {
		h, err := k.check(a, ctx, now, p)
		switch {
		case err != nil:
			return store.ReminderPending, "", err
		case h.drop:
			if h.why != "" {
				log.Info("dropped a " + k.name + " " + h.why)
			}
			a.cfg.Metrics.Scheduled(string(p.Kind), string(outcomeDropped))
			return store.ReminderDropped, "", record(store.ReminderDropped, "", "")
		case !h.until.IsZero():
			return store.ReminderPending, "", a.db.SnoozeChannelPost(ctx, p, h.until)
		}
	}
	channel := p.ChannelID
	if channel == "" && k.place != nil {
		var err error
		if channel, err = k.place(a, ctx, p); err != nil {
			return store.ReminderPending, "", err
		}
	}
	if channel == "" && k.op == nil {
		log.Warn("nowhere to send it")
		a.cfg.Metrics.Scheduled(string(p.Kind), string(outcomeGone))
		if err := record(store.ReminderFailed, "", ""); err != nil {
			return store.ReminderPending, "", err
		}
		if k.nowhere != nil {
			key, text := k.nowhere(p)
			a.tellCoordinatorsOnce(ctx, p.GuildID, key, text)
		}
		return store.ReminderFailed, "", nil
	}
	state, resumed, err := a.db.BeginChannelPost(ctx, p)
	if err != nil || state != store.ReminderPending {
		return state, "", err
	}
	d := delivery{kind: string(p.Kind), log: log, guildID: p.GuildID, channel: channel, attempts: p.Attempts,
		finish: func(o outcome, id string) error { return record(postState(o), channel, id) },
		retry:  func(at time.Time) error { return a.db.RetryChannelPost(ctx, p, at) },
	}
	var s search
	var failure error // of the op, for the kind's told
	if k.op != nil {
		d.send = func() (*discordgo.Message, error) {
			m, err := k.op(a, ctx, p)
			failure = err
			return m, err
		}
	} else {
		var msg discord.Message
		var err error
		if msg, s, err = k.render(a, ctx, p); err != nil {
			return store.ReminderPending, "", err
		}
		d.send = func() (*discordgo.Message, error) { return a.post(ctx, channel, msg, p.Nonce) }
	}
	if resumed && s.match != nil {
		d.find = func() string { return a.findOwnMessage(ctx, channel, s.floor, s.match) }
	}
	if k.gone != nil && !(by != nil && k.leadTells) {
		d.gone = func(l Lang) string { return k.gone(l, p, channel) }
	}
	o, id, err := a.deliver(ctx, now, d)
	if err == nil && o == outcomeSent && k.after != nil {
		k.after(a, ctx, p, channel, id, resumed)
	}
	if err == nil && (o == outcomeGone || o == outcomeRefused) && by != nil && by.lang != "" && k.told != nil {
		by.note = k.told(a, ctx, p, by.lang, failure)
	}
	return postState(o), id, err
}

// outbox is the drainer: it sends owed work as soon as it is committed (a
// kick from the store), apart from the sweep, one drain at a time per
// table; and it keeps the posts this process is sending, so the sweep and
// a command's own send never take the same one.
type outbox struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	posts  chan struct{}
	dms    chan struct{}

	mu      sync.Mutex
	claimed map[int64]chan struct{} // closed when released
	// adopted are the rallies whose announcement, begun by a process that
	// died, this one found or finished: a create retried by its lead is
	// answered with it.
	adopted map[int64]bool
}

func (o *outbox) adopt(rallyID int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.adopted[rallyID] = true
}

func (o *outbox) wasAdopted(rallyID int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.adopted[rallyID]
}

func newOutbox() *outbox {
	ctx, cancel := context.WithCancel(context.Background())
	return &outbox{ctx: ctx, cancel: cancel, posts: make(chan struct{}, 1), dms: make(chan struct{}, 1), claimed: map[int64]chan struct{}{}, adopted: map[int64]bool{}}
}

// claim takes a post for this goroutine to send; false when another has it.
func (o *outbox) claim(id int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.claimed[id] != nil {
		return false
	}
	o.claimed[id] = make(chan struct{})
	return true
}

func (o *outbox) release(id int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.claimed[id])
	delete(o.claimed, id)
}

// wait returns once no goroutine is sending the post, or ctx ends.
func (o *outbox) wait(ctx context.Context, id int64) error {
	o.mu.Lock()
	done := o.claimed[id]
	o.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// kick asks the drainer to look for owed work now.
func (o *outbox) kick() {
	for _, c := range []chan struct{}{o.posts, o.dms} {
		select {
		case c <- struct{}{}:
		default: // a drain is asked for already
		}
	}
}

// start runs the drainer until close.
func (o *outbox) start(posts, dms func(ctx context.Context) error, log *slog.Logger) {
	loop := func(kicks <-chan struct{}, drain func(context.Context) error) {
		defer o.wg.Done()
		for {
			select {
			case <-o.ctx.Done():
				return
			case <-kicks:
				if err := drain(o.ctx); err != nil && o.ctx.Err() == nil {
					log.Warn("could not send what was owed; the sweep will", "err", err)
				}
			}
		}
	}
	o.wg.Add(2)
	go loop(o.posts, posts)
	go loop(o.dms, dms)
}

// close stops the drainer; what it was sending stays owed, resumed with
// its nonce at the next start.
func (o *outbox) close() {
	o.cancel()
	o.wg.Wait()
}

// drainPosts sends every channel post due at now, a batch at a time. The
// sweep and the drainer share it, one at a time.
func (a *App) drainPosts(ctx context.Context, now time.Time) error {
	a.jobs.posts.Lock()
	defer a.jobs.posts.Unlock()
	seen := map[int64]bool{}
	for {
		due, err := a.db.DueChannelPosts(ctx, now, dueBatch)
		if err != nil {
			return err
		}
		fresh := 0
		for _, p := range due {
			if seen[p.ID] {
				continue // claimed by a command still sending it
			}
			seen[p.ID] = true
			fresh++
			if _, _, err := a.sendPost(ctx, now, p, nil); err != nil && !errors.Is(err, errTaken) {
				return err
			}
		}
		// Every post handled leaves the due set (sent, failed, dropped or
		// backing off), so a full batch means there may be more.
		if len(due) < dueBatch || fresh == 0 {
			return nil
		}
	}
}

// sendPostNow sends a post a command just owed, from the command: the lead
// is answered with how it went. The drainer, kicked by the commit that owed
// it, may have taken it first: then it says how the drainer's send went.
// The sweep finishes it if neither can.
func (a *App) sendPostNow(ctx context.Context, now time.Time, p store.ChannelPost) (store.ReminderState, string, error) {
	for {
		state, id, err := a.sendPost(ctx, now, p, &sender{})
		if !errors.Is(err, errTaken) {
			if err == nil && state != store.ReminderSent && state != store.ReminderPending {
				// What it found may be stale: another attempt sent it.
				if cur, ok, rerr := a.db.ChannelPostByID(ctx, p.ID); rerr == nil && ok && cur.State == store.ReminderSent {
					return cur.State, cur.MessageID, nil
				}
			}
			return state, id, err
		}
		if err := a.outbox.wait(ctx, p.ID); err != nil {
			return store.ReminderPending, "", err
		}
		cur, ok, err := a.db.ChannelPostByID(ctx, p.ID)
		if err != nil || !ok {
			return store.ReminderDropped, "", err
		}
		if cur.State != store.ReminderPending {
			return cur.State, cur.MessageID, nil
		}
		if !cur.DueAt.After(now) {
			p = cur
			continue // the other attempt let go of it before its time: send it
		}
		return store.ReminderPending, "", nil // the other attempt backs off: the sweep retries
	}
}
