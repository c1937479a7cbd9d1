package commands

import (
	"context"
	"fmt"
	"strings"
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
				exportSubcommand(),
			},
		},
		Routes: map[string]Route{"now": {Access: Coordinator, Handle: a.summaryNow}, "export": {Access: Coordinator, Handle: a.summaryExport}},
	}
}

func (a *App) setupCommand() *Command {
	// Admin-only: App gives it default_member_permissions (adminByDefault).
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "setup",
			Description: "Server settings (admins)",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "coordinators", Description: "Where daily summaries go, and who counts as coordinator",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "Channel for the daily turnout summary", Required: true, ChannelTypes: announceChannelTypes},
						{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "Role whose members may ask for /summary now"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "language", Description: "Language of the daily summaries: English, Spanish or both",
							Choices: []*discordgo.ApplicationCommandOptionChoice{
								{Name: "English", Value: PostEnglish},
								{Name: "Español", Value: PostSpanish},
								{Name: "English + Español", Value: PostBilingual},
							}},
					}},
			},
		},
		Routes: map[string]Route{"coordinators": {Access: Admin, Handle: a.setupCoordinators}},
	}
}

func (a *App) setupCoordinators(ctx context.Context, in *Input) (*Response, error) {
	channel, err := resolvedChannel(in, "channel")
	if err != nil {
		return nil, err
	}
	if channel == "" {
		return nil, invalid("err_summary_channel")
	}
	role, err := resolvedRole(in, "role")
	if err != nil {
		return nil, err
	}
	was, err := a.db.Guild(ctx, in.GuildID)
	if err != nil {
		return nil, err
	}
	// Left out, the language stays as it was.
	lang := was.Language
	if in.has("language") {
		switch lang = in.str("language"); lang {
		case PostEnglish, PostSpanish, PostBilingual:
		default:
			return nil, invalid("err_language_option", "Choices", choiceNames(PostEnglish, PostSpanish, PostBilingual))
		}
	}
	if err := a.db.SetCoordinators(ctx, store.Guild{ID: in.GuildID, CoordinatorChannelID: channel, CoordinatorRoleID: role, Language: lang}); err != nil {
		return nil, err
	}
	a.log.Info("coordinators set", "guild", in.GuildID)
	who := in.Lang.T("coordinators_admins_only")
	if role != "" {
		who = in.Lang.T("coordinators_role", "Role", "<@&"+role+">")
	}
	if was.CoordinatorRoleID != "" && role == "" {
		// Left out, the role is cleared: its members lose the coordinators'
		// commands, which the admin is told, with how to keep it.
		who += " " + in.Lang.T("coordinators_role_dropped", "Role", "<@&"+was.CoordinatorRoleID+">")
	}
	msg := in.Lang.T("coordinators_set", "Channel", "<#"+channel+">", "Who", who)
	if lang != PostEnglish {
		msg += " " + in.Lang.T("coordinators_language", "Language", in.Lang.T("language_"+lang))
	}
	return ephemeral(msg), nil
}

func (a *App) summaryNow(ctx context.Context, in *Input) (*Response, error) {
	days := int64(defaultSummaryDays)
	if n, ok, err := in.int("days"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > maxSummaryDays {
			return nil, invalid("err_days_range", "Max", maxSummaryDays)
		}
		days = n
	}
	s, err := a.buildSummary(ctx, in.Lang, in.GuildID, in.Now, int(days))
	if err != nil {
		return nil, err
	}
	// Each message's files go with it: all with the first, a recap's CSV
	// and chart for each day of action besides the summary's chart, passed
	// the 10 files a message may carry, and Discord refused the reply.
	resp := messagesResponse(s.msgs, true)
	resp.Files = s.files[0]
	for i, f := range resp.Followups {
		f.Files = s.files[i+1]
	}
	return resp, nil
}

// summary is a rendered turnout summary.
type summary struct {
	msgs [][]*discordgo.MessageEmbed // each message's embeds
	// baseline is the counts of every upcoming rally of the guild (in the
	// window or not), which a posted summary leaves for the next one's changes.
	baseline map[int64]store.Counts
	// files are the attachments of each message, by its index in msgs: the
	// chart of going per chapter, a day of action's recap (after.go).
	files map[int][]File
}

// buildSummary renders a guild's turnout for the coming days: per chapter,
// each rally's counts and their change since the last posted summary, then
// totals. Counts only, never names.
func (a *App) buildSummary(ctx context.Context, l Lang, guildID string, now time.Time, days int) (summary, error) {
	var s summary
	chapters, err := a.db.Chapters(ctx, guildID)
	if err != nil {
		return s, err
	}
	upcoming, err := a.db.SummaryRallies(ctx, now, guildID)
	if err != nil {
		return s, err
	}
	last, err := a.db.LastSummary(ctx, guildID)
	if err != nil {
		return s, err
	}
	previous := !last.IsZero()
	until := now.AddDate(0, 0, days)
	ids := make([]int64, len(upcoming))
	s.baseline = make(map[int64]store.Counts, len(upcoming))
	// The rallies come in order of their start, so those in the window are
	// the first ones: a Rally is large, and copying a thousand of them into
	// more slices was most of a summary's allocations.
	inWindow := 0
	perChapter := map[int64]int{}
	for i, r := range upcoming {
		ids[i] = r.ID
		s.baseline[r.ID] = store.Counts{Going: r.GoingTotal(), Maybe: r.Maybe, Waitlist: r.Waitlist}
		if r.StartsAt.Before(until) {
			inWindow = i + 1
			perChapter[r.ChapterID]++
		}
	}
	rallies := upcoming[:inWindow]
	byChapter := make(map[int64][]store.Rally, len(perChapter))
	for id, n := range perChapter {
		byChapter[id] = make([]store.Rally, 0, n)
	}
	for _, r := range rallies {
		byChapter[r.ChapterID] = append(byChapter[r.ChapterID], r)
	}
	before, err := a.db.SummaryCounts(ctx, ids)
	if err != nil {
		return s, err
	}
	groups, err := a.actionGroups(ctx, rallies)
	if err != nil {
		return s, err
	}
	needs, err := a.ralliesNeeds(ctx, rallies)
	if err != nil {
		return s, err
	}
	var lines []string
	var total, change store.Counts
	seen := map[int64]bool{}
	// A rally is named by its title under its chapter, by its chapter under
	// its day of action.
	section := func(name string, rs []store.Rally, byChapter bool) {
		lines = append(lines, "**"+escape(name)+"**")
		if len(rs) == 0 {
			lines = append(lines, l.T("summary_none"))
		}
		for _, r := range rs {
			seen[r.ID] = true
			prev, had := before[r.ID]
			label := escape(r.Title)
			if byChapter {
				label = escape(r.ChapterName)
			}
			local := r.StartsAt.In(a.zones.location(r.TimeZone))
			line := l.T("summary_line", "Count", r.GoingTotal(), "ID", r.ID, "Label", label, "When", l.dateTime(local, dateDay)+" "+local.Format("MST")+" · "+timestamp(r.StartsAt, "f"),
				"Going", r.GoingTotal(), "GoingDelta", delta(l, r.GoingTotal()-prev.Going, had),
				"Maybe", r.Maybe, "MaybeDelta", delta(l, r.Maybe-prev.Maybe, had))
			if r.Capacity > 0 {
				line += l.T("summary_line_capacity", "Waitlist", r.Waitlist, "WaitlistDelta", delta(l, r.Waitlist-prev.Waitlist, had), "Capacity", r.Capacity)
			}
			if hasStaffingOrNeeds(r.Staffing, needs[r.ID]) {
				line += l.T("summary_line_roles", "Roles", staffingWithNeeds(l, r.Staffing, needs[r.ID]))
			}
			if needs[r.ID].Total() > 0 {
				line += l.T("summary_line_needs", "Needs", needsCountsLine(l, needs[r.ID]))
			}
			if previous && !had {
				line += l.T("summary_line_new")
			}
			if waitingForPlace(r) {
				line += l.T("summary_line_waiting")
			}
			lines = append(lines, line)
			total.Going += r.GoingTotal()
			total.Maybe += r.Maybe
			total.Waitlist += r.Waitlist
			// A rally new since the last summary adds all its RSVPs.
			change.Going += r.GoingTotal() - prev.Going
			change.Maybe += r.Maybe - prev.Maybe
			change.Waitlist += r.Waitlist - prev.Waitlist
		}
	}
	for _, g := range groups {
		heading, closing := actionSummaryLines(l, g)
		section(heading, g.rallies, true)
		lines = append(lines, closing...)
	}
	var idle []string
	for _, c := range chapters {
		rest := byChapter[c.ID]
		if len(groups) > 0 { // some of them may be listed under their day of action
			rest = make([]store.Rally, 0, len(byChapter[c.ID]))
			for _, r := range byChapter[c.ID] {
				if !seen[r.ID] {
					rest = append(rest, r)
				}
			}
		}
		if len(rest) == 0 && len(byChapter[c.ID]) > 0 {
			continue // its rallies are all under their days of action
		}
		if len(rest) == 0 {
			idle = append(idle, escape(c.Name)) // on one line, below
			continue
		}
		section(c.Name, rest, false)
	}
	for _, r := range rallies { // rallies of chapters removed since
		if !seen[r.ID] {
			section(r.ChapterName, []store.Rally{r}, false)
		}
	}
	if len(idle) > 0 {
		lines = append(lines, l.T("summary_idle", "Count", len(idle), "Chapters", strings.Join(idle, ", ")))
	}
	ended, err := a.db.EndedRallies(ctx, guildID, now.Add(-24*time.Hour), now)
	if err != nil {
		return s, err
	}
	if len(ended) > 0 {
		lines = append(lines, l.T("summary_turnout_last_day"))
		for _, r := range ended {
			local := r.StartsAt.In(a.zones.location(r.TimeZone))
			lines = append(lines, fmt.Sprintf("• #%d %s (%s) — %s %s: %s", r.ID, escape(r.Title), escape(r.ChapterName),
				l.dateTime(local, dateDay), local.Format("MST"), l.T("checked_in_of_going", "Count", r.CheckedIn, "CheckedIn", r.CheckedIn, "Going", r.GoingTotal())))
		}
	}
	lines = append(lines, l.T("summary_total", "Count", len(rallies),
		"Going", total.Going, "GoingDelta", delta(l, change.Going, previous), "Maybe", total.Maybe, "MaybeDelta", delta(l, change.Maybe, previous),
		"Waitlist", total.Waitlist, "WaitlistDelta", delta(l, change.Waitlist, previous)))
	if previous {
		lines = append(lines, l.T("summary_since", "When", timestamp(last, "f")))
	}
	title := l.T("summary_title", "Count", days)
	s.msgs = listEmbeds(title, lines, colorSummary)
	s.files = map[int][]File{}
	if a.cfg.SummaryChart && len(chapters) > 0 {
		chart, err := a.summaryChartOf(l, days, chapters, rallies)
		if err != nil {
			return s, err
		}
		s.files[0] = append(s.files[0], chart)
	}
	if err := a.addRecaps(ctx, l, &s, guildID, now); err != nil {
		return s, err
	}
	return s, nil
}

// delta shows a change since the last summary, e.g. " (+12 since last summary)".
func delta(l Lang, change int, known bool) string {
	if !known || change == 0 {
		return ""
	}
	return l.T("summary_delta", "Change", fmt.Sprintf("%+d", change))
}
