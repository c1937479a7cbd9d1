package bot

import (
	"context"
	"log/slog"
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
	reminders := func() {
		b.job("reminders", b.app.SendDueReminders)
		// Also retries a summary whose post failed, within its grace period.
		b.job("summaries", b.app.SendSummaries)
	}
	summaries := func() { b.job("summaries", b.app.SendSummaries) }
	retention := func() { b.job("retention", b.app.PurgeOldRSVPs) }
	if _, err := c.AddFunc(b.cfg.ReminderCron, reminders); err != nil {
		return nil, &ConfigError{"REMINDER_CRON", err.Error()}
	}
	if _, err := c.AddFunc(b.cfg.SummaryCron, summaries); err != nil {
		return nil, &ConfigError{"SUMMARY_CRON", err.Error()}
	}
	if _, err := c.AddFunc(retentionSpec, retention); err != nil {
		return nil, err
	}
	all := func() { reminders(); retention() }
	all()
	c.Start()
	if b.opts.Tick != nil {
		b.inflight.Add(1)
		go func() {
			defer b.inflight.Done()
			for {
				select {
				case <-b.stopping:
					return
				case _, ok := <-b.opts.Tick:
					if !ok || b.isClosing() {
						return
					}
					all()
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

func (b *bot) job(name string, fn func(context.Context, time.Time) error) {
	if err := fn(b.ctx, b.opts.Now()); err != nil {
		b.log.Error("scheduled job failed", "job", name, "err", err)
	}
}

// cronLogger routes robfig/cron's logging into slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, "err", err)...)
}
