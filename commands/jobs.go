package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// jobs holds the locks that keep two runs of one job from overlapping (a cron
// tick during a slow run, the start-up catch-up, a test's tick). A second run
// waits for the first, then finds nothing left to do: what is done is in the
// database.
type jobs struct {
	reminders, summaries, retention, staffing sync.Mutex
	// posts guards the drain of the channel posts owed (outbox.go), which
	// the sweep and the drainer share.
	posts sync.Mutex
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

// SendDueReminders is the sweep: it sends every post owed to a channel
// that has come due at now (reminders, announcements, notices, alerts,
// notes, summaries), once each, re-renders announcements a crash left
// stale, and brings scheduled events in line. The database says what is
// due; the caller (cron) only says when to look.
//
// Exactly once: a post's nonce is fixed when it is owed and reused by every
// attempt, and the send carries enforce_nonce, so a send that reached
// Discord but was never recorded as sent (a crash, a lost response, a 5xx
// after all) is dropped by Discord within its nonce window; an attempt
// resumed later first looks for the message in the channel. A post begun by
// a process that died is resumed at once: nothing of it is in flight.
func (a *App) SendDueReminders(ctx context.Context, now time.Time) error {
	a.jobs.reminders.Lock()
	defer a.jobs.reminders.Unlock()
	if err := a.ResumeRefreshes(ctx); err != nil {
		return err
	}
	// A private place due to be told is owed before the reminders: a
	// reminder DM to a member going names it once it is.
	if _, err := a.db.QueueReveals(ctx, now, a.cfg.LocationReveal); err != nil {
		return err
	}
	return a.drainPosts(ctx, now)
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
	fitDetails(embeds, r)
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
	return latestFiring(sched, now.Add(-summaryGrace-time.Second), now)
}

// latestFiring is the scheduled time of the schedule's latest firing after
// from and at or before now (zero if none): a firing the clocks skipped
// counts at the jump, and a repeated one as its first (skippedFiring,
// firstOfRepeated).
func latestFiring(sched cron.Schedule, from, now time.Time) time.Time {
	var last time.Time
	t := sched.Next(from)
	for n := 0; !t.IsZero() && !t.After(now) && n < 100000; n++ {
		last, t = t, sched.Next(t)
	}
	if t := skippedFiring(sched, from, now); t.After(last) {
		last = t
	}
	return firstOfRepeated(sched, last)
}

// skippedFiring is the instant the clocks spring forward, if that happens
// after from and at or before to and the schedule was set for a wall clock
// the jump skips (2:30): cron never fires such a time that day, and the
// day's run is taken to be due when the clocks jump, as classic cron does.
// Zero otherwise.
func skippedFiring(sched cron.Schedule, from, to time.Time) time.Time {
	s, ok := sched.(*cron.SpecSchedule)
	loc := summaryZone(sched)
	if !ok || loc == time.UTC {
		return time.Time{}
	}
	for at := from; ; {
		_, change := at.In(loc).ZoneBounds()
		if change.IsZero() || change.After(to) {
			return time.Time{}
		}
		_, before := change.Add(-time.Second).In(loc).Zone()
		_, after := change.In(loc).Zone()
		if after > before {
			// The schedule read with the offset before the jump, whose
			// wall clock runs on through the skipped span.
			old := *s
			old.Location = time.FixedZone("", before)
			if n := old.Next(change.Add(-time.Second)); !n.IsZero() && n.Sub(change) < time.Duration(after-before)*time.Second {
				return change
			}
		}
		at = change
	}
}

// firstOfRepeated is the scheduled time t stands for. On the night the
// clocks fall back, cron fires a spec set in the repeated hour (1:30) at
// both of its instants; the second shows the wall clock the first did, so
// it is the same scheduled time, and a daily summary is posted once.
func firstOfRepeated(sched cron.Schedule, t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	local := t.In(summaryZone(sched))
	begun, _ := local.ZoneBounds()
	if begun.IsZero() {
		return t
	}
	_, before := begun.Add(-time.Second).Zone()
	_, offset := local.Zone()
	shift := time.Duration(before-offset) * time.Second
	if shift <= 0 || local.Sub(begun) >= shift {
		return t
	}
	if earlier := t.Add(-shift); sched.Next(earlier.Add(-time.Second)).Equal(earlier) {
		return earlier
	}
	return t
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
	return latestFiring(sched, now.Add(-7*24*time.Hour), now)
}

func isEvery(s cron.Schedule) bool { _, ok := s.(cron.ConstantDelaySchedule); return ok }

func (a *App) sendSummary(ctx context.Context, now, slot time.Time, g store.Guild) error {
	if owed, err := a.db.SummaryOwed(ctx, g.ID, slot); err != nil || owed {
		return err
	}
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
	parts := make([]string, len(all))
	for i, m := range all {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		parts[i] = string(b)
	}
	// The files first: a part owed is sent with the files stored before it.
	if err := a.db.SaveSummaryFiles(ctx, g.ID, slot, files); err != nil {
		return err
	}
	// Owed with the run, once; posted, in order, as every post is.
	if _, err := a.db.OweSummary(ctx, g.ID, slot, parts, baseline); err != nil {
		return err
	}
	return a.drainPosts(ctx, now)
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
	p, err := a.db.Retention(ctx, cutoff)
	if err != nil {
		return err
	}
	if p.Rallies > 0 {
		a.log.Info("deleted RSVPs past retention", "rsvps", p.RSVPs, "rallies", p.Rallies, "retention_days", a.cfg.RetentionDays)
	}
	if p.Deleted() {
		// Idle members' preferences go without any rally: the log is
		// emptied of them too.
		a.checkpoint(ctx, "retention")
	}
	return a.DeleteExpiredEvents(ctx, cutoff)
}
