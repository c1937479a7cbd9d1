package bot_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"rallybot/discordtest"
	"rallybot/store"
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
		db := h.schedDB()
		ctx := context.Background()
		for m := 0; m < members; m++ {
			if _, err := db.SetRSVP(ctx, guildID, id, fmt.Sprintf("6%017d", m), store.Going); err != nil {
				b.Fatal(err)
			}
		}
		h.fake.SetRateLimits(discordtest.DiscordRateLimits())
		h.clock.Set(at.Add(-24 * time.Hour))
		b.ResetTimer()
		began := time.Now()
		h.tick <- h.clock.Now()
		var slowest time.Duration
		clicker := member(1)
		statuses := []string{"going", "maybe"}
		for n := 0; ; n++ {
			sent, err := db.MemberDMCounts(ctx, id, store.ReminderDM(24*time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			if sent[store.DMSent] == members {
				break
			}
			if time.Since(began) > 10*time.Minute {
				b.Fatalf("after 10 minutes %v of %d DMs", sent, members)
			}
			r, err := h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: clicker},
				ann.ID, fmt.Sprintf("rsvp:%s:%d", statuses[n%2], other))
			if err != nil {
				b.Fatal(err)
			}
			slowest = max(slowest, r.Latency)
			time.Sleep(200 * time.Millisecond)
		}
		took := time.Since(began)
		b.StopTimer()
		if slowest >= 3*time.Second {
			b.Errorf("slowest click answered in %v during the DMs, want under 3s", slowest)
		}
		for m := 0; m < members; m += 97 {
			if n := len(h.fake.DMs(fmt.Sprintf("6%017d", m))); n != 1 {
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
