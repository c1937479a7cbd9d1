package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/bot"
	"rallybot/discordtest"
)

// testToken looks like a real bot token; its last part is what a leak check
// looks for, since a log could print the token cut or re-quoted.
const (
	testToken     = "MTAwMDAwMDAwMDAwMDAwMDAx.GmAiNt.m41n-s3cret-t0ken-Zq7"
	tokenSecret   = "m41n-s3cret-t0ken-Zq7"
	testGuild     = "200000000000000001"
	testChannel   = "300000000000000001"
	testVolunteer = "500000000000000010"
)

// syncBuffer is stderr for a bot running in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// environ is a fake environment for run's lookupEnv.
func environ(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// noDotenv is an empty env file, so a developer's own .env in the working
// directory cannot change what a test sees.
func noDotenv(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// baseEnv is a complete, valid configuration that reaches no real server:
// DISCORD_API_URL points at a closed port, so a start-up check that moved
// after the first network call fails the test instead of calling discord.com.
func baseEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DISCORD_TOKEN":   testToken,
		"DATABASE_PATH":   filepath.Join(t.TempDir(), "rallybot.db"),
		"DISCORD_API_URL": "http://127.0.0.1:1",
		"ALLOWED_GUILDS":  testGuild,
	}
}

// startErr runs the program as main does and returns the line main would
// print. It fails the test if run succeeds, takes long, or logs the token.
func startErr(t *testing.T, args []string, env map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	began := time.Now()
	err := run(ctx, args, environ(env), &stdout, &stderr)
	if err == nil {
		t.Fatalf("run succeeded, want a start-up error; log:\n%s", stderr.String())
	}
	if stdout.String() != "" {
		t.Errorf("start-up wrote %q to stdout; logs and errors go to stderr", stdout.String())
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("start-up error after %v, want it at once", d)
	}
	if tok := env["DISCORD_TOKEN"]; tok != "" && strings.Contains(stderr.String()+err.Error(), tok) {
		t.Errorf("the token appears in the log or the error: %q / %q", stderr.String(), err)
	}
	return "rallybot: " + err.Error(), err
}

// checkLine asserts the one-line contract of a start-up error: it names the
// variable first and says how to fix it.
func checkLine(t *testing.T, line string, err error, variable string, parts ...string) {
	t.Helper()
	t.Log(line)
	if strings.ContainsAny(line, "\r\n") {
		t.Errorf("error is not one line: %q", line)
	}
	if !strings.HasPrefix(line, "rallybot: "+variable+": ") {
		t.Errorf("error %q does not start with the variable %s", line, variable)
	}
	var ce *bot.ConfigError
	if !errors.As(err, &ce) || ce.Var != variable {
		t.Errorf("error %q (%T) is not a ConfigError for %s", line, err, variable)
	}
	for _, p := range parts {
		if !strings.Contains(line, p) {
			t.Errorf("error %q does not contain %q", line, p)
		}
	}
}

func TestStartupErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		set      map[string]string
		variable string
		want     []string // what was wrong, then the fix
	}{
		{"ErrMissingToken", map[string]string{"DISCORD_TOKEN": ""}, "DISCORD_TOKEN",
			[]string{"missing", "Reset Token"}},
		{"ErrTokenWithSpaces", map[string]string{"DISCORD_TOKEN": "abc def"}, "DISCORD_TOKEN",
			[]string{"whitespace", "paste the token alone"}},
		{"ErrUnknownTimeZoneInCron", map[string]string{"SUMMARY_CRON": "CRON_TZ=Mars/Olympus 0 8 * * *"}, "SUMMARY_CRON",
			[]string{"Mars/Olympus", `"CRON_TZ=America/New_York 0 8 * * *"`}},
		{"ErrBadCron", map[string]string{"REMINDER_CRON": "every minute"}, "REMINDER_CRON",
			[]string{`"every minute" is not a cron spec`, `"@every 1m"`}},
		{"ErrCronNeverFires", map[string]string{"SUMMARY_CRON": "0 0 30 2 *"}, "SUMMARY_CRON",
			[]string{`"0 0 30 2 *" never fires`, `"0 8 * * *"`}},
		{"ErrBadReminderOffsets", map[string]string{"REMINDER_OFFSETS": "24h,soon"}, "REMINDER_OFFSETS",
			[]string{`"soon"`, "24h,2h"}},
		{"ErrBadRetentionDays", map[string]string{"RETENTION_DAYS": "thirty"}, "RETENTION_DAYS",
			[]string{`"thirty"`, "from 1 to 3650"}},
		{"ErrZeroRetentionDays", map[string]string{"RETENTION_DAYS": "0"}, "RETENTION_DAYS",
			[]string{`"0"`, "from 1 to 3650"}},
		{"ErrBadLogLevel", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL",
			[]string{`"loud"`, "debug, info, warn or error"}},
		{"ErrBadGuildID", map[string]string{"DISCORD_GUILD_ID": "my-server"}, "DISCORD_GUILD_ID",
			[]string{`"my-server"`, "Copy Server ID"}},
		{"ErrAPIURLWithPath", map[string]string{"DISCORD_API_URL": "https://discord.com/api/v10"}, "DISCORD_API_URL",
			[]string{"not an origin", "no path"}},
		{"ErrAPIURLPlainHTTPElsewhere", map[string]string{"DISCORD_API_URL": "http://proxy.example.org:8080"}, "DISCORD_API_URL",
			[]string{"http://proxy.example.org:8080", "token in clear", "use https://"}},
		{"ErrNoGuilds", map[string]string{"ALLOWED_GUILDS": "", "DISCORD_GUILD_ID": ""}, "ALLOWED_GUILDS",
			[]string{"neither ALLOWED_GUILDS nor DISCORD_GUILD_ID is set", "ALLOWED_GUILDS=*"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := baseEnv(t)
			for k, v := range c.set {
				env[k] = v
			}
			line, err := startErr(t, []string{noDotenv(t)}, env)
			checkLine(t, line, err, c.variable, c.want...)
			if strings.Contains(line, ".env") && c.variable != "DISCORD_TOKEN" {
				t.Errorf("a missing .env file is not an error, but the line mentions it: %q", line)
			}
			if _, statErr := os.Stat(env["DATABASE_PATH"]); statErr == nil {
				t.Errorf("a bad configuration created the database %s", env["DATABASE_PATH"])
			}
		})
	}

	t.Run("ErrDatabaseIsDirectory", func(t *testing.T) {
		env := baseEnv(t)
		env["DATABASE_PATH"] = t.TempDir()
		line, err := startErr(t, []string{noDotenv(t)}, env)
		checkLine(t, line, err, "DATABASE_PATH", env["DATABASE_PATH"], "is a directory", "Point DATABASE_PATH at")
	})

	t.Run("ErrDatabaseIsGarbage", func(t *testing.T) {
		env := baseEnv(t)
		garbage := bytes.Repeat([]byte("this is not an SQLite database\n"), 200)
		if err := os.WriteFile(env["DATABASE_PATH"], garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		line, err := startErr(t, []string{noDotenv(t)}, env)
		checkLine(t, line, err, "DATABASE_PATH", env["DATABASE_PATH"], "not a database", "Point DATABASE_PATH at")
		if after, _ := os.ReadFile(env["DATABASE_PATH"]); !bytes.Equal(after, garbage) {
			t.Errorf("start-up changed the file it could not read (%d bytes → %d)", len(garbage), len(after))
		}
	})

	t.Run("ErrTokenRejected", func(t *testing.T) {
		fake := discordtest.New(t, discordtest.Config{Token: "right"})
		env := baseEnv(t)
		env["DISCORD_TOKEN"] = "wrong." + tokenSecret
		env["DISCORD_API_URL"] = fake.URL()
		line, err := startErr(t, []string{noDotenv(t)}, env)
		checkLine(t, line, err, "DISCORD_TOKEN", "401", "Reset Token")
		if strings.Contains(line, tokenSecret) {
			t.Errorf("the error line shows the token: %q", line)
		}
		if n := len(fake.Identifies()); n != 0 {
			t.Errorf("%d gateway IDENTIFYs with a rejected token, want none", n)
		}
		// The fake records the wrong Authorization header as a violation;
		// here it is the point of the test.
		v := fake.TakeViolations()
		if len(v) == 0 {
			t.Fatal("the fake saw no request with the wrong token")
		}
		for _, x := range v {
			if !strings.Contains(x.Reason, "Authorization header") {
				t.Errorf("unexpected violation %s %s: %s", x.Method, x.Path, x.Reason)
			}
		}
	})
}

func writeDotenv(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDotenv(t *testing.T) {
	t.Parallel()
	t.Run("FillsWhatTheEnvironmentLeavesUnset", func(t *testing.T) {
		path := writeDotenv(t, "# comment\nDISCORD_TOKEN="+testToken+"\nLOG_LEVEL=loud\n")
		env := baseEnv(t)
		delete(env, "DISCORD_TOKEN")
		// Past DISCORD_TOKEN (so it came from the file) and stopped at the
		// file's LOG_LEVEL.
		line, err := startErr(t, []string{path}, env)
		checkLine(t, line, err, "LOG_LEVEL", `"loud"`)
	})

	t.Run("EnvironmentWins", func(t *testing.T) {
		path := writeDotenv(t, "DISCORD_TOKEN="+testToken+"\nLOG_LEVEL=loud\n")
		env := baseEnv(t)
		env["LOG_LEVEL"] = "shouty"
		line, err := startErr(t, []string{path}, env)
		checkLine(t, line, err, "LOG_LEVEL", `"shouty"`)
		if strings.Contains(line, "loud") {
			t.Errorf(".env's value was used over the environment's: %q", line)
		}
	})

	t.Run("EnvironmentSetEmptyWins", func(t *testing.T) {
		// DISCORD_GUILD_ID= in the environment must beat .env's guild id; if
		// .env's bad id were used, start-up would stop on it.
		path := writeDotenv(t, "DISCORD_TOKEN="+testToken+"\nDISCORD_GUILD_ID=not-a-server\nLOG_LEVEL=loud\n")
		env := baseEnv(t)
		env["DISCORD_GUILD_ID"] = ""
		line, err := startErr(t, []string{path}, env)
		checkLine(t, line, err, "LOG_LEVEL", `"loud"`)
	})

	t.Run("ErrUnreadableFileNamesIt", func(t *testing.T) {
		dir := t.TempDir()
		line, _ := startErr(t, []string{dir}, baseEnv(t))
		if strings.ContainsAny(line, "\r\n") || !strings.HasPrefix(line, "rallybot: "+dir+": ") {
			t.Errorf("error %q is not one line naming the file %s", line, dir)
		}
	})
}

// TestRunNeverLogsToken starts the whole program against the fake Discord,
// with the token in .env and LOG_LEVEL=debug, runs a command, stops it as a
// signal would, and checks that nothing the bot wrote shows the token.
func TestRunNeverLogsToken(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: testToken})
	fake.AddGuild(discordtest.Guild{ID: testGuild, Name: "Coalition", OwnerID: "500000000000000001",
		Channels: []discordtest.Channel{{ID: testChannel, Name: "seattle"}},
		Roles:    []discordtest.Role{{ID: testGuild, Name: "@everyone"}}})

	// .env carries the token and a DISCORD_API_URL that goes nowhere; the
	// environment's URL must win for the bot to start at all.
	dotenv := writeDotenv(t, "DISCORD_TOKEN="+testToken+"\nDISCORD_API_URL=http://127.0.0.1:1\n")
	env := map[string]string{
		"DISCORD_API_URL":  fake.URL(),
		"DISCORD_GUILD_ID": testGuild,
		"DATABASE_PATH":    filepath.Join(t.TempDir(), "rallybot.db"),
		"LOG_LEVEL":        "debug",
	}

	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{dotenv}, environ(env), io.Discard, &stderr) }()

	waitLog := func(what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !strings.Contains(stderr.String(), what) {
			select {
			case err := <-done:
				t.Fatalf("run returned %v before logging %q; log:\n%s", err, what, stderr.String())
			case <-deadline:
				t.Fatalf("no %q in the log after 10s; log:\n%s", what, stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	waitLog("msg=ready")
	waitLog("seeded default chapters")

	ids := fake.Identifies()
	if len(ids) != 1 || strings.TrimPrefix(ids[0].Token, "Bot ") != testToken {
		t.Errorf("identifies = %d, want 1 with the .env token", len(ids))
	}
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	r, err := fake.Command(cctx, discordtest.Invocation{GuildID: testGuild, ChannelID: testChannel,
		Member: discordtest.Member{UserID: testVolunteer, Permissions: discordgo.PermissionViewChannel}}, "chapter list")
	if err != nil {
		t.Fatalf("/chapter list: %v", err)
	}
	if !strings.Contains(r.Text(), "Seattle") {
		t.Errorf("/chapter list = %q, want the seeded chapters", r.Text())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return within 15s of cancel")
	}

	log := stderr.String()
	for _, leak := range []string{testToken, tokenSecret, "GmAiNt." + tokenSecret[:8]} {
		if strings.Contains(log, leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
	for _, want := range []string{"msg=ready", "level=DEBUG", "shutting down"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log has no %q", want)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

// TestMetricsOffLoopbackWarned: a METRICS_ADDR other machines can reach is
// logged as a warning at start (here start-up then stops on its database, so
// nothing listens).
func TestMetricsOffLoopbackWarned(t *testing.T) {
	t.Parallel()
	for addr, warn := range map[string]bool{"0.0.0.0:9464": true, "127.0.0.1:9464": false} {
		env := baseEnv(t)
		env["METRICS_ADDR"] = addr
		env["DATABASE_PATH"] = t.TempDir() // a directory: start-up stops before listening
		var stdout, stderr syncBuffer
		if err := run(context.Background(), []string{noDotenv(t)}, environ(env), &stdout, &stderr); err == nil {
			t.Fatalf("run succeeded with a directory for a database")
		}
		got := strings.Contains(stderr.String(), "level=WARN msg=\"METRICS_ADDR "+addr+" is reachable from other machines")
		if got != warn {
			t.Errorf("METRICS_ADDR=%s: warned %v, want %v; log:\n%s", addr, got, warn, stderr.String())
		}
	}
}
