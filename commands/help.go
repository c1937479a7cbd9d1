package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
)

func (a *App) helpCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "help",
			Description: "The commands you can use here (only you see the reply)",
		},
		Routes: map[string]Route{"": {Access: Everyone, Handle: a.help}},
	}
}

// may reports whether the member passes access anywhere in the guild: a lead
// of any chapter may use the lead routes (for their own chapter's rallies).
func (a *App) may(ctx context.Context, in *Input, access Access) (bool, error) {
	if access == Everyone || in.isAdmin() {
		return true, nil
	}
	switch access {
	case Coordinator:
		g, err := a.db.Guild(ctx, in.GuildID)
		return err == nil && in.hasRole(g.CoordinatorRoleID), err
	case RallyLead, ChapterLead:
		chapters, err := a.db.Chapters(ctx, in.GuildID)
		if err != nil {
			return false, err
		}
		for _, c := range chapters {
			if in.hasRole(c.LeadRoleID) {
				return true, nil
			}
		}
	}
	return false, nil
}

// help lists the commands the member may use, from the same table that
// registers and authorizes them, so it cannot list one they would be refused.
func (a *App) help(ctx context.Context, in *Input) (*Response, error) {
	allowed := map[Access]bool{}
	for _, acc := range []Access{Everyone, Admin, Coordinator, RallyLead, ChapterLead} {
		ok, err := a.may(ctx, in, acc)
		if err != nil {
			return nil, err
		}
		allowed[acc] = ok
	}
	var lines []string
	for _, c := range a.routes {
		subs := map[string]string{} // subcommand → description
		var order []string
		for _, o := range c.Def.Options {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand {
				subs[o.Name] = in.Lang.T(descriptionID([]string{c.Def.Name, o.Name}))
				order = append(order, o.Name)
			}
		}
		if len(order) == 0 {
			subs[""], order = in.Lang.T(descriptionID([]string{c.Def.Name})), []string{""}
		}
		for _, sub := range order {
			r, ok := c.Routes[sub]
			if !ok || !allowed[r.Access] {
				continue
			}
			lines = append(lines, fmt.Sprintf("`/%s` — %s", strings.TrimSpace(c.Def.Name+" "+sub), subs[sub]))
		}
	}
	sort.Strings(lines)
	lines = append(lines, "", in.Lang.T("help_footer"))
	return messagesResponse(listEmbeds(in.Lang.T("help_title"), lines, colorScheduled), true), nil
}
