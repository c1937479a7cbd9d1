// Package bot is rallybot's gateway adapter: it connects a discordgo session,
// registers the commands, hands each interaction to commands.App and sends
// its reply, runs the cron schedules, and stops cleanly. What the bot does
// lives in commands; how it is put together lives in main.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/robfig/cron/v3"

	"rallybot/commands"
	"rallybot/discord"
)

// Options are what a caller injects: the clock, the logger and, for tests, a
// tick that runs the scheduled jobs on demand.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Tick, when set, runs every scheduled job at each time it receives, in
	// addition to the cron schedules (which run them at Now).
	Tick <-chan time.Time
	// Ready, when set, is called once the bot is connected and its commands
	// are registered.
	Ready func()
	// DeferAfter overrides how long a handler may work before its
	// interaction is acknowledged as "thinking" (default 2s).
	DeferAfter time.Duration
	// Metrics, when set, count reply latency and gateway reconnects.
	Metrics *commands.Metrics
	// Health, when set, follows the gateway connection for /healthz.
	Health *Health
	// NoInvite keeps the invite link out of the log: the sandbox's Discord
	// is in-process, and a link to the real one would invite a real bot.
	NoInvite bool
	// MaxHandlers bounds the interactions handled at once (default
	// maxHandlers); the others wait for a slot, and one that waits past
	// DeferAfter is acknowledged meanwhile (interactions.go).
	MaxHandlers int
	// MaxAdmitted bounds the interactions read from the gateway and not yet
	// answered (default admittedPerHandler × MaxHandlers); past it the
	// gateway is not read until one is answered (interactions.go, intake).
	MaxAdmitted int
}

// Health is what /healthz reports of the gateway: whether the bot is
// connected now.
type Health struct{ connected atomic.Bool }

// Connected reports whether the gateway connection is up.
func (h *Health) Connected() bool { return h != nil && h.connected.Load() }

func (h *Health) set(up bool) {
	if h != nil {
		h.connected.Store(up)
	}
}

// Permissions the bot needs in chapter and coordinator channels. Read Message
// History lets it find a reminder an interrupted send already posted.
const invitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory | discordgo.PermissionManageEvents

// handlerTimeout bounds one interaction's work; Discord's token lasts 15 minutes.
const handlerTimeout = 5 * time.Minute

// deferAfter is when a slow handler's interaction is acknowledged as
// "thinking". Discord's 3 seconds count from its side and include the
// gateway's delivery and the callback's trip back, so half of them is left
// for those and for a loaded host.
const deferAfter = 1500 * time.Millisecond

type bot struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	session *discordgo.Session
	discord *discord.Client
	app     *commands.App

	ctx    context.Context // lives until in-flight work is done
	cancel context.CancelFunc

	// slots holds a token per interaction being handled, admitted one per
	// interaction read from the gateway and not yet answered: a storm of
	// clicks would otherwise run every handler at once, and hold every
	// click it has not answered in memory (interactions.go).
	slots    chan struct{}
	admitted chan struct{}

	// seen are the interactions read lately: one Discord delivers again
	// (a dispatch replayed after a resume) is not handled twice.
	seen recent

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
	seeded   map[string]bool // guilds given their default chapters, under mu

	stopping chan struct{} // closed when shutdown begins

	// departures are members Discord said left, read and not yet acted
	// on (members.go).
	departures chan departure

	fatal     chan error
	fatalOnce sync.Once
}

// Run connects session (built by NewSession) and serves app's commands and
// schedules until ctx is cancelled or the bot cannot go on (a rejected
// token, a disallowed intent). It then stops taking interactions, finishes
// the ones in flight, flushes app and closes the session. The caller owns
// what app was built on (the database) and closes it after Run returns.
func Run(ctx context.Context, cfg Config, session *discordgo.Session, app *commands.App, opts Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DeferAfter == 0 {
		opts.DeferAfter = deferAfter
	}
	if opts.MaxHandlers <= 0 {
		opts.MaxHandlers = maxHandlers
	}
	if opts.MaxAdmitted <= 0 {
		opts.MaxAdmitted = admittedPerHandler * opts.MaxHandlers
	}
	opts.MaxAdmitted = max(opts.MaxAdmitted, opts.MaxHandlers)
	log := opts.Logger
	started := time.Now()

	b := &bot{cfg: cfg, opts: opts, log: log, session: session, discord: app.Discord(), app: app,
		seeded: map[string]bool{}, fatal: make(chan error, 1), stopping: make(chan struct{}),
		departures: make(chan departure, maxDepartures),
		slots:      make(chan struct{}, opts.MaxHandlers), admitted: make(chan struct{}, opts.MaxAdmitted)}
	b.ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer b.cancel()
	defer app.Close()

	// A token Discord rejects is reported before the gateway's reconnect loop
	// can hide it.
	me, err := b.discord.Me(ctx)
	if err != nil {
		if discord.Unauthorized(err) {
			return &ConfigError{"DISCORD_TOKEN", "Discord rejected the token (401 Unauthorized): copy it again from the Developer Portal (Bot → Reset Token)"}
		}
		return fmt.Errorf("reach Discord at %s (DISCORD_API_URL; check the network or the URL): %w", cfg.APIURL, err)
	}

	// Handlers run in the goroutine that reads the gateway, one event after
	// the other, rather than in a goroutine each: interactions are taken in
	// at the pace they are answered (intake), and the rest is quick or
	// starts its own goroutine. A handler must not wait for another event.
	session.SyncEvents = true
	session.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		switch {
		case g.Unavailable:
		case !app.GuildAllowed(g.ID):
			go b.leave(g.ID)
		default:
			go func() {
				app.GuildBack(b.ctx, g.ID)
				b.seed(b.ctx, g.ID)
			}()
		}
	})
	session.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) {
		// unavailable set is an outage: the server comes back by itself.
		// Absent, the bot was removed (kicked, or the server deleted).
		if g.Guild != nil && !g.Unavailable {
			go app.GuildLeft(b.ctx, g.ID)
		}
	})
	session.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) { b.intake(ic.Interaction) })
	session.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		opts.Health.set(false)
		opts.Metrics.Reconnect()
		go b.onDisconnect()
	})
	session.AddHandler(func(_ *discordgo.Session, _ *discordgo.Ready) { opts.Health.set(true) })
	session.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { opts.Health.set(true) })
	b.watchMembers()

	closer := watchGatewayClose(session)
	if err := session.Open(); err != nil {
		return gatewayError(err, cfg.MemberEvents)
	}
	defer closer.close(session)

	appID := me.ID
	if session.State != nil && session.State.Application != nil && session.State.Application.ID != "" {
		appID = session.State.Application.ID
	}
	// The invite link comes first: a bot not yet in its server needs it to
	// get past the registration below.
	if !opts.NoInvite {
		log.Info("invite the bot with " + inviteURL(appID))
	}
	if err := b.discord.RegisterCommands(ctx, appID, cfg.GuildID, b.app.Definitions()); err != nil {
		if cfg.GuildID != "" && discord.Classify(err) == discord.Gone {
			return &ConfigError{"DISCORD_GUILD_ID", fmt.Sprintf("register commands in server %s: %v. The bot is not in that server (or may not add commands there): invite it with %s and start again, or leave DISCORD_GUILD_ID empty to register commands globally", cfg.GuildID, err, inviteURL(appID))}
		}
		return fmt.Errorf("register commands: %w", err)
	}
	scope := "globally (new commands can take up to an hour to show)"
	if cfg.GuildID != "" {
		scope = "in server " + cfg.GuildID
	}
	log.Info("ready", "user_id", me.ID, "commands", len(b.app.Definitions()), "registered", scope,
		"startup", time.Since(started).Round(time.Millisecond).String())

	sched, err := b.startSchedules()
	if err != nil {
		return err
	}
	if opts.Ready != nil {
		opts.Ready()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-b.fatal:
		log.Error("stopping", "err", runErr)
	}
	b.shutdown(sched)
	return runErr
}

// NewSession builds the discordgo session for cfg: REST calls go to
// cfg.APIURL, the gateway asks for the Guilds intent (and Guild Members with
// MEMBER_EVENTS on), and the state
// cache keeps nothing the bot does not read. It connects nothing yet.
//
// discordgo logs through its package-level discordgo.Logger, which only main
// sets (DiscordLogger), once, so that bots in one process share nothing.
func NewSession(cfg Config) (*discordgo.Session, error) {
	origin, err := url.Parse(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	session, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, err
	}
	// Never session.Debug: it logs the Authorization header.
	session.LogLevel = discordgo.LogWarning
	// One retry policy: discord.Client retries 5xx itself, with a nonce
	// where a repeat could duplicate. discordgo's own 502 retries would resend
	// a follow-up or a message without one. (A 429 is not processed by
	// Discord, so discordgo's wait-and-resend stays.)
	session.MaxRestRetries = 0
	// Paced under Discord's global limit, which no header counts down
	// (discord.Pace); the replies to interactions, which the limit spares,
	// are known by the application's id.
	session.Client = &http.Client{Transport: deadlineTransport{timeout: restTimeout,
		base: discord.Pace(&rewriteTransport{origin: origin, base: restTransport()}, discord.GlobalRequestsPerSecond,
			func() string { return applicationID(session) })}}
	session.Identify.Intents = intents(cfg)
	session.StateEnabled = true
	session.State.TrackChannels = false
	session.State.TrackEmojis = false
	session.State.TrackMembers = false
	session.State.TrackRoles = false
	session.State.TrackVoice = false
	session.State.TrackPresences = false
	session.State.TrackThreads = false
	session.State.TrackThreadMembers = false
	session.State.TrackStickers = false
	session.State.MaxMessageCount = 0
	return session, nil
}

// applicationID is the application's id as the gateway's READY told it; ""
// before.
func applicationID(s *discordgo.Session) string {
	s.State.RLock()
	defer s.State.RUnlock()
	if s.State.Application == nil {
		return ""
	}
	return s.State.Application.ID
}

// Instrument counts the session's REST answers that matter to an operator:
// 429s (rate limited; discordgo waits them out, so only here are they seen)
// and 5xx.
func Instrument(session *discordgo.Session, m *commands.Metrics) {
	if m == nil {
		return
	}
	base := session.Client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	session.Client.Transport = countingTransport{base: base, m: m}
}

type countingTransport struct {
	base http.RoundTripper
	m    *commands.Metrics
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	switch {
	case err != nil:
		t.m.DiscordError("network")
	case resp.StatusCode == http.StatusTooManyRequests:
		t.m.DiscordError("rate_limited")
	case resp.StatusCode >= 500:
		t.m.DiscordError("server_error")
	}
	return resp, err
}

// rewriteTransport sends every https://discord.com request to the configured
// origin, same path, so a REST proxy or a test server can stand in.
type rewriteTransport struct {
	origin *url.URL
	base   http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "discord.com" && (t.origin.Host != "discord.com" || t.origin.Scheme != "https") {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = t.origin.Scheme, t.origin.Host
		req.Host = t.origin.Host
	}
	return t.base.RoundTrip(req)
}

func inviteURL(appID string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", fmt.Sprint(invitePermissions))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}

// gatewayError turns the gateway's fatal close codes into a clear line.
// memberEvents is whether the bot asked for the Guild Members intent.
func gatewayError(err error, memberEvents bool) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case 4004:
			return &ConfigError{"DISCORD_TOKEN", "the gateway rejected the token (close 4004 Authentication failed): copy it again from the Developer Portal"}
		case 4014:
			if memberEvents {
				return &ConfigError{"MEMBER_EVENTS", "Discord refused the Server Members Intent (close 4014 Disallowed intent(s)): turn it on in the Developer Portal (your application → Bot → Privileged Gateway Intents → Server Members Intent), or set MEMBER_EVENTS=off"}
			}
			fallthrough
		case 4013:
			return fmt.Errorf("the gateway refused the bot's intents (close %d): the bot asks only for the Guilds intent; check the application's settings in the Developer Portal", ce.Code)
		}
	}
	return fmt.Errorf("connect to the gateway: %w", err)
}

// onDisconnect checks whether the token still works; if Discord now rejects
// it, reconnecting for ever would only hide that.
func (b *bot) onDisconnect() {
	b.mu.Lock()
	closing := b.closing
	b.mu.Unlock()
	if closing {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := b.discord.Me(ctx); discord.Unauthorized(err) {
		b.stop(&ConfigError{"DISCORD_TOKEN", "Discord no longer accepts the token (401 Unauthorized): it was reset or revoked; set the new one and restart"})
	}
}

func (b *bot) stop(err error) {
	b.fatalOnce.Do(func() { b.fatal <- err })
}

// seed gives a guild its default chapters the first time the bot meets it.
// It runs on GUILD_CREATE and, before the handler, on every interaction:
// discordgo handles GUILD_CREATE in a goroutine of its own, so a member's
// first command can arrive before it has run, and must not find the guild
// without its chapters. The store makes seeding happen once, whoever is first.
func (b *bot) seed(ctx context.Context, guildID string) {
	b.mu.Lock()
	done := b.seeded[guildID]
	b.mu.Unlock()
	if done || guildID == "" || !b.app.GuildAllowed(guildID) {
		return
	}
	if err := b.app.SeedGuild(ctx, guildID); err != nil {
		b.log.Error("could not record guild", "guild", guildID, "err", err)
		return
	}
	b.mu.Lock()
	b.seeded[guildID] = true
	b.mu.Unlock()
}

// leave takes the bot out of a server outside ALLOWED_GUILDS, storing
// nothing for it.
func (b *bot) leave(guildID string) {
	b.log.Warn("leaving a server not in ALLOWED_GUILDS; nothing is stored for it", "guild", guildID)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := b.discord.LeaveGuild(ctx, guildID); err != nil {
		b.log.Error("could not leave a server not in ALLOWED_GUILDS", "guild", guildID, "err", err)
	}
}

// begin registers an in-flight interaction, unless the bot is stopping.
func (b *bot) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.inflight.Add(1)
	return true
}

func (b *bot) shutdown(sched *cron.Cron) {
	b.opts.Health.set(false)
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	close(b.stopping)
	stopped := sched.Stop()
	done := make(chan struct{})
	go func() { b.inflight.Wait(); <-stopped.Done(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.log.Warn("gave up waiting for in-flight work")
	}
	b.cancel()
}
