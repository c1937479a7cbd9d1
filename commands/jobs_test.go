package commands

import (
	"context"
	"log/slog"
	"rallybot/store"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestSummarySlot(t *testing.T) {
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	la, _ := time.LoadLocation("America/Los_Angeles")
	utc := func(s string) time.Time {
		t, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			panic(err)
		}
		return t
	}
	cases := []struct {
		name, spec string
		now        time.Time
		want       time.Time // zero: no run within the grace period
	}{
		{"CronTZAtTheMinute", "CRON_TZ=America/New_York 0 8 * * *", utc("2026-11-24 13:00:00"), utc("2026-11-24 13:00:00")},
		{"CronTZLate", "CRON_TZ=America/New_York 0 8 * * *", utc("2026-11-24 13:59:00"), utc("2026-11-24 13:00:00")},
		{"CronTZPastGrace", "CRON_TZ=America/New_York 0 8 * * *", utc("2026-11-24 14:00:01"), time.Time{}},
		{"CronTZBefore", "CRON_TZ=America/New_York 0 8 * * *", utc("2026-11-24 12:59:59"), time.Time{}},
		{"CronTZSummerTime", "CRON_TZ=America/New_York 0 8 * * *", utc("2026-07-01 12:30:00"), utc("2026-07-01 12:00:00")},
		{"NoTZIsUTCWhateverTheClockZone", "0 8 * * *", utc("2026-11-24 08:10:00").In(la), utc("2026-11-24 08:00:00")},
		{"EveryPeriodStart", "@every 5s", utc("2026-11-24 08:00:07"), utc("2026-11-24 08:00:05")},
		{"EveryLongPeriod", "@every 2h", utc("2026-11-24 09:59:00"), utc("2026-11-24 08:00:00")},
		{"EveryMinuteSpec", "*/10 * * * * *", utc("2026-11-24 08:00:27"), utc("2026-11-24 08:00:20")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sched, err := parser.Parse(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarySlot(sched, c.now); !got.Equal(c.want) {
				t.Errorf("slot at %v = %v, want %v", c.now, got, c.want)
			}
		})
	}
}

// TestSendSummariesLogsDroppedOnce: a summary missed by more than its grace
// period is not posted, and says so in the log once for its slot, not on
// every sweep.
func TestSendSummariesLogsDroppedOnce(t *testing.T) {
	const guild = "200000000000000001"
	var logs strings.Builder
	a := newTestApp(t)
	a.log = slog.New(slog.NewTextHandler(&logs, nil))
	sched, err := cron.ParseStandard("CRON_TZ=UTC 0 8 * * *")
	if err != nil {
		t.Fatal(err)
	}
	a.cfg.SummarySchedule = sched
	ctx := context.Background()
	if err := a.db.SetCoordinators(ctx, store.Guild{ID: guild, CoordinatorChannelID: "300000000000000009"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) // two hours after 08:00
	for _, now := range []time.Time{at, at.Add(time.Minute), at.Add(2 * time.Minute)} {
		if err := a.SendSummaries(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "dropped a summary"); n != 1 {
		t.Fatalf("%d log lines about the dropped summary, want 1; log:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "guild="+guild) || !strings.Contains(logs.String(), "slot=2026-11-24T08:00:00") {
		t.Errorf("the line does not name the guild and the slot: %s", logs.String())
	}
	// The next day's run is missed too: one more line.
	if err := a.SendSummaries(ctx, at.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "dropped a summary"); n != 2 {
		t.Errorf("%d lines after the next day's missed run, want 2", n)
	}
}

// TestRetryBackoff: the wait after each failed attempt of a scheduled send.
func TestRetryBackoff(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
		8 * time.Minute, 16 * time.Minute, 32 * time.Minute, 32 * time.Minute, 32 * time.Minute}
	for attempts, w := range want {
		if got := retryBackoff(attempts); got != w {
			t.Errorf("retryBackoff(%d) = %v, want %v", attempts, got, w)
		}
	}
	for _, attempts := range []int{-1, 1000} {
		if got := retryBackoff(attempts); got < 30*time.Second || got > 32*time.Minute {
			t.Errorf("retryBackoff(%d) = %v, want within 30s..32m", attempts, got)
		}
	}
}
