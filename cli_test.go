package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
	"rallybot/store"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out syncBuffer
	err := run(ctx, args, environ(env), &out)
	return out.String(), err
}

func TestCLI(t *testing.T) {
	t.Parallel()
	t.Run("Help", func(t *testing.T) {
		for _, arg := range []string{"-h", "--help", "help"} {
			out, err := runCLI(t, nil, arg)
			if err != nil || !strings.Contains(out, "Usage: rallybot") || !strings.Contains(out, "backup PATH") {
				t.Errorf("rallybot %s = %q, %v; want the usage", arg, out, err)
			}
		}
	})
	t.Run("Version", func(t *testing.T) {
		out, err := runCLI(t, nil, "version")
		if err != nil || !strings.HasPrefix(out, "rallybot ") || strings.TrimSpace(out) == "rallybot" {
			t.Errorf("rallybot version = %q, %v; want rallybot and a version", out, err)
		}
	})
	refusals := []struct {
		name string
		args []string
		want []string
	}{
		{"ErrUnknownCommand", []string{"rnu"}, []string{`unknown command "rnu"`, "rallybot -h"}},
		{"ErrMistypedEnvFile", []string{"run", "prod.envv"}, []string{"prod.envv"}},
		{"ErrMistypedEnvFileAlone", []string{"prod.envv"}, []string{`"prod.envv"`, "must exist"}},
		{"ErrUnknownFlag", []string{"--verbose"}, []string{`unknown flag "--verbose"`}},
		{"ErrExtraArgument", []string{"version", "now"}, []string{`unexpected argument "now"`}},
		{"ErrSandboxEnvFile", []string{"sandbox", ".env"}, []string{`sandbox: unexpected argument ".env"`}},
		{"ErrBackupWithoutPath", []string{"backup"}, []string{"give the file to write"}},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCLI(t, baseEnv(t), c.args...)
			if err == nil {
				t.Fatalf("rallybot %v succeeded, want a refusal", c.args)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("rallybot %v = %q, want it to contain %q", c.args, err, w)
				}
			}
		})
	}
	t.Run("Backup", func(t *testing.T) {
		env := baseEnv(t)
		db, err := store.Open(context.Background(), env["DATABASE_PATH"])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SeedGuild(context.Background(), testGuild); err != nil {
			t.Fatal(err)
		}
		defer db.Close() // the bot still has it open: an online backup
		dest := filepath.Join(t.TempDir(), "copy.db")
		out, err := runCLI(t, env, "backup", dest, noDotenv(t))
		if err != nil {
			t.Fatalf("backup: %v (%s)", err, out)
		}
		st, err := os.Stat(dest)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v, %v; want mode 0600", st, err)
		}
		copy, err := store.Open(context.Background(), dest)
		if err != nil {
			t.Fatal(err)
		}
		defer copy.Close()
		if chapters, err := copy.Chapters(context.Background(), testGuild); err != nil || len(chapters) != len(store.DefaultChapters) {
			t.Errorf("restored %d chapters (%v), want %d", len(chapters), err, len(store.DefaultChapters))
		}
	})
	t.Run("ErrBackupMissingDatabase", func(t *testing.T) {
		env := baseEnv(t)
		_, err := runCLI(t, env, "backup", filepath.Join(t.TempDir(), "copy.db"), noDotenv(t))
		if err == nil || !strings.Contains(err.Error(), "DATABASE_PATH") {
			t.Errorf("backup of a missing database = %v, want a line naming DATABASE_PATH", err)
		}
	})
}

// TestFirstRunGuildNotJoined: DISCORD_GUILD_ID names a server the bot has not
// been invited to. Start-up stops with a line that says so and what to do,
// and the invite link is in the log before it.
func TestFirstRunGuildNotJoined(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: testToken})
	env := baseEnv(t)
	env["DISCORD_API_URL"] = fake.URL()
	env["DISCORD_GUILD_ID"] = testGuild // never added to the fake
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stderr syncBuffer
	err := run(ctx, []string{"run", noDotenv(t)}, environ(env), &stderr)
	if err == nil {
		t.Fatal("start-up succeeded in a server the bot is not in")
	}
	line := err.Error()
	for _, want := range []string{"DISCORD_GUILD_ID", "403", "invite it with https://discord.com/oauth2/authorize?", "leave DISCORD_GUILD_ID empty"} {
		if !strings.Contains(line, want) {
			t.Errorf("error %q does not contain %q", line, want)
		}
	}
	if !strings.Contains(stderr.String(), "invite the bot with https://discord.com/oauth2/authorize?") {
		t.Errorf("the log has no invite link before the error:\n%s", stderr.String())
	}
	fake.TakeViolations() // the 403 is the point
}
