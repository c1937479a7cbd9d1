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
	"rallybot/fakediscord"
	"rallybot/sandbox"
)

// defaultSandboxAddr is where the sandbox's page is served unless
// SANDBOX_ADDR says otherwise.
const defaultSandboxAddr = "127.0.0.1:8080"

// runSandbox runs the bot, configured as `go run .` configures it, against an
// in-process Discord, with a page to use it from (package sandbox). It reads
// the environment only, never .env: a .env is for a real bot, and its
// DATABASE_PATH must not receive the sandbox's made-up server.
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

	dbPath := lookup("DATABASE_PATH")
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "rallybot-sandbox-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "rallybot.db")
	}
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
		ReminderOffsets: cfg.ReminderOffsets, Log: log.With("subsystem", "sandbox"),
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
		return bot.Run(ctx, cfg, w.Session, w.App, bot.Options{Now: w.Now, Tick: tick, Logger: log, Ready: ready})
	})
}
