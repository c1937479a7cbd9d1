package commands

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// After the action (SPEC "After the action"): when a rally ends, each member
// who checked in or held a safety role is asked "Home safe?" by DM (on a
// safe-home rally), and the chapter's leads are asked for a report. A call
// for help goes at once to the chapter's support channel; those who have
// not answered SAFE_HOME_AFTER later are listed there once; 24 h after the
// end every safe-home row is deleted. Each DM and post is owed in the
// transaction that makes it owed (member_dms, channel_posts) and sent as
// those are: exactly once.

// Limits on a report.
const (
	maxCrowd      = 1_000_000
	maxHighlights = 500
)

// safeHomeCustomID is the "Home safe?" DM's buttons:
// safehome:<safe|help>:<rally id>, groups "answer" and "rally". They are
// clicked in a DM, outside any server.
type safeHomeCustomID struct{}

func (safeHomeCustomID) build(answer store.SafeHomeAnswer, rallyID int64) string {
	return "safehome:" + string(answer) + ":" + strconv.FormatInt(rallyID, 10)
}

func (safeHomeCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^safehome:(?P<answer>safe|help):(?P<rally>[1-9][0-9]{0,18})$`)
}

// safeHomeOption is `safe_home` on /rally create, /rally edit and /action
// create.
func safeHomeOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "safe_home",
		Description: "After it ends, DM those who came \"Home safe?\" and alert the support channel"}
}

// chapterSupportOptions are /chapter setup's safe-home settings.
func chapterSupportOptions() []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "safe_home", Description: "Check on those who came after each rally, by default",
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "on", Value: "on"}, {Name: "off", Value: "off"}}},
		{Type: discordgo.ApplicationCommandOptionChannel, Name: "support_channel",
			Description: "Private channel of the chapter's legal / jail support, for calls for help", ChannelTypes: announceChannelTypes},
		{Type: discordgo.ApplicationCommandOptionRole, Name: "support_role", Description: "Role pinged by a call for help"},
	}
}

func reportSubcommand() *discordgo.ApplicationCommandOption {
	minCrowd := float64(0)
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "report",
		Description: "Report back after a rally: the crowd and highlights (leads, up to 7 days after)",
		Options: []*discordgo.ApplicationCommandOption{
			rallyOpt("Rally that ended"),
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "crowd", Description: "Estimated crowd, everyone there (0 to 1,000,000)",
				Required: true, MinValue: &minCrowd, MaxValue: maxCrowd},
			{Type: discordgo.ApplicationCommandOptionString, Name: "highlights", Description: "What went well, what to tell the coalition (500 characters)",
				MaxLength: maxHighlights},
		}}
}

func recapSubcommand() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "recap",
		Description: "Per chapter going, checked in, crowd and highlights, with a CSV and a chart (coordinators)",
		Options:     []*discordgo.ApplicationCommandOption{actionOpt("Action to recap")}}
}

// readSafeHome reads `safe_home` for a rally of the chapter: given, or the
// chapter's default. A rally that checks on its members needs the chapter's
// support channel, where calls for help go.
func (a *App) readSafeHome(ctx context.Context, in *Input, ch store.Chapter) (bool, error) {
	on, unsupported, err := a.safeHomeOf(ctx, in, ch)
	if err != nil {
		return false, err
	}
	if unsupported {
		return false, conflict("err_safe_home_no_support", "Chapter", escape(ch.Name), "Name", ch.Name)
	}
	return on, nil
}

// safeHomeOf is `safe_home` as given, else the chapter's default, and
// whether it is on for a chapter with no support channel to call.
func (a *App) safeHomeOf(ctx context.Context, in *Input, ch store.Chapter) (on, unsupported bool, err error) {
	s, err := a.db.ChapterSupport(ctx, ch.ID)
	if err != nil {
		return false, false, err
	}
	on = s.SafeHome
	if in.has("safe_home") {
		on = in.bool("safe_home")
	}
	return on, on && s.SupportChannelID == "", nil
}

// safeHomeForChapters reads `safe_home` for each chapter of a day of action;
// chapters that would check on members without a support channel are
// refused together, by name.
func (a *App) safeHomeForChapters(ctx context.Context, in *Input, chapters []store.Chapter) (map[int64]bool, error) {
	out := make(map[int64]bool, len(chapters))
	var missing []string
	for _, c := range chapters {
		on, unsupported, err := a.safeHomeOf(ctx, in, c)
		if err != nil {
			return nil, err
		}
		if unsupported {
			missing = append(missing, c.Name)
		}
		out[c.ID] = on
	}
	if len(missing) > 0 {
		return nil, conflict("err_action_safe_home_no_support", "Chapters", escape(strings.Join(missing, ", ")), "Name", missing[0])
	}
	return out, nil
}

// chapterSupportUpdate reads /chapter setup's safe-home options and checks
// the result: a chapter checking on members needs a support channel.
func (a *App) chapterSupportUpdate(ctx context.Context, in *Input) (store.ChapterSupportUpdate, error) {
	var u store.ChapterSupportUpdate
	if in.has("safe_home") {
		on, err := readOnOff(in, "safe_home")
		if err != nil {
			return u, err
		}
		u.SafeHome = &on
	}
	if in.has("support_channel") {
		id, err := resolvedChannel(in, "support_channel")
		if err != nil {
			return u, err
		}
		if id == "" {
			return u, invalid("err_support_channel")
		}
		u.SupportChannelID = &id
	}
	if in.has("support_role") {
		id, err := resolvedRole(in, "support_role")
		if err != nil {
			return u, err
		}
		u.SupportRoleID = &id
	}
	if u.SafeHome == nil || !*u.SafeHome || u.SupportChannelID != nil {
		return u, nil
	}
	ch, err := a.db.ChapterByName(ctx, in.GuildID, in.str("chapter"))
	if err != nil {
		return u, err
	}
	s, err := a.db.ChapterSupport(ctx, ch.ID)
	if err != nil {
		return u, err
	}
	if s.SupportChannelID == "" {
		return u, conflict("err_safe_home_no_support", "Chapter", escape(ch.Name), "Name", ch.Name)
	}
	return u, nil
}

// supportApart refuses a /chapter setup or /chapter add that would make a
// support channel and an announcement channel one: calls for help name the
// member, and an announcement channel is read by everyone in the chapter.
// this is the chapter set up (or added); channel and support are the
// options given (nil: not given).
func (a *App) supportApart(ctx context.Context, in *Input, this string, channel, support *string) error {
	if channel == nil && support == nil {
		return nil
	}
	chapters, err := a.db.Chapters(ctx, in.GuildID)
	if err != nil {
		return err
	}
	for _, c := range chapters {
		mine := strings.EqualFold(c.Name, this)
		announce := c.ChannelID
		if mine && channel != nil {
			announce = *channel
		}
		if support != nil && announce != "" && announce == *support {
			return invalid("err_support_channel_announces", "Channel", "<#"+announce+">", "Chapter", escape(c.Name))
		}
		if channel == nil || *channel == "" || mine && support != nil {
			continue
		}
		s, err := a.db.ChapterSupport(ctx, c.ID)
		if err != nil {
			return err
		}
		if s.SupportChannelID == *channel {
			return invalid("err_channel_is_support", "Channel", "<#"+*channel+">", "Chapter", escape(c.Name))
		}
	}
	if support != nil && channel != nil && *channel == *support && *channel != "" {
		return invalid("err_support_channel_announces", "Channel", "<#"+*channel+">", "Chapter", escape(this))
	}
	return nil
}

// supportSetupParts is what /chapter setup says of the safe-home settings.
func supportSetupParts(l Lang, s store.ChapterSupport) []string {
	var parts []string
	if s.SupportChannelID != "" {
		parts = append(parts, l.T("setup_support_in", "Channel", "<#"+s.SupportChannelID+">"))
	}
	if s.SupportRoleID != "" {
		parts = append(parts, l.T("setup_support_role", "Role", "<@&"+s.SupportRoleID+">"))
	}
	if s.SafeHome {
		parts = append(parts, l.T("setup_safe_home_on"))
	} else {
		parts = append(parts, l.T("setup_safe_home_off"))
	}
	return parts
}

// SendAfterAction handles the rallies that ended: it owes and sends the
// report prompts and the calls owed to support channels, queues the
// "Home safe?" DMs (SendMemberDMs sends them), lists who did not answer
// SAFE_HOME_AFTER after the end, and deletes safe-home rows 24 h after it
// (a high-risk rally's calls for help as soon as they are sent).
func (a *App) SendAfterAction(ctx context.Context, now time.Time) error {
	a.jobs.after.Lock()
	defer a.jobs.after.Unlock()
	ended, err := a.db.EndRallies(ctx, now, store.EndedWork{ReportAsk: a.reportAsk})
	var ids []int64
	for _, r := range ended {
		ids = append(ids, r.ID)
		a.log.Info("rally ended: report asked for", "rally", r.ID)
	}
	if err != nil {
		return err
	}
	listed, err := a.db.ListUnanswered(ctx, now, a.cfg.SafeHomeAfter, a.safeHomeLate)
	ids = append(ids, listed...)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		a.sendRallyPostsNow(ctx, English, now, ids...)
	}
	n, err := a.db.PurgeSafeHome(ctx, now)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("deleted safe-home checks past their day", "rallies", n)
	}
	sent, err := a.db.PurgeHighRiskHelp(ctx)
	if err != nil {
		return err
	}
	if sent > 0 {
		a.log.Info("deleted the sent calls for help of high-risk rallies", "posts", sent)
	}
	if n > 0 || sent > 0 {
		a.checkpoint(ctx, "safe-home purge")
	}
	return nil
}

// reportAsk words the post asking a rally's leads for a report.
func (a *App) reportAsk(r store.Rally) store.Notice {
	return rallyNotice(r, func(l Lang) string {
		who := l.T("report_ask_leads")
		if r.ChapterLeadRoleID != "" {
			who = "<@&" + r.ChapterLeadRoleID + ">"
		}
		return l.T("report_ask", "Who", who, "Title", escape(r.Title), "Chapter", escape(r.ChapterName), "ID", r.ID,
			"Until", timestamp(r.EndsAt.Add(store.ReportWindow), "f"))
	})
}

// safeHomeHelp words a member's call for help for the support channel: the
// member (a mention) and the rally, never a place.
func (a *App) safeHomeHelp(r store.Rally, s store.ChapterSupport, userID string) store.Notice {
	return rallyNotice(r, func(l Lang) string {
		who := l.T("safe_help_support")
		if s.SupportRoleID != "" {
			who = "<@&" + s.SupportRoleID + ">"
		}
		return l.T("safe_help_post", "Who", who, "Member", "<@"+userID+">", "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
			"ID", r.ID, "When", timestamp(r.StartsAt, "f"))
	})
}

// safeHomeLate words one post of the list of those who did not answer:
// how many did not (all of them, total, in each post of a long list), then
// this post's mentions, once whatever the languages.
func (a *App) safeHomeLate(r store.Rally, s store.ChapterSupport, users []string, total int) store.Notice {
	mentions := make([]string, len(users))
	for i, u := range users {
		mentions[i] = "<@" + u + ">"
	}
	return func(postID int64) (string, string) {
		marker := postLangs(r.ChapterLanguage)[0].T("notice_marker", "Rally", r.ID, "Notice", postID)
		text := postText(r.ChapterLanguage, func(l Lang) string {
			who := l.T("safe_help_support")
			if s.SupportRoleID != "" {
				who = "<@&" + s.SupportRoleID + ">"
			}
			return l.T("safe_late_post", "Who", who, "Count", total, "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
				"ID", r.ID, "After", shortDuration(a.cfg.SafeHomeAfter))
		})
		return text + "\n" + strings.Join(mentions, " ") + "\n-# " + marker, marker
	}
}

// safeHomeDM is "Home safe?" as DMed to one member, in their language l.
func safeHomeDM(l Lang, r store.Rally) discord.Message {
	var id safeHomeCustomID
	return discord.Message{
		Content: l.T("safe_home_dm", "Title", escape(r.Title), "Chapter", escape(r.ChapterName)),
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: l.T("button_home_safe"), Style: discordgo.SuccessButton, CustomID: id.build(store.AnswerSafe, r.ID)},
			discordgo.Button{Label: l.T("button_need_help"), Style: discordgo.DangerButton, CustomID: id.build(store.AnswerHelp, r.ID)},
		}}},
	}
}

// safeHomeButton answers "Home safe?": "I'm home safe" is recorded; "I need
// help" is recorded and posted at once in the support channel. "I'm home
// safe" leaves "I need help" open on the DM (a wrong tap, or trouble after
// getting home); "I need help" closes both, unless the call can never
// reach the support channel. A member who was not asked (a forged button,
// or a day later) is told so.
func (a *App) safeHomeButton(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	answer := store.SafeHomeAnswer(in.Params["answer"])
	pressed := in.MessageComponentData().CustomID
	r, before, err := a.db.AnswerSafeHome(ctx, id, in.userID(), answer, a.safeHomeHelp)
	recorded := err == nil
	if on, open := carriesButton(in.Message, pressed); errors.Is(err, store.ErrNotSafeHome) && in.Interaction.GuildID == "" && on {
		// A high-risk rally forgets whom it asked when it ends; its own
		// DM's button still answers for the day after. Nothing but that DM
		// says the member was asked: the button must be on the message
		// pressed (Discord's copy of it, which a tampered client cannot
		// change), not made up on another DM of the bot's. Nor is the
		// answer recorded: the button's own state on that copy, closed
		// once pressed, keeps a call for help from going twice.
		if open {
			r, err = a.db.AnswerSafeHomeUnrecorded(ctx, id, in.userID(), answer, a.safeHomeHelp)
		} else if r, err = a.db.AnswerSafeHomeUnrecorded(ctx, id, in.userID(), store.AnswerSafe, nil); err == nil {
			err, before = store.ErrAlreadyAnswer, answer
		}
	}
	switch {
	case errors.Is(err, store.ErrNotSafeHome):
		return ephemeral(in.Lang.T("safe_home_not_asked")), nil
	case errors.Is(err, store.ErrAlreadyAnswer) && before == store.AnswerHelp:
		return ephemeral(in.Lang.T("safe_home_already_help", "Title", escape(r.Title))), nil
	case errors.Is(err, store.ErrAlreadyAnswer):
		return ephemeral(in.Lang.T("safe_home_already_safe", "Title", escape(r.Title))), nil
	case err != nil:
		return nil, err
	}
	if answer == store.AnswerSafe {
		a.log.Info("safe-home answered", "rally", r.ID)
		resp := ephemeral(in.Lang.T("safe_home_thanks", "Title", escape(r.Title)))
		if in.Message != nil {
			var ids safeHomeCustomID
			resp.Components = buttonsLeftOpen(in.Message.Components, pressed, ids.build(store.AnswerHelp, r.ID))
		}
		return resp, nil
	}
	a.log.Warn("safe-home call for help", "rally", r.ID)
	s, err := a.db.ChapterSupport(ctx, r.ChapterID)
	if err != nil {
		return nil, err
	}
	if s.SupportChannelID == "" {
		return ephemeral(in.Lang.T("safe_home_help_no_channel", "Chapter", escape(r.ChapterName))), nil
	}
	switch a.sendHelpNow(ctx, in.Now, r.ID) {
	case store.ReminderSent:
		return ephemeral(in.Lang.T("safe_home_help_sent", "Chapter", escape(r.ChapterName))), nil
	case store.ReminderPending:
		return ephemeral(in.Lang.T("safe_home_help_later")), nil
	}
	// Never to reach the channel (gone, or the bot shut out): the member
	// is not to wait for a team that will not hear. The call is not taken
	// as made: "I need help" stays open on the DM to press again, and,
	// unanswered, they are listed late.
	if recorded {
		if err := a.db.RetractSafeHomeHelp(ctx, r.ID, in.userID(), before); err != nil {
			return nil, err
		}
	}
	resp := ephemeral(in.Lang.T("safe_home_help_failed", "Chapter", escape(r.ChapterName)))
	if in.Message != nil {
		resp.Components = in.Message.Components
	}
	return resp, nil
}

// sendHelpNow sends the calls for help the rally owes its support channel
// and returns how the latest (the one just owed) went: sent, pending (the
// sweep keeps trying), or failed (never to be sent). The drainer may have
// sent it first, so its state is read back, not taken from this send.
func (a *App) sendHelpNow(ctx context.Context, now time.Time, rallyID int64) store.ReminderState {
	posts, err := a.db.PendingRallyPosts(ctx, rallyID)
	if err != nil {
		a.log.Error("could not read the calls for help owed", "rally", rallyID, "err", err)
		return store.ReminderPending
	}
	sent := store.ReminderPending // what this send saw, should the record be gone
	for _, p := range posts {
		if p.Kind != store.PostSafeHelp {
			continue
		}
		state, _, err := a.sendPostNow(ctx, now, p)
		if err != nil {
			a.log.Error("call for help failed", "rally", rallyID, "post", p.ID, "err", err)
		} else if state == store.ReminderSent {
			sent = state
		}
	}
	p, ok, err := a.db.LastRallyPost(ctx, rallyID, store.PostSafeHelp)
	switch {
	case err != nil || !ok:
		// A high-risk rally's sent call is deleted by the next sweep.
		if err != nil {
			a.log.Error("could not read a call for help back", "rally", rallyID, "err", err)
		}
		return sent
	case p.State == store.ReminderDropped:
		return store.ReminderFailed
	}
	return p.State
}

// carriesButton reports whether the message has a button with the custom
// id (the one pressed was on it, not made up) and whether it could still
// be pressed.
func carriesButton(m *discordgo.Message, customID string) (on, open bool) {
	if m == nil {
		return false, false
	}
	for _, c := range m.Components {
		row, ok := asRow(c)
		if !ok {
			continue
		}
		for _, b := range row.Components {
			if button, ok := asButton(b); ok && button.CustomID == customID {
				return true, !button.Disabled
			}
		}
	}
	return false, false
}

// rallyReport records the leads' report of a rally that ended.
func (a *App) rallyReport(ctx context.Context, in *Input) (*Response, error) {
	crowd, ok, err := in.int("crowd")
	if err != nil {
		return nil, err
	}
	if !ok || crowd < 0 || crowd > maxCrowd {
		return nil, invalid("err_report_crowd", "Max", "1,000,000")
	}
	// Without highlights, those of an earlier report stay: a lead
	// correcting the crowd does not wipe them.
	var given *string
	if in.has("highlights") {
		highlights, err := checkText("highlights", in.str("highlights"), maxHighlights, false)
		if err != nil {
			return nil, err
		}
		given = &highlights
	}
	r := in.Rally
	r, highlights, fresh, err := a.db.Report(ctx, in.GuildID, r.ID, int(crowd), given)
	var state *store.RallyStateError
	switch {
	case errors.As(err, &state) && errors.Is(err, store.ErrRallyCancelled):
		return nil, conflict("err_report_cancelled", "Title", escape(r.Title))
	case errors.Is(err, store.ErrNotEnded):
		return nil, conflict("err_report_not_ended", "Title", escape(r.Title), "End", zonedTime(in.Lang, r.EndsAt, r.TimeZone))
	case errors.Is(err, store.ErrReportClosed):
		return nil, conflict("err_report_closed", "Title", escape(r.Title), "Days", int(store.ReportWindow/(24*time.Hour)))
	case err != nil:
		return nil, err
	}
	a.log.Info("rally reported", "rally", r.ID, "fresh", fresh)
	id := "report_saved"
	if !fresh {
		id = "report_updated"
	}
	msg := in.Lang.T(id, "Title", escape(r.Title), "Crowd", formatCount(int(crowd)), "Until", timestamp(r.EndsAt.Add(store.ReportWindow), "f"))
	if highlights != "" {
		msg += "\n> " + escape(highlights)
	}
	return ephemeral(msg), nil
}

// endedRallyChoices offers the guild's rallies that ended within the
// report window, for /rally report.
func (a *App) endedRallyChoices(ctx context.Context, in *Input, typed string) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	rallies, err := a.db.EndedRallies(ctx, in.GuildID, in.Now.Add(-store.ReportWindow), in.Now)
	if err != nil {
		return nil, err
	}
	typed = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(typed), "#"))
	out := []*discordgo.ApplicationCommandOptionChoice{}
	for i := len(rallies) - 1; i >= 0 && len(out) < 25; i-- { // the latest first
		r := rallies[i]
		if typed == "" || strings.Contains(strings.ToLower(r.Title), typed) || strings.Contains(strings.ToLower(r.ChapterName), typed) ||
			strconv.FormatInt(r.ID, 10) == typed {
			out = append(out, rallyChoice(in.Lang, r))
		}
	}
	return out, nil
}

// formatCount writes n with thousands separators (1,000,000).
func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// recap is a day of action's recap as one reader sees it.
type recap struct {
	embed *discordgo.MessageEmbed
	files []File
}

// recapTotals are a recap's sums over the chapters whose rally was held.
type recapTotals struct {
	Going, CheckedIn, Crowd, Reported, Held int
}

// buildRecap renders a day of action's recap in l: an embed (per chapter
// going, checked in, crowd estimate and highlights, and the totals), the
// same as a CSV, and a bar chart. Counts and the leads' words, never a
// member.
func buildRecap(l Lang, act store.Action, rows []store.RecapRow) (recap, error) {
	var t recapTotals
	e := &discordgo.MessageEmbed{Title: truncate(l.T("recap_title", "Title", act.Title, "Date", act.Date), 256), Color: colorSummary}
	budget := 5000 // of Discord's 6,000 characters per embed
	chapters := make([]string, 0, len(rows))
	going, checked, crowd := []float64{}, []float64{}, []float64{}
	for _, row := range rows {
		r := row.Rally
		name := r.ChapterName
		if len(e.Fields) == 24 {
			e.Description = l.T("recap_more", "Count", len(rows)-24)
			break
		}
		if r.Cancelled() {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: truncate(name, 256), Value: l.T("recap_cancelled")})
			continue
		}
		t.Held++
		t.Going += r.GoingTotal()
		t.CheckedIn += r.CheckedIn
		crowdText := l.T("recap_not_reported")
		if row.After.Reported {
			t.Reported++
			t.Crowd += row.After.Crowd
			crowdText = formatCount(row.After.Crowd)
		}
		value := l.T("recap_line", "Going", r.GoingTotal(), "CheckedIn", r.CheckedIn, "Crowd", crowdText)
		if h := row.After.Highlights; h != "" {
			quoted := "\n> " + escape(truncate(h, 300))
			if budget-len(value)-len(quoted) > 0 {
				value += quoted
			}
		}
		budget -= len(name) + len(value)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: truncate(name, 256), Value: truncate(value, 1024)})
		chapters = append(chapters, name)
		going = append(going, float64(r.GoingTotal()))
		checked = append(checked, float64(r.CheckedIn))
		crowd = append(crowd, float64(row.After.Crowd))
	}
	e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: l.T("recap_total_name"), Value: l.T("recap_total",
		"Count", t.Held, "Going", t.Going, "CheckedIn", t.CheckedIn, "Crowd", formatCount(t.Crowd), "Reported", t.Reported, "Held", t.Held)})
	data, err := recapCSV(l, rows)
	if err != nil {
		return recap{}, err
	}
	slug := "action-" + strconv.FormatInt(act.ID, 10) + "-recap-" + string(l)
	files := []File{{Name: slug + ".csv", ContentType: csvContentType, Data: data}}
	if len(chapters) > 0 {
		png, err := barChart(l.T("recap_chart_title", "Title", act.Title), l.T("chart_axis_people"), chapters, []chartSeries{
			{Label: l.T("recap_series_going"), Values: going},
			{Label: l.T("recap_series_checked_in"), Values: checked},
			{Label: l.T("recap_series_crowd"), Values: crowd},
		})
		if err != nil {
			return recap{}, err
		}
		files = append(files, File{Name: slug + ".png", ContentType: pngContentType, Data: png})
	}
	return recap{embed: e, files: files}, nil
}

// recapCSV is the recap, one row per chapter, then the totals.
func recapCSV(l Lang, rows []store.RecapRow) ([]byte, error) {
	header := []string{l.T("recap_csv_chapter"), l.T("recap_csv_rally"), l.T("recap_csv_status"), l.T("recap_csv_going"),
		l.T("recap_csv_checked_in"), l.T("recap_csv_crowd"), l.T("recap_csv_highlights")}
	records := [][]string{header}
	var t recapTotals
	for _, row := range rows {
		r := row.Rally
		crowd := ""
		if row.After.Reported {
			crowd = strconv.Itoa(row.After.Crowd)
		}
		if !r.Cancelled() {
			t.Going += r.GoingTotal()
			t.CheckedIn += r.CheckedIn
			t.Crowd += row.After.Crowd
		}
		records = append(records, []string{spreadsheetSafe(r.ChapterName), strconv.FormatInt(r.ID, 10), l.T("csv_status_" + string(r.Status)),
			strconv.Itoa(r.GoingTotal()), strconv.Itoa(r.CheckedIn), crowd, spreadsheetSafe(row.After.Highlights)})
	}
	records = append(records, []string{l.T("recap_csv_total"), "", "", strconv.Itoa(t.Going), strconv.Itoa(t.CheckedIn), strconv.Itoa(t.Crowd), ""})
	return writeCSV(records)
}

// actionRecap answers /action recap with the recap, its CSV and its chart.
func (a *App) actionRecap(ctx context.Context, in *Input) (*Response, error) {
	act, err := a.actionFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	rows, err := a.db.ActionRecap(ctx, act.ID)
	if err != nil {
		return nil, err
	}
	rc, err := buildRecap(in.Lang, act, rows)
	if err != nil {
		return nil, err
	}
	return &Response{Embeds: []*discordgo.MessageEmbed{rc.embed}, Files: rc.files, Ephemeral: true}, nil
}

// summaryChart draws going per chapter over the summary's window, in l.
func summaryChart(l Lang, days int, chapters []string, going []float64) (File, error) {
	png, err := barChart(l.T("summary_chart_title", "Count", days), l.T("summary_chart_axis"), chapters,
		[]chartSeries{{Label: l.T("recap_series_going"), Values: going}})
	if err != nil {
		return File{}, err
	}
	return File{Name: fmt.Sprintf("turnout-%s.png", l), ContentType: pngContentType, Data: png}, nil
}

// writeCSV writes records with encoding/csv, which quotes commas, quotes
// and line breaks.
func writeCSV(records [][]string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(records); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// notifySafeHome turns the member's "Home safe?" DMs in this server on or
// off (with `reminders` too, both are set).
func (a *App) notifySafeHome(ctx context.Context, in *Input) (*Response, error) {
	on, err := readOnOff(in, "safe_home")
	if err != nil {
		return nil, err
	}
	var reminders bool
	if in.has("reminders") {
		if reminders, err = readOnOff(in, "reminders"); err != nil {
			return nil, err
		}
	}
	if err := a.db.SetSafeHomeDMs(ctx, in.GuildID, in.userID(), on); err != nil {
		return nil, err
	}
	msg := in.Lang.T("notify_safe_home_off")
	if on {
		msg = in.Lang.T("notify_safe_home_on")
	}
	if in.has("reminders") {
		if err := a.db.SetDMReminders(ctx, in.GuildID, in.userID(), reminders); err != nil {
			return nil, err
		}
		if reminders {
			msg = in.Lang.T("notify_on") + "\n" + msg
		} else {
			msg = in.Lang.T("notify_off") + "\n" + msg
		}
	}
	return ephemeral(msg), nil
}

// summaryChartOf draws going per chapter over the summary's window: every
// chapter, those with nothing at zero, in the summary's order.
func (a *App) summaryChartOf(l Lang, days int, chapters []store.Chapter, rallies []store.Rally) (File, error) {
	going := map[int64]int{}
	for _, r := range rallies {
		going[r.ChapterID] += r.GoingTotal()
	}
	names := make([]string, len(chapters))
	values := make([]float64, len(chapters))
	for i, c := range chapters {
		names[i], values[i] = c.Name, float64(going[c.ID])
	}
	return summaryChart(l, days, names, values)
}

// addRecaps adds, for each day of action with a rally that ended in the
// last day, its recap as one more message of the summary, with its CSV and
// chart: the morning after, coordinators see how the day went.
func (a *App) addRecaps(ctx context.Context, l Lang, s *summary, guildID string, now time.Time) error {
	ids, err := a.db.ActionsEnded(ctx, guildID, now.Add(-24*time.Hour), now)
	if err != nil {
		return err
	}
	for _, id := range ids {
		act, err := a.db.Action(ctx, guildID, id)
		if err != nil {
			return err
		}
		rows, err := a.db.ActionRecap(ctx, id)
		if err != nil {
			return err
		}
		rc, err := buildRecap(l, act, rows)
		if err != nil {
			return err
		}
		s.files[len(s.msgs)] = rc.files
		s.msgs = append(s.msgs, []*discordgo.MessageEmbed{rc.embed})
	}
	return nil
}
