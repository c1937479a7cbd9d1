package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

func (a *App) rsvpCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "rsvp",
			Description: "Set or change your RSVP to a rally (only you see the reply)",
			Options: []*discordgo.ApplicationCommandOption{
				rallyOpt("Rally to RSVP to"),
				{Type: discordgo.ApplicationCommandOptionString, Name: "status", Description: "Are you coming?", Required: true,
					Choices: []*discordgo.ApplicationCommandOptionChoice{
						{Name: "Going", Value: string(store.Going)},
						{Name: "Maybe", Value: string(store.Maybe)},
						{Name: "Can't go", Value: string(store.NotGoing)},
					}},
				roleOption(),
			},
		},
		Routes:       map[string]Route{"": {Everyone, a.rsvpSlash}},
		Autocomplete: a.autocompleteOptions,
	}
}

func (a *App) myRSVPsCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "myrsvps",
			Description: "Your upcoming RSVPs (only you see them)",
		},
		Routes: map[string]Route{"": {Everyone, a.myRSVPs}},
	}
}

func (a *App) privacyCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "privacy",
			Description: "Your data in this server",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "forget-me", Description: "Delete all your RSVPs in this server, now"},
			},
		},
		Routes: map[string]Route{"forget-me": {Everyone, a.forgetMe}},
	}
}

func (a *App) rsvpSlash(ctx context.Context, in *Input) (*Response, error) {
	status := store.RSVPStatus(in.str("status"))
	switch status {
	case store.Going, store.Maybe, store.NotGoing:
	default:
		return nil, invalid("`status` must be going, maybe or not_going.")
	}
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	if in.has("role") {
		if status != store.Going {
			return nil, invalid("A safety role counts as going: use `status: Going` with `role`.")
		}
		return a.takeRole(ctx, in, r.ID, store.Role(in.str("role")))
	}
	if resp, handled, err := a.rsvpWithRole(ctx, in, r.ID, status); handled || err != nil {
		return resp, err
	}
	return a.rsvp(ctx, in, r.ID, status)
}

// rsvpButton handles the Going / Maybe / Can't go buttons (rsvpCustomID),
// checked against the guild the click came from.
func (a *App) rsvpButton(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral("This button is no longer valid."), nil
	}
	status := store.RSVPStatus(in.Params["status"])
	resp, handled, err := a.rsvpWithRole(ctx, in, id, status)
	if !handled && err == nil {
		resp, err = a.rsvp(ctx, in, id, status)
	}
	if errors.Is(err, store.ErrNoSuchRally) { // no such rally in this guild
		a.log.Warn("button for an unknown rally", "custom_id", in.MessageComponentData().CustomID, "guild", in.GuildID)
		return ephemeral("This button is no longer valid."), nil
	}
	return resp, err
}

func (a *App) rsvp(ctx context.Context, in *Input, rallyID int64, status store.RSVPStatus) (*Response, error) {
	res, err := a.db.SetRSVP(ctx, in.GuildID, rallyID, in.userID(), status)
	if err != nil {
		return nil, err
	}
	r := res.Rally
	if res.Status != res.Previous || len(res.Promoted) > 0 {
		a.refresher.mark(r.ID)
	}
	a.tellPromoted(ctx, r, res.Promoted)
	when := timestamp(r.StartsAt, "F")
	if res.Status == res.Previous {
		return ephemeral("No change: for **%s** (%s) %s.", escape(r.Title), when, statusWords(res.Status, res.Position)), nil
	}
	msg := fmt.Sprintf("Got it: for **%s** (%s) %s.", escape(r.Title), when, statusWords(res.Status, res.Position))
	if res.Status == store.Going {
		msg += " See you there!"
	}
	return ephemeral("%s", msg), nil
}

// tellPromoted DMs members who moved off a waitlist. A DM that fails (closed
// DMs) leaves the promotion flagged, and /myrsvps tells them instead.
func (a *App) tellPromoted(ctx context.Context, r store.Rally, users []string) {
	for _, u := range users {
		msg := fmt.Sprintf("🎉 A seat opened up: you're now **going** to **%s** (%s chapter) on %s at %s. If you can't make it, tap Can't go on the announcement so the next person gets your seat.",
			escape(r.Title), escape(r.ChapterName), timestamp(r.StartsAt, "F"), escape(r.Location))
		if err := a.dm(ctx, u, msg); err != nil {
			a.log.Info("could not DM a promoted member; /myrsvps will tell them", "rally", r.ID, "err", err)
			continue
		}
		if err := a.db.PromotionTold(ctx, r.ID, u); err != nil {
			a.log.Warn("could not record a promotion as told", "rally", r.ID, "err", err)
		}
	}
}

func (a *App) myRSVPs(ctx context.Context, in *Input) (*Response, error) {
	mine, err := a.db.MemberRSVPs(ctx, in.GuildID, in.userID(), in.Now)
	if err != nil {
		return nil, err
	}
	if len(mine) == 0 {
		return ephemeral("You have no upcoming RSVPs here. Tap Going or Maybe on a rally announcement, or use `/rsvp`."), nil
	}
	var lines []string
	for _, m := range mine {
		r := m.Rally
		line := fmt.Sprintf("**#%d %s** — %s, %s\n%s", r.ID, escape(r.Title), escape(r.ChapterName), timestamp(r.StartsAt, "F"), statusWords(m.Status, m.Position))
		if r.Cancelled() {
			line += " · ❌ **cancelled**"
		}
		if m.Promoted {
			line += " · 🎉 a seat opened up and you were moved off the waitlist"
		}
		lines = append(lines, line)
	}
	resp := messagesResponse(listEmbeds("Your upcoming RSVPs", lines, colorScheduled), true)
	resp.Components = calendarButton()
	for _, m := range mine {
		if m.Promoted {
			if err := a.db.PromotionTold(ctx, m.Rally.ID, in.userID()); err != nil {
				a.log.Warn("could not record a promotion as told", "rally", m.Rally.ID, "err", err)
			}
		}
	}
	return resp, nil
}

func (a *App) forgetMe(ctx context.Context, in *Input) (*Response, error) {
	removed, promotions, err := a.db.ForgetMember(ctx, in.GuildID, in.userID())
	if err != nil {
		return nil, err
	}
	roles, err := a.db.ForgetMemberRoles(ctx, in.GuildID, in.userID())
	if err != nil {
		return nil, err
	}
	for _, id := range roles {
		a.refresher.mark(id)
	}
	a.checkpoint(ctx, "forget-me")
	removed = append(removed, roles...)
	for _, id := range removed {
		a.refresher.mark(id)
	}
	byRally := map[int64][]string{}
	rallies := map[int64]store.Rally{}
	for _, p := range promotions {
		byRally[p.Rally.ID] = append(byRally[p.Rally.ID], p.UserID)
		rallies[p.Rally.ID] = p.Rally
	}
	for id, users := range byRally {
		a.tellPromoted(ctx, rallies[id], users)
	}
	a.log.Info("member forgotten", "guild", in.GuildID, "rsvps", len(removed))
	if len(removed) == 0 {
		return ephemeral("You had no RSVPs in this server; there was nothing to delete."), nil
	}
	return ephemeral("Deleted your %d RSVP%s in this server. Nothing about your attendance is kept.", len(removed), strings.Repeat("s", min(len(removed)-1, 1))), nil
}
