package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// Limits on what a lead types.
const (
	maxTitle    = 100
	maxLocation = 200
	maxDetails  = 1000
	maxReason   = 300
	maxCapacity = 100000
)

func rallyOpt(desc string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "rally",
		Description: desc, Required: true, Autocomplete: true, MaxLength: 100}
}

func (a *App) rallyCommand() *Command {
	minCap, minEditCap := float64(1), float64(0)
	str := func(name, desc string, required bool, max int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
			Description: desc, Required: required, MaxLength: max}
	}
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "rally",
			Description: "Schedule, find and manage rallies",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Schedule a rally and announce it in the chapter's channel (leads)",
					Options: append([]*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "chapter", Description: "Chapter holding the rally", Required: true, Autocomplete: true, MaxLength: maxChapterName},
						str("title", "What the action is", true, maxTitle),
						str("when", "Chapter-local start, YYYY-MM-DD HH:MM (24 h) or with am/pm, e.g. 14:30 or 2:30pm", true, 40),
						str("location", "Where to meet", true, maxLocation),
						str("details", "What to bring, accessibility, safety notes", false, maxDetails),
						{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "Most people who can come (a waitlist forms after)", MinValue: &minCap, MaxValue: maxCapacity},
						str("duration", "How long it lasts, e.g. 2h or 90m (default 2h)", false, 20),
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private_location", Description: "Tell the place only to those going, shortly before the start"},
						highRiskOption(),
						safeHomeOption(),
					}, append(append(RoleMinimumOptions(), seriesOptions()...), approvalOption())...)},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "Upcoming rallies with going/maybe counts",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "chapter", Description: "Only this chapter", Autocomplete: true, MaxLength: maxChapterName},
					}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "info", Description: "One rally, with counts",
					Options: []*discordgo.ApplicationCommandOption{rallyOpt("Rally to show")}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "edit", Description: "Change a rally and update its announcement (leads)",
					Options: append([]*discordgo.ApplicationCommandOption{
						rallyOpt("Rally to change"),
						str("title", "New title", false, maxTitle),
						str("when", "New chapter-local start, YYYY-MM-DD HH:MM", false, 40),
						str("location", "New meeting place", false, maxLocation),
						str("details", "New details", false, maxDetails),
						{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "New capacity (0 removes the limit)", MinValue: &minEditCap, MaxValue: maxCapacity},
						str("duration", "New length, e.g. 2h or 90m", false, 20),
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private_location", Description: "Tell the place only to those going, shortly before the start"},
						highRiskOption(),
						safeHomeOption(),
					}, append(RoleMinimumOptions(), approvalOption())...)},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "cancel", Description: "Cancel a rally and tell its channel (leads)",
					Options: []*discordgo.ApplicationCommandOption{
						rallyOpt("Rally to cancel"),
						str("reason", "Why, shown to volunteers", false, maxReason),
						seriesCancelOption(),
					}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "attendees", Description: "Who is going, maybe or waitlisted (leads, only you see it)",
					Options: []*discordgo.ApplicationCommandOption{rallyOpt("Rally")}},
				calendarSubcommand(),
				removeSubcommand(),
				reportSubcommand(),
			},
		},
		Routes: map[string]Route{
			"create":    {Access: ChapterLead, Handle: a.rallyCreate},
			"list":      {Access: Everyone, Handle: a.rallyList, Public: true},
			"info":      {Access: Everyone, Handle: a.rallyInfo, Public: true, PrivateFor: a.infoIsPrivate},
			"edit":      {Access: RallyLead, Handle: a.rallyEdit},
			"cancel":    {Access: RallyLead, Handle: a.rallyCancel},
			"attendees": {Access: RallyLead, Handle: a.rallyAttendees},
			"calendar":  {Access: Everyone, Handle: a.rallyCalendar},
			"remove":    {Access: RallyLead, Handle: a.rallyRemove},
			"report":    {Access: RallyLead, Handle: a.rallyReport},
		},
		Autocomplete: a.autocompleteOptions,
	}
}

// rallyChoices offers the guild's upcoming rallies matching what was typed.
func (a *App) rallyChoices(ctx context.Context, in *Input, typed string) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed = strings.TrimPrefix(strings.TrimSpace(typed), "#")
	f := store.RallyFilter{GuildID: in.GuildID, Search: typed, Limit: 25}
	if id, err := strconv.ParseInt(typed, 10, 64); err == nil && id > 0 {
		if r, err := a.db.Rally(ctx, in.GuildID, id); err == nil && !r.Cancelled() && r.EndsAt.After(in.Now) {
			return []*discordgo.ApplicationCommandOptionChoice{rallyChoice(in.Lang, r)}, nil
		}
	}
	rallies, err := a.db.UpcomingRallies(ctx, in.Now, f)
	if err != nil {
		return nil, err
	}
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(rallies))
	for _, r := range rallies {
		out = append(out, rallyChoice(in.Lang, r))
	}
	return out, nil
}

func rallyChoice(l Lang, r store.Rally) *discordgo.ApplicationCommandOptionChoice {
	local := r.StartsAt.In(location(r.TimeZone))
	name := fmt.Sprintf("#%d %s — %s, %s %s", r.ID, r.Title, r.ChapterName, l.dateTime(local, dateShort), local.Format("MST"))
	return &discordgo.ApplicationCommandOptionChoice{Name: truncate(name, 100), Value: strconv.FormatInt(r.ID, 10)}
}

// rallyFromOption reads a rally option. Its value is never trusted: an id of
// another guild, or one that does not exist, is "no such rally".
func (a *App) rallyFromOption(ctx context.Context, in *Input) (store.Rally, error) {
	raw := strings.TrimPrefix(in.str("rally"), "#")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return store.Rally{}, store.ErrNoSuchRally
	}
	return a.db.Rally(ctx, in.GuildID, id)
}

func checkText(field, s string, max int, required bool) (string, error) {
	if required && s == "" {
		return "", invalid("err_text_empty", "Option", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalid("err_text_long", "Option", field, "Count", n, "Max", max)
	}
	if s != "" && !visible(s) {
		return "", invisibleText(field)
	}
	if hidesText(s) {
		return "", invalid("err_text_format_chars", "Option", field)
	}
	if field != "details" && strings.ContainsAny(s, "\r\n") {
		return "", invalid("err_text_lines", "Option", field)
	}
	return s, nil
}

// zeroWidthJoiner joins emoji (👩‍👩‍👧): the one format character kept.
const zeroWidthJoiner = '\u200d'

// hidesText reports whether s holds a Unicode format character (category
// Cf: bidi overrides and isolates, zero-width spaces, soft hyphens) other
// than the zero-width joiner. They reorder or hide what a reader sees, so a
// place or a title could read differently from what it says.
func hidesText(s string) bool {
	for _, r := range s {
		if r != zeroWidthJoiner && unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// invisibleText refuses a value Discord would show as a blank.
func invisibleText(field string) error {
	return invalid("err_text_invisible", "Option", field)
}

// blankRunes are drawn as nothing but are neither spaces nor format
// characters to Unicode: Hangul fillers, the blank Braille pattern, and the
// combining grapheme joiner and variation selectors, which need a letter to
// attach to.
var blankRunes = map[rune]bool{
	'\u115f': true, '\u1160': true, '\u3164': true, '\uffa0': true, '\u2800': true, '\u034f': true,
}

// visible reports whether s has a character that draws something: not
// whitespace, not a control or format character (zero-width space and
// joiners, direction marks, the byte-order mark), not a lone combining mark,
// not a blank. A title of only those would be posted as an empty line.
func visible(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), blankRunes[r]:
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Mn, unicode.Me, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Variation_Selector):
		default:
			return true
		}
	}
	return false
}

// checkStart resolves `when` in the chapter's zone and checks it is in the
// coming year.
func checkStart(when, tz string, now time.Time) (ParsedWhen, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return ParsedWhen{}, fmt.Errorf("chapter zone %q: %w", tz, err)
	}
	p, err := ParseWhen(when, loc)
	if err != nil {
		return p, withWhenExample(err, now, loc)
	}
	if !p.Time.After(now) {
		at, local := p.Time, now.In(loc)
		return p, invalid("err_when_past", "When", perLang(func(l Lang) string { return l.dateTime(at, dateLong) }),
			"Now", perLang(func(l Lang) string { return l.dateTime(local, dateLong) }), "Zone", tz)
	}
	if p.Time.After(now.AddDate(1, 0, 0)) {
		at := p.Time
		return p, invalid("err_when_far", "When", perLang(func(l Lang) string { return l.dateTime(at, dateOnly) }))
	}
	return p, nil
}

func checkCapacity(in *Input, min int64) (int, bool, error) {
	n, ok, err := in.int("capacity")
	if err != nil || !ok {
		return 0, ok, err
	}
	if n < min || n > maxCapacity {
		return 0, true, invalid("err_capacity_range", "Min", min, "Max", maxCapacity)
	}
	return int(n), true, nil
}

// readRallyShape reads the options a new rally and a day of action share:
// capacity (at least 1 when given), duration (else def) and the safety-role
// minimums.
func readRallyShape(in *Input, def time.Duration) (capacity int, duration time.Duration, needs store.RoleNeeds, err error) {
	if capacity, _, err = checkCapacity(in, 1); err != nil {
		return 0, 0, nil, err
	}
	duration = def
	if in.has("duration") {
		if duration, err = ParseRallyDuration(in.str("duration")); err != nil {
			return 0, 0, nil, err
		}
	}
	minimums, err := ReadRoleMinimums(in)
	if err != nil {
		return 0, 0, nil, err
	}
	return capacity, duration, minimums.Needs(), nil
}

func (a *App) rallyCreate(ctx context.Context, in *Input) (*Response, error) {
	ch := in.Chapter
	n := store.NewRally{GuildID: in.GuildID, ChapterID: ch.ID, TimeZone: ch.TimeZone, Duration: 2 * time.Hour}
	var err error
	if n.Title, err = checkText("title", in.str("title"), maxTitle, true); err != nil {
		return nil, err
	}
	if n.Location, err = checkText("location", in.str("location"), maxLocation, true); err != nil {
		return nil, err
	}
	if n.Details, err = checkText("details", in.str("details"), maxDetails, false); err != nil {
		return nil, err
	}
	start, err := checkStart(in.str("when"), ch.TimeZone, in.Now)
	if err != nil {
		return nil, err
	}
	n.StartsAt = start.Time.UTC()
	if n.Capacity, n.Duration, n.Needs, err = readRallyShape(in, n.Duration); err != nil {
		return nil, err
	}
	n.PrivateLocation = in.bool("private_location")
	n.Approval = in.bool("approval")
	n.HighRisk = highRisk(in, ch)
	if n.SafeHome, err = a.readSafeHome(ctx, in, ch); err != nil {
		return nil, err
	}
	if ch.ChannelID == "" {
		return nil, conflict("err_no_channel", "Chapter", escape(ch.Name), "Name", ch.Name)
	}
	repeat, occurrences, err := readSeries(in)
	if err != nil {
		return nil, err
	}
	if repeat != "" {
		return a.rallyCreateSeries(ctx, in, n, start, repeat, occurrences)
	}

	// A create retried after a crash finishes the rally the first one
	// stored (same chapter, title and start, announcement still owed).
	p, resumed, err := a.retriedCreate(ctx, n, in.Now)
	if err != nil {
		return nil, err
	}
	if !resumed {
		// The announcement is owed with the rally.
		n.AnnounceChannelID = ch.ChannelID
		if p, err = a.createOwing(ctx, n); err != nil {
			return nil, err
		}
	}
	r := p.Rally
	msg, err := a.announceNow(ctx, in, p, func(ctx context.Context) error { return a.db.DeleteRally(ctx, in.GuildID, r.ID) })
	if err != nil {
		return nil, err
	}
	a.log.Info("rally created", "guild", in.GuildID, "rally", r.ID, "chapter", ch.ID)
	note := a.mirror(ctx, in.Lang, r.ID)
	if start.Ambiguous {
		note += in.Lang.T("rally_ambiguous_time", "Time", in.Lang.clock(start.Time), "Zone", describeZone(start.Time))
	}
	return ephemeral(in.Lang.T("rally_scheduled", "Title", escape(r.Title), "ID", r.ID, "When", zonedTime(in.Lang, r.StartsAt, r.TimeZone),
		"Link", messageLink(in.GuildID, msg.ChannelID, msg.ID)) + note), nil
}

// retriedCreate finds the rally a create retried after a crash made: its
// announcement still owed, or finished since the restart by the sweep.
func (a *App) retriedCreate(ctx context.Context, n store.NewRally, now time.Time) (store.ChannelPost, bool, error) {
	posts, err := a.db.AnnouncementsOf(ctx, n, now.Add(-retriedCreate))
	if err != nil {
		return store.ChannelPost{}, false, err
	}
	for _, p := range posts {
		if p.State == store.ReminderPending || a.outbox.wasAdopted(p.Rally.ID) {
			return p, true, nil
		}
	}
	return store.ChannelPost{}, false, nil
}

// createOwing stores a rally with its announcement owed, and returns the post.
func (a *App) createOwing(ctx context.Context, n store.NewRally) (store.ChannelPost, error) {
	r, err := a.db.CreateRally(ctx, n, a.cfg.ReminderOffsets)
	if err != nil {
		return store.ChannelPost{}, err
	}
	p, ok, err := a.db.PostOf(ctx, "announce:"+strconv.FormatInt(r.ID, 10))
	if err == nil && !ok {
		err = fmt.Errorf("the announcement of rally %d is not owed", r.ID)
	}
	return p, err
}

// retriedCreate is how long after a create the same create (chapter, title
// and start) is taken for a retry of it, whose lead never got an answer.
const retriedCreate = 10 * time.Minute

// announceNow posts the announcement a command just owed, and answers with
// its message. Without its announcement nobody can RSVP: a rally whose post
// failed is taken back by undo (with the post owed).
func (a *App) announceNow(ctx context.Context, in *Input, p store.ChannelPost, undo func(context.Context) error) (*discordgo.Message, error) {
	if p.State == store.ReminderSent && p.MessageID != "" {
		return &discordgo.Message{ID: p.MessageID, ChannelID: p.ChannelID}, nil // a retried create, announced since
	}
	state, id, err := a.sendPostNow(ctx, in.Now, p)
	if err == nil && state == store.ReminderSent {
		return &discordgo.Message{ID: id, ChannelID: p.ChannelID}, nil
	}
	if err == nil && state == store.ReminderPending && id == "" {
		// Sent by another attempt (the sweep) meanwhile?
		if r, rerr := a.db.RallyByID(ctx, p.Rally.ID); rerr == nil && r.MessageID != "" {
			return &discordgo.Message{ID: r.MessageID, ChannelID: r.ChannelID}, nil
		}
	}
	if derr := undo(context.WithoutCancel(ctx)); derr != nil {
		a.log.Error("could not remove an unannounced rally", "rally", p.Rally.ID, "err", derr)
	}
	if err == nil && state == store.ReminderFailed {
		return nil, conflict("err_cannot_post", "Channel", "<#"+p.ChannelID+">")
	}
	return nil, fmt.Errorf("post announcement: %v (%s)", err, state)
}

func (a *App) rallyList(ctx context.Context, in *Input) (*Response, error) {
	f := store.RallyFilter{GuildID: in.GuildID}
	title := in.Lang.T("rallies_title")
	if in.str("chapter") != "" {
		ch, err := a.db.ChapterByName(ctx, in.GuildID, in.str("chapter"))
		if err != nil {
			return nil, err
		}
		f.ChapterID = ch.ID
		title = in.Lang.T("rallies_title_chapter", "Chapter", ch.Name)
	}
	rallies, err := a.db.UpcomingRallies(ctx, in.Now, f)
	if err != nil {
		return nil, err
	}
	if len(rallies) == 0 {
		return ephemeral(in.Lang.T("rallies_none")), nil
	}
	lines := make([]string, len(rallies))
	for i, r := range rallies {
		lines[i] = rallyLine(in.Lang, r)
	}
	return messagesResponse(listEmbeds(fmt.Sprintf("%s (%d)", title, len(rallies)), lines, colorScheduled), false), nil
}

// messagesResponse replies with the first message and follows up with the rest.
func messagesResponse(msgs [][]*discordgo.MessageEmbed, ephemeral bool) *Response {
	resp := &Response{Embeds: msgs[0], Ephemeral: ephemeral}
	for _, m := range msgs[1:] {
		resp.Followups = append(resp.Followups, &Response{Embeds: m, Ephemeral: ephemeral})
	}
	return resp
}

func (a *App) rallyInfo(ctx context.Context, in *Input) (*Response, error) {
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	embeds, components := announcementIn([]Lang{in.Lang}, r)
	if r.PrivateLocation {
		for _, f := range embeds[0].Fields {
			if strings.HasPrefix(f.Value, "🔒") {
				f.Value = a.hiddenPlace(in.Lang)
				if a.isLead(in, r) {
					f.Value = truncate(in.Lang.T("place_private_lead", "Where", escape(meetingPlace(in.Lang, r))), 1024)
				}
			}
		}
	}
	if a.isLead(in, r) {
		n, err := a.db.Confirmed(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: in.Lang.T("field_confirmed"),
			Value: in.Lang.T("confirmed_of_going", "Count", n, "Confirmed", n, "Going", r.GoingTotal())})
		needs, err := a.rallyNeeds(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		withLeadNeeds(in.Lang, embeds[0], r, needs)
		// DMs to its members still going out (a burst to 2,000 takes
		// minutes under Discord's limits): how far, in counts.
		progress, err := a.db.DMsInProgress(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if len(progress) > 0 {
			embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: in.Lang.T("field_dms_sending"),
				Value: dmProgressLines(in.Lang, progress)})
		}
		if r.Approval || r.Requested > 0 {
			// Requests are the leads' to see: nobody else learns who asked.
			embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: in.Lang.T("field_requests"),
				Value: in.Lang.T("counts_requested", "Count", r.Requested)})
		}
	}
	if r.Started(in.Now) && !r.Cancelled() {
		embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: in.Lang.T("field_turnout"),
			Value: in.Lang.T("checked_in_of_going", "Count", r.CheckedIn, "CheckedIn", r.CheckedIn, "Going", r.GoingTotal())})
	}
	if r.MessageID != "" {
		embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: in.Lang.T("field_announcement"), Value: messageLink(in.GuildID, r.ChannelID, r.MessageID)})
	}
	if r.Started(in.Now) {
		components = nil
		// No check-in at a high-risk rally: it would record who was there.
		if !r.Cancelled() && !r.HighRisk && in.Now.Before(r.EndsAt) {
			components = []discordgo.MessageComponent{checkinButtonRow([]Lang{in.Lang}, r.ID)}
		}
	}
	// What only leads may see (a private place, the confirmations) is
	// answered to them alone.
	return &Response{Embeds: embeds, Components: components, Ephemeral: a.isLead(in, r)}, nil
}

func (a *App) rallyEdit(ctx context.Context, in *Input) (*Response, error) {
	r := in.Rally
	var u store.RallyUpdate
	var changed []string
	var ambiguous string // the note on which 1:30 a fall-back night's `when` is
	text := func(field string, max int, dst **string, required bool) error {
		if !in.has(field) {
			return nil
		}
		s, err := checkText(field, in.str(field), max, required)
		if err != nil {
			return err
		}
		*dst = &s
		changed = append(changed, field)
		return nil
	}
	if err := text("title", maxTitle, &u.Title, true); err != nil {
		return nil, err
	}
	if err := text("location", maxLocation, &u.Location, true); err != nil {
		return nil, err
	}
	if err := text("details", maxDetails, &u.Details, false); err != nil {
		return nil, err
	}
	if in.has("when") {
		start, err := checkStart(in.str("when"), r.TimeZone, in.Now)
		if err != nil {
			return nil, err
		}
		t := start.Time.UTC()
		u.StartsAt = &t
		changed = append(changed, "when")
		if start.Ambiguous {
			// Which of the night's two 1:30s, as /rally create says.
			ambiguous = in.Lang.T("rally_ambiguous_time", "Time", in.Lang.clock(start.Time), "Zone", describeZone(start.Time))
		}
	}
	if c, ok, err := checkCapacity(in, 0); err != nil {
		return nil, err
	} else if ok {
		u.Capacity = &c
		changed = append(changed, "capacity")
	}
	if in.has("duration") {
		d, err := ParseRallyDuration(in.str("duration"))
		if err != nil {
			return nil, err
		}
		u.Duration = &d
		changed = append(changed, "duration")
	}
	if in.has("private_location") {
		p := in.bool("private_location")
		u.PrivateLocation = &p
		changed = append(changed, "private_location")
	}
	if in.has("approval") {
		p := in.bool("approval")
		u.Approval = &p
		changed = append(changed, "approval")
	}
	if in.has("high_risk") {
		h := in.bool("high_risk")
		u.HighRisk = &h
		changed = append(changed, "high_risk")
	}
	if in.has("safe_home") {
		on, err := a.readSafeHome(ctx, in, store.Chapter{ID: r.ChapterID, Name: r.ChapterName})
		if err != nil {
			return nil, err
		}
		u.SafeHome = &on
		changed = append(changed, "safe_home")
	}
	minimums, err := ReadRoleMinimums(in)
	if err != nil {
		return nil, err
	}
	u.Needs = minimums.Needs()
	changed = append(changed, minimums.Given()...)
	if len(changed) == 0 {
		return nil, invalid("err_edit_nothing")
	}
	// A change of time or place is worded inside the edit's transaction,
	// from the rally as it was there, and owed there: the members' DMs of
	// it and the channel's notice. A rally not announced yet told nobody
	// what changed.
	moved := func(before, after store.Rally) bool {
		return after.MessageID != "" && (!before.StartsAt.Equal(after.StartsAt) || before.Location != after.Location)
	}
	u.Notice = func(before, after store.Rally) string {
		if !moved(before, after) {
			return ""
		}
		return dmBodies(func(l Lang) string {
			stands := l.T("change_your_rsvp_stands")
			return a.changeNotice(l, before, after, maxReply-utf8.RuneCountInString(stands)) + stands
		})
	}
	u.ChannelNotice = func(before, after store.Rally) store.Notice {
		if !moved(before, after) {
			return nil
		}
		return rallyNotice(after, func(l Lang) string {
			stands := l.T("change_rsvps_stand")
			return a.changeNotice(l, before, after, noticeShare(after.ChapterLanguage)-utf8.RuneCountInString(stands)) + stands
		})
	}
	r, _, err = a.db.UpdateRally(ctx, in.GuildID, r.ID, u, a.cfg.ReminderOffsets)
	if err != nil {
		return nil, err
	}
	a.log.Info("rally edited", "guild", in.GuildID, "rally", r.ID, "fields", strings.Join(changed, ","))
	a.refresher.mark(r.ID)
	if r.MessageID == "" && !r.Cancelled() && r.Series.InSeries() {
		// A later rally of a series waits for the one before it to end.
		if err := a.db.DisarmUnannounced(ctx, r.ID); err != nil {
			return nil, err
		}
		return ephemeral(in.Lang.T("series_rally_updated", "Title", escape(r.Title), "ID", r.ID, "Series", seriesPlace(in.Lang, r), "Fields", optionList(changed)) + ambiguous), nil
	}
	if r.MessageID == "" && !r.Cancelled() {
		// A day-of-action rally waits for its place; setting it announces it.
		return a.announceWaiting(ctx, in, r, u.Location != nil, changed)
	}
	posted := a.sendRallyPostsNow(ctx, in.Lang, in.Now, r.ID)
	over := ""
	if r.OverCapacity() {
		over = in.Lang.T("rally_over_capacity", "Going", r.Going, "Capacity", r.Capacity)
	}
	note := a.mirror(ctx, in.Lang, r.ID)
	return ephemeral(in.Lang.T("rally_updated", "Title", escape(r.Title), "ID", r.ID, "Fields", optionList(changed)) + over + posted + note + ambiguous), nil
}

func (a *App) rallyCancel(ctx context.Context, in *Input) (*Response, error) {
	r := in.Rally
	reason, err := checkText("reason", in.str("reason"), maxReason, false)
	if err != nil {
		return nil, err
	}
	if in.has("series") {
		if whole, _ := in.Options["series"].Value.(bool); whole {
			return a.rallyCancelSeries(ctx, in, reason)
		}
	}
	// The channel's notice is owed by the cancel itself, like the members'
	// DMs: a crash right after it cannot lose it.
	r, err = a.db.CancelRally(ctx, in.GuildID, r.ID, reason, func(r store.Rally) store.Notice {
		return rallyNotice(r, func(l Lang) string {
			s := l.T("rally_cancelled_notice", "Title", escape(r.Title), "When", zonedTime(l, r.StartsAt, r.TimeZone))
			if r.CancelReason != "" {
				s += l.T("cancelled_reason", "Reason", escape(r.CancelReason))
			}
			return s
		})
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("rally cancelled", "guild", in.GuildID, "rally", r.ID)
	note := a.sendRallyPostsNow(ctx, in.Lang, in.Now, r.ID) + a.cancelled(ctx, in.Lang, r)
	return ephemeral(in.Lang.T("rally_cancelled", "Title", escape(r.Title), "ID", r.ID) + note), nil
}

// cancelled does what follows a rally's cancellation besides the channel's
// notice (one per rally, or one for the rest of a series, owed by the
// cancel): the announcement shows it, and its scheduled event is cancelled.
// The members' DMs of it were owed by the cancel itself (store.DMCancelled).
// It returns a note for the lead, or "".
func (a *App) cancelled(ctx context.Context, l Lang, r store.Rally) string {
	a.refresher.mark(r.ID)
	return a.mirror(ctx, l, r.ID)
}

func (a *App) rallyAttendees(ctx context.Context, in *Input) (*Response, error) {
	r := in.Rally
	att, err := a.db.RallyAttendees(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	mentions := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = fmt.Sprintf("%d. <@%s>", i+1, id)
		}
		return out
	}
	var lines []string
	section := func(name string, ids []string) {
		lines = append(lines, fmt.Sprintf("**%s (%d)**", name, len(ids)))
		if len(ids) == 0 {
			lines = append(lines, "—")
		}
		lines = append(lines, mentions(ids)...)
	}
	confirmed, err := a.db.Confirmed(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	lines = append(lines, "✅ "+in.Lang.T("confirmed_of_going", "Count", confirmed, "Confirmed", confirmed, "Going", len(att.Going)+r.Staffing.Filled()))
	needs, err := a.rallyNeeds(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	lines = append(lines, attendeesNeedsLines(in.Lang, r, needs)...)
	section(in.Lang.T("button_going"), att.Going)
	if err := a.roleSections(ctx, in.Lang, r, section); err != nil {
		return nil, err
	}
	section(in.Lang.T("button_maybe"), att.Maybe)
	if r.Capacity > 0 || len(att.Waitlist) > 0 {
		section(in.Lang.T("section_waitlist"), att.Waitlist)
	}
	buttons, notes, err := a.requestSection(ctx, in.Lang, r, section)
	if err != nil {
		return nil, err
	}
	lines = append(lines, notes...)
	removed, err := a.removalLines(ctx, in.Lang, r)
	if err != nil {
		return nil, err
	}
	lines = append(lines, removed...)
	title := in.Lang.T("attendees_title", "ID", r.ID, "Title", truncate(r.Title, 150))
	resp := messagesResponse(listEmbeds(title, lines, colorScheduled), true)
	resp.Components = buttons
	return resp, nil
}

// isLead reports whether the member leads the rally's chapter (or is an admin).
func (a *App) isLead(in *Input, r store.Rally) bool {
	return requireLead(in, RallyLead, r.ChapterLeadRoleID, r.ChapterName) == nil
}

// changeNotice is what a change notice says in l, old → new: the same in the
// channel and by DM (a private place is never in either), in at most limit
// characters. Places too long for it are cut, the old one first: it keeps at
// most a quarter of the room.
func (a *App) changeNotice(l Lang, before, r store.Rally, limit int) string {
	lines := []string{l.T("change_head", "Title", escape(r.Title), "Chapter", escape(r.ChapterName))}
	if !before.StartsAt.Equal(r.StartsAt) {
		lines = append(lines, l.T("change_time", "Before", zonedTime(l, before.StartsAt, before.TimeZone), "After", zonedTime(l, r.StartsAt, r.TimeZone)))
	}
	if before.Location != r.Location {
		if r.PrivateLocation || before.PrivateLocation {
			lines = append(lines, l.T("change_place_private", "Place", a.hiddenPlace(l)))
		} else {
			room := limit - utf8.RuneCountInString(strings.Join(append(lines, l.T("change_place", "Before", "", "After", "")), "\n"))
			old, now := meetingPlace(l, before), meetingPlace(l, r)
			now = escapeFit(now, room-min(room/4, utf8.RuneCountInString(escape(old))))
			old = escapeFit(old, room-utf8.RuneCountInString(now))
			lines = append(lines, l.T("change_place", "Before", old, "After", now))
		}
	}
	return strings.Join(lines, "\n")
}

// refreshAnnouncement renders a rally's announcement from the store and edits it in.
func (a *App) refreshAnnouncement(ctx context.Context, rallyID int64) error {
	r, mark, err := a.db.RallyToRefresh(ctx, rallyID)
	if err != nil {
		return err
	}
	if r.MessageID != "" {
		embeds, components := a.publicAnnouncement(r, a.now())
		err = a.editMessage(ctx, r.ChannelID, r.MessageID, embeds, components)
	}
	if err != nil && !discord.IsGone(err) {
		return err // still marked: retried, or re-rendered at the next start
	}
	// Shown (or nothing left to show it on): the changes read are done with.
	if derr := a.db.RefreshDone(context.WithoutCancel(ctx), rallyID, mark); derr != nil {
		return derr
	}
	return err
}

// ResumeRefreshes re-renders the announcements whose changes were stored but
// never shown: a crash between an RSVP's commit and the edit would otherwise
// leave stale counts until the next click.
func (a *App) ResumeRefreshes(ctx context.Context) error {
	ids, err := a.db.PendingRefreshes(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.refresher.mark(id)
	}
	return nil
}
