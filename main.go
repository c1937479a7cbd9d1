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
	"github.com/joho/godotenv"

	"rallybot/bot"
	"rallybot/commands"
	"rallybot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, log, err := load(os.Args[1:], os.LookupEnv, os.Stderr)
	if err == nil {
		// discordgo logs through one package-level hook. It is set here, once
		// for the process, and not in run, so tests that run the program side
		// by side change nothing global.
		discordgo.Logger = bot.DiscordLogger(log.With("subsystem", "discordgo"))
		err = serve(ctx, cfg, log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rallybot:", err)
		os.Exit(1)
	}
}

// run is the whole program as main runs it, for tests: it loads .env (the
// real environment wins, even where it sets a variable to empty), checks the
// configuration and runs the bot until ctx ends.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	cfg, log, err := load(args, lookupEnv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log)
}

// load reads the configuration and builds the logger, which never prints the
// token.
func load(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (bot.Config, *slog.Logger, error) {
	envFile := ".env"
	if len(args) > 0 {
		envFile = args[0]
	}
	dotenv, err := godotenv.Read(envFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return bot.Config{}, nil, fmt.Errorf("%s: %w", envFile, err)
	}
	lookup := func(name string) string {
		if v, ok := lookupEnv(name); ok {
			return v
		}
		return dotenv[name]
	}
	cfg, err := bot.LoadConfig(lookup, time.Now())
	if err != nil {
		return cfg, nil, err
	}
	return cfg, bot.NewLogger(stderr, cfg.LogLevel, cfg.Token), nil
}

// serve wires the program and runs the bot on the gateway until ctx ends.
func serve(ctx context.Context, cfg bot.Config, log *slog.Logger) error {
	w, err := wire(ctx, cfg, wireOptions{Logger: log})
	if err != nil {
		return err
	}
	defer w.Close()
	return bot.Run(ctx, cfg, w.Session, w.App, bot.Options{Logger: log, Now: w.Now})
}

// wireOptions are what a front end injects into the wiring.
type wireOptions struct {
	Logger *slog.Logger
	// Now is the clock of the store, the commands and the jobs (default
	// time.Now): the sandbox moves it to show reminders and summaries.
	Now func() time.Time
	// EditInterval is the least time between two edits of one announcement
	// (default: the commands' own).
	EditInterval time.Duration
}

// wired is the program put together: store → commands, over one discordgo
// session. A front end (the gateway bot; later the sandbox, with an
// in-process Discord at cfg.APIURL) runs it and then closes it.
type wired struct {
	DB      *store.DB
	Session *discordgo.Session
	App     *commands.App
	Now     func() time.Time
}

// wire opens the database and builds the session and the commands. A
// database that cannot be opened is a DATABASE_PATH error; nothing reaches
// the network here.
func wire(ctx context.Context, cfg bot.Config, opts wireOptions) (*wired, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	db, err := store.Open(ctx, cfg.DatabasePath)
	if err != nil {
		return nil, &bot.ConfigError{Var: "DATABASE_PATH", Problem: fmt.Sprintf("cannot open %q: %v. Point DATABASE_PATH at rallybot's SQLite file, or at a new path in a writable directory to start empty", cfg.DatabasePath, err)}
	}
	db.Now = opts.Now
	session, err := bot.NewSession(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	ccfg := cfg.Commands()
	ccfg.EditInterval = opts.EditInterval
	app := commands.New(db, commands.NewDiscord(session), opts.Logger.With("subsystem", "commands"), opts.Now, ccfg)
	return &wired{DB: db, Session: session, App: app, Now: opts.Now}, nil
}

// Close closes the database; bot.Run has already flushed the commands.
func (w *wired) Close() error { return w.DB.Close() }
