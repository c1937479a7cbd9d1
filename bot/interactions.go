package bot

import (
	"context"
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

// onInteraction runs the handler and sends its reply. A handler that is still
// working after DeferAfter gets the interaction acknowledged ("thinking…")
// with the visibility its route declares, and its reply put in when done.
// The time waited for a handler slot counts: under a storm of clicks an
// interaction that cannot be handled within DeferAfter is acknowledged in
// time, and answered when its turn comes.
func (b *bot) onInteraction(i *discordgo.Interaction) {
	if !b.begin() {
		return
	}
	defer b.inflight.Done()
	received := time.Now()
	defer func() { b.opts.Metrics.Latency(commands.InteractionKind(i.Type), time.Since(received)) }()
	ctx, cancel := context.WithTimeout(b.ctx, handlerTimeout)
	defer cancel()
	// The message a button was clicked on comes with the click (its embeds
	// and every component); a click waiting for a slot need not keep it.
	// A DM's is kept: its buttons answer in it (commands/dmbuttons.go).
	if i.GuildID != "" {
		i.Message = nil
	}

	done := make(chan *commands.Response, 1)
	go func() {
		select {
		case b.slots <- struct{}{}:
		case <-ctx.Done():
			done <- nil
			return
		}
		defer func() { <-b.slots }()
		b.seed(ctx, i.GuildID)
		done <- b.app.Handle(ctx, i)
	}()

	var resp *commands.Response
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		resp = <-done // autocomplete cannot be deferred
	} else {
		timer := time.NewTimer(b.opts.DeferAfter)
		select {
		case resp = <-done:
			timer.Stop()
		case <-timer.C:
			b.deferred(ctx, i, done)
			return
		}
	}
	if resp == nil {
		return
	}
	b.respond(ctx, i, discord.Callback(i, resp))
	b.followUps(ctx, i, resp.Followups)
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
