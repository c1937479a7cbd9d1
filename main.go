// Command rallybot is a Discord bot that coordinates same-day actions across
// city chapters: chapter leads schedule rallies, volunteers RSVP, the bot posts
// reminders, and coordinators get a daily turnout summary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // chapter time zones work on machines without a zone database

	"rallybot/bot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rallybot:", err)
		os.Exit(1)
	}
}

// run reads the command line and the settings (.env then the environment,
// which wins even where it sets a variable to empty) and does what was asked:
// by default, runs the bot until ctx ends.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	inv, err := parseArgs(args)
	if err != nil {
		return err
	}
	switch inv.command {
	case "help":
		fmt.Fprint(stderr, usage)
		return nil
	case "version":
		fmt.Fprintln(stderr, "rallybot", version())
		return nil
	case "sandbox":
		return errors.New("sandbox: not in this build yet")
	}
	lookup, err := environment(inv, lookupEnv)
	if err != nil {
		return err
	}
	if inv.command == "backup" {
		return backup(ctx, inv, lookup, stderr)
	}
	cfg, err := bot.LoadConfig(lookup, time.Now())
	if err != nil {
		return err
	}
	log := bot.NewLogger(stderr, cfg.LogLevel, cfg.Token)
	log.Info("starting rallybot", "version", version())
	return bot.Run(ctx, cfg, bot.Options{Logger: log})
}
