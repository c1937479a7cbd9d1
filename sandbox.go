package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/robfig/cron/v3"

	"rallybot/bot"
	"rallybot/commands"
	"rallybot/fakediscord"
	"rallybot/sandbox"
	"rallybot/store"
)

// defaultSandboxAddr is where the sandbox's page is served unless
// SANDBOX_ADDR says otherwise.
const defaultSandboxAddr = "127.0.0.1:8080"

// runSandbox runs the bot, configured as `go run .` configures it, against an
// in-process Discord, with a page to use it from (package sandbox). It reads
// the environment only, never .env, and never opens DATABASE_PATH: the
// embedded Discord accepts DMs to anyone, so on a real bot's database it would
// mark real members' reminders sent, and show their RSVPs on the page.
func runSandbox(ctx context.Context, lookup func(string) string, stderr io.Writer) error {
	started := time.Now()
	clock := sandbox.NewClock(time.Now())
	// The fake checks the rules it knows itself (allowed_mentions, lengths);
	// checking bodies against Discord's OpenAPI schemas is the tests' part
	// (discordtest), and keeps the validator out of the binary.
	fake, err := fakediscord.Start(fakediscord.Config{Token: sandbox.Token})
	if err != nil {
		return err
	}
	defer fake.Close()

	dbPath, cleanup, err := sandboxDatabase(ctx, lookup)
	if err != nil {
		return err
	}
	defer cleanup()
	fixed := map[string]string{
		"DISCORD_TOKEN":    sandbox.Token,
		"DISCORD_API_URL":  fake.URL(),
		"DISCORD_GUILD_ID": sandbox.GuildID,
		"DATABASE_PATH":    dbPath,
	}
	cfg, err := bot.LoadConfig(func(name string) string {
		if v, ok := fixed[name]; ok {
			return v
		}
		return lookup(name)
	}, clock.Now())
	if err != nil {
		return err
	}
	log := bot.NewLogger(stderr, cfg.LogLevel, cfg.Token)
	addr := lookup("SANDBOX_ADDR")
	if addr == "" {
		addr = defaultSandboxAddr
	}
	tick := make(chan time.Time)
	sc := sandbox.Config{
		Addr: addr, Discord: fake, Clock: clock, Tick: tick,
		ReminderOffsets: cfg.ReminderOffsets, SummaryGrace: commands.SummaryGrace, Log: log.With("subsystem", "sandbox"),
		Listening: func(url string) {
			fmt.Fprintf(stderr, "rallybot sandbox: open %s (ready in %v; database %s; Ctrl-C stops)\n",
				url, time.Since(started).Round(time.Millisecond), dbPath)
		},
	}
	// The bot checked the summary schedule already; the page only needs its
	// next time.
	if sched, err := cron.ParseStandard(cfg.SummaryCron); err == nil {
		sc.Summary = sched
	}
	return sandbox.Run(ctx, sc, func(ctx context.Context, ready func()) error {
		// The same wiring as `go run .`, on the sandbox's clock.
		w, err := wire(ctx, cfg, wireOptions{Logger: log, Now: clock.Now})
		if err != nil {
			return err
		}
		defer w.Close()
		return bot.Run(ctx, cfg, w.Session, w.App, bot.Options{Now: w.Now, Tick: tick, Logger: log, Ready: ready, NoInvite: true})
	})
}

// sandboxDatabase is the sandbox's own database file: SANDBOX_DATABASE_PATH,
// or a new file in a temporary directory (removed by cleanup). It is never
// DATABASE_PATH, and a file that holds any server but the sandbox's is
// refused before it is opened for writing.
func sandboxDatabase(ctx context.Context, lookup func(string) string) (path string, cleanup func(), err error) {
	path = lookup("SANDBOX_DATABASE_PATH")
	if path == "" {
		dir, err := os.MkdirTemp("", "rallybot-sandbox-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "rallybot.db"), func() { os.RemoveAll(dir) }, nil
	}
	if real := lookup("DATABASE_PATH"); real != "" && samePath(path, real) {
		return "", nil, &bot.ConfigError{Var: "SANDBOX_DATABASE_PATH", Problem: fmt.Sprintf(
			"%q is DATABASE_PATH, the real bot's database: the sandbox keeps its own; name another file, or leave SANDBOX_DATABASE_PATH empty for a temporary one", path)}
	}
	servers, err := store.ServersIn(ctx, path)
	if err != nil {
		return "", nil, &bot.ConfigError{Var: "SANDBOX_DATABASE_PATH", Problem: fmt.Sprintf(
			"cannot read %q: %v. Name a new file, or leave SANDBOX_DATABASE_PATH empty for a temporary one", path, err)}
	}
	for _, id := range servers {
		if id != sandbox.GuildID {
			return "", nil, &bot.ConfigError{Var: "SANDBOX_DATABASE_PATH", Problem: fmt.Sprintf(
				"%q holds a real server's data (server %s), and was left untouched: the sandbox uses only its own database; name a new file, or leave SANDBOX_DATABASE_PATH empty for a temporary one", path, id)}
		}
	}
	return path, func() {}, nil
}

// samePath reports whether a and b name one file, existing or not.
func samePath(a, b string) bool {
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == ab
}
