package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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
				needsOption(),
			},
		},
		Routes:       map[string]Route{"": {Access: Everyone, Handle: a.rsvpSlash}},
		Autocomplete: a.autocompleteOptions,
	}
}

func (a *App) myRSVPsCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "myrsvps",
			Description: "Your upcoming RSVPs (only you see them)",
		},
		Routes: map[string]Route{"": {Access: Everyone, Handle: a.myRSVPs}},
	}
}

func (a *App) privacyCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "privacy",
			Description: "Your data in this server",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "forget-me", Description: "Delete everything kept about you in this server (in a DM with me: every server), now"},
			},
		},
		Routes: map[string]Route{"forget-me": {Access: Everyone, Handle: a.forgetMe}},
		InDMs:  true,
	}
}

func (a *App) rsvpSlash(ctx context.Context, in *Input) (*Response, error) {
	status := store.RSVPStatus(in.str("status"))
	switch status {
	case store.Going, store.Maybe, store.NotGoing:
	default:
		return nil, invalid("err_status_option", "Choices", choiceNames(string(store.Going), string(store.Maybe), string(store.NotGoing)))
	}
	var needs []store.Need
	withNeeds := in.has("needs")
	if withNeeds {
		if status != store.Going {
			return nil, invalid("err_needs_need_going")
		}
		var err error
		if needs, err = parseNeeds(in.str("needs")); err != nil {
			return nil, err
		}
	}
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	var resp *Response
	switch {
	case in.has("role"):
		if status != store.Going {
			return nil, invalid("err_role_needs_going")
		}
		resp, err = a.takeRole(ctx, in, r.ID, store.Role(in.str("role")))
	default:
		resp, err = a.rsvp(ctx, in, r.ID, status)
	}
	if err != nil || !withNeeds {
		return resp, err
	}
	return a.rsvpNeeds(ctx, in, r.ID, needs, resp)
}

// rsvpButton handles the Going / Maybe / Can't go buttons (rsvpCustomID),
// checked against the guild the click came from.
func (a *App) rsvpButton(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	status := store.RSVPStatus(in.Params["status"])
	resp, err := a.rsvp(ctx, in, id, status)
	if errors.Is(err, store.ErrNoSuchRally) { // no such rally in this guild
		a.log.Warn("button for an unknown rally", "custom_id", in.MessageComponentData().CustomID, "guild", in.GuildID)
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	return resp, err
}

func (a *App) rsvp(ctx context.Context, in *Input, rallyID int64, status store.RSVPStatus) (*Response, error) {
	res, err := a.db.SetRSVP(ctx, in.GuildID, rallyID, in.userID(), status)
	if err != nil {
		return nil, err
	}
	r := res.Rally
	if res.Role != "" {
		return a.heldRole(ctx, in, r, res.Role, status)
	}
	if res.Status != res.Previous || len(res.Promoted) > 0 {
		a.refresher.mark(r.ID)
	}
	if res.Status == store.Requested {
		return requestedReply(in.Lang, r, "", res.Previous == store.Requested), nil
	}
	withdrawn := ""
	if res.Previous == store.Requested {
		withdrawn = in.Lang.T("rsvp_request_withdrawn")
	}
	when := a.when(in.Lang, r)
	if res.Status == res.Previous {
		resp := ephemeral(in.Lang.T("rsvp_no_change", "Title", escape(r.Title), "When", when, "Status", statusWords(in.Lang, res.Status, res.Position)))
		if res.Status == store.Going {
			return a.offerNeeds(ctx, in, r.ID, resp), nil
		}
		return resp, nil
	}
	msg := withdrawn + in.Lang.T("rsvp_got_it", "Title", escape(r.Title), "When", when, "Status", statusWords(in.Lang, res.Status, res.Position))
	if res.Status == store.Going {
		msg += in.Lang.T("rsvp_see_you")
		msg += a.privatePlaceFor(ctx, in.Lang, r)
		// Newly going: needs left with the member's last going, so none
		// are stored and the menu starts empty without a read.
		return a.withNeedsMenu(in.Lang, r.ID, nil, ephemeral(msg)), nil
	}
	return ephemeral(msg), nil
}

// privatePlaceFor is what a member who has just become going learns of a
// private place: the place itself once it is being shared, else when it
// will come, in l. "" for a public place.
func (a *App) privatePlaceFor(ctx context.Context, l Lang, r store.Rally) string {
	if !r.PrivateLocation {
		return ""
	}
	revealed, err := a.db.LocationRevealed(ctx, r.ID)
	if err != nil {
		a.log.Warn("could not read whether a place was shared", "rally", r.ID, "err", err)
	}
	if revealed {
		return "\n" + l.T("place_for_going", "Where", escape(r.Location))
	}
	return "\n" + l.T("place_private_later", "Before", shortDuration(a.cfg.LocationReveal))
}

func (a *App) myRSVPs(ctx context.Context, in *Input) (*Response, error) {
	mine, err := a.db.MemberRSVPs(ctx, in.GuildID, in.userID(), in.Now)
	if err != nil {
		return nil, err
	}
	if len(mine) == 0 {
		return ephemeral(in.Lang.T("myrsvps_none")), nil
	}
	var lines []string
	for _, m := range mine {
		r := m.Rally
		status := statusWords(in.Lang, m.Status, m.Position)
		if m.Role != "" {
			status = in.Lang.T("status_going_role", "Role", roleName(in.Lang, m.Role, 1))
		}
		line := fmt.Sprintf("**#%d %s** — %s, %s\n%s", r.ID, escape(r.Title), escape(r.ChapterName), zonedTime(in.Lang, r.StartsAt, r.TimeZone), status)
		if r.Cancelled() {
			line += in.Lang.T("myrsvps_cancelled")
		}
		if m.Promoted {
			line += in.Lang.T("myrsvps_promoted")
		}
		lines = append(lines, line)
	}
	resp := messagesResponse(listEmbeds(in.Lang.T("myrsvps_title"), lines, colorScheduled), true)
	resp.Components = calendarButton(in.Lang)
	for _, m := range mine {
		if m.Promoted {
			if err := a.db.PromotionTold(ctx, m.Rally.ID, in.userID()); err != nil {
				a.log.Warn("could not record a promotion as told", "rally", m.Rally.ID, "err", err)
			}
		}
	}
	return resp, nil
}
