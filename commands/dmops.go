package commands

import (
	"context"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// The operations owed to DMs already sent, as kinds of the outbox: their
// "send" is a delete or an edit of the DM (op), with no nonce and nothing to
// look for after a crash (a delete or an identical edit made again is the
// same). Each goes through deliver: done once Discord has it; done too when
// Discord no longer has the message (gone) or will never let the bot touch
// it (refused); retried with the one backoff on 429 and 5xx.

// dmDeleteKind deletes a DM on Discord: owed by forget-me (the drainer
// starts it at once) and by a high-risk rally's end; the sweep is the safety
// net. Its row goes once done, so where the DM was is not kept.
var dmDeleteKind = postKind{
	name: "DM deletion",
	op: func(a *App, ctx context.Context, p store.ChannelPost) (*discordgo.Message, error) {
		return &discordgo.Message{ID: p.Args.MessageID}, a.discord.DeleteMessage(ctx, p.ChannelID, p.Args.MessageID)
	},
	record: func(a *App, ctx context.Context, p store.ChannelPost, o store.ChannelPostOutcome, channel string) error {
		return a.db.FinishDMDeletion(ctx, p)
	},
}

// dmEndEditKind: a day-before reminder DM's "Still going" / "Can't make it"
// answer nothing once the rally is over. Its place on Discord is kept until
// retention (so forget-me can delete it), so at the end the bot edits it:
// the buttons give way to one disabled button saying the rally is over, the
// text stays. Owed when the DM is recorded sent, due at the rally's end. A
// high-risk rally's DMs are deleted at its end instead; a "Home safe?" DM
// keeps its buttons for its day (neither is owed an end edit).
var dmEndEditKind = postKind{
	name: "DM end edit",
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		switch {
		case p.Rally.HighRisk:
			return hold{drop: true, why: "of a high-risk rally: its DMs are deleted instead"}, nil
		case p.Rally.EndsAt.After(now):
			return hold{until: p.Rally.EndsAt}, nil
		}
		return hold{}, nil
	},
	op: func(a *App, ctx context.Context, p store.ChannelPost) (*discordgo.Message, error) {
		guildID, userID, ok, err := a.db.DMOfMessage(ctx, p.ChannelID, p.Args.MessageID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errSkip // forgotten or purged: its deletion is owed instead
		}
		// In the DM's own language; an edit owed before it was kept, in
		// the member's.
		l := Lang(p.Args.Lang)
		if !slices.Contains(Langs, l) {
			l = a.memberLang(ctx, guildID, userID)
		}
		return &discordgo.Message{ID: p.Args.MessageID},
			a.discord.EditComponents(ctx, p.ChannelID, p.Args.MessageID, rallyOverButtons(l, p.Rally.ID))
	},
}

// rallyOverButtons is what replaces an ended rally's DM buttons: one
// disabled button saying it is over (pressed anyway, it answers so).
func rallyOverButtons(l Lang, rallyID int64) []discordgo.MessageComponent {
	var id confirmCustomID
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: l.T("button_rally_over"), Style: discordgo.SecondaryButton, CustomID: id.build(true, rallyID), Disabled: true},
	}}}
}
