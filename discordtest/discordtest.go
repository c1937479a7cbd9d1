// Package discordtest is the fake Discord (package fakediscord) as a test
// uses it: New starts one for the test, checks every request body against
// Discord's OpenAPI spec, and fails the test on each request the real
// Discord would reject or that breaks a rule of this project. The fake's
// types are re-exported here, so a test needs only this package.
package discordtest

import (
	"fmt"
	"testing"

	"rallybot/fakediscord"
)

// The fake's types, as tests name them.
type (
	Server     = fakediscord.Server
	Config     = fakediscord.Config
	RateLimits = fakediscord.RateLimits
	Violation  = fakediscord.Violation
	Request    = fakediscord.Request
	Identify   = fakediscord.Identify
	Guild      = fakediscord.Guild
	Channel    = fakediscord.Channel
	Role       = fakediscord.Role
	File       = fakediscord.File
	Member     = fakediscord.Member
	Invocation = fakediscord.Invocation
	Option     = fakediscord.Option
	Reply      = fakediscord.Reply
)

// DiscordRateLimits are Discord's documented limits for bots.
func DiscordRateLimits() *RateLimits { return fakediscord.DiscordRateLimits() }

// Str is a string option.
func Str(name, v string) Option { return fakediscord.Str(name, v) }

// Int is an integer option.
func Int(name string, v int64) Option { return fakediscord.Int(name, v) }

// Bool is a boolean option.
func Bool(name string, v bool) Option { return fakediscord.Bool(name, v) }

// ChannelOpt is a channel option.
func ChannelOpt(name, id string) Option { return fakediscord.ChannelOpt(name, id) }

// RoleOpt is a role option.
func RoleOpt(name, id string) Option { return fakediscord.RoleOpt(name, id) }

// UserOpt is a user option.
func UserOpt(name, id string) Option { return fakediscord.UserOpt(name, id) }

// New starts a fake Discord for a test, checking request bodies against
// Discord's OpenAPI spec (found as findSpec says; without it, a line in the
// test's log and no schema checks). Cleanup closes it and fails tb once per
// recorded Violation, so an invalid body fails the test that caused it.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Logf == nil {
		cfg.Logf = tb.Logf
	}
	if cfg.Spec == nil {
		spec, err := Spec()
		if err != nil {
			tb.Fatal(err)
		}
		if spec == nil {
			cfg.Logf("discordtest: OpenAPI spec not found (set DISCORD_OPENAPI); request bodies are NOT validated")
		} else {
			cfg.Spec = spec
		}
	}
	s, err := fakediscord.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		for _, v := range s.TakeViolations() {
			tb.Errorf("discordtest: %s %s: %s\nbody: %s", v.Method, v.Path, v.Reason, truncate(v.Body, 2000))
		}
	})
	return s
}

// Spec is Discord's OpenAPI document, parsed once per test binary, for a
// fake started without New (fakediscord.Config.Spec); nil when it is not
// found.
func Spec() (fakediscord.Spec, error) {
	p := findSpec("")
	if p == "" {
		return nil, nil
	}
	spec, err := loadSpec(p)
	if err != nil {
		return nil, fmt.Errorf("discordtest: load OpenAPI spec %s: %w", p, err)
	}
	return spec, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
