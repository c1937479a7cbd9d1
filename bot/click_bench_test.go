//go:build linux || darwin

package bot_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/bot"
	"rallybot/discordtest"
	"rallybot/fakediscord"
)

// BenchmarkClickRoundTrip measures a Going click from the fake's
// INTERACTION_CREATE to the bot's callback, against a baseline measured in the
// same run: a bare discordgo session on its own fake that answers every click
// with an ephemeral "ok" and does nothing else. The bot under test writes the
// RSVP (group commit), answers, and refreshes the announcement. Each member
// clicks once (b.N ≤ 5,000), so every click is a change.
//
//	go test -run '^$' -bench 'ClickRoundTrip/rate=4000' -benchtime 4000x -count 5 ./bot/
//	go test -run '^$' -bench 'ClickRoundTrip/rate=2000' -benchtime 2000x -count 5 ./bot/
//	go test -run '^$' -bench 'ClickRoundTrip/closed64' -benchtime 2000x -count 5 ./bot/
//
// rate=R offers b.N clicks at R a second, each on time whether or not the
// ones before were answered (a storm, as Discord delivers it); closed64 has
// 64 members click as fast as they are answered.
//
// Metrics: ratio (the baseline's time from the first click to the last
// answer over the bot's), p50-ms and p99-ms (the bot's, from the moment a
// click was offered to its answer), base-p99-ms, maxrss-MB (the whole test
// process: both fakes, both bots; BenchmarkClickMemory measures the bot's).
//
// The ",unchecked" runs give both fakes Discord's routes without checking
// request bodies against Discord's OpenAPI schemas. The fakes run on the
// same two cores as the bots, and that check is Discord's work, on
// Discord's machines. The checked runs check each distinct body once (the
// fake remembers the bodies that passed, and every member's Going reply is
// the same), so the two now differ little; before that, the check of the
// bot's reply, with its menu, made a checked run measure the fake as much
// as the bot. The tests check every body.
func BenchmarkClickRoundTrip(b *testing.B) {
	b.Run("rate=4000", func(b *testing.B) { clickRoundTrip(b, 4000, true) })
	b.Run("rate=2000", func(b *testing.B) { clickRoundTrip(b, 2000, true) })
	b.Run("closed64", func(b *testing.B) { clickRoundTrip(b, 0, true) })
	b.Run("rate=4000,unchecked", func(b *testing.B) { clickRoundTrip(b, 4000, false) })
	b.Run("rate=2000,unchecked", func(b *testing.B) { clickRoundTrip(b, 2000, false) })
}

// clickRoundTrip runs b.N clicks on the bot then on the baselines, offered
// at rate a second (0: by 64 members as fast as they are answered), with
// the fakes checking request bodies against the OpenAPI schemas or not.
func clickRoundTrip(b *testing.B, rate float64, checked bool) {
	clickFakeChecked = checked
	botFake, messageID, customID := clickBot(b)
	baseFake, baseMessage, baseCustom := clickBaseline(b, nil, "")
	// The same no-op bot clicked on a copy of the bot's announcement: every
	// click carries the clicked message, which discordgo decodes before any
	// handler runs, so this baseline pays that decoding as the bot does.
	likeFake, likeMessage, likeCustom := clickBaseline(b, botFake.Message(seattleChannel, messageID), customID)
	lateUnits[botFake], lateUnits[baseFake], lateUnits[likeFake] = "late", "base-late", "like-late"
	b.Cleanup(func() { delete(lateUnits, botFake); delete(lateUnits, baseFake); delete(lateUnits, likeFake) })
	run := func(fake *discordtest.Server, message, custom string, n int) (time.Duration, []time.Duration) {
		if rate > 0 {
			return offerClicks(b, fake, message, custom, n, rate)
		}
		return closedClicks(b, fake, message, custom, n, 64)
	}
	b.ResetTimer()
	botTime, botLat := run(botFake, messageID, customID, b.N)
	b.StopTimer()
	baseTime, baseLat := run(baseFake, baseMessage, baseCustom, b.N)
	likeTime, likeLat := run(likeFake, likeMessage, likeCustom, b.N)

	b.ReportMetric(float64(baseTime)/float64(botTime), "ratio")
	b.ReportMetric(float64(likeTime)/float64(botTime), "ratio-same-msg")
	b.ReportMetric(percentile(botLat, 0.50), "p50-ms")
	b.ReportMetric(percentile(botLat, 0.99), "p99-ms")
	b.ReportMetric(percentile(baseLat, 0.99), "base-p99-ms")
	b.ReportMetric(percentile(likeLat, 0.99), "same-msg-p99-ms")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(maxRSSKiB(&ru)/1024, "maxrss-MB")
	}
}

// lateUnits names the late metric of each fake of a run (benchmarks run
// one at a time).
var lateUnits = map[*discordtest.Server]string{}

func lateUnit(fake *discordtest.Server) string {
	if u, ok := lateUnits[fake]; ok {
		return u
	}
	return "late"
}

// percentile is the p-th latency, in ms.
func percentile(l []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return ms(s[min(len(s)-1, int(float64(len(s))*p))])
}

// offerClicks offers n clicks at rate a second, member i clicking i-th, and
// returns the time from the first offer to the last answer and each
// click's latency from its offer to its answer.
//
// A click answered past Discord's 3 s is counted in late, a metric: on a
// machine too loaded to keep up, the run says so rather than failing.
func offerClicks(b *testing.B, fake *discordtest.Server, message, custom string, n int, rate float64) (time.Duration, []time.Duration) {
	lat := make([]time.Duration, n)
	var late atomic.Int64
	defer func() { b.ReportMetric(float64(late.Load()), lateUnit(fake)) }()
	var wg sync.WaitGroup
	began := time.Now()
	for i := 0; i < n; i++ {
		due := began.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := fake.Click(ctx, discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(i % 5000)}, message, custom)
			lat[i] = time.Since(due)
			if err != nil && strings.Contains(err.Error(), "past the") {
				late.Add(1) // answered past Discord's 3 s: counted, reported as late
			} else if err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	return time.Since(began), lat
}

// closedClicks has concurrency members click, each again once answered.
func closedClicks(b *testing.B, fake *discordtest.Server, message, custom string, n, concurrency int) (time.Duration, []time.Duration) {
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
				offered := time.Now()
				_, err := fake.Click(ctx, discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(i % 5000)}, message, custom)
				cancel()
				if err != nil {
					b.Error(err)
					continue
				}
				lat[i] = time.Since(offered)
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

// clickBot starts the bot against a fake with a Seattle rally (no capacity)
// and returns the fake, the announcement and its Going button.
func clickBot(b *testing.B) (*discordtest.Server, string, string) {
	fake := clickFake(b)
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

// clickBaseline is a bare discordgo bot that acknowledges every click, on
// a message of its own with one button, or (like set) on a copy of like's
// embeds and components, clicked by custom.
func clickBaseline(b *testing.B, like *discordgo.Message, custom string) (*discordtest.Server, string, string) {
	fake := clickFake(b)
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
	send := &discordgo.MessageSend{Content: "baseline",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ack", Style: discordgo.PrimaryButton, CustomID: "ack"}}}},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
	if like == nil {
		custom = "ack"
	} else {
		send.Content, send.Embeds, send.Components = like.Content, like.Embeds, like.Components
	}
	m, err := s.ChannelMessageSendComplex(seattleChannel, send)
	if err != nil {
		b.Fatal(err)
	}
	return fake, m.ID, custom
}

// clickFakeChecked says whether the next click benchmark's fakes check
// request bodies against the OpenAPI schemas (benchmarks run one at a time).
var clickFakeChecked = true

// clickFake is startupFake, with its bodies unchecked when the run says so.
func clickFake(b *testing.B) *discordtest.Server {
	if clickFakeChecked {
		return startupFake(b)
	}
	spec, err := discordtest.Spec()
	if err != nil || spec == nil {
		b.Fatalf("Discord's OpenAPI spec: %v", err)
	}
	fake := discordtest.New(b, discordtest.Config{Token: token, Spec: routesOnly{spec}})
	fake.AddGuild(discordtest.Guild{ID: guildID, Name: "Coalition", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: seattleChannel, Name: "seattle"}, {ID: chicagoChannel, Name: "chicago"}, {ID: coordChannel, Name: "coordinators"}},
		Roles:    []discordtest.Role{{ID: guildID, Name: "@everyone"}, {ID: seattleLead, Name: "Seattle leads"}}})
	return fake
}

// routesOnly is Discord's OpenAPI document for its routes, with no check of
// request bodies.
type routesOnly struct{ fakediscord.Spec }

func (routesOnly) Validate(string, string, []byte) (string, map[string]any, bool) {
	return "", nil, true
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
