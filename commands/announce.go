package commands

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// announceGrace is how old a begun announcement must be before the sweep
// finishes it: younger ones may still be in the hands of their /rally create.
const announceGrace = time.Minute

// announce posts the rally's announcement with the nonce recorded with the
// rally, so a post that reached Discord before a crash is not posted again.
// Past Discord's nonce window it first looks for the message in the channel.
// It returns the message, or nil and the error of the post.
func (a *App) announce(ctx context.Context, p store.PendingAnnouncement, now time.Time) (*discordgo.Message, error) {
	embeds, components := a.publicAnnouncement(p.Rally, time.Time{})
	if now.Sub(p.BegunAt) > actionNonceWindow {
		// A reminder's footer differs from the announcement's, so the footer
		// alone tells them apart. A busy channel may have moved on by many
		// pages since: the search goes back to when the create began.
		if id := a.findOwnMessage(ctx, p.ChannelID, discord.FloorAt(p.BegunAt), func(m *discordgo.Message) bool {
			return hasFooter(m, embeds[0].Footer.Text)
		}); id != "" {
			return &discordgo.Message{ID: id, ChannelID: p.ChannelID}, nil
		}
	}
	return a.post(ctx, p.ChannelID, discord.Message{Embeds: embeds, Components: components}, p.Nonce)
}

// FinishAnnouncements posts (or finds and records) the announcement of every
// rally whose /rally create was interrupted between storing the rally and
// recording its message. It rides the reminder sweep, which also runs at
// start.
func (a *App) FinishAnnouncements(ctx context.Context, now time.Time) error {
	pending, err := a.db.PendingAnnouncements(ctx, now.Add(-announceGrace), now)
	if err != nil {
		return err
	}
	for _, p := range pending {
		log := a.log.With("rally", p.Rally.ID, "channel", p.ChannelID)
		msg, err := a.announce(ctx, p, now)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			log.Warn("could not finish an interrupted announcement; trying again at the next sweep", "err", err)
			continue
		}
		if err := a.db.SetAnnouncement(ctx, p.Rally.ID, msg.ChannelID, msg.ID); err != nil {
			return err
		}
		log.Info("finished the announcement of an interrupted create", "message", msg.ID)
		a.mirror(ctx, "", p.Rally.ID) // nobody to tell of a problem but the log
	}
	return nil
}
