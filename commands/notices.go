package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// dmBatch is how many owed DMs one query fetches; dmWorkers how many are in
// flight at once. The session's transport paces every request under the
// global limit (Pace) and discordgo spaces each bucket; the bound keeps a
// 2,000-member rally from holding every connection, and a channel post or
// an edit waits behind at most dmWorkers DMs, never behind the burst.
const (
	dmBatch   = 200
	dmWorkers = 8
)

// confirmCustomID is the day-before DM's "Still going" / "Can't make it":
// confirm:<yes|no>:<rally id>, groups "answer" and "rally"; and the question
// a maybe's "Still going" gets back, Going / Still maybe:
// confirm:<going|maybe>:<rally id>. It is clicked in a DM, outside any
// server.
type confirmCustomID struct{}

func (confirmCustomID) build(yes bool, rallyID int64) string {
	answer := "no"
	if yes {
		answer = "yes"
	}
	return confirmCustomID{}.buildAnswer(answer, rallyID)
}

func (confirmCustomID) buildAnswer(answer string, rallyID int64) string {
	return "confirm:" + answer + ":" + strconv.FormatInt(rallyID, 10)
}

func (confirmCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^confirm:(?P<answer>yes|no|going|maybe):(?P<rally>[1-9][0-9]{0,18})$`)
}

// checkinCustomID is the announcement's "Check in" button, shown from the
// start to the end: checkin:<rally id>, group "rally".
type checkinCustomID struct{}

func (checkinCustomID) build(rallyID int64) string {
	return "checkin:" + strconv.FormatInt(rallyID, 10)
}

func (checkinCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^checkin:(?P<rally>[1-9][0-9]{0,18})$`)
}

func (a *App) notifyCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "notify",
			Description: "Choose which DMs rallybot sends you in this server",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "reminders", Description: "DM reminders before rallies you are going to",
					Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "on", Value: "on"}, {Name: "off", Value: "off"}}},
				{Type: discordgo.ApplicationCommandOptionString, Name: "safe_home", Description: "The \"Home safe?\" DM after rallies you came to",
					Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "on", Value: "on"}, {Name: "off", Value: "off"}}},
			},
		},
		Routes: map[string]Route{"": {Access: Everyone, Handle: a.notify}},
	}
}

func (a *App) checkinCommand() *Command {
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "checkin",
			Description: "Check in at a rally that is under way (only you see the reply)",
			Options:     []*discordgo.ApplicationCommandOption{rallyOpt("Rally you are at")},
		},
		Routes:       map[string]Route{"": {Access: Everyone, Handle: a.checkinSlash}},
		Autocomplete: a.autocompleteOptions,
	}
}

func (a *App) notify(ctx context.Context, in *Input) (*Response, error) {
	if in.has("safe_home") {
		return a.notifySafeHome(ctx, in)
	}
	if !in.has("reminders") {
		return nil, invalid("notify_nothing")
	}
	var on bool
	switch in.str("reminders") {
	case "on":
		on = true
	case "off":
	default:
		return nil, invalid("notify_bad_choice", "Choices", choiceNames("on", "off"))
	}
	if err := a.db.SetDMReminders(ctx, in.GuildID, in.userID(), on); err != nil {
		return nil, err
	}
	if on {
		return ephemeral(in.Lang.T("notify_on")), nil
	}
	return ephemeral(in.Lang.T("notify_off")), nil
}

func (a *App) checkinSlash(ctx context.Context, in *Input) (*Response, error) {
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	return a.checkIn(ctx, in, r.ID)
}

func (a *App) checkinButton(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	return a.checkIn(ctx, in, id)
}

func (a *App) checkIn(ctx context.Context, in *Input, rallyID int64) (*Response, error) {
	r, fresh, err := a.db.CheckIn(ctx, in.GuildID, rallyID, in.userID())
	if errors.Is(err, store.ErrHighRiskNoCheckIn) {
		return nil, conflict("checkin_high_risk", "Title", escape(r.Title))
	}
	if errors.Is(err, store.ErrNotCheckInTime) {
		return nil, conflict("checkin_closed", "Title", escape(r.Title),
			"Start", zonedTime(in.Lang, r.StartsAt, r.TimeZone), "End", zonedTime(in.Lang, r.EndsAt, r.TimeZone))
	}
	if err != nil {
		return nil, err
	}
	if !fresh {
		return ephemeral(in.Lang.T("checkin_already", "Title", escape(r.Title))), nil
	}
	a.log.Info("checked in", "rally", r.ID)
	return ephemeral(in.Lang.T("checkin_done", "Title", escape(r.Title))), nil
}

// confirmButton answers the day-before DM: "Still going" records the
// confirmation; "Can't make it" frees the seat exactly as Can't go does, so
// the first on the waitlist is promoted and told, or a role holder's role.
func (a *App) confirmButton(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	r, err := a.db.RallyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	// A DM's buttons outlive the member's place in the server: one who left
	// is taken off, not answered as a member.
	here, err := a.reachable(ctx, nil, r.GuildID, in.userID())
	if err != nil {
		return nil, err
	}
	if !here {
		return ephemeral(in.Lang.T("confirm_not_member")), nil
	}
	if r.Cancelled() || !in.Now.Before(r.EndsAt) {
		// Nothing to answer any more: the DM's buttons are put out.
		return ephemeral(in.Lang.T("confirm_rally_over", "Title", escape(r.Title))), nil
	}
	when := zonedTime(in.Lang, r.StartsAt, r.TimeZone)
	switch in.Params["answer"] {
	case "yes":
		st, err := a.db.MemberStanding(ctx, r.ID, in.userID())
		if err != nil {
			return nil, err
		}
		if st.Status == store.Maybe {
			// A maybe has no seat to confirm: ask, rather than thank.
			var id confirmCustomID
			return &Response{Content: in.Lang.T("confirm_maybe_ask", "Title", escape(r.Title), "When", when), Ephemeral: true,
				Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.Button{Label: in.Lang.T("button_going"), Style: discordgo.SuccessButton, CustomID: id.buildAnswer("going", r.ID)},
					discordgo.Button{Label: in.Lang.T("button_still_maybe"), Style: discordgo.SecondaryButton, CustomID: id.buildAnswer("maybe", r.ID)},
				}}}}, nil
		}
		ok, err := a.db.ConfirmRSVP(ctx, r.ID, in.userID())
		if err != nil {
			return nil, err
		}
		if !ok || st.Status == store.Waitlist || st.Status == store.Requested {
			return ephemeral(in.Lang.T("confirm_no_rsvp", "Title", escape(r.Title))), nil
		}
		return ephemeral(in.Lang.T("confirm_still_going", "Title", escape(r.Title), "When", when)), nil
	case "going":
		in.GuildID = r.GuildID // the click came from a DM: act in the rally's server
		return a.rsvp(ctx, in, r.ID, store.Going)
	case "maybe":
		return ephemeral(in.Lang.T("confirm_stay_maybe", "Title", escape(r.Title))), nil
	}
	held, err := a.db.MemberRole(ctx, r.ID, in.userID())
	if err != nil {
		return nil, err
	}
	if held != "" {
		// A role holder has no seat to free: the role is what they give up.
		if _, err := a.db.LeaveRole(ctx, r.GuildID, r.ID, in.userID()); err != nil {
			return nil, roleError(err)
		}
		a.refresher.mark(r.ID)
		a.log.Info("role left", "guild", r.GuildID, "rally", r.ID, "role", string(held))
		return ephemeral(in.Lang.T("confirm_cant_make_it_role", "Title", escape(r.Title), "Role", roleName(in.Lang, held, 1))), nil
	}
	res, err := a.db.SetRSVP(ctx, r.GuildID, r.ID, in.userID(), store.NotGoing)
	if err != nil {
		return nil, err
	}
	if res.Status != res.Previous || len(res.Promoted) > 0 {
		a.refresher.mark(r.ID)
	}
	return ephemeral(in.Lang.T("confirm_cant_make_it", "Title", escape(r.Title))), nil
}

// zonedTime is a time in the rally's zone as l writes it, with the zone,
// and as a Discord timestamp each reader sees in their own.
func zonedTime(l Lang, t time.Time, tz string) string {
	return zonedTimeIn(l, t, location(tz))
}

// zonedTimeIn is zonedTime with the zone already loaded (App.zones), for
// the paths taken on every click.
func zonedTimeIn(l Lang, t time.Time, loc *time.Location) string {
	local := t.In(loc)
	return fmt.Sprintf("%s %s (%s)", l.dateTime(local, dateDay), local.Format("MST"), timestamp(t, "F"))
}

// hiddenPlace is what everyone but those going and the leads see of a
// private place, in l. It starts with 🔒 in every language.
func (a *App) hiddenPlace(l Lang) string {
	return l.T("place_hidden", "Before", shortDuration(a.cfg.LocationReveal))
}

// hiddenPlaceIn is hiddenPlace in each of langs, for a label shared by
// the languages of a post (a scheduled event's place).
func (a *App) hiddenPlaceIn(langs []Lang) string {
	return inLangs(langs, " / ", a.hiddenPlace)
}

// shownPlace is the rally's place, in l, as a channel, a list or anyone may
// see it.
func (a *App) shownPlace(l Lang, r store.Rally) string {
	if r.PrivateLocation {
		return a.hiddenPlace(l)
	}
	return escape(meetingPlace(l, r))
}

// dmBodies is a notice in every language, stored as an owed DM's body
// (store.MemberDMs.Body) and sent in each member's language (dmBody).
func dmBodies(text func(Lang) string) string {
	m := make(map[Lang]string, len(Langs))
	for _, l := range Langs {
		m[l] = text(l)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return text(English)
	}
	return string(b)
}

// dmBody is an owed DM's stored body in l. A body stored as plain text (one
// language only) is sent as it is.
func dmBody(body string, l Lang) string {
	var m map[Lang]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return body
	}
	if s, ok := m[l]; ok {
		return s
	}
	return m[English]
}

// SendMemberDMs sends every DM owed to members at now (reminders, change
// notices, private places), once each, a bounded number at a time. It has a
// lock of its own, so a long send to a big rally holds up neither channel
// reminders nor other jobs; clicks never wait for it.
func (a *App) SendMemberDMs(ctx context.Context, now time.Time) error {
	a.jobs.dms.Lock()
	defer a.jobs.dms.Unlock()
	if _, err := a.db.QueueReveals(ctx, now, a.cfg.LocationReveal); err != nil {
		return err
	}
	if err := a.redrawCheckIns(ctx, now); err != nil {
		return err
	}
	return a.sendDueDMs(ctx, now)
}

// drainDMs sends the DMs owed at now, for the drainer: a cancel's notices
// go out as it commits, not at the next sweep.
func (a *App) drainDMs(ctx context.Context, now time.Time) error {
	a.jobs.dms.Lock()
	defer a.jobs.dms.Unlock()
	return a.sendDueDMs(ctx, now)
}

// sendDueDMs sends every DM owed at now, a bounded number at a time, under
// the dms lock.
func (a *App) sendDueDMs(ctx context.Context, now time.Time) error {
	var tally dmTally
	// Who was found still in the server, for this burst alone.
	var seen memberCache
	started := time.Now()
	for {
		due, err := a.db.DueMemberDMs(ctx, now, dmBatch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			break
		}
		errs := make([]error, len(due))
		work := make(chan int)
		done := make(chan store.DMOutcome, len(due))
		var wg sync.WaitGroup
		for w := 0; w < min(dmWorkers, len(due)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					var o *store.DMOutcome
					if o, errs[i] = a.sendMemberDM(ctx, now, due[i], &tally, &seen); o != nil {
						done <- *o
					}
				}
			}()
		}
		recorded := make(chan error, 1)
		go func() { recorded <- a.recordDMs(ctx, done) }()
		for i := range due {
			work <- i
		}
		close(work)
		wg.Wait()
		close(done)
		if err := errors.Join(<-recorded, errors.Join(errs...)); err != nil {
			return err
		}
		if len(due) < dmBatch {
			break
		}
	}
	if tally.total() > 0 {
		a.log.Info("DMs to members sent", "sent", tally.sent.Load(), "closed_dms", tally.closed.Load(),
			"failed", tally.failed.Load(), "retrying", tally.retrying.Load(), "dropped", tally.dropped.Load(),
			"took", time.Since(started).Round(time.Millisecond).String())
	}
	return nil
}

// dmRecordEvery is how often the outcomes of a burst of DMs are written
// while it goes out: in few transactions, yet often enough that a lead's
// /rally info follows the burst.
const dmRecordEvery = time.Second

// recordDMs writes the outcomes of DMs as they come, a group at a time,
// until done is closed.
func (a *App) recordDMs(ctx context.Context, done <-chan store.DMOutcome) error {
	ctx = context.WithoutCancel(ctx)
	tick := time.NewTicker(dmRecordEvery)
	defer tick.Stop()
	var group []store.DMOutcome
	var errs []error
	flush := func() {
		if len(group) > 0 {
			strays, err := a.db.FinishMemberDMs(ctx, group)
			errs = append(errs, err)
			for _, o := range strays {
				// Forgotten (or taken off) while it was on its way: the
				// DM's deletion is owed, and its channel, opened again
				// for it, is not kept.
				a.discord.ForgetDMChannel(o.Due.UserID)
			}
			if len(strays) > 0 {
				a.log.Info("DMs sent after their record went, to be deleted", "dms", len(strays))
			}
			group = nil
		}
	}
	for {
		select {
		case o, ok := <-done:
			if !ok {
				flush()
				return errors.Join(errs...)
			}
			group = append(group, o)
			if len(group) >= dmBatch/4 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

type dmTally struct{ sent, closed, failed, retrying, dropped atomic.Int64 }

func (t *dmTally) total() int64 {
	return t.sent.Load() + t.closed.Load() + t.failed.Load() + t.retrying.Load() + t.dropped.Load()
}

// sendMemberDM sends one owed DM and returns its final outcome, or nil when
// it stays pending (to retry, or re-armed meanwhile).
func (a *App) sendMemberDM(ctx context.Context, now time.Time, d store.DueDM, tally *dmTally, seen *memberCache) (*store.DMOutcome, error) {
	r := d.Rally
	log := a.log.With("rally", r.ID, "kind", string(d.Kind))
	offset, isReminder := d.Kind.Reminder()
	// The kind counted is the family, what comes before a colon: a
	// change's or an answer's kind carries a fresh id of its own, which
	// would make a metric series per DM.
	family, _, _ := strings.Cut(string(d.Kind), ":")
	kind := "dm_" + family
	var out *store.DMOutcome
	var sent *discordgo.Message
	finish := func(state store.DMState) { out = &store.DMOutcome{Due: d, State: state} }
	drop, err := a.dmNotOwed(ctx, now, d)
	if err != nil {
		return nil, err
	}
	if drop {
		a.cfg.Metrics.Scheduled(kind, string(outcomeDropped))
		tally.dropped.Add(1)
		finish(store.DMDropped)
		return out, nil
	}
	var nonce string
	del := delivery{kind: kind, log: log, guildID: r.GuildID, attempts: d.Attempts,
		send: func() (*discordgo.Message, error) {
			// Whoever left the server (or was removed) is sent nothing
			// more: the database alone cannot tell, and Discord lets the bot
			// DM anyone who shares another server with it.
			here, err := a.reachable(ctx, seen, r.GuildID, d.UserID)
			if err != nil {
				return nil, err
			}
			if !here {
				return nil, errSkip
			}
			var standing store.Standing
			if isReminder {
				if standing, err = a.db.MemberStanding(ctx, r.ID, d.UserID); err != nil {
					return nil, err
				}
			}
			var ok bool
			if nonce, ok, err = a.db.BeginMemberDM(ctx, d); err != nil {
				return nil, err
			} else if !ok {
				return nil, errSkip
			}
			l := a.memberLang(ctx, r.GuildID, d.UserID)
			sent, err = a.discord.DMMessage(ctx, d.UserID, a.memberDM(ctx, l, d, offset, isReminder, standing), nonce)
			return sent, err
		},
		finish: func(o outcome, _ string) error {
			switch o {
			case outcomeSent:
				tally.sent.Add(1)
				finish(store.DMSent)
				if sent != nil {
					// Where it is, so forget-me or a high-risk rally's end
					// can delete it.
					out.ChannelID, out.MessageID = sent.ChannelID, sent.ID
				}
				if d.Kind == store.DMPromoted {
					return a.db.PromotionTold(ctx, r.ID, d.UserID)
				}
			case outcomeClosed:
				tally.closed.Add(1)
				finish(store.DMClosed)
			case outcomeDropped:
				tally.dropped.Add(1)
				finish(store.DMDropped)
			default:
				tally.failed.Add(1)
				finish(store.DMFailed)
			}
			return nil
		},
		retry: func(at time.Time) error {
			tally.retrying.Add(1)
			return a.db.RetryMemberDM(ctx, store.DMRetry{Due: d, At: at})
		},
	}
	if _, _, err := a.deliver(ctx, now, del); err != nil {
		return nil, err
	}
	return out, nil
}

// dmNotOwed reports whether an owed DM is to be dropped unsent: a reminder,
// or a DM that may name a private place (a reveal, a promotion, a lead's
// yes), of a rally off or over; such a DM for someone no longer going.
func (a *App) dmNotOwed(ctx context.Context, now time.Time, d store.DueDM) (bool, error) {
	r := d.Rally
	_, isReminder := d.Kind.Reminder()
	if (isReminder || d.Kind.TellsPlace()) && (r.Cancelled() || !now.Before(r.EndsAt) || isReminder && r.Started(now)) {
		return true, nil
	}
	if d.Kind.TellsPlace() {
		// Queued for those going then; whoever has left since must not get
		// the place.
		going, err := a.db.IsGoing(ctx, r.ID, d.UserID)
		return !going, err
	}
	if isReminder || strings.HasPrefix(string(d.Kind), "change:") {
		// Owed to those coming when it was queued: whoever has said Can't
		// go since (while Discord kept it from going out) is owed nothing.
		st, err := a.db.MemberStanding(ctx, r.ID, d.UserID)
		if err != nil {
			return false, err
		}
		switch st.Status {
		case store.Going, store.Maybe:
			return false, nil
		case store.Waitlist:
			return isReminder, nil
		}
		return true, nil
	}
	return false, nil
}

// memberDM words an owed DM for one member, in their language l.
func (a *App) memberDM(ctx context.Context, l Lang, d store.DueDM, offset time.Duration, isReminder bool, st store.Standing) discord.Message {
	r := d.Rally
	switch {
	case isReminder:
		return a.reminderDM(ctx, l, r, offset, d.Buttons, st)
	case d.Kind == store.DMReveal:
		return a.revealDM(l, r)
	case d.Kind == store.DMCancelled:
		return cancelledDM(l, r)
	case d.Kind == store.DMPromoted:
		return discord.Message{Content: l.T("dm_promoted", "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
			"When", zonedTime(l, r.StartsAt, r.TimeZone), "Where", a.shownPlace(l, r)) + a.privatePlaceFor(ctx, l, r)}
	case d.Kind == store.DMSafeHome:
		return safeHomeDM(l, r)
	case d.Kind.TellsPlace():
		// Its body was worded when it was owed; the place, as it stands now.
		return discord.Message{Content: dmBody(d.Body, l) + a.privatePlaceFor(ctx, l, r)}
	}
	return discord.Message{Content: dmBody(d.Body, l)}
}

// reminderDM is a reminder as DMed to one member, in their language l; the
// day-before one asks whether they are still coming.
func (a *App) reminderDM(ctx context.Context, l Lang, r store.Rally, offset time.Duration, buttons bool, st store.Standing) discord.Message {
	going := st.Status == store.Going
	revealed := false
	if r.PrivateLocation && going {
		var err error
		if revealed, err = a.db.LocationRevealed(ctx, r.ID); err != nil {
			a.log.Warn("could not read whether a place was shared", "rally", r.ID, "err", err)
		}
	}
	// A member going is told the place once it is being shared; everyone
	// else reads what the channel reads.
	content := l.T("dm_reminder", "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
		"In", timestamp(r.StartsAt, "R"), "When", zonedTime(l, r.StartsAt, r.TimeZone), "Where", a.placeWords(l, r, going, revealed))
	m := discord.Message{Content: content}
	if buttons {
		if st.Status == store.Maybe {
			m.Content += l.T("dm_reminder_confirm_maybe") // a maybe holds no seat
		} else {
			m.Content += l.T("dm_reminder_confirm")
		}
		var id confirmCustomID
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: l.T("button_still_going"), Style: discordgo.SuccessButton, CustomID: id.build(true, r.ID)},
			discordgo.Button{Label: l.T("button_cant_make_it"), Style: discordgo.DangerButton, CustomID: id.build(false, r.ID)},
		}}}
	}
	return m
}

// revealDM tells one member going the private place, in their language l.
func (a *App) revealDM(l Lang, r store.Rally) discord.Message {
	return discord.Message{Content: l.T("dm_reveal", "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
		"When", zonedTime(l, r.StartsAt, r.TimeZone), "Where", escape(meetingPlace(l, r)))}
}

// cancelledDM tells one member, in their language l, that the rally is
// called off, and why if the lead said.
func cancelledDM(l Lang, r store.Rally) discord.Message {
	s := l.T("dm_rally_cancelled", "Title", escape(r.Title), "Chapter", escape(r.ChapterName), "When", zonedTime(l, r.StartsAt, r.TimeZone))
	if r.CancelReason != "" {
		s += l.T("cancelled_reason", "Reason", escape(r.CancelReason))
	}
	return discord.Message{Content: s}
}

// queueReminderDMs owes reminder post p by DM to each member going or maybe
// who takes DM reminders; the largest offset asks them to confirm.
func (a *App) queueReminderDMs(ctx context.Context, p store.ChannelPost) error {
	r, offset := p.Rally, p.Args.Offset()
	largest := offset
	for _, o := range a.cfg.ReminderOffsets {
		largest = max(largest, o)
	}
	_, err := a.db.QueueMemberDMs(ctx, store.MemberDMs{RallyID: r.ID, Kind: store.ReminderDM(offset),
		Statuses: []store.RSVPStatus{store.Going, store.Maybe}, Buttons: offset == largest, OptedIn: true, For: &p})
	return err
}

// redrawCheckIns redraws the announcements of rallies that started or ended
// since the last sweep, to show or take away their "Check in" button.
func (a *App) redrawCheckIns(ctx context.Context, now time.Time) error {
	since := a.jobs.checkinsAt
	if since.IsZero() || since.After(now) {
		since = now.Add(-10 * time.Minute)
	}
	ids, err := a.db.CheckInOpenRallies(ctx, since, now)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.refresher.mark(id)
	}
	a.jobs.checkinsAt = now
	return nil
}

// publicAnnouncement renders a rally's announcement as everyone sees it: a private
// place says when it will be shared, and from the start to the end (at now;
// zero for never) it carries a "Check in" button.
func (a *App) publicAnnouncement(r store.Rally, now time.Time) ([]*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	langs := postLangs(r.ChapterLanguage)
	embeds, components := announcementIn(langs, r)
	if r.PrivateLocation {
		for i, e := range embeds {
			for _, f := range e.Fields {
				if strings.HasPrefix(f.Value, "🔒") {
					f.Value = a.hiddenPlace(langs[i])
				}
			}
		}
	}
	fitDetails(embeds, r) // the hidden place's wording may be longer
	if !now.IsZero() && !r.Cancelled() && !r.HighRisk && r.Started(now) && now.Before(r.EndsAt) {
		components = append(components, checkinButtonRow(langs, r.ID))
	}
	return embeds, components
}

// checkinButtonRow is the announcement's "Check in" button, labelled in
// each of langs.
func checkinButtonRow(langs []Lang, rallyID int64) discordgo.MessageComponent {
	return discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: label(langs, "button_checkin"), Style: discordgo.PrimaryButton, CustomID: checkinCustomID{}.build(rallyID), Emoji: &discordgo.ComponentEmoji{Name: "📍"}},
	}}
}

// dmProgressLines words the DMs still going out to a rally's members, one
// line per kind: "reminder DMs: 1,240 of 2,000 sent, 12 closed".
func dmProgressLines(l Lang, ps []store.DMProgress) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		id := "dms_progress_notice"
		switch p.Kind {
		case store.DMProgressReminder:
			id = "dms_progress_reminder"
		case store.DMProgressPlace:
			id = "dms_progress_place"
		}
		line := l.T(id, "Sent", formatCount(p.Sent), "Total", formatCount(p.Total))
		if p.Closed > 0 {
			line += l.T("dms_progress_closed", "Count", p.Closed, "Closed", formatCount(p.Closed))
		}
		if p.Failed > 0 {
			line += l.T("dms_progress_failed", "Count", p.Failed, "Failed", formatCount(p.Failed))
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}
