//go:build linux || darwin

package bot_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/bot"
	"rallybot/discordtest"
)

// BenchmarkClickRoundTrip measures a Going click from the fake's
// INTERACTION_CREATE to the bot's callback, against a baseline measured in the
// same run: a bare discordgo session on its own fake that answers every click
// with an ephemeral "ok" and does nothing else. Clicks come from 64 members at
// once, each on a rally with room; the bot under test writes the RSVP (group
// commit), answers, and refreshes the announcement.
//
//	go test -run '^$' -bench ClickRoundTrip -benchtime 2000x ./bot/
//
// Metrics: ratio (the bot's clicks per second over the baseline's), p50-ms
// and p99-ms (the bot's latencies), base-p99-ms, maxrss-MB (the whole test
// process: both fakes, both bots).
func BenchmarkClickRoundTrip(b *testing.B) {
	const concurrency = 64
	botFake, messageID, customID := clickBot(b)
	baseFake, baseMessage, baseCustom := clickBaseline(b)

	run := func(fake *discordtest.Server, message, custom string, n int) (time.Duration, []time.Duration) {
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		next := make(chan int)
		began := time.Now()
		for w := 0; w < concurrency; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					r, err := fake.Click(ctx, discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(i % 5000)}, message, custom)
					cancel()
					if err != nil {
						b.Error(err)
						continue
					}
					lat[i] = r.Latency
				}
			}()
		}
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		return time.Since(began), lat
	}
	b.ResetTimer()
	botTime, botLat := run(botFake, messageID, customID, b.N)
	b.StopTimer()
	baseTime, baseLat := run(baseFake, baseMessage, baseCustom, b.N)

	pct := func(l []time.Duration, p float64) float64 {
		s := append([]time.Duration(nil), l...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return ms(s[min(len(s)-1, int(float64(len(s))*p))])
	}
	b.ReportMetric(float64(baseTime)/float64(botTime), "ratio")
	b.ReportMetric(pct(botLat, 0.50), "p50-ms")
	b.ReportMetric(pct(botLat, 0.99), "p99-ms")
	b.ReportMetric(pct(baseLat, 0.99), "base-p99-ms")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(maxRSSKiB(&ru)/1024, "maxrss-MB")
	}
}

// clickBot starts the bot against a fake with a Seattle rally (no capacity)
// and returns the fake, the announcement and its Going button.
func clickBot(b *testing.B) (*discordtest.Server, string, string) {
	fake := startupFake(b)
	env := map[string]string{
		"DISCORD_TOKEN": token, "DISCORD_API_URL": fake.URL(), "DISCORD_GUILD_ID": guildID,
		"DATABASE_PATH": filepath.Join(b.TempDir(), "rallybot.db"), "LOG_LEVEL": "error",
	}
	cfg, err := bot.LoadConfig(func(k string) string { return env[k] }, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- runBot(ctx, cfg, bot.Options{Logger: bot.NewLogger(discardWriter{}, cfg.LogLevel), Ready: func() { close(ready) }})
	}()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	cmd := func(path string, opts ...discordtest.Option) *discordtest.Reply {
		r, err := fake.Command(context.Background(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: admin}, path, opts...)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	cmd("chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", seattleChannel))
	seattle, _ := time.LoadLocation("America/Los_Angeles")
	when := time.Now().In(seattle).Add(72 * time.Hour).Format("2006-01-02 15:04")
	r := cmd("rally create", createOpts(discordtest.Str("when", when))...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		b.Fatalf("rally create: %q", r.Text())
	}
	msgs := fake.Messages(seattleChannel)
	return fake, msgs[len(msgs)-1].ID, "rsvp:going:" + m[1]
}

// clickBaseline is a bare discordgo bot that acknowledges every click.
func clickBaseline(b *testing.B) (*discordtest.Server, string, string) {
	fake := startupFake(b)
	origin, err := url.Parse(fake.URL())
	if err != nil {
		b.Fatal(err)
	}
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		b.Fatal(err)
	}
	s.Client = &http.Client{Timeout: 10 * time.Second, Transport: toFake{origin}}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok", Flags: discordgo.MessageFlagsEphemeral,
				AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}})
	})
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	waitFirstHeartbeat(b, s)
	b.Cleanup(func() { s.Close() })
	const custom = "ack"
	m, err := s.ChannelMessageSendComplex(seattleChannel, &discordgo.MessageSend{Content: "baseline",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ack", Style: discordgo.PrimaryButton, CustomID: custom}}}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}})
	if err != nil {
		b.Fatal(err)
	}
	return fake, m.ID, custom
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
