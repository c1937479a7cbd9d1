package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

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

// guildGrants are the roles that pass an Access anywhere in the guild: a
// lead of any chapter may use the lead routes (for their own chapter's
// rallies).
func (a *App) guildGrants(ctx context.Context, guildID string) (grants, error) {
	g, err := a.db.Guild(ctx, guildID)
	if err != nil {
		return grants{}, err
	}
	chapters, err := a.db.Chapters(ctx, guildID)
	if err != nil {
		return grants{}, err
	}
	out := grants{coordinatorRole: g.CoordinatorRoleID}
	for _, c := range chapters {
		out.leadRoles = append(out.leadRoles, c.LeadRoleID)
	}
	return out, nil
}

// help lists the commands the member may use, from the same table that
// registers and authorizes them, so it cannot list one they would be refused.
func (a *App) help(ctx context.Context, in *Input) (*Response, error) {
	g, err := a.guildGrants(ctx, in.GuildID)
	if err != nil {
		return nil, err
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
			if !ok || !permits(in, r.Access, g) {
				continue
			}
			lines = append(lines, fmt.Sprintf("`/%s` — %s", strings.TrimSpace(c.Def.Name+" "+sub), subs[sub]))
		}
	}
	sort.Strings(lines)
	lines = append(lines, "", in.Lang.T("help_footer", "Date", exampleDate(in.Now, time.UTC)))
	return messagesResponse(listEmbeds(in.Lang.T("help_title"), lines, colorScheduled), true), nil
}
