package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/commands"
	"rallybot/discord"
	"rallybot/store"
)

// WireOptions are what a front end injects into the wiring.
type WireOptions struct {
	Logger *slog.Logger
	// Now is the clock of the store, the commands and the jobs (default
	// time.Now): the sandbox moves it to show reminders and summaries.
	Now func() time.Time
	// EditInterval is the least time between two edits of one announcement
	// (default: the commands' own).
	EditInterval time.Duration
	// Metrics, when set, count what the bot does for METRICS_ADDR.
	Metrics *commands.Metrics
}

// Wired is the program put together: store → commands, over one discordgo
// session. A front end (the gateway bot; later the sandbox, with an
// in-process Discord at cfg.APIURL) runs it and then closes it.
type Wired struct {
	DB      *store.DB
	Session *discordgo.Session
	App     *commands.App
	Now     func() time.Time
}

// Wire opens the database and builds the session and the commands. A
// database that cannot be opened is a DATABASE_PATH error; nothing reaches
// the network here.
func Wire(ctx context.Context, cfg Config, opts WireOptions) (*Wired, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	db, err := store.OpenWith(ctx, cfg.DatabasePath, store.Options{SyncFull: cfg.SyncFull})
	var newer *store.NewerSchemaError
	switch {
	case errors.As(err, &newer):
		return nil, &ConfigError{Var: "DATABASE_PATH", Problem: fmt.Sprintf("%q was written by a newer version of rallybot (it has migrations %s that this one does not know), and nothing in it was changed: run that newer version, or restore the backup taken before the upgrade", cfg.DatabasePath, strings.Join(newer.Unknown, ", "))}
	case errors.Is(err, store.ErrForeignDatabase):
		return nil, &ConfigError{Var: "DATABASE_PATH", Problem: fmt.Sprintf("%q holds tables rallybot did not create, so it is not rallybot's database and was left untouched: point DATABASE_PATH at rallybot's own file, or at a new path to start empty", cfg.DatabasePath)}
	case err != nil:
		return nil, &ConfigError{Var: "DATABASE_PATH", Problem: fmt.Sprintf("cannot open %q: %v. Point DATABASE_PATH at rallybot's SQLite file, or at a new path in a writable directory to start empty", cfg.DatabasePath, err)}
	}
	db.Now = opts.Now
	session, err := NewSession(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	Instrument(session, opts.Metrics)
	ccfg := cfg.Commands()
	ccfg.EditInterval = opts.EditInterval
	ccfg.Metrics = opts.Metrics
	app := commands.New(db, discord.New(session), opts.Logger.With("subsystem", "commands"), opts.Now, ccfg)
	return &Wired{DB: db, Session: session, App: app, Now: opts.Now}, nil
}

// Close closes the database; Run has already flushed the commands.
func (w *Wired) Close() error { return w.DB.Close() }
