// Package sandbox serves a page where a person can use rallybot without
// Discord: the real bot runs against the fake Discord (package fakediscord)
// with one server, its chapters bound, and members to act as. The page shows
// the channels as Discord would, sends real interactions as the member picked,
// and moves the bot's clock so reminders and summaries come at once.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"rallybot/fakediscord"
)

// Config is what Run needs. Discord, Clock and Tick are shared with the bot:
// the bot reads Clock.Now and runs its scheduled jobs at each time sent on
// Tick.
type Config struct {
	// Addr is where the page is served; it must be a loopback address.
	Addr    string
	Discord *fakediscord.Server
	Clock   *Clock
	Tick    chan<- time.Time
	// ReminderOffsets are the bot's (REMINDER_OFFSETS), for "to the next
	// reminder".
	ReminderOffsets []time.Duration
	// Summary, when set, is the daily summary's schedule, for "to the next
	// summary".
	Summary interface{ Next(time.Time) time.Time }
	// SummaryGrace is how long after its time the bot still posts a summary
	// (commands.SummaryGrace); a clock move further past one skips it.
	SummaryGrace time.Duration
	Log          *slog.Logger
	// Listening is called with the page's URL once it is served.
	Listening func(url string)
}

// Clock is the bot's injected clock: the page moves it forward.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that stands at now until moved.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time; pass it to the bot as its Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Run announces the sandbox server to the fake, starts the bot with
// startBot, binds the chapters as the admin would, and serves the page until
// ctx ends or the bot stops. startBot must block until its ctx ends and call
// ready once the bot is connected with its commands registered.
func Run(ctx context.Context, cfg Config, startBot func(ctx context.Context, ready func()) error) error {
	if err := checkLoopback(cfg.Addr); err != nil {
		return err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SANDBOX_ADDR: %w", err)
	}
	defer ln.Close()

	cfg.Discord.AddGuild(guild())
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	ready := make(chan struct{})
	botDone := make(chan error, 1)
	go func() { botDone <- startBot(botCtx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-botDone:
		if err == nil {
			err = errors.New("it returned without an error")
		}
		return fmt.Errorf("the bot stopped during start-up: %w", err)
	case <-ctx.Done():
		stopBot()
		return <-botDone
	}

	s := newServer(cfg)
	s.host = ln.Addr().String()
	if err := s.bindChapters(ctx); err != nil {
		stopBot()
		<-botDone
		return err
	}
	go s.reportViolations() // until s.done
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if cfg.Listening != nil {
		cfg.Listening("http://" + ln.Addr().String() + "/")
	}

	var runErr error
	botStopped := false
	select {
	case <-ctx.Done():
	case runErr = <-botDone:
		botStopped = true
	case err := <-served:
		runErr = fmt.Errorf("serve the page: %w", err)
	}
	close(s.done) // ends the event streams, which Shutdown would wait for
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	stopBot()
	if !botStopped {
		if err := <-botDone; err != nil && runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// checkLoopback keeps the page on this machine: it sends interactions as any
// member and moves the clock, so nobody else should reach it.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("SANDBOX_ADDR: %q is not host:port, e.g. 127.0.0.1:8080", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("SANDBOX_ADDR: %q is not a loopback address: the sandbox serves only this machine, e.g. 127.0.0.1:8080", addr)
}

// bindChapters runs /chapter setup for each chapter and /setup coordinators,
// as the admin, through the real commands. The bot seeds the chapters when it
// sees the server, which may still be under way when it says it is ready, so
// an unknown chapter is tried again for a moment.
func (s *server) bindChapters(ctx context.Context) error {
	admin := members[0]
	for _, c := range chapters {
		opts := []fakediscord.Option{
			fakediscord.Str("chapter", c.Name),
			fakediscord.ChannelOpt("channel", c.ChannelID),
			fakediscord.RoleOpt("lead_role", c.RoleID),
		}
		var text string
		for try := 0; ; try++ {
			r, err := s.discord.Command(ctx, s.invocation(admin, c.ChannelID), "chapter setup", opts...)
			if err != nil {
				return fmt.Errorf("bind %s: %w", c.Name, err)
			}
			text = r.Text()
			if strings.Contains(text, "<#"+c.ChannelID+">") {
				break
			}
			if try == 40 {
				return fmt.Errorf("bind %s: the bot answered %q", c.Name, text)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	r, err := s.discord.Command(ctx, s.invocation(admin, coordinatorsChannel), "setup coordinators",
		fakediscord.ChannelOpt("channel", coordinatorsChannel), fakediscord.RoleOpt("role", coordinatorRole))
	if err != nil {
		return fmt.Errorf("set up the coordinators' channel: %w", err)
	}
	s.log.Debug("coordinators set up", "reply", r.Text())
	return nil
}

// reportViolations logs each request the real Discord would refuse (the fake
// answers it as Discord would), so someone changing the bot sees it in the
// sandbox too, and the fake does not keep them.
func (s *server) reportViolations() {
	for {
		changed := s.discord.Changed()
		for _, v := range s.discord.TakeViolations() {
			s.log.Warn("Discord would refuse this request", "method", v.Method, "path", v.Path, "reason", v.Reason)
		}
		select {
		case <-changed:
		case <-s.done:
			return
		}
	}
}
