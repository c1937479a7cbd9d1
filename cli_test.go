package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
	"rallybot/store"
)

// runCLI runs the program as main does and returns what it wrote to stdout
// and stderr and its exit status.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	code = cli(ctx, args, environ(env), &out, &errOut, nil)
	return out.String(), errOut.String(), code
}

func TestCLI(t *testing.T) {
	t.Parallel()
	t.Run("Help", func(t *testing.T) {
		for _, arg := range []string{"-h", "--help", "help"} {
			out, errOut, code := runCLI(t, nil, arg)
			if code != 0 || !strings.HasPrefix(out, "Usage: rallybot") || !strings.Contains(out, "backup PATH") || errOut != "" {
				t.Errorf("rallybot %s = exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout alone", arg, code, out, errOut)
			}
		}
	})
	t.Run("Version", func(t *testing.T) {
		out, errOut, code := runCLI(t, nil, "version")
		if code != 0 || !strings.HasPrefix(out, "rallybot ") || strings.TrimSpace(out) == "rallybot" || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("rallybot version = exit %d, stdout %q, stderr %q; want exit 0 and one line with a version on stdout alone", code, out, errOut)
		}
	})
	refusals := []struct {
		name  string
		args  []string
		code  int // 2: the command line itself; 1: what it named
		want  []string
		usage bool
	}{
		{"ErrUnknownCommand", []string{"rnu"}, 2, []string{`unknown command "rnu"`, "rallybot -h"}, true},
		{"ErrMistypedEnvFile", []string{"run", "prod.envv"}, 2, []string{"prod.envv"}, true},
		{"ErrMistypedEnvFileAlone", []string{"prod.envv"}, 2, []string{`"prod.envv"`, "must exist"}, true},
		{"ErrUnknownFlag", []string{"--verbose"}, 2, []string{`unknown flag "--verbose"`}, true},
		{"ErrExtraArgument", []string{"version", "now"}, 2, []string{`unexpected argument "now"`}, true},
		{"ErrSandboxEnvFile", []string{"sandbox", ".env"}, 2, []string{`sandbox: unexpected argument ".env"`}, true},
		{"ErrBackupWithoutPath", []string{"backup"}, 2, []string{"give the file to write"}, true},
		{"ErrEnvFileIsDirectory", []string{"run", "."}, 1, []string{"."}, false},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, baseEnv(t), c.args...)
			if code != c.code {
				t.Errorf("rallybot %v = exit %d, want %d", c.args, code, c.code)
			}
			if out != "" {
				t.Errorf("rallybot %v wrote %q to stdout, want nothing: errors go to stderr", c.args, out)
			}
			first, rest, _ := strings.Cut(errOut, "\n")
			if !strings.HasPrefix(first, "rallybot: ") {
				t.Errorf("stderr %q does not start with one line \"rallybot: …\"", errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(first, w) {
					t.Errorf("rallybot %v = %q, want it to contain %q", c.args, first, w)
				}
			}
			if got := strings.Contains(rest, "Usage: rallybot"); got != c.usage {
				t.Errorf("rallybot %v: usage after the error = %v, want %v; stderr:\n%s", c.args, got, c.usage, errOut)
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
		out, errOut, code := runCLI(t, env, "backup", dest, noDotenv(t))
		if code != 0 {
			t.Fatalf("backup: exit %d: %s", code, errOut)
		}
		if !strings.HasPrefix(out, "backed up ") || errOut != "" {
			t.Errorf("backup wrote stdout %q, stderr %q; want the receipt on stdout alone", out, errOut)
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
		out, errOut, code := runCLI(t, env, "backup", filepath.Join(t.TempDir(), "copy.db"), noDotenv(t))
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "rallybot: backup: DATABASE_PATH") {
			t.Errorf("backup of a missing database = exit %d, stdout %q, stderr %q; want exit 1 and a line naming DATABASE_PATH on stderr", code, out, errOut)
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
	err := run(ctx, []string{"run", noDotenv(t)}, environ(env), io.Discard, &stderr)
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
