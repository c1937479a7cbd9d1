package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

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

	tick   chan time.Time
	cancel context.CancelFunc
	done   chan error
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
	fake := discordtest.New(t, discordtest.Config{Token: token})
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
	go func() {
		h.done <- runBot(ctx, cfg, bot.Options{
			Now:         h.clock.Now,
			Logger:      bot.NewLogger(h.logs, cfg.LogLevel, cfg.Token),
			Tick:        h.tick,
			Ready:       func() { close(ready) },
			DeferAfter:  h.deferAfter,
			MaxHandlers: h.maxHandlers,
		})
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

// runBot wires the bot as main does (store → commands, over one session) and
// runs it until ctx ends.
func runBot(ctx context.Context, cfg bot.Config, opts bot.Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := store.Open(ctx, cfg.DatabasePath)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Now = opts.Now
	session, err := bot.NewSession(cfg)
	if err != nil {
		return err
	}
	app := commands.New(db, commands.NewDiscord(session), opts.Logger.With("subsystem", "commands"), opts.Now, cfg.Commands())
	return bot.Run(ctx, cfg, session, app, opts)
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
