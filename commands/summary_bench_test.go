package commands

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

const benchGuild = "200000000000000001"

// summaryApp is a guild with 1,000 rallies over the next week spread over its
// seven chapters, perRally RSVPs on each, and a posted summary whose counts
// are the baseline of every rally.
func summaryApp(b *testing.B, perRally int) (*App, time.Time) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "rallybot.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	if _, err := db.SeedGuild(ctx, benchGuild); err != nil {
		b.Fatal(err)
	}
	chapters, err := db.Chapters(ctx, benchGuild)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		c := chapters[i%len(chapters)]
		if _, err := db.CreateRally(ctx, store.NewRally{GuildID: benchGuild, ChapterID: c.ID, Title: "Rally for fair wages",
			Location: "City Hall", StartsAt: now.Add(time.Duration(1+i%160) * time.Hour), Duration: 2 * time.Hour,
			TimeZone: c.TimeZone}, nil); err != nil {
			b.Fatal(err)
		}
	}
	// The RSVP rows and the last summary go in with plain SQL: the clicks
	// themselves are not what this measures.
	raw, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
		 INSERT INTO rsvps (rally_id, user_id, status, seq, updated_at)
		 SELECT r.id, 'u' || n.i, CASE WHEN n.i % 4 = 0 THEN 'maybe' ELSE 'going' END, n.i, 0 FROM rallies r, n`,
		`UPDATE rallies SET rsvp_seq = ?1,
			going_count = (SELECT COUNT(*) FROM rsvps WHERE rally_id = rallies.id AND status = 'going'),
			maybe_count = (SELECT COUNT(*) FROM rsvps WHERE rally_id = rallies.id AND status = 'maybe')`,
		`INSERT INTO summary_counts (rally_id, going, maybe, waitlist, at) SELECT id, going_count - 3, maybe_count, 0, 0 FROM rallies`,
		`INSERT INTO summary_runs (guild_id, scheduled_for, state, updated_at) VALUES ('` + benchGuild + `', 1700000000, 'sent', 0)`,
	} {
		if _, err := raw.Exec(q, perRally); err != nil {
			b.Fatal(err)
		}
	}
	s, _ := discordgo.New("Bot test")
	a := New(db, discord.New(s), slog.New(slog.NewTextHandler(io.Discard, nil)), db.Now, Config{})
	b.Cleanup(a.Close)
	return a, now
}

// BenchmarkSummary builds the daily summary of 1,000 rallies with 100k and
// with 200k RSVPs, interleaved in one run. Targets: under 10 ms at 100k
// ("ms-100k"), and at 200k no more than 1.2 times that ("ratio-200k").
func BenchmarkSummary(b *testing.B) {
	small, now := summaryApp(b, 100)
	large, _ := summaryApp(b, 200)
	var t100, t200 time.Duration
	build := func(a *App) time.Duration {
		start := time.Now()
		s, err := a.buildSummary(context.Background(), English, benchGuild, now, defaultSummaryDays)
		if err != nil || len(s.msgs) == 0 {
			b.Fatalf("summary: %d messages, %v", len(s.msgs), err)
		}
		return time.Since(start)
	}
	build(small) // warm both, as a running bot is
	build(large)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t100 += build(small)
		t200 += build(large)
	}
	b.ReportMetric(float64(t100.Microseconds())/1000/float64(b.N), "ms-100k")
	b.ReportMetric(float64(t200.Microseconds())/1000/float64(b.N), "ms-200k")
	b.ReportMetric(float64(t200)/float64(t100), "ratio-200k")
}

// BenchmarkSummaryChart builds the same summary (1,000 rallies, 100k RSVPs)
// with and without its chart, interleaved, and draws the chart alone.
// Target: the summary with its chart under 10 ms plus the chart's own time
// ("ms-with-chart" − "ms-chart" < 10), the PNG under 100 KB ("png-kb").
func BenchmarkSummaryChart(b *testing.B) {
	a, now := summaryApp(b, 100)
	ctx := context.Background()
	chapters, err := a.db.Chapters(ctx, benchGuild)
	if err != nil {
		b.Fatal(err)
	}
	upcoming, err := a.db.UpcomingRallies(ctx, now, store.RallyFilter{GuildID: benchGuild})
	if err != nil {
		b.Fatal(err)
	}
	build := func(chart bool) (time.Duration, int) {
		a.cfg.SummaryChart = chart
		start := time.Now()
		s, err := a.buildSummary(ctx, English, benchGuild, now, defaultSummaryDays)
		if err != nil || len(s.msgs) == 0 || chart != (len(s.files[0]) == 1) {
			b.Fatalf("summary: %d messages, %d files, %v", len(s.msgs), len(s.files[0]), err)
		}
		size := 0
		if chart {
			size = len(s.files[0][0].Data)
		}
		return time.Since(start), size
	}
	build(false) // warm, fonts parsed, as a running bot is
	build(true)
	var without, with, chart time.Duration
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := build(false)
		without += d
		d, size = build(true)
		with += d
		start := time.Now()
		if _, err := a.summaryChartOf(English, defaultSummaryDays, chapters, upcoming); err != nil {
			b.Fatal(err)
		}
		chart += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(without.Microseconds())/1000/n, "ms-no-chart")
	b.ReportMetric(float64(with.Microseconds())/1000/n, "ms-with-chart")
	b.ReportMetric(float64(chart.Microseconds())/1000/n, "ms-chart")
	b.ReportMetric(float64(size)/1024, "png-kb")
}
