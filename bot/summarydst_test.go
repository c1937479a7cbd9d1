package bot_test

import (
	"testing"
	"time"
)

// summaryRuns moves the clock from `from` in steps of 30 minutes (at :00:30
// and :30:30) for the given hours, running the jobs at each step, and
// returns the local times (in loc) at which a daily summary was posted.
func summaryRuns(h *harness, loc *time.Location, from time.Time, hours int) []time.Time {
	h.t.Helper()
	var posted []time.Time
	seen := len(h.schedSummaries())
	for at := from; at.Before(from.Add(time.Duration(hours) * time.Hour)); at = at.Add(30 * time.Minute) {
		h.clock.Set(at)
		h.runJobs()
		if n := len(h.schedSummaries()); n != seen {
			for ; seen < n; seen++ {
				posted = append(posted, at.In(loc))
			}
		}
	}
	return posted
}

// TestDailySummaryAcrossDST: the default SUMMARY_CRON posts the summary at
// 08:00 New York time each day, once, on the days the clocks spring forward
// (Mar 14, 2027) and fall back (Nov 7, 2027) and the days around them. A
// summary set for 1:30 AM is posted once on the night 1:30 happens twice,
// not once per 1:30.
func TestDailySummaryAcrossDST(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("DefaultAt8", func(t *testing.T) {
		h := newHarness(t, "DISCORD_GUILD_ID", guildID)
		h.schedSetupCoordinators()
		for _, start := range []time.Time{
			time.Date(2027, 3, 13, 0, 0, 30, 0, ny), // spring forward on the 14th
			time.Date(2027, 11, 6, 0, 0, 30, 0, ny), // fall back on the 7th
		} {
			posted := summaryRuns(h, ny, start, 72)
			if len(posted) != 3 {
				t.Errorf("from %v: %d summaries in 3 days, want 3: %v", start, len(posted), posted)
			}
			for i, at := range posted {
				if y, m, d := at.Date(); at.Hour() != 8 || at.Minute() != 0 || d != start.Day()+i || m != start.Month() || y != start.Year() {
					t.Errorf("summary %d posted at %v, want 08:00 on day %d", i, at, start.Day()+i)
				}
			}
		}
	})
	t.Run("RepeatedHourOnce", func(t *testing.T) {
		h := newHarness(t, "DISCORD_GUILD_ID", guildID, "SUMMARY_CRON", "CRON_TZ=America/New_York 30 1 * * *")
		h.schedSetupCoordinators()
		posted := summaryRuns(h, ny, time.Date(2027, 11, 6, 0, 0, 30, 0, ny), 72)
		if len(posted) != 3 {
			t.Errorf("%d summaries in 3 days, want 3 (one a day): %v", len(posted), posted)
		}
	})
}

// TestDailySummarySpringForwardGap: a summary set for 2:30 AM, a time that
// does not exist the night the clocks spring forward (Mar 14, 2027 in New
// York), is posted when the clocks jump, at 3:00, not skipped for the day.
func TestDailySummarySpringForwardGap(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "SUMMARY_CRON", "CRON_TZ=America/New_York 30 2 * * *")
	h.schedSetupCoordinators()
	posted := summaryRuns(h, ny, time.Date(2027, 3, 13, 0, 0, 30, 0, ny), 72)
	if len(posted) != 3 {
		t.Fatalf("%d summaries in 3 days, want 3 (one a day): %v", len(posted), posted)
	}
	if at := posted[1]; at.Day() != 14 || at.Hour() != 3 || at.Minute() != 0 {
		t.Errorf("the summary of Mar 14 was posted at %v, want 3:00 EDT, when the clocks jump past 2:30", at)
	}
}
