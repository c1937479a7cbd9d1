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

	"github.com/joho/godotenv"

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

// run loads .env (the real environment wins, even where it sets a variable to
// empty), checks the configuration and runs the bot until ctx ends.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sandbox" { // try it without Discord: sandbox.go
		return runSandbox(ctx, func(k string) string { v, _ := lookupEnv(k); return v }, stderr)
	}
	envFile := ".env"
	if len(args) > 0 {
		envFile = args[0]
	}
	dotenv, err := godotenv.Read(envFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", envFile, err)
	}
	lookup := func(name string) string {
		if v, ok := lookupEnv(name); ok {
			return v
		}
		return dotenv[name]
	}
	cfg, err := bot.LoadConfig(lookup, time.Now())
	if err != nil {
		return err
	}
	log := bot.NewLogger(stderr, cfg.LogLevel, cfg.Token)
	return bot.Run(ctx, cfg, bot.Options{Logger: log})
}
