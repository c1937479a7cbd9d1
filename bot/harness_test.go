package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"

	"rallybot/bot"
	"rallybot/commands"
	"rallybot/discordtest"
	"rallybot/store"
)

const (
	token   = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.s3cret-t0ken-value"
	guildID = "200000000000000001"
	otherID = "200000000000000002" // a second guild, for isolation tests

	seattleChannel = "300000000000000001"
	chicagoChannel = "300000000000000002"
	coordChannel   = "300000000000000009"
	otherChannel   = "300000000000000099"
	seattleLead    = "400000000000000001"
	chicagoLead    = "400000000000000002"
	coordRole      = "400000000000000009"
)

// Members as Discord describes them in an interaction.
var (
	admin     = discordtest.Member{UserID: "500000000000000001", Permissions: discordgo.PermissionManageGuild | discordgo.PermissionViewChannel}
	lead      = discordtest.Member{UserID: "500000000000000002", Roles: []string{seattleLead}, Permissions: discordgo.PermissionViewChannel}
	chiLead   = discordtest.Member{UserID: "500000000000000003", Roles: []string{chicagoLead}, Permissions: discordgo.PermissionViewChannel}
	coord     = discordtest.Member{UserID: "500000000000000004", Roles: []string{coordRole}, Permissions: discordgo.PermissionViewChannel}
	volunteer = discordtest.Member{UserID: "500000000000000010", Permissions: discordgo.PermissionViewChannel}
)

func member(n int) discordtest.Member {
	return discordtest.Member{UserID: fmt.Sprintf("5000000000000%05d", 100+n), Permissions: discordgo.PermissionViewChannel}
}

// clock is the injected time source; tests move it, the bot reads it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// syncBuffer collects everything the bot logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// harness runs the real bot (bot.Run, as main does) against the fake Discord,
// with a real SQLite file and an injected clock.
type harness struct {
	t      testing.TB
	fake   *discordtest.Server
	clock  *clock
	dbPath string
	env    map[string]string
	logs   *syncBuffer

	deferAfter  time.Duration // bot.Options.DeferAfter; 0 for the default
	maxHandlers int           // bot.Options.MaxHandlers; 0 for the default
	maxAdmitted int           // bot.Options.MaxAdmitted; 0 for the default

	tick   chan time.Time
	cancel context.CancelFunc
	done   chan error

	botDB   atomic.Pointer[store.DB]            // the running bot's own store
	session atomic.Pointer[discordgo.Session]   // the running bot's session
	metrics atomic.Pointer[prometheus.Registry] // what the running bot counts
}

// start is 2026-11-23 12:00 in Seattle.
var start = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, env ...string) *harness {
	t.Helper()
	return newHarnessWith(t, nil, env...)
}

// newHarnessWith is newHarness with a change to the harness before the bot starts.
func newHarnessWith(t testing.TB, change func(*harness), env ...string) *harness {
	t.Helper()
	return newHarnessOn(t, discordtest.Config{Token: token}, change, env...)
}

// newHarnessOn is newHarnessWith on a fake Discord configured as fakeCfg.
func newHarnessOn(t testing.TB, fakeCfg discordtest.Config, change func(*harness), env ...string) *harness {
	t.Helper()
	fake := discordtest.New(t, fakeCfg)
	fake.AddGuild(discordtest.Guild{ID: guildID, Name: "Coalition", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{
			{ID: seattleChannel, Name: "seattle"}, {ID: chicagoChannel, Name: "chicago"}, {ID: coordChannel, Name: "coordinators"},
		},
		Roles: []discordtest.Role{
			{ID: guildID, Name: "@everyone"}, {ID: seattleLead, Name: "Seattle leads"}, {ID: chicagoLead, Name: "Chicago leads"}, {ID: coordRole, Name: "Coordinators"},
		}})
	fake.AddGuild(discordtest.Guild{ID: otherID, Name: "Other", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: otherChannel, Name: "general"}},
		Roles:    []discordtest.Role{{ID: otherID, Name: "@everyone"}}})
	h := &harness{
		t: t, fake: fake, clock: &clock{now: start}, logs: &syncBuffer{},
		dbPath: filepath.Join(t.TempDir(), "rallybot.db"),
		env: map[string]string{
			"DISCORD_TOKEN":   token,
			"DISCORD_API_URL": fake.URL(),
			"LOG_LEVEL":       "debug",
			// Both test servers: DISCORD_GUILD_ID alone would make the bot
			// leave the second, which the isolation tests need.
			"ALLOWED_GUILDS": guildID + "," + otherID,
		},
	}
	h.env["DATABASE_PATH"] = h.dbPath
	for i := 0; i+1 < len(env); i += 2 {
		h.env[env[i]] = env[i+1]
	}
	if change != nil {
		change(h)
	}
	h.start()
	t.Cleanup(func() {
		h.stop()
		if strings.Contains(h.logs.String(), token) || strings.Contains(h.logs.String(), "s3cret") {
			t.Errorf("the token appears in the bot's log")
		}
		if t.Failed() {
			t.Logf("bot log:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	cfg, err := bot.LoadConfig(func(k string) string { return h.env[k] }, h.clock.Now())
	if err != nil {
		h.t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	h.tick, h.cancel, h.done = make(chan time.Time), cancel, make(chan error, 1)
	reg := prometheus.NewRegistry()
	h.metrics.Store(reg)
	go func() {
		h.done <- runBot(ctx, cfg, bot.Options{
			Now:         h.clock.Now,
			Logger:      bot.NewLogger(h.logs, cfg.LogLevel, cfg.Token),
			Tick:        h.tick,
			Ready:       func() { close(ready) },
			DeferAfter:  h.deferAfter,
			MaxHandlers: h.maxHandlers,
			MaxAdmitted: h.maxAdmitted,
			Metrics:     commands.NewMetrics(reg),
		}, func(w *bot.Wired) { h.botDB.Store(w.DB); h.session.Store(w.Session) })
	}()
	select {
	case <-ready:
	case err := <-h.done:
		h.t.Fatalf("bot stopped during start-up: %v", err)
	case <-time.After(15 * time.Second):
		h.t.Fatal("bot not ready after 15s")
	}
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(40 * time.Second):
		h.t.Error("bot did not stop within 40s")
	}
	h.cancel = nil
}

func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// runJobs runs the scheduled jobs once at the clock's time and waits for them
// to finish (the tick loop takes the second value only after the first run).
func (h *harness) runJobs() {
	h.t.Helper()
	for i := 0; i < 2; i++ {
		select {
		case h.tick <- h.clock.Now():
		case <-time.After(30 * time.Second):
			h.t.Fatal("scheduled jobs did not run within 30s")
		}
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// cmd runs a slash command as m in channel ch and returns the reply.
func (h *harness) cmd(m discordtest.Member, ch, path string, opts ...discordtest.Option) *discordtest.Reply {
	h.t.Helper()
	gid := guildID
	if ch == otherChannel {
		gid = otherID
	}
	r, err := h.fake.Command(h.ctx(), discordtest.Invocation{GuildID: gid, ChannelID: ch, Member: m}, path, opts...)
	if err != nil {
		h.t.Fatalf("/%s: %v", path, err)
	}
	if r.Latency > 3*time.Second {
		h.t.Errorf("/%s answered after %v, past Discord's 3s deadline", path, r.Latency)
	}
	return r
}

func (h *harness) click(m discordtest.Member, ch, messageID, customID string) *discordtest.Reply {
	h.t.Helper()
	gid := guildID
	if ch == otherChannel {
		gid = otherID
	}
	r, err := h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: gid, ChannelID: ch, Member: m}, messageID, customID)
	if err != nil {
		h.t.Fatalf("click %s: %v", customID, err)
	}
	return r
}

// setupChapter binds a chapter to a channel and lead role, as an admin.
func (h *harness) setupChapter(name, channel, role string) {
	h.t.Helper()
	r := h.cmd(admin, channel, "chapter setup", discordtest.Str("chapter", name),
		discordtest.ChannelOpt("channel", channel), discordtest.RoleOpt("lead_role", role))
	if !strings.Contains(r.Text(), "<#"+channel+">") {
		h.t.Fatalf("setup %s: %q", name, r.Text())
	}
}

// mustContain fails unless the reply is ephemeral (when want) and contains each part.
func mustContain(t testing.TB, r *discordtest.Reply, ephemeral bool, parts ...string) {
	t.Helper()
	if r.Ephemeral != ephemeral {
		t.Errorf("ephemeral = %v, want %v: %q", r.Ephemeral, ephemeral, r.Text())
	}
	for _, p := range parts {
		if !strings.Contains(r.Text(), p) {
			t.Errorf("reply %q does not contain %q", r.Text(), p)
		}
	}
}

// runBot runs the bot as main's serve does, until ctx ends: bot.Wire (the
// store as SQLITE_SYNCHRONOUS says, the session, the commands), with
// metrics counted into a registry of its own unless opts has some, then
// bot.Run.
// wired, if given, is shown what Wire built before the bot runs.
func runBot(ctx context.Context, cfg bot.Config, opts bot.Options, wired ...func(*bot.Wired)) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = commands.NewMetrics(prometheus.NewRegistry())
	}
	if opts.Health == nil {
		opts.Health = &bot.Health{}
	}
	w, err := bot.Wire(ctx, cfg, bot.WireOptions{Logger: opts.Logger, Now: opts.Now, Metrics: opts.Metrics})
	if err != nil {
		return err
	}
	defer w.Close()
	for _, f := range wired {
		f(w)
	}
	return bot.Run(ctx, cfg, w.Session, w.App, opts)
}

// messageText is a message's visible text: content, embeds and footers.
func messageText(m *discordgo.Message) string {
	var b strings.Builder
	b.WriteString(m.Content + "\n")
	for _, e := range m.Embeds {
		b.WriteString(e.Title + "\n" + e.Description + "\n")
		for _, f := range e.Fields {
			b.WriteString(f.Name + "\n" + f.Value + "\n")
		}
		if e.Footer != nil {
			b.WriteString(e.Footer.Text + "\n")
		}
	}
	return b.String()
}

// eventually retries cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not true within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// burstMember is the n-th of the made-up members of a DM burst.
func burstMember(n int) string { return fmt.Sprintf("6%017d", n) }

// dmBurst puts members made-up members going to the rally straight in the
// store (quicker than as many clicks), turns Discord's rate limits on, moves
// the clock to the rally's 24-hour reminder and sends the tick that DMs it
// to each of them.
func (h *harness) dmBurst(db *store.DB, rallyID int64, at time.Time, members int) {
	h.t.Helper()
	for m := 0; m < members; m++ {
		if _, err := db.SetRSVP(context.Background(), guildID, rallyID, burstMember(m), store.Going); err != nil {
			h.t.Fatal(err)
		}
	}
	h.fake.SetRateLimits(discordtest.DiscordRateLimits())
	h.clock.Set(at.Add(-24 * time.Hour))
	h.tick <- h.clock.Now()
}

// clickUntilDMed presses Going and Maybe in turn on another rally's
// announcement, at a member's pace, until each of the burst's members has a
// DM; it fails past within, and returns the slowest answer to a click.
func (h *harness) clickUntilDMed(members int, ann *discordgo.Message, otherID int64, within time.Duration) (slowest time.Duration) {
	h.t.Helper()
	began := time.Now()
	statuses := []string{"going", "maybe"}
	for n := 0; ; n++ {
		dmed := 0
		for m := 0; m < members; m++ {
			if len(h.fake.DMs(burstMember(m))) > 0 {
				dmed++
			}
		}
		if dmed == members {
			return slowest
		}
		if time.Since(began) > within {
			h.t.Fatalf("after %v, %d of %d members DMed", within, dmed, members)
		}
		r := h.click(member(1), seattleChannel, ann.ID, fmt.Sprintf("rsvp:%s:%d", statuses[n%2], otherID))
		slowest = max(slowest, r.Latency)
		time.Sleep(200 * time.Millisecond) // a member's pace of clicking, not a schedule
	}
}

// rallyCreate runs /rally create as m in channel ch with exactly opts and
// returns the new rally's id (of the first, for a series) and the reply; it
// fails the test when the reply names no rally. Every helper that creates
// a rally comes here.
func (h *harness) rallyCreate(m discordtest.Member, ch string, opts ...discordtest.Option) (int64, *discordtest.Reply) {
	h.t.Helper()
	r := h.cmd(m, ch, "rally create", opts...)
	match := rallyIDPattern.FindStringSubmatch(r.Text())
	if match == nil {
		h.t.Fatalf("rally create: %q", r.Text())
	}
	id, err := strconv.ParseInt(match[1], 10, 64)
	if err != nil {
		h.t.Fatal(err)
	}
	return id, r
}

// rallyAnnounced is rallyCreate as the Seattle lead in the Seattle channel,
// checking that the one new message there is its announcement.
func (h *harness) rallyAnnounced(opts ...discordtest.Option) (string, *discordgo.Message) {
	h.t.Helper()
	before := len(h.fake.Messages(seattleChannel))
	id, _ := h.rallyCreate(lead, seattleChannel, opts...)
	msgs := h.fake.Messages(seattleChannel)
	if len(msgs) != before+1 {
		h.t.Fatalf("%d messages in the channel after create, want %d", len(msgs), before+1)
	}
	return strconv.FormatInt(id, 10), msgs[len(msgs)-1]
}

// filter keeps the messages for which every test in keep holds; every
// helper that picks the bot's posts of one kind out of a channel or DMs
// comes here.
func filter(msgs []*discordgo.Message, keep ...func(*discordgo.Message) bool) []*discordgo.Message {
	var out []*discordgo.Message
next:
	for _, m := range msgs {
		for _, k := range keep {
			if !k(m) {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// contentHas: the message's content has every part.
func contentHas(parts ...string) func(*discordgo.Message) bool {
	return func(m *discordgo.Message) bool {
		for _, p := range parts {
			if !strings.Contains(m.Content, p) {
				return false
			}
		}
		return true
	}
}

// textHas: the message's visible text (messageText) has every part.
func textHas(parts ...string) func(*discordgo.Message) bool {
	return func(m *discordgo.Message) bool {
		text := messageText(m)
		for _, p := range parts {
			if !strings.Contains(text, p) {
				return false
			}
		}
		return true
	}
}

// embedWith: one of the message's embeds has a title starting with
// titlePrefix and a footer starting with footerPrefix.
func embedWith(titlePrefix, footerPrefix string) func(*discordgo.Message) bool {
	return func(m *discordgo.Message) bool {
		for _, e := range m.Embeds {
			if strings.HasPrefix(e.Title, titlePrefix) && e.Footer != nil && strings.HasPrefix(e.Footer.Text, footerPrefix) {
				return true
			}
		}
		return false
	}
}
