package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/robfig/cron/v3"

	"rallybot/store"
)

// summaryGrace is how late a scheduled summary may still go out (after a
// restart, say); an older one is skipped rather than posted hours late.
const summaryGrace = time.Hour

// SummaryGrace is summaryGrace, for the sandbox's page (a clock jump past it
// skips a summary).
const SummaryGrace = summaryGrace

// dueBatch is how many due reminders one query fetches.
const dueBatch = 50

// scanLimit is how many messages one page of the search for a send whose outcome
// was never recorded.
const scanLimit = 100

// scanPages bounds a search paging back to its floor: 5,000 messages.
const scanPages = 50

// jobs holds the locks that keep two runs of one job from overlapping (a cron
// tick during a slow run, the start-up catch-up, a test's tick). A second run
// waits for the first, then finds nothing left to do: what is done is in the
// database.
type jobs struct {
	reminders, summaries, retention, staffing sync.Mutex
	// after guards the work owed when rallies end (after.go).
	after sync.Mutex
	// dms guards the sends of DMs to members (notices.go), apart from the
	// channel reminders so neither waits for the other; checkinsAt is the
	// time of its last look for check-ins opening or closing.
	dms        sync.Mutex
	checkinsAt time.Time
	// droppedSlot is the last summary slot whose drop was logged (under the
	// summaries lock), so a missed run is logged once, not on every sweep.
	droppedSlot time.Time
}

// SendDueReminders posts every reminder that has come due at now, once each.
// The database says what is due; the caller (cron) only says when to look.
//
// Exactly once: the nonce is recorded before the send and reused by every
// later attempt, and the send carries enforce_nonce, so a send that reached
// Discord but was never recorded as sent (a crash, a lost response, a 5xx
// after all) is dropped by Discord within its nonce window. An attempt resumed
// later than that first looks for the message in the channel.
func (a *App) SendDueReminders(ctx context.Context, now time.Time) error {
	a.jobs.reminders.Lock()
	defer a.jobs.reminders.Unlock()
	if err := a.FinishAnnouncements(ctx, now); err != nil {
		return err
	}
	if err := a.ResumeRefreshes(ctx); err != nil {
		return err
	}
	for {
		due, err := a.db.DueReminders(ctx, now, dueBatch)
		if err != nil {
			return err
		}
		// When several reminders of one rally are due at once (the bot was
		// down), only the latest is worth posting.
		latest := map[int64]time.Time{}
		for _, d := range due {
			if d.DueAt.After(latest[d.Rally.ID]) {
				latest[d.Rally.ID] = d.DueAt
			}
		}
		for _, d := range due {
			if err := a.sendReminder(ctx, now, d, d.DueAt.Before(latest[d.Rally.ID])); err != nil {
				return err
			}
		}
		// Every reminder handled leaves the due set (sent, failed, dropped or
		// backing off), so the next batch is new ones.
		if len(due) < dueBatch {
			// The messages owed to chapter channels (days of action's
			// posts, rallies' notices), the announcements series owe their
			// next rallies, and the scheduled events owed changes ride the
			// same sweep.
			return errors.Join(a.SendDueChannelPosts(ctx, now), a.SendDueSeriesAnnouncements(ctx, now), a.MirrorDueEvents(ctx, now))
		}
	}
}

func (a *App) sendReminder(ctx context.Context, now time.Time, d store.DueReminder, superseded bool) error {
	r := d.Rally
	log := a.log.With("rally", r.ID, "offset", d.Offset.String())
	channel := d.ChapterChannelID
	if channel == "" {
		channel = r.ChannelID
	}
	switch {
	case r.Cancelled():
		return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: d.Nonce, State: store.ReminderDropped})
	case r.Started(now):
		log.Info("dropped a reminder missed while the bot was down: the rally has begun", "due", d.DueAt, "starts", r.StartsAt)
		return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: d.Nonce, State: store.ReminderDropped})
	case superseded:
		log.Info("dropped a reminder missed while the bot was down: a later one for the rally is due too", "due", d.DueAt)
		return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: d.Nonce, State: store.ReminderDropped})
	case channel == "":
		log.Warn("reminder has no channel to go to")
		return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: d.Nonce, State: store.ReminderFailed})
	}
	// Each member going or maybe is owed this reminder by DM too, sent by
	// SendMemberDMs; queued before the channel post, once whatever happens
	// to it.
	if err := a.queueReminderDMs(ctx, r, d.Offset); err != nil {
		return err
	}
	att, ok, err := a.db.BeginDue(ctx, d)
	if err != nil || !ok {
		return err
	}
	content, embeds, components := a.reminderMessage(r, d.Offset)
	if att.Resumed {
		if id := a.findOwnMessage(ctx, channel, r.MessageID, func(m *discordgo.Message) bool {
			return strings.Contains(m.Content, timestamp(r.StartsAt, "R")) && hasFooter(m, embeds[0].Footer.Text)
		}); id != "" {
			log.Info("reminder was already posted by an earlier attempt", "message", id)
			return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: att.Nonce, State: store.ReminderSent, MessageID: id})
		}
	}
	msg, err := a.post(ctx, channel, outMessage{Content: content, Embeds: embeds, Components: components}, att.Nonce)
	noteKey := "channel:" + channel
	switch {
	case err == nil:
		log.Info("reminder posted", "message", msg.ID)
		if err := a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: att.Nonce, State: store.ReminderSent, MessageID: msg.ID}); err != nil {
			return err
		}
		// The channel works (again): if it breaks later, say so again.
		return a.db.ForgetNote(ctx, r.GuildID, noteKey)
	case gone(err):
		log.Warn("reminder cannot be posted: channel gone or forbidden", "channel", channel, "err", err)
		if err := a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: att.Nonce, State: store.ReminderFailed}); err != nil {
			return err
		}
		a.tellCoordinatorsOnce(ctx, r.GuildID, noteKey, func(l Lang) string {
			return l.T("reminder_failed", "Title", escape(r.Title), "Chapter", escape(r.ChapterName), "Channel", "<#"+channel+">")
		})
		return nil
	case errors.Is(err, context.Canceled):
		return err // shutting down: still pending, resumed with its nonce at the next start
	case retryable(err):
		backoff := retryBackoff(d.Attempts)
		log.Warn("reminder send failed; will retry", "err", err, "retry_in", backoff)
		a.cfg.Metrics.Scheduled("reminder", "retry")
		return a.db.RetryDue(ctx, store.ReminderRetry{Due: d, Nonce: att.Nonce, At: now.Add(backoff)})
	default:
		// Discord refused the message itself (a 4xx): sending it again would
		// be refused again.
		log.Error("reminder refused by Discord; giving up", "err", err)
		return a.finishReminder(ctx, store.ReminderOutcome{Due: d, Nonce: att.Nonce, State: store.ReminderFailed})
	}
}

// retryBackoff is how long a scheduled send waits after a transient failure,
// by the attempts already made: 30 s, 1 m, 2 m … doubling up to 32 m, so a
// Discord outage is not hammered yet a short blip costs only seconds.
func retryBackoff(attempts int) time.Duration {
	return time.Duration(1<<min(max(attempts, 0), 6)) * 30 * time.Second
}

// reminderMessage renders a reminder: the announcement again (title, times,
// place, counts, buttons), marked as a reminder. The footer names the rally
// and the offset, so a send whose outcome was lost can be recognised.
func (a *App) reminderMessage(r store.Rally, offset time.Duration) (string, []*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	langs := postLangs(r.ChapterLanguage)
	embeds, components := a.publicAnnouncement(r, time.Time{})
	for i, l := range langs {
		e := embeds[i]
		e.Title = truncate(l.T("reminder_title", "Title", e.Title), 256)
		e.Color = colorReminder
		e.Footer = &discordgo.MessageEmbedFooter{Text: l.T("reminder_footer", "ID", r.ID, "Offset", shortDuration(offset))}
	}
	content := inLangs(langs, bilingualSep, func(l Lang) string {
		return l.T("reminder_text", "Title", escape(r.Title), "When", timestamp(r.StartsAt, "R"))
	})
	return content, embeds, components
}

// shortDuration writes 24h0m0s as 24h and 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func hasFooter(m *discordgo.Message, footer string) bool {
	for _, e := range m.Embeds {
		if e != nil && e.Footer != nil && e.Footer.Text == footer {
			return true
		}
	}
	return false
}

// tellCoordinatorsOnce posts a problem to the guild's coordinator channel the
// first time it happens, in the guild's summary language.
func (a *App) tellCoordinatorsOnce(ctx context.Context, guildID, key string, text func(Lang) string) {
	g, err := a.db.Guild(ctx, guildID)
	if err != nil || g.CoordinatorChannelID == "" {
		a.log.Debug("no coordinator channel to tell", "guild", guildID, "notice", key)
		return
	}
	fresh, err := a.db.NoteOnce(ctx, guildID, key)
	if err != nil || !fresh {
		return
	}
	if _, err := a.post(ctx, g.CoordinatorChannelID, outMessage{Content: postText(g.Language, text)}, store.NewNonce()); err != nil {
		a.log.Warn("could not tell the coordinators", "guild", guildID, "err", err)
		// Not told: let the next occurrence try again.
		if err := a.db.ForgetNote(context.WithoutCancel(ctx), guildID, key); err != nil {
			a.log.Warn("could not forget a notice", "guild", guildID, "err", err)
		}
	}
}

// summarySlot is the scheduled run a summary at now belongs to: for a cron
// spec, its latest firing at or before now (zero if none within the grace
// period); for @every, the start of the period now falls in, whenever in it
// cron happens to fire.
func summarySlot(sched cron.Schedule, now time.Time) time.Time {
	// Cron runs in UTC (bot.startSchedules), so a spec without CRON_TZ means
	// UTC here too, whatever the machine's zone.
	now = now.UTC()
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(every.Delay)
	}
	var last time.Time
	for t := sched.Next(now.Add(-summaryGrace - time.Second)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last
}

// summaryZone is where the schedule's times are written: its CRON_TZ, else UTC.
func summaryZone(sched cron.Schedule) *time.Location {
	if s, ok := sched.(*cron.SpecSchedule); ok && s.Location != nil && s.Location != time.Local {
		return s.Location
	}
	return time.UTC
}

// SendSummaries posts each guild's turnout summary for the schedule's latest
// slot at now, once per guild per slot, even across restarts: the run and
// what it posts are recorded before posting, and each message carries a
// nonce. It is also called on every reminder sweep, which retries a run whose
// post failed, within the grace period.
func (a *App) SendSummaries(ctx context.Context, now time.Time) error {
	a.jobs.summaries.Lock()
	defer a.jobs.summaries.Unlock()
	slot := summarySlot(a.cfg.SummarySchedule, now)
	if slot.IsZero() || now.Sub(slot) > summaryGrace && !isEvery(a.cfg.SummarySchedule) {
		return a.logDroppedSummaries(ctx, now)
	}
	guilds, err := a.db.Guilds(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range guilds {
		if g.CoordinatorChannelID == "" {
			a.log.Debug("no coordinator channel; summary skipped", "guild", g.ID)
			continue
		}
		if err := a.sendSummary(ctx, now, slot, g); err != nil {
			errs = append(errs, fmt.Errorf("guild %s: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

// logDroppedSummaries logs, once per slot, each guild whose summary for the
// schedule's latest slot was never posted and is now past its grace period
// (the bot was down, or Discord failed until then).
func (a *App) logDroppedSummaries(ctx context.Context, now time.Time) error {
	missed := lastFiring(a.cfg.SummarySchedule, now)
	if missed.IsZero() || missed.Equal(a.jobs.droppedSlot) {
		return nil
	}
	guilds, err := a.db.Guilds(ctx)
	if err != nil {
		return err
	}
	for _, g := range guilds {
		if g.CoordinatorChannelID == "" {
			continue
		}
		last, err := a.db.LastSummary(ctx, g.ID)
		if err != nil {
			return err
		}
		if last.Before(missed) {
			a.log.Warn("dropped a summary missed by more than its grace period", "guild", g.ID, "slot", missed,
				"grace", summaryGrace.String(), "late_by", now.Sub(missed).Round(time.Second).String())
		}
	}
	a.jobs.droppedSlot = missed
	return nil
}

// lastFiring is the schedule's latest time at or before now, within a week;
// zero for @every schedules, which have no missed slots.
func lastFiring(sched cron.Schedule, now time.Time) time.Time {
	if isEvery(sched) {
		return time.Time{}
	}
	now = now.UTC()
	var last time.Time
	t := sched.Next(now.Add(-7 * 24 * time.Hour))
	for n := 0; !t.IsZero() && !t.After(now) && n < 100000; n++ {
		last, t = t, sched.Next(t)
	}
	return last
}

func isEvery(s cron.Schedule) bool { _, ok := s.(cron.ConstantDelaySchedule); return ok }

func (a *App) sendSummary(ctx context.Context, now, slot time.Time, g store.Guild) error {
	log := a.log.With("guild", g.ID, "slot", slot)
	run, ok, err := a.db.BeginSummary(ctx, g.ID, slot)
	if err != nil || !ok {
		return err
	}
	if run.Parts == nil {
		// A bilingual guild gets the summary in each language, Spanish second.
		var all [][]*discordgo.MessageEmbed
		var langOf []Lang
		var baseline map[int64]store.Counts
		var files []store.SummaryFile
		for _, l := range postLangs(g.Language) {
			s, err := a.buildSummary(ctx, l, g.ID, now, defaultSummaryDays)
			if err != nil {
				return err
			}
			for i, fs := range s.files {
				for _, f := range fs {
					files = append(files, store.SummaryFile{Part: len(all) + i, Name: f.Name, ContentType: f.ContentType, Data: f.Data})
				}
			}
			all = append(all, s.msgs...)
			for range s.msgs {
				langOf = append(langOf, l)
			}
			baseline = s.baseline
		}
		footSummary(all, langOf, slot.In(summaryZone(a.cfg.SummarySchedule)))
		b, err := json.Marshal(all)
		if err != nil {
			return err
		}
		// The files first: a run whose parts are stored sends them with
		// the files stored before them.
		if err := a.db.SaveSummaryFiles(ctx, g.ID, slot, files); err != nil {
			return err
		}
		if run.Parts, err = a.db.SaveSummaryContent(ctx, g.ID, slot, b, baseline); err != nil {
			return err
		}
	}
	var msgs [][]*discordgo.MessageEmbed
	if err := json.Unmarshal(run.Parts, &msgs); err != nil {
		return fmt.Errorf("stored summary: %w", err)
	}
	for i := run.PartsSent; i < len(msgs); i++ {
		if last := msgs[i][len(msgs[i])-1]; run.Resumed && i == run.PartsSent && last.Footer != nil {
			// This part may have been posted by the attempt that was cut short.
			footer := last.Footer.Text
			if id := a.findOwnMessage(ctx, g.CoordinatorChannelID, floorAt(slot), func(m *discordgo.Message) bool { return hasFooter(m, footer) }); id != "" {
				log.Info("summary part was already posted by an earlier attempt", "part", i+1, "message", id)
				if err := a.db.SummaryPartSent(ctx, g.ID, slot, i+1); err != nil {
					return err
				}
				continue
			}
		}
		out := outMessage{Embeds: msgs[i]}
		stored, err := a.db.SummaryFiles(ctx, g.ID, slot, i)
		if err != nil {
			return err
		}
		for _, f := range stored {
			out.Files = append(out.Files, File{Name: f.Name, ContentType: f.ContentType, Data: f.Data})
		}
		_, err = a.post(ctx, g.CoordinatorChannelID, out, run.Nonce+"-"+strconv.Itoa(i))
		switch {
		case err == nil:
			if err := a.db.SummaryPartSent(ctx, g.ID, slot, i+1); err != nil {
				return err
			}
			continue
		case gone(err):
			log.Warn("summary cannot be posted: coordinator channel gone or forbidden; set another with /setup coordinators", "err", err)
			return a.finishSummary(ctx, g.ID, slot, store.SummaryFailed)
		case errors.Is(err, context.Canceled):
			return err
		case retryable(err):
			attempts, rerr := a.db.RetrySummary(ctx, g.ID, slot)
			if rerr != nil {
				return rerr
			}
			log.Warn("summary send failed; will retry on the next sweep", "err", err, "attempts", attempts)
			a.cfg.Metrics.Scheduled("summary", "retry")
			return nil
		default:
			log.Error("summary refused by Discord; giving up", "err", err)
			return a.finishSummary(ctx, g.ID, slot, store.SummaryFailed)
		}
	}
	log.Info("summary posted", "messages", len(msgs))
	return a.finishSummary(ctx, g.ID, slot, store.SummarySent)
}

// footSummary marks each message of a scheduled summary with its run and
// place, for readers and to recognise a part whose send was cut short.
func footSummary(msgs [][]*discordgo.MessageEmbed, langs []Lang, slot time.Time) {
	for i, m := range msgs {
		l := langs[i]
		text := l.T("summary_footer", "When", l.dateTime(slot, dateLong)+" "+slot.Format("MST"))
		if len(msgs) > 1 {
			text += l.T("summary_footer_part", "Part", i+1, "Parts", len(msgs))
		}
		m[len(m)-1].Footer = &discordgo.MessageEmbedFooter{Text: text}
	}
}

// checkpoint empties the database's write-ahead log after a deletion, so
// the deleted member ids do not stay in old log frames. A failure is logged:
// the deletion itself is done, and the next checkpoint removes the frames.
func (a *App) checkpoint(ctx context.Context, after string) {
	if err := a.db.Checkpoint(context.WithoutCancel(ctx)); err != nil {
		a.log.Warn("could not empty the write-ahead log after a deletion", "after", after, "err", err)
	}
}

// PurgeOldRSVPs deletes the RSVPs of rallies that ended more than the
// retention period ago, keeping only their counts.
func (a *App) PurgeOldRSVPs(ctx context.Context, now time.Time) error {
	a.jobs.retention.Lock()
	defer a.jobs.retention.Unlock()
	cutoff := now.AddDate(0, 0, -a.cfg.RetentionDays)
	rsvps, rallies, err := a.db.PurgeRSVPs(ctx, cutoff)
	if err != nil {
		return err
	}
	if rallies > 0 {
		a.log.Info("deleted RSVPs past retention", "rsvps", rsvps, "rallies", rallies, "retention_days", a.cfg.RetentionDays)
		a.checkpoint(ctx, "retention")
	}
	return a.DeleteExpiredEvents(ctx, cutoff)
}

// finishReminder records how a reminder ended, and counts it.
func (a *App) finishReminder(ctx context.Context, o store.ReminderOutcome) error {
	a.cfg.Metrics.Scheduled("reminder", string(o.State))
	return a.db.FinishDue(ctx, o)
}

// finishSummary records how a summary run ended, and counts it; its files
// are not needed any more.
func (a *App) finishSummary(ctx context.Context, guildID string, slot time.Time, state store.SummaryState) error {
	a.cfg.Metrics.Scheduled("summary", string(state))
	if err := a.db.FinishSummary(ctx, guildID, slot, state); err != nil {
		return err
	}
	return a.db.DropSummaryFiles(ctx, guildID, slot)
}

// drainDue handles due work a batch of dueBatch at a time until a batch comes
// back short. Every item handled leaves the due set (sent, failed, dropped
// or backing off), so each batch is new work.
func drainDue[T any](fetch func() ([]T, error), handle func(T) error) error {
	for {
		due, err := fetch()
		if err != nil {
			return err
		}
		for _, d := range due {
			if err := handle(d); err != nil {
				return err
			}
		}
		if len(due) < dueBatch {
			return nil
		}
	}
}
