package bot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/robfig/cron/v3"
)

// retentionSpec runs the RSVP clean-up daily, off the hour most jobs use.
const retentionSpec = "CRON_TZ=UTC 17 3 * * *"

// startSchedules starts cron with the three jobs and runs each once now, so
// what came due while the bot was down is handled at start. Cron is only the
// trigger: each job reads what is due from the database.
func (b *bot) startSchedules() (*cron.Cron, error) {
	clog := cronLogger{b.log.With("subsystem", "cron")}
	c := cron.New(
		cron.WithParser(cronParser),
		cron.WithLocation(time.UTC),
		cron.WithLogger(clog),
		cron.WithChain(cron.Recover(clog), cron.SkipIfStillRunning(clog)),
	)
	// Each job runs at the time it is given: cron's runs at the clock's now;
	// a tick's at the tick's time, so a test's second tick (sent to wait for
	// the first run) cannot act at a time the test has moved on to since.
	reminders := func(now time.Time) {
		// First: a high-risk rally's member ids go the minute it ends.
		b.job("privacy", now, b.app.KeepPrivacy)
		b.job("reminders", now, b.app.SendDueReminders)
		b.job("staffing", now, b.app.SendStaffingAlerts)
		// Also retries a summary whose post failed, within its grace period.
		b.job("summaries", now, b.app.SendSummaries)
		// What rallies that ended owe (the report prompt, safe-home DMs)
		// comes last, before the DM run that sends the DMs: the
		// reminders and announcements due at the same time go first.
		b.job("after the action", now, b.app.SendAfterAction)
	}
	summaries := func(now time.Time) { b.job("summaries", now, b.app.SendSummaries) }
	// DMs to members run as their own cron entry, so sending to a big rally
	// never makes cron skip a run of the channel reminders.
	dms := func(now time.Time) {
		b.job("member DMs", now, b.app.SendMemberDMs)
	}
	retention := func(now time.Time) { b.job("retention", now, b.app.PurgeOldRSVPs) }
	atNow := func(fn func(time.Time)) func() { return func() { fn(b.opts.Now()) } }
	if _, err := c.AddFunc(b.cfg.ReminderCron, atNow(reminders)); err != nil {
		return nil, &ConfigError{"REMINDER_CRON", err.Error()}
	}
	if _, err := c.AddFunc(b.cfg.ReminderCron, atNow(dms)); err != nil {
		return nil, &ConfigError{"REMINDER_CRON", err.Error()}
	}
	if _, err := c.AddFunc(b.cfg.SummaryCron, atNow(summaries)); err != nil {
		return nil, &ConfigError{"SUMMARY_CRON", err.Error()}
	}
	if _, err := c.AddFunc(retentionSpec, atNow(retention)); err != nil {
		return nil, err
	}
	all := func(now time.Time) { reminders(now); dms(now); retention(now) }
	all(b.opts.Now())
	c.Start()
	if b.opts.Tick != nil {
		b.inflight.Add(1)
		go func() {
			defer b.inflight.Done()
			for {
				select {
				case <-b.stopping:
					return
				case t, ok := <-b.opts.Tick:
					if !ok || b.isClosing() {
						return
					}
					all(t)
				}
			}
		}()
	}
	return c, nil
}

func (b *bot) isClosing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closing
}

// job runs one scheduled job. Cron's runs are also guarded by cron.Recover;
// this guards the start-up and tick runs, which cron does not wrap.
func (b *bot) job(name string, now time.Time, fn func(context.Context, time.Time) error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("scheduled job panicked", "job", name, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	if err := fn(b.ctx, now); err != nil {
		b.log.Error("scheduled job failed", "job", name, "err", err)
	}
}

// cronLogger routes robfig/cron's logging into slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, "err", err)...)
}
