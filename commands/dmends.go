package commands

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// A day-before reminder DM's "Still going" / "Can't make it" answer nothing
// once the rally is over. Its place on Discord is kept until retention (so
// forget-me can delete it), so at the end the bot edits it: the buttons give
// way to one disabled button saying the rally is over, the text stays. The
// edit is owed on the DM's row and goes through deliver: retried on 429 and
// 5xx, done once Discord has it (an edit made twice after a crash is the same
// edit). A high-risk rally's DMs are deleted at its end instead; a "Home
// safe?" DM keeps its buttons for its day.

// dmEndBatch is how many owed end edits one pass reads.
const dmEndBatch = 50

// EditEndedDMs puts out the buttons of the DMs of rallies ended by now.
func (a *App) EditEndedDMs(ctx context.Context, now time.Time) error {
	for {
		due, err := a.db.DueDMEndEdits(ctx, now, dmEndBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		for _, e := range due {
			if err := a.editEndedDM(ctx, now, e); err != nil {
				return err
			}
		}
		if len(due) < dmEndBatch {
			return nil
		}
	}
}

func (a *App) editEndedDM(ctx context.Context, now time.Time, e store.DMEndEdit) error {
	if e.ChannelID == "" {
		// Sent before the bot kept where DMs go: nowhere to edit.
		return a.db.DMEndEdited(ctx, e)
	}
	l := a.memberLang(ctx, e.GuildID, e.UserID)
	_, _, err := a.deliver(ctx, now, delivery{kind: "dm_end_edit", log: a.log.With("rally", e.RallyID), attempts: e.Attempts,
		send: func() (*discordgo.Message, error) {
			return &discordgo.Message{ID: e.MessageID}, a.discord.EditComponents(ctx, e.ChannelID, e.MessageID, rallyOverButtons(l, e.RallyID))
		},
		finish: func(outcome, string) error { return a.db.DMEndEdited(ctx, e) },
		retry:  func(at time.Time) error { return a.db.RetryDMEndEdit(ctx, e, at) },
	})
	return err // context.Canceled: shutting down, still owed at the next start
}

// rallyOverButtons is what replaces an ended rally's DM buttons: one
// disabled button saying it is over (pressed anyway, it answers so).
func rallyOverButtons(l Lang, rallyID int64) []discordgo.MessageComponent {
	var id confirmCustomID
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: l.T("button_rally_over"), Style: discordgo.SecondaryButton, CustomID: id.build(true, rallyID), Disabled: true},
	}}}
}
