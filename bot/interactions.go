package bot

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/commands"
	"rallybot/discord"
)

// maxHandlers is how many interactions are handled at once by default. A
// click's handler spends most of its time waiting for the group commit, so
// enough of them to fill a commit's batch keep the writer busy; more would
// only hold more memory and contend for the two cores.
const maxHandlers = 64

// admittedPerHandler sets how many interactions may be taken off the
// gateway and not yet answered, per handler slot (Options.MaxAdmitted's
// default): enough that a click waiting behind busy handlers is read, and
// so acknowledged within DeferAfter, while the handlers are stuck (Discord
// slow to answer, say); few enough that a storm's backlog stays in the
// gateway's socket rather than in memory.
const admittedPerHandler = 4

// intake takes an interaction off the gateway. The session runs its
// handlers in the goroutine that reads the gateway (SyncEvents), so intake
// must not block for long: it waits only while MaxAdmitted interactions are
// read and not yet answered, which is how a storm is held back. The
// interactions behind it then wait in the socket (and at Discord), not as a
// goroutine and a decoded event each.
//
// Meanwhile discordgo's heartbeats go on (they have a goroutine of their
// own), but what Discord sends is not read, its HEARTBEAT_ACKs and
// heartbeat requests included. Held back for five heartbeat intervals
// (about 3.5 minutes with Discord's 41.25 s: every admitted interaction
// stuck that long, Discord's REST API unreachable, say) discordgo takes the
// connection for a zombie and connects again. It closes the old one with
// 1000, which ends the session at Discord: the new one identifies afresh,
// and what the old one had not delivered (interactions minutes past their
// 3 s by then) is not replayed. The interaction held here is still handled.
func (b *bot) intake(i *discordgo.Interaction) {
	received := time.Now()
	if !b.seen.first(i.ID) {
		// Handled already: a second /rally create would make a second
		// rally, and a second answer is refused by Discord anyway.
		b.log.Info("an interaction delivered again is ignored")
		return
	}
	// The message a button was clicked on comes with the click (its embeds
	// and every component); a click waiting for a slot need not keep it.
	// A DM's is kept: its buttons answer in it (commands/dmbuttons.go).
	if i.GuildID != "" {
		i.Message = nil
	}
	select {
	case b.admitted <- struct{}{}:
	case <-b.stopping:
		return
	}
	if !b.begin() {
		<-b.admitted
		return
	}
	go b.onInteraction(i, received)
}

// recentInteractions is how many of the latest interactions' ids are kept
// to tell one delivered again: Discord replays what a session missed when
// it is resumed, seconds after the drop, so the latest few thousand
// suffice even in a storm of clicks; 8 bytes each.
const recentInteractions = 1 << 14

// recent is a bounded set of the latest interaction ids (snowflakes).
type recent struct {
	mu   sync.Mutex
	ids  map[uint64]struct{}
	ring []uint64
	next int
}

// first records id and reports whether it was not seen lately. An id that
// is not a snowflake is always new.
func (r *recent) first(id string) bool {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = make(map[uint64]struct{}, recentInteractions)
		r.ring = make([]uint64, recentInteractions)
	}
	if _, ok := r.ids[n]; ok {
		return false
	}
	if old := r.ring[r.next]; old != 0 {
		delete(r.ids, old)
	}
	r.ring[r.next] = n
	r.ids[n] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
	return true
}

// onInteraction runs the handler and sends its reply. A handler that is still
// working DeferAfter after the interaction was read gets the interaction
// acknowledged ("thinking…") with the visibility its route declares, and its
// reply put in when done. The time waited for a handler slot counts: under
// a storm of clicks an interaction that cannot be handled within DeferAfter
// is acknowledged in time, and answered when its turn comes.
//
// The deferral runs from a timer, in a goroutine of its own only when it
// fires, so a click answered in time costs one goroutine.
func (b *bot) onInteraction(i *discordgo.Interaction, received time.Time) {
	ctx, cancel := context.WithTimeout(b.ctx, handlerTimeout)
	end := func() {
		b.opts.Metrics.Latency(commands.InteractionKind(i.Type), time.Since(received))
		cancel()
		b.inflight.Done()
		<-b.admitted
	}
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		// Autocomplete cannot be deferred.
		defer end()
		if resp := b.handle(ctx, i); resp != nil {
			b.respond(ctx, i, discord.Callback(i, resp))
		}
		return
	}

	// Whichever of the handler and the timer comes first answers: the
	// handler directly, or the timer with a deferral that the handler's
	// reply then fills. A handler done past DeferAfter before its timer ran
	// defers as the timer would have.
	var mu sync.Mutex
	var answered, deferred bool
	late := make(chan *commands.Response, 1)
	timer := time.AfterFunc(max(b.opts.DeferAfter-time.Since(received), 0), func() {
		mu.Lock()
		if answered || deferred {
			mu.Unlock()
			return
		}
		deferred = true
		mu.Unlock()
		defer end()
		b.deferred(ctx, i, late)
	})
	resp := b.handle(ctx, i)
	mu.Lock()
	switch {
	case deferred:
		mu.Unlock()
		late <- resp
		return
	case time.Since(received) >= b.opts.DeferAfter:
		deferred = true
		mu.Unlock()
		timer.Stop()
		late <- resp
		defer end()
		b.deferred(ctx, i, late)
		return
	}
	answered = true
	mu.Unlock()
	timer.Stop()
	defer end()
	if resp == nil {
		return
	}
	b.respond(ctx, i, discord.Callback(i, resp))
	b.followUps(ctx, i, resp.Followups)
}

// handle waits for a handler slot and runs the handler; nil if ctx ends
// first.
func (b *bot) handle(ctx context.Context, i *discordgo.Interaction) *commands.Response {
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-b.slots }()
	b.seed(ctx, i.GuildID)
	return b.app.Handle(ctx, i)
}

// deferred acknowledges a slow interaction, visible as its route declares,
// then puts the handler's reply in. A public command can still be refused
// (bad input, say), and a refusal is for the member alone: the public
// "thinking" message is then deleted and the refusal sent as an ephemeral
// follow-up, rather than shown to the channel.
func (b *bot) deferred(ctx context.Context, i *discordgo.Interaction, done <-chan *commands.Response) {
	// Decided from who asks as well as the route: a lead's /rally info (a
	// private place) is deferred for the lead alone.
	ephemeral := b.app.EphemeralFor(ctx, i)
	data := &discordgo.InteractionResponseData{}
	if ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	b.respond(ctx, i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: data})
	resp := <-done
	if resp == nil {
		resp = commands.DoneReply(i, ephemeral)
	}
	if resp.Ephemeral && !ephemeral {
		if err := b.discord.DeleteReply(ctx, i); err != nil {
			// The first follow-up would fill the public placeholder, in
			// public: the answer for the member alone is not sent, and the
			// placeholder says only that there is no answer here.
			b.log.Warn("could not delete a public deferred reply; its private answer is withheld", "interaction", i.ID, "err", err)
			if err := b.discord.EditReply(ctx, i, commands.WithheldReply(i)); err != nil {
				b.log.Warn("interaction reply edit failed", "interaction", i.ID, "err", err)
			}
			return
		}
		b.followUps(ctx, i, append([]*commands.Response{resp}, resp.Followups...))
		return
	}
	if !resp.Ephemeral && ephemeral {
		b.log.Warn("a public reply went out ephemeral: its route is not declared public", "interaction", i.ID)
	}
	if err := b.discord.EditReply(ctx, i, resp); err != nil {
		b.log.Warn("interaction reply edit failed", "interaction", i.ID, "err", err)
	}
	b.followUps(ctx, i, resp.Followups)
}

func (b *bot) respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) {
	if err := b.discord.Respond(ctx, i, r); err != nil {
		b.log.Warn("interaction reply failed", "interaction", i.ID, "err", err)
	}
}

// followUps sends the messages that did not fit in the reply, in order,
// stopping at the first that fails.
func (b *bot) followUps(ctx context.Context, i *discordgo.Interaction, fs []*commands.Response) {
	for _, f := range fs {
		if err := b.discord.FollowUp(ctx, i, f); err != nil {
			b.log.Warn("follow-up failed", "interaction", i.ID, "err", err)
			return
		}
	}
}
