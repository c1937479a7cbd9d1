package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// placeToBeAnnounced is the place of a day-of-action rally until its lead
// sets one; the rally is announced then.
const placeToBeAnnounced = "to be announced"

// actionNonceWindow is a little less than how long Discord remembers a nonce: a
// send resumed later than that looks for its message first.
const actionNonceWindow = 4 * time.Minute

var actionTimePattern = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

func actionOpt(desc string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "action",
		Description: desc, Required: true, Autocomplete: true, MaxLength: 100}
}

func (a *App) actionCommand() *Command {
	minCap := float64(1)
	str := func(name, desc string, required bool, max int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
			Description: desc, Required: required, MaxLength: max}
	}
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "action",
			Description: "Days of action: one call to action in many chapters at once",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Schedule a rally in every chapter at once; leads then set each place (coordinators)",
					Options: append([]*discordgo.ApplicationCommandOption{
						str("title", "What the action is", true, maxTitle),
						str("date", "Day of the action, YYYY-MM-DD", true, 10),
						str("time", "Start, HH:MM (24 h) in each chapter's own time zone", true, 5),
						str("chapters", "Comma-separated chapter names (default: every chapter with a channel)", false, 1000),
						str("details", "What to bring, accessibility, safety notes", false, maxDetails),
						{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "Most people each rally can take (a waitlist forms after)", MinValue: &minCap, MaxValue: maxCapacity},
						str("duration", "How long it lasts, e.g. 2h or 90m (default 2h)", false, 20),
						highRiskOption(),
						safeHomeOption(),
					}, append(RoleMinimumOptions(), approvalOption())...)},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "status", Description: "How each chapter's rally is coming together (coordinators, only you see it)",
					Options: []*discordgo.ApplicationCommandOption{actionOpt("Action to show")}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "Upcoming days of action with their chapters and totals"},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "cancel", Description: "Cancel every rally of a day of action and tell each channel (coordinators)",
					Options: []*discordgo.ApplicationCommandOption{
						actionOpt("Action to cancel"),
						str("reason", "Why, shown to volunteers", false, maxReason),
					}},
				recapSubcommand(),
			},
		},
		Routes: map[string]Route{
			"create": {Access: Coordinator, Handle: a.actionCreate},
			"status": {Access: Coordinator, Handle: a.actionStatus},
			"list":   {Access: Everyone, Handle: a.actionList, Public: true},
			"cancel": {Access: Coordinator, Handle: a.actionCancel},
			"recap":  {Access: Coordinator, Handle: a.actionRecap},
		},
		Autocomplete: a.autocompleteAction,
	}
}

func (a *App) autocompleteAction(ctx context.Context, in *Input, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	if focused.Name != "action" {
		return a.autocompleteOptions(ctx, in, focused)
	}
	typed, _ := focused.Value.(string)
	typed = strings.TrimPrefix(strings.TrimSpace(typed), "#")
	if id, err := strconv.ParseInt(typed, 10, 64); err == nil && id > 0 {
		if act, err := a.db.Action(ctx, in.GuildID, id); err == nil {
			return []*discordgo.ApplicationCommandOptionChoice{actionChoice(in.Lang, act)}, nil
		}
	}
	since := in.Now
	if in.Path == "action recap" {
		since = in.Now.Add(-30 * 24 * time.Hour) // recent ones, to recap
	}
	actions, err := a.db.UpcomingActions(ctx, in.GuildID, since, typed, 25)
	if err != nil {
		return nil, err
	}
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(actions))
	for _, act := range actions {
		out = append(out, actionChoice(in.Lang, act))
	}
	return out, nil
}

func actionChoice(l Lang, act store.Action) *discordgo.ApplicationCommandOptionChoice {
	name := l.T("action_choice", "ID", act.ID, "Title", act.Title, "Date", act.Date, "Time", l.clockOf(act.Time))
	return &discordgo.ApplicationCommandOptionChoice{Name: truncate(name, 100), Value: strconv.FormatInt(act.ID, 10)}
}

// actionFromOption reads an action option; its value is never trusted.
func (a *App) actionFromOption(ctx context.Context, in *Input) (store.Action, error) {
	raw := strings.TrimPrefix(in.str("action"), "#")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return store.Action{}, actionError(store.ErrNoSuchAction)
	}
	act, err := a.db.Action(ctx, in.GuildID, id)
	return act, actionError(err)
}

// actionError turns the store's action errors into what the member reads.
func actionError(err error) error {
	var exists *store.ActionExistsError
	var changed *store.ChaptersChangedError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoSuchAction):
		return notFound("err_no_such_action")
	case errors.Is(err, store.ErrActionCancelled):
		return conflict("err_action_cancelled")
	case errors.Is(err, store.ErrActionOver):
		return conflict("err_action_over")
	case errors.As(err, &exists):
		return conflict("err_action_exists", "Title", escape(exists.Action.Title), "ID", exists.Action.ID)
	case errors.As(err, &changed):
		return conflict("err_action_chapters_changed", "Chapters", echoList(changed.Names))
	}
	return err
}

// actionChapters resolves the `chapters` option: the named chapters, or every
// chapter with a channel (and then the names of those left out, without
// one, for the reply to say). Unknown names and chapters without a channel
// are refused together, by name.
func (a *App) actionChapters(ctx context.Context, in *Input) ([]store.Chapter, []string, error) {
	all, err := a.db.Chapters(ctx, in.GuildID)
	if err != nil {
		return nil, nil, err
	}
	if !in.has("chapters") || in.str("chapters") == "" {
		var out []store.Chapter
		var leftOut []string
		for _, c := range all {
			if c.ChannelID != "" {
				out = append(out, c)
			} else {
				leftOut = append(leftOut, c.Name)
			}
		}
		if len(out) == 0 {
			return nil, nil, conflict("err_action_no_channels")
		}
		return out, leftOut, nil
	}
	byName := map[string]store.Chapter{}
	for _, c := range all {
		byName[strings.ToLower(c.Name)] = c
	}
	var out []store.Chapter
	var unknown, noChannel []string
	seen := map[string]bool{}
	for _, name := range strings.Split(in.str("chapters"), ",") {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		if name == "" || seen[key] {
			continue
		}
		seen[key] = true
		c, ok := byName[key]
		switch {
		case !ok:
			unknown = append(unknown, name)
		case c.ChannelID == "":
			noChannel = append(noChannel, c.Name)
		default:
			out = append(out, c)
		}
	}
	if len(unknown) > 0 || len(noChannel) > 0 {
		problems := perLang(func(l Lang) string {
			var parts []string
			if len(unknown) > 0 {
				parts = append(parts, l.T("action_problem_unknown", "Names", echoList(unknown)))
			}
			if len(noChannel) > 0 {
				parts = append(parts, l.T("action_problem_no_channel", "Names", escape(strings.Join(noChannel, ", ")), "Count", len(noChannel)))
			}
			return strings.Join(parts, "; ")
		})
		return nil, nil, invalid("err_action_chapters", "Problems", problems)
	}
	if len(out) == 0 {
		return nil, nil, invalid("err_action_chapters_empty")
	}
	return out, nil, nil
}

func (a *App) actionCreate(ctx context.Context, in *Input) (*Response, error) {
	n := store.NewAction{GuildID: in.GuildID, Location: placeToBeAnnounced, Duration: 2 * time.Hour, FirstRetry: in.Now.Add(store.PostLease)}
	var err error
	if n.Title, err = checkText("title", in.str("title"), maxTitle, true); err != nil {
		return nil, err
	}
	if n.Details, err = checkText("details", in.str("details"), maxDetails, false); err != nil {
		return nil, err
	}
	date, err := time.Parse("2006-01-02", in.str("date"))
	if err != nil {
		return nil, invalid("err_action_date", "Date", echo(in.str("date")), "Example", exampleDate(in.Now, time.UTC))
	}
	m := actionTimePattern.FindStringSubmatch(in.str("time"))
	if m == nil {
		return nil, invalid("err_action_time", "Time", echo(in.str("time")))
	}
	hour, _ := strconv.Atoi(m[1])
	n.Date, n.Time = date.Format("2006-01-02"), fmt.Sprintf("%02d:%s", hour, m[2])
	// The same minimums for every chapter's rally; a lead changes their
	// own with /rally edit.
	if n.Capacity, n.Duration, n.Needs, err = readRallyShape(in, n.Duration); err != nil {
		return nil, err
	}
	n.Approval = in.bool("approval")
	chapters, leftOut, err := a.actionChapters(ctx, in)
	if err != nil {
		return nil, err
	}
	safeHome, err := a.safeHomeForChapters(ctx, in, chapters)
	if err != nil {
		return nil, err
	}
	var gap, past, far []string
	for _, c := range chapters {
		// date and time are valid, so the only way this fails is a wall
		// time the zone skips (clocks jump forward).
		p, err := ParseWhen(n.Date+" "+n.Time, location(c.TimeZone))
		switch {
		case err != nil:
			gap = append(gap, c.Name)
		case !p.Time.After(in.Now):
			past = append(past, c.Name)
		case p.Time.After(in.Now.AddDate(1, 0, 0)):
			far = append(far, c.Name)
		default:
			n.Rallies = append(n.Rallies, store.NewActionRally{Chapter: c, StartsAt: p.Time.UTC(), HighRisk: highRisk(in, c), SafeHome: safeHome[c.ID]})
		}
	}
	switch {
	case len(gap) > 0:
		return nil, invalid("err_action_gap", "Time", perLang(func(l Lang) string { return l.clockOf(n.Time) }), "Date", n.Date, "Chapters", escape(strings.Join(gap, ", ")))
	case len(past) > 0:
		return nil, invalid("err_action_past", "Date", n.Date, "Time", perLang(func(l Lang) string { return l.clockOf(n.Time) }), "Chapters", escape(strings.Join(past, ", ")))
	case len(far) > 0:
		return nil, invalid("err_action_far", "Date", n.Date, "Chapters", escape(strings.Join(far, ", ")))
	}

	act, rallies, err := a.db.CreateAction(ctx, n)
	var exists *store.ActionExistsError
	if errors.As(err, &exists) {
		return a.actionRetried(ctx, in, exists.Action)
	}
	if err != nil {
		return nil, actionError(err)
	}
	a.log.Info("day of action created", "guild", in.GuildID, "action", act.ID, "rallies", len(rallies))
	lines := []string{in.Lang.T("action_created", "Title", escape(act.Title), "ID", act.ID, "Count", len(rallies), "Time", in.Lang.clockOf(act.Time), "Date", act.Date)}
	if len(leftOut) > 0 {
		// Before the list, which a long reply may cut.
		lines = append(lines, in.Lang.T("action_created_left_out", "Names", escape(strings.Join(leftOut, ", ")), "Count", len(leftOut)))
	}
	for _, r := range rallies {
		lines = append(lines, in.Lang.T("action_created_line", "Chapter", escape(r.ChapterName), "ID", r.ID, "When", zonedTime(in.Lang, r.StartsAt, r.TimeZone)))
	}
	lines = append(lines, a.sendActionPostsNow(ctx, in.Lang, in.Now, act.ID, store.PostActionAsk)...)
	return ephemeral(truncate(strings.Join(lines, "\n"), 2000)), nil
}

// actionRetried answers a /action create for an action that exists already
// (a retry after an error, or a reply that never arrived): nothing is created
// again, and any chapter not yet told is told now.
func (a *App) actionRetried(ctx context.Context, in *Input, act store.Action) (*Response, error) {
	rallies, err := a.db.ActionRallies(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(rallies))
	for i, r := range rallies {
		names[i] = r.ChapterName
	}
	lines := []string{in.Lang.T("action_retried", "Title", escape(act.Title), "Date", act.Date, "Time", in.Lang.clockOf(act.Time), "ID", act.ID, "Chapters", escape(strings.Join(names, ", ")))}
	lines = append(lines, a.sendActionPostsNow(ctx, in.Lang, in.Now, act.ID, store.PostActionAsk)...)
	return ephemeral(truncate(strings.Join(lines, "\n"), 2000)), nil
}

// sendActionPostsNow sends an action's pending posts of the kind from the
// command that recorded them (or is retrying them), and says in a line each
// which chapters could not be told yet.
func (a *App) sendActionPostsNow(ctx context.Context, l Lang, now time.Time, actionID int64, kind store.PostKind) []string {
	posts, err := a.db.ActionPosts(ctx, actionID, kind)
	if err != nil {
		a.log.Error("could not read an action's posts", "action", actionID, "err", err)
		return []string{l.T("action_posts_unknown")}
	}
	var later, failed []string
	for _, p := range posts {
		switch p.State {
		case store.ReminderFailed:
			failed = append(failed, p.Rally.ChapterName)
			continue
		case store.ReminderPending:
		default:
			continue
		}
		state, _, err := a.sendPostNow(ctx, now, p)
		if err != nil {
			a.log.Error("action post failed", "action", actionID, "rally", p.Rally.ID, "err", err)
			state = store.ReminderPending
		}
		switch state {
		case store.ReminderPending:
			later = append(later, p.Rally.ChapterName)
		case store.ReminderFailed:
			failed = append(failed, p.Rally.ChapterName)
		}
	}
	var out []string
	if len(later) > 0 {
		out = append(out, l.T("action_posts_later", "Chapters", escape(strings.Join(later, ", "))))
	}
	if len(failed) > 0 {
		out = append(out, l.T("action_posts_failed", "Chapters", escape(strings.Join(failed, ", "))))
	}
	return out
}

// actionPostMarker ends every action post, so a send whose outcome was lost
// can be found in the channel. It is in the first language of the post.
func actionPostMarker(p store.ChannelPost) string {
	l := postLangs(p.Rally.ChapterLanguage)[0]
	kind := l.T("action_post_kind_ask")
	if p.Kind == store.PostActionCancel {
		kind = l.T("action_post_kind_cancel")
	}
	return l.T("action_post_marker", "Action", p.Action.ID, "Rally", p.Rally.ID, "Kind", kind)
}

// actionPostMessage renders a post. An ask pings the chapter's lead role and
// nobody else; a cancellation pings nobody.
func actionPostMessage(p store.ChannelPost) discord.Message {
	r := p.Rally
	langs := postLangs(r.ChapterLanguage)
	footer := "\n-# " + actionPostMarker(p)
	reserve := utf8.RuneCountInString(footer)
	if p.Kind == store.PostActionCancel {
		text := inLangsFit(langs, reserve, func(l Lang) string {
			s := l.T("action_post_cancel", "Title", escape(p.Action.Title), "Chapter", escape(r.ChapterName), "When", zonedTime(l, r.StartsAt, r.TimeZone), "ID", r.ID)
			if p.Action.CancelReason != "" {
				s += l.T("cancelled_reason", "Reason", escape(p.Action.CancelReason))
			}
			return s
		})
		return discord.Message{Content: text + footer}
	}
	local := r.StartsAt.In(location(r.TimeZone))
	mentions := NoMentions()
	if p.RoleID != "" {
		mentions.Roles = []string{p.RoleID}
	}
	text := "📣 " + inLangsFit(langs, reserve+utf8.RuneCountInString("📣 "), func(l Lang) string {
		who := l.T("action_post_leads")
		if p.RoleID != "" {
			who = "<@&" + p.RoleID + ">"
		}
		s := l.T("action_post_ask", "Who", who, "Chapter", escape(r.ChapterName), "Title", escape(p.Action.Title),
			"When", l.dateTime(local, dateLong), "Zone", describeZone(local), "ID", r.ID)
		if p.RoleID == "" {
			s += l.T("action_post_no_role")
		}
		return s
	})
	return discord.Message{Content: text + footer, AllowedMentions: mentions}
}

// announceWaiting finishes a /rally edit of a rally still waiting for its
// place: setting the place announces it, as /rally create would have (the
// announcement as everyone sees it, reminders armed, the scheduled event).
func (a *App) announceWaiting(ctx context.Context, in *Input, r store.Rally, placeSet bool, changed []string) (*Response, error) {
	if !placeSet {
		// A new time armed its reminders; they wait for the announcement.
		if err := a.db.DisarmUnannounced(ctx, r.ID); err != nil {
			return nil, err
		}
		return ephemeral(in.Lang.T("action_rally_still_waiting", "Title", escape(r.Title), "ID", r.ID, "Fields", optionList(changed))), nil
	}
	channel, err := a.currentChapterChannel(ctx, in.GuildID, r.ChapterID)
	if err != nil {
		return nil, err
	}
	if channel == "" {
		if err := a.db.DisarmUnannounced(ctx, r.ID); err != nil {
			return nil, err
		}
		return nil, conflict("err_place_no_channel", "Chapter", escape(r.ChapterName), "Title", escape(r.Title))
	}
	// Owed, then sent at once: announced, it arms the reminders and
	// answers the request for a place (announceKind).
	p, err := a.db.OweAnnouncement(ctx, r, channel)
	if err != nil {
		return nil, err
	}
	state, id := p.State, p.MessageID // the drainer may have sent it already
	if state == store.ReminderPending {
		state, id, err = a.sendPostNow(ctx, in.Now, p)
	}
	if err == nil && state == store.ReminderDropped {
		return ephemeral(in.Lang.T("action_rally_announced_meanwhile", "Title", escape(r.Title), "ID", r.ID)), nil
	}
	if err != nil || state != store.ReminderSent {
		// Not owed after all: the lead sets the place again to retry.
		if derr := a.db.DisownAnnouncement(context.WithoutCancel(ctx), p); derr != nil {
			a.log.Error("could not take back the announcement of a waiting rally", "rally", r.ID, "err", derr)
		}
		if derr := a.db.DisarmUnannounced(context.WithoutCancel(ctx), r.ID); derr != nil {
			a.log.Error("could not disarm reminders of an unannounced rally", "rally", r.ID, "err", derr)
		}
		if err == nil && state == store.ReminderFailed {
			return nil, conflict("err_place_cannot_post", "Channel", "<#"+channel+">", "Title", escape(r.Title))
		}
		a.log.Warn("could not post the announcement of a waiting rally", "rally", r.ID, "err", err, "state", state)
		return nil, conflict("err_place_post_failed", "Title", escape(r.Title))
	}
	msg := &discordgo.Message{ID: id, ChannelID: channel}
	a.log.Info("waiting rally announced", "guild", in.GuildID, "rally", r.ID)
	// The channel's request for a place is answered: it says so now.
	a.placeSetAsk(ctx, r, messageLink(in.GuildID, msg.ChannelID, msg.ID))
	note := a.mirror(ctx, in.Lang, r.ID)
	return ephemeral(in.Lang.T("action_rally_announced", "Title", escape(r.Title), "ID", r.ID, "Fields", optionList(changed),
		"When", zonedTime(in.Lang, r.StartsAt, r.TimeZone), "Link", messageLink(in.GuildID, msg.ChannelID, msg.ID)) + note), nil
}

func (a *App) currentChapterChannel(ctx context.Context, guildID string, chapterID int64) (string, error) {
	chapters, err := a.db.Chapters(ctx, guildID)
	if err != nil {
		return "", err
	}
	for _, c := range chapters {
		if c.ID == chapterID {
			return c.ChannelID, nil
		}
	}
	return "", nil
}

// The states of a rally of an action (actionRallyState), in the order they
// are listed; the rallies in each are counted as the message
// action_state_<state>.
var actionRallyStates = []string{"announced", "waiting", "cancelled"}

// actionRallyState says where a rally of an action stands.
func actionRallyState(r store.Rally) string {
	switch {
	case r.Cancelled():
		return "cancelled"
	case r.MessageID == "":
		return "waiting"
	default:
		return "announced"
	}
}

// actionRallyStateWords is where one rally of an action stands, in words;
// action_state_<state> counts rallies in a state instead.
func actionRallyStateWords(l Lang, r store.Rally) string {
	switch actionRallyState(r) {
	case "cancelled":
		return l.T("action_status_state_cancelled")
	case "waiting":
		return l.T("action_status_state_waiting")
	default:
		return l.T("action_status_state_announced")
	}
}

// waitingForPlace reports whether a day-of-action rally still waits for its
// place (and so for its announcement).
func waitingForPlace(r store.Rally) bool { return actionRallyState(r) == "waiting" }

// actionTotal is what an action's rallies add up to. Cancelled rallies count
// only in states.
type actionTotal struct {
	counts    store.Counts
	states    map[string]int
	staffing  store.Staffing // each role needed or held anywhere, summed
	checkedIn int
	started   bool // a rally has started: check-ins are open or over
}

func actionTotals(rallies []store.Rally, now time.Time) actionTotal {
	t := actionTotal{states: map[string]int{}}
	byRole := map[store.Role]store.RoleCount{}
	for _, r := range rallies {
		t.states[actionRallyState(r)]++
		if r.Cancelled() {
			continue
		}
		t.counts.Going += r.GoingTotal() // role holders count as going
		t.counts.Maybe += r.Maybe
		t.counts.Waitlist += r.Waitlist
		for _, c := range r.Staffing {
			sum := byRole[c.Role]
			sum.Role, sum.Filled, sum.Needed = c.Role, sum.Filled+c.Filled, sum.Needed+c.Needed
			byRole[c.Role] = sum
		}
		if r.Started(now) {
			t.started = true
			t.checkedIn += r.CheckedIn
		}
	}
	for _, role := range store.Roles {
		if c, ok := byRole[role]; ok {
			t.staffing = append(t.staffing, c)
		}
	}
	return t
}

func actionStatesLine(l Lang, states map[string]int) string {
	var parts []string
	for _, s := range actionRallyStates {
		if states[s] > 0 {
			parts = append(parts, l.T("action_state_"+s, "Count", states[s]))
		}
	}
	return strings.Join(parts, ", ")
}

func (a *App) actionStatus(ctx context.Context, in *Input) (*Response, error) {
	act, err := a.actionFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	rallies, err := a.db.ActionRallies(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	asks, err := a.db.ActionPosts(ctx, act.ID, store.PostActionAsk)
	if err != nil {
		return nil, err
	}
	needs, err := a.ralliesNeeds(ctx, rallies)
	if err != nil {
		return nil, err
	}
	askState := map[int64]store.ReminderState{}
	for _, p := range asks {
		askState[p.Rally.ID] = p.State
	}
	var lines []string
	if act.Cancelled() {
		line := in.Lang.T("action_status_cancelled")
		if act.CancelReason != "" {
			line += in.Lang.T("cancelled_reason", "Reason", escape(act.CancelReason))
		}
		lines = append(lines, line)
	}
	for _, r := range rallies {
		local := r.StartsAt.In(location(r.TimeZone))
		line := in.Lang.T("action_status_line", "Chapter", escape(r.ChapterName), "ID", r.ID,
			"When", in.Lang.dateTime(local, dateShort)+" "+local.Format("MST"), "State", actionRallyStateWords(in.Lang, r),
			"Going", r.GoingTotal(), "Maybe", r.Maybe, "Waitlist", r.Waitlist)
		if waitingForPlace(r) {
			switch askState[r.ID] {
			case store.ReminderPending:
				line += in.Lang.T("action_status_ask_pending")
			case store.ReminderFailed:
				line += in.Lang.T("action_status_ask_failed")
			}
		}
		// Check-in opens at the start.
		if !r.Cancelled() && r.Started(in.Now) {
			line += in.Lang.T("action_status_checked_in", "Count", r.CheckedIn)
		}
		if hasStaffingOrNeeds(r.Staffing, needs[r.ID]) {
			line += in.Lang.T("action_status_roles", "Roles", staffingWithNeeds(in.Lang, r.Staffing, needs[r.ID]))
		}
		if needs[r.ID].Total() > 0 {
			line += in.Lang.T("action_status_needs", "Needs", needsCountsLine(in.Lang, needs[r.ID]))
		}
		lines = append(lines, line)
	}
	total := actionTotals(rallies, in.Now)
	totalNeeds := store.NeedCounts{}
	for _, r := range rallies {
		if !r.Cancelled() {
			totalNeeds.Add(needs[r.ID])
		}
	}
	line := in.Lang.T("action_status_total", "Count", len(rallies), "States", actionStatesLine(in.Lang, total.states),
		"Going", total.counts.Going, "Maybe", total.counts.Maybe, "Waitlist", total.counts.Waitlist)
	if total.started {
		line += in.Lang.T("action_status_checked_in", "Count", total.checkedIn)
	}
	lines = append(lines, line)
	if hasStaffingOrNeeds(total.staffing, totalNeeds) {
		lines = append(lines, in.Lang.T("action_status_total_roles", "Roles", staffingWithNeeds(in.Lang, total.staffing, totalNeeds)))
	}
	if totalNeeds.Total() > 0 {
		lines = append(lines, in.Lang.T("action_status_total_needs", "Needs", needsCountsLine(in.Lang, totalNeeds)))
	}
	title := in.Lang.T("action_status_title", "ID", act.ID, "Title", truncate(act.Title, 100), "Date", act.Date, "Time", in.Lang.clockOf(act.Time))
	return messagesResponse(listEmbeds(title, lines, colorSummary), true), nil
}

func (a *App) actionList(ctx context.Context, in *Input) (*Response, error) {
	actions, err := a.db.UpcomingActions(ctx, in.GuildID, in.Now, "", 0)
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return ephemeral(in.Lang.T("actions_none")), nil
	}
	var lines []string
	for _, act := range actions {
		rallies, err := a.db.ActionRallies(ctx, act.ID)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, r := range rallies {
			if !r.Cancelled() {
				names = append(names, r.ChapterName)
			}
		}
		sort.Strings(names)
		total := actionTotals(rallies, in.Now)
		lines = append(lines, in.Lang.T("actions_line", "ID", act.ID, "Title", escape(truncate(act.Title, 100)), "Date", act.Date, "Time", in.Lang.clockOf(act.Time),
			"Chapters", escape(strings.Join(names, ", ")), "States", actionStatesLine(in.Lang, total.states),
			"Going", total.counts.Going, "Maybe", total.counts.Maybe, "Waitlist", total.counts.Waitlist))
	}
	return messagesResponse(listEmbeds(in.Lang.T("actions_title", "Count", len(actions)), lines, colorScheduled), false), nil
}

func (a *App) actionCancel(ctx context.Context, in *Input) (*Response, error) {
	act, err := a.actionFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	reason, err := checkText("reason", in.str("reason"), maxReason, false)
	if err != nil {
		return nil, err
	}
	act, cancelled, err := a.db.CancelAction(ctx, in.GuildID, act.ID, reason)
	if err != nil {
		return nil, actionError(err)
	}
	a.log.Info("day of action cancelled", "guild", in.GuildID, "action", act.ID, "rallies", len(cancelled))
	// Each rally as /rally cancel would; its channel is told by the
	// action's own post, once, below.
	var notes []string
	for _, r := range cancelled {
		if note := a.cancelled(ctx, in.Lang, r); note != "" {
			notes = append(notes, strings.TrimPrefix(note, "\n"))
		}
	}
	lines := []string{in.Lang.T("action_cancelled", "Title", escape(act.Title), "ID", act.ID, "Count", len(cancelled))}
	lines = append(lines, a.sendActionPostsNow(ctx, in.Lang, in.Now, act.ID, store.PostActionCancel)...)
	lines = append(lines, notes...)
	return ephemeral(truncate(strings.Join(lines, "\n"), 2000)), nil
}

// actionGroup is an action's rallies within a summary's window.
type actionGroup struct {
	action  store.Action
	rallies []store.Rally
}

// actionGroups gathers the summary's rallies of days of action by action,
// in order of their first rally (the others are left out: they are listed
// by chapter).
func (a *App) actionGroups(ctx context.Context, rallies []store.Rally) ([]actionGroup, error) {
	ids := make([]int64, len(rallies))
	for i, r := range rallies {
		ids[i] = r.ID
	}
	of, err := a.db.ActionsOfRallies(ctx, ids)
	if err != nil {
		return nil, err
	}
	var groups []actionGroup
	index := map[int64]int{}
	for _, r := range rallies {
		act, ok := of[r.ID]
		if !ok {
			continue
		}
		i, seen := index[act.ID]
		if !seen {
			i = len(groups)
			index[act.ID] = i
			groups = append(groups, actionGroup{action: act})
		}
		groups[i].rallies = append(groups[i].rallies, r)
	}
	return groups, nil
}

// actionSummaryLines are the heading and the closing lines of an action's
// group in the summary: its totals, and the chapters still waiting for a place.
func actionSummaryLines(l Lang, g actionGroup) (heading string, closing []string) {
	heading = l.T("action_summary_heading", "ID", g.action.ID, "Title", g.action.Title, "Date", g.action.Date, "Time", l.clockOf(g.action.Time))
	total := actionTotals(g.rallies, time.Time{}).counts
	var waiting []string
	for _, r := range g.rallies {
		if waitingForPlace(r) {
			waiting = append(waiting, r.ChapterName)
		}
	}
	sort.Strings(waiting)
	closing = append(closing, l.T("action_summary_total", "Count", len(g.rallies), "Going", total.Going, "Maybe", total.Maybe, "Waitlist", total.Waitlist))
	if len(waiting) > 0 {
		closing = append(closing, l.T("action_summary_waiting", "Chapters", escape(strings.Join(waiting, ", "))))
	}
	return heading, closing
}
