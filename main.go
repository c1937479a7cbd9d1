// Command rallybot is a Discord bot that coordinates same-day actions across
// city chapters: chapter leads schedule rallies, volunteers RSVP, the bot posts
// reminders, and coordinators get a daily turnout summary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // chapter time zones work on machines without a zone database

	"github.com/bwmarrin/discordgo"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"rallybot/bot"
	"rallybot/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// discordgo logs through one package-level hook. It is set here, once
	// for the process, and not in run, so tests that run the program side by
	// side change nothing global.
	setGlobalLogger := func(log *slog.Logger) {
		discordgo.Logger = bot.DiscordLogger(log.With("subsystem", "discordgo"))
	}
	os.Exit(cli(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, setGlobalLogger))
}

// cli runs the program and turns its outcome into an exit status: 0 when it
// did what was asked (-h included), 2 for a command line it cannot read
// (the line, then the usage, on stderr), 1 for any other error (its one line
// on stderr). What was asked for (the usage, the version, a backup's
// receipt) goes to stdout; logs and errors go to stderr, so
// `rallybot version > file` or a cron job's mail holds just the answer.
func cli(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, onLogger func(*slog.Logger)) int {
	err := runWith(ctx, args, lookupEnv, stdout, stderr, onLogger)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "rallybot:", err)
	var usageErr *commandLineError
	if errors.As(err, &usageErr) {
		fmt.Fprint(stderr, "\n"+usage)
		return 2
	}
	return 1
}

// run is the whole program as main runs it, for tests: it reads the command
// line and the settings (.env, then the real environment, which wins even
// where it sets a variable to empty) and does what was asked: by default,
// runs the bot until ctx ends.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	return runWith(ctx, args, lookupEnv, stdout, stderr, nil)
}

// runWith is run with a hook that sees the logger once it is built.
func runWith(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, onLogger func(*slog.Logger)) error {
	inv, err := parseArgs(args)
	if err != nil {
		return &commandLineError{err}
	}
	switch inv.command {
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, "rallybot", version())
		return nil
	case "sandbox": // try it without Discord: sandbox.go
		return runSandbox(ctx, func(k string) string { v, _ := lookupEnv(k); return v }, stderr)
	}
	lookup, err := environment(inv, lookupEnv)
	if err != nil {
		return err
	}
	if inv.command == "backup" {
		return backup(ctx, inv, lookup, stdout)
	}
	cfg, err := bot.LoadConfig(lookup, time.Now())
	if err != nil {
		return err
	}
	log := bot.NewLogger(stderr, cfg.LogLevel, cfg.Token)
	if cfg.LogJSON {
		log = bot.NewJSONLogger(stderr, cfg.LogLevel, cfg.Token)
	}
	if onLogger != nil {
		onLogger(log)
	}
	log.Info("starting rallybot", "version", version())
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	return serve(ctx, cfg, log)
}

// serve wires the program and runs the bot on the gateway until ctx ends.
func serve(ctx context.Context, cfg bot.Config, log *slog.Logger) error {
	var metrics *commands.Metrics
	var reg *prometheus.Registry
	if cfg.MetricsAddr != "" {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		metrics = commands.NewMetrics(reg)
	}
	w, err := wire(ctx, cfg, wireOptions{Logger: log, Metrics: metrics})
	if err != nil {
		return err
	}
	defer w.Close()
	health := &bot.Health{}
	if cfg.MetricsAddr != "" {
		stop, err := serveOps(cfg.MetricsAddr, reg, health, w.DB, log.With("subsystem", "metrics"))
		if err != nil {
			return err
		}
		defer stop()
	}
	return bot.Run(ctx, cfg, w.Session, w.App, bot.Options{Logger: log, Now: w.Now, Metrics: metrics, Health: health})
}

// wireOptions, wired and wire are the program's wiring (bot.Wire), which
// the bot's end-to-end tests run too.
type (
	wireOptions = bot.WireOptions
	wired       = bot.Wired
)

func wire(ctx context.Context, cfg bot.Config, opts wireOptions) (*wired, error) {
	return bot.Wire(ctx, cfg, opts)
}
