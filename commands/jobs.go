package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/robfig/cron/v3"

	"rallybot/store"
)

// summaryGrace is how late a scheduled summary may still go out (after a
// restart, say); an older one is skipped rather than posted hours late.
const summaryGrace = time.Hour

// jobs holds the locks that keep two runs of one job from overlapping (a
// cron tick during a slow run, or the start-up catch-up).
type jobs struct {
	reminders, summaries, retention sync.Mutex

	slotMu   sync.Mutex
	lastSlot time.Time
}

// SendDueReminders posts every reminder that has come due at now, once each.
// The database says what is due; the caller (cron) only says when to look.
func (a *App) SendDueReminders(ctx context.Context, now time.Time) error {
	if !a.jobs.reminders.TryLock() {
		return nil
	}
	defer a.jobs.reminders.Unlock()
	for {
		due, err := a.db.DueReminders(ctx, now, 50)
		if err != nil {
			return err
		}
		for _, d := range due {
			if err := a.sendReminder(ctx, now, d); err != nil {
				return err
			}
		}
		if len(due) < 50 {
			return nil
		}
	}
}

func (a *App) sendReminder(ctx context.Context, now time.Time, d store.DueReminder) error {
	r := d.Rally
	log := a.log.With("rally", r.ID, "offset", d.Offset.String())
	switch {
	case r.Cancelled():
		return a.db.FinishReminder(ctx, r.ID, d.Offset, store.ReminderDropped, "")
	case r.Started(now):
		log.Info("dropped a reminder missed while the bot was down: the rally has begun", "due", d.DueAt)
		return a.db.FinishReminder(ctx, r.ID, d.Offset, store.ReminderDropped, "")
	case r.ChannelID == "":
		log.Warn("reminder has no channel to go to")
		return a.db.FinishReminder(ctx, r.ID, d.Offset, store.ReminderFailed, "")
	}
	nonce, ok, err := a.db.BeginReminder(ctx, r.ID, d.Offset)
	if err != nil || !ok {
		return err
	}
	embed, components := announcement(r)
	embed.Title = truncate("Reminder: "+embed.Title, 256)
	embed.Color = colorReminder
	content := fmt.Sprintf("⏰ **%s** starts %s.", escape(r.Title), timestamp(r.StartsAt, "R"))
	msg, err := a.post(ctx, r.ChannelID, outMessage{Content: content, Embeds: []*discordgo.MessageEmbed{embed}, Components: components}, nonce)
	switch {
	case err == nil:
		log.Info("reminder posted")
		return a.db.FinishReminder(ctx, r.ID, d.Offset, store.ReminderSent, msg.ID)
	case gone(err):
		log.Warn("reminder cannot be posted: channel gone or forbidden", "err", err)
		if err := a.db.FinishReminder(ctx, r.ID, d.Offset, store.ReminderFailed, ""); err != nil {
			return err
		}
		a.tellCoordinatorsOnce(ctx, r.GuildID, "channel:"+r.ChannelID,
			fmt.Sprintf("⚠️ I could not post a reminder for **%s** (%s chapter) in <#%s>: the channel is gone or I lack permission there. Fix the channel's permissions, or bind another with `/chapter setup`.",
				escape(r.Title), escape(r.ChapterName), r.ChannelID))
		return nil
	case errors.Is(err, context.Canceled):
		return err
	default:
		backoff := time.Duration(1<<min(d.Attempts, 6)) * 30 * time.Second
		log.Warn("reminder send failed; will retry", "err", err, "retry_in", backoff)
		return a.db.RetryReminder(ctx, r.ID, d.Offset, now.Add(backoff))
	}
}

// tellCoordinatorsOnce posts a problem to the guild's coordinator channel the
// first time it happens.
func (a *App) tellCoordinatorsOnce(ctx context.Context, guildID, key, text string) {
	g, err := a.db.Guild(ctx, guildID)
	if err != nil || g.CoordinatorChannelID == "" {
		return
	}
	fresh, err := a.db.NoteOnce(ctx, guildID, key)
	if err != nil || !fresh {
		return
	}
	if _, err := a.post(ctx, g.CoordinatorChannelID, outMessage{Content: text}, store.NewNonce()); err != nil {
		a.log.Warn("could not tell the coordinators", "guild", guildID, "err", err)
	}
}

// SummarySlot is the latest time at or before now that the schedule fires.
func (a *App) SummarySlot(now time.Time) time.Time {
	sched := a.cfg.SummarySchedule
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(every.Delay)
	}
	a.jobs.slotMu.Lock()
	defer a.jobs.slotMu.Unlock()
	from := now.Add(-25 * time.Hour)
	if a.jobs.lastSlot.After(from) && !a.jobs.lastSlot.After(now) {
		from = a.jobs.lastSlot.Add(-time.Second)
	}
	var last time.Time
	for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	if !last.IsZero() {
		a.jobs.lastSlot = last
	}
	return last
}

// SendSummaries posts each guild's turnout summary for the schedule's latest
// slot at now, once per guild per slot, even across restarts: the run is
// recorded before posting, and each message carries a nonce.
func (a *App) SendSummaries(ctx context.Context, now time.Time) error {
	if !a.jobs.summaries.TryLock() {
		return nil
	}
	defer a.jobs.summaries.Unlock()
	slot := a.SummarySlot(now)
	if slot.IsZero() || now.Sub(slot) > summaryGrace {
		return nil
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
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (a *App) sendSummary(ctx context.Context, now, slot time.Time, g store.Guild) error {
	log := a.log.With("guild", g.ID, "slot", slot)
	run, ok, err := a.db.BeginSummary(ctx, g.ID, slot)
	if err != nil || !ok {
		return err
	}
	msgs, rallies, err := a.buildSummary(ctx, g.ID, now, defaultSummaryDays)
	if err != nil {
		return err
	}
	for i := run.PartsSent; i < len(msgs); i++ {
		_, err := a.post(ctx, g.CoordinatorChannelID, outMessage{Embeds: msgs[i]}, run.Nonce+"-"+strconv.Itoa(i))
		if err == nil {
			if err := a.db.SummaryPartSent(ctx, g.ID, slot, i+1); err != nil {
				return err
			}
			continue
		}
		if gone(err) {
			log.Warn("summary cannot be posted: coordinator channel gone or forbidden", "err", err)
			return a.db.FinishSummary(ctx, g.ID, slot, "failed", nil)
		}
		attempts, rerr := a.db.RetrySummary(ctx, g.ID, slot)
		if rerr != nil {
			return rerr
		}
		log.Warn("summary send failed; will retry on the next tick", "err", err, "attempts", attempts)
		return nil
	}
	log.Info("summary posted", "messages", len(msgs), "rallies", len(rallies))
	return a.db.FinishSummary(ctx, g.ID, slot, "sent", rallies)
}

// PurgeOldRSVPs deletes the RSVPs of rallies that ended more than the
// retention period ago, keeping only their counts.
func (a *App) PurgeOldRSVPs(ctx context.Context, now time.Time) error {
	if !a.jobs.retention.TryLock() {
		return nil
	}
	defer a.jobs.retention.Unlock()
	cutoff := now.AddDate(0, 0, -a.cfg.RetentionDays)
	rsvps, rallies, err := a.db.PurgeRSVPs(ctx, cutoff)
	if err != nil {
		return err
	}
	if rallies > 0 {
		a.log.Info("deleted RSVPs past retention", "rsvps", rsvps, "rallies", rallies, "retention_days", a.cfg.RetentionDays)
	}
	return nil
}
