package bot_test

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDMReminders sends one reminder by DM to 2,000 members through the
// fake Discord with Discord's rate limits on (5 per 5 s per route and
// channel, 50 requests per second in all), while a member clicks RSVP
// buttons; it reports how long the DMs took, the requests answered 429 and
// the slowest click (BENCHMARKS.md).
//
//	go test ./bot/ -run '^$' -bench DMReminders -benchtime 1x
func BenchmarkDMReminders(b *testing.B) {
	members := 2000
	if n, err := strconv.Atoi(os.Getenv("BENCH_DM_MEMBERS")); err == nil && n > 0 {
		members = n // a quicker run while working on it
	}
	for i := 0; i < b.N; i++ {
		h := newHarness(b, "DISCORD_GUILD_ID", guildID, "LOG_LEVEL", "info")
		h.setupChapter("Seattle", seattleChannel, seattleLead)
		at := start.Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "Citywide march", at)
		other := h.schedRally("Seattle", seattleChannel, "Another rally", at.Add(time.Hour))
		ann := h.actAnnouncement(seattleChannel, other)
		b.ResetTimer()
		began := time.Now()
		h.dmBurst(h.schedDB(), id, at, members)
		slowest := h.clickUntilDMed(members, ann, other, 10*time.Minute)
		took := time.Since(began)
		b.StopTimer()
		if slowest >= 3*time.Second {
			b.Errorf("slowest click answered in %v during the DMs, want under 3s", slowest)
		}
		for m := 0; m < members; m += 97 {
			if n := len(h.fake.DMs(burstMember(m))); n != 1 {
				b.Errorf("member %d got %d DMs, want 1", m, n)
			}
		}
		b.ReportMetric(took.Seconds(), "s-for-all-DMs")
		b.ReportMetric(float64(slowest.Milliseconds()), "ms-slowest-click")
		b.ReportMetric(float64(h.fake.RateLimited()), "429s")
		h.fake.SetRateLimits(nil)
		h.stop()
	}
}
