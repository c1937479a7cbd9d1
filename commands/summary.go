package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

const (
	defaultSummaryDays = 7
	maxSummaryDays     = 31
	colorSummary       = 0x3B82F6
)

func (a *App) summaryCommand() *Command {
	minDays := float64(1)
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "summary",
			Description: "Turnout across chapters (coordinators)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "now", Description: "The turnout summary, now (only you see it)",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionInteger, Name: "days", Description: "How many days ahead (default 7)", MinValue: &minDays, MaxValue: maxSummaryDays},
					}},
			},
		},
		Handlers: map[string]Handler{"now": a.summaryNow},
	}
}

func (a *App) setupCommand() *Command {
	// No default_member_permissions: discordgo sends it as a string, which
	// Discord's OpenAPI spec rejects (it wants an integer); the handler checks.
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "setup",
			Description: "Server settings (admins)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "coordinators", Description: "Where daily summaries go, and who counts as coordinator",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "Channel for the daily turnout summary", Required: true, ChannelTypes: announceChannelTypes},
						{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "Role whose members may ask for /summary now"},
					}},
			},
		},
		Handlers: map[string]Handler{"coordinators": a.setupCoordinators},
	}
}

func (a *App) setupCoordinators(ctx context.Context, in *Input) (*Response, error) {
	if err := requireAdmin(in); err != nil {
		return nil, err
	}
	channel, err := resolvedChannel(in, "channel")
	if err != nil {
		return nil, err
	}
	if channel == "" {
		return nil, invalid("`channel`: pick the channel where daily summaries should go.")
	}
	role, err := resolvedRole(in, "role")
	if err != nil {
		return nil, err
	}
	if err := a.db.SetCoordinators(ctx, in.GuildID, channel, role); err != nil {
		return nil, err
	}
	a.log.Info("coordinators set", "guild", in.GuildID)
	who := "Only admins can ask for `/summary now`."
	if role != "" {
		who = fmt.Sprintf("<@&%s> and admins can ask for `/summary now`.", role)
	}
	return ephemeral("Daily turnout summaries will go to <#%s>. %s", channel, who), nil
}

func (a *App) summaryNow(ctx context.Context, in *Input) (*Response, error) {
	g, err := a.db.Guild(ctx, in.GuildID)
	if err != nil {
		return nil, err
	}
	if !in.isAdmin() && !in.hasRole(g.CoordinatorRoleID) {
		if g.CoordinatorRoleID == "" {
			return nil, forbidden("Only server admins can see the summary until an admin names a coordinator role with `/setup coordinators`.")
		}
		return nil, forbidden("Only coordinators (<@&%s>) and server admins can see the summary.", g.CoordinatorRoleID)
	}
	days := int64(defaultSummaryDays)
	if n, ok, err := in.int("days"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > maxSummaryDays {
			return nil, invalid("`days` must be between 1 and %d.", maxSummaryDays)
		}
		days = n
	}
	msgs, _, err := a.buildSummary(ctx, in.GuildID, in.Now, int(days))
	if err != nil {
		return nil, err
	}
	return messagesResponse(msgs, true), nil
}

// buildSummary renders a guild's turnout for the coming days: per chapter,
// each rally's counts and their change since the last posted summary, then
// totals. Counts only, never names.
func (a *App) buildSummary(ctx context.Context, guildID string, now time.Time, days int) ([][]*discordgo.MessageEmbed, []store.Rally, error) {
	chapters, err := a.db.Chapters(ctx, guildID)
	if err != nil {
		return nil, nil, err
	}
	rallies, err := a.db.UpcomingRallies(ctx, now, store.RallyFilter{GuildID: guildID, Until: now.AddDate(0, 0, days)})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(rallies))
	byChapter := map[int64][]store.Rally{}
	for i, r := range rallies {
		ids[i] = r.ID
		byChapter[r.ChapterID] = append(byChapter[r.ChapterID], r)
	}
	before, err := a.db.SummaryCounts(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	var total, prevTotal store.Counts
	tracked := false
	seen := map[int64]bool{}
	section := func(name string, rs []store.Rally) {
		lines = append(lines, "**"+escape(name)+"**")
		if len(rs) == 0 {
			lines = append(lines, "no rallies in this window")
		}
		for _, r := range rs {
			seen[r.ID] = true
			prev, had := before[r.ID]
			line := fmt.Sprintf("• #%d %s — %s: %d going%s, %d maybe%s", r.ID, escape(truncate(r.Title, 80)),
				r.StartsAt.In(location(r.TimeZone)).Format("Mon Jan 2 3:04 PM MST"),
				r.Going, delta(r.Going, prev.Going, had), r.Maybe, delta(r.Maybe, prev.Maybe, had))
			if r.Capacity > 0 {
				line += fmt.Sprintf(", %d waitlisted%s · capacity %d", r.Waitlist, delta(r.Waitlist, prev.Waitlist, had), r.Capacity)
			}
			if !had {
				line += " · new since the last summary"
			}
			lines = append(lines, line)
			total.Going += r.Going
			total.Maybe += r.Maybe
			total.Waitlist += r.Waitlist
			if had {
				tracked = true
				prevTotal.Going += prev.Going
				prevTotal.Maybe += prev.Maybe
				prevTotal.Waitlist += prev.Waitlist
			}
		}
	}
	for _, c := range chapters {
		section(c.Name, byChapter[c.ID])
	}
	for _, r := range rallies { // rallies of chapters removed since
		if !seen[r.ID] {
			section(r.ChapterName, []store.Rally{r})
		}
	}
	lines = append(lines, fmt.Sprintf("**All chapters:** %d rall%s · %d going%s · %d maybe%s · %d waitlisted",
		len(rallies), map[bool]string{true: "y", false: "ies"}[len(rallies) == 1],
		total.Going, delta(total.Going, prevTotal.Going, tracked), total.Maybe, delta(total.Maybe, prevTotal.Maybe, tracked), total.Waitlist))
	title := fmt.Sprintf("Turnout, next %d day%s", days, map[bool]string{true: "", false: "s"}[days == 1])
	return listEmbeds(title, lines, colorSummary), rallies, nil
}

// delta shows a change since the last summary, e.g. " (+12)".
func delta(now, before int, known bool) string {
	if !known || now == before {
		return ""
	}
	return fmt.Sprintf(" (%+d since last summary)", now-before)
}
