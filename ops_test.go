package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// TestHealthAndMetrics runs the program with METRICS_ADDR and LOG_FORMAT=json
// against the fake Discord: /healthz says ok, and a scrape of /metrics shows
// the commands members ran and a volunteer's click on an RSVP button.
func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: testToken})
	fake.AddGuild(discordtest.Guild{ID: testGuild, Name: "Coalition", OwnerID: "500000000000000001",
		Channels: []discordtest.Channel{{ID: testChannel, Name: "seattle"}},
		Roles:    []discordtest.Role{{ID: testGuild, Name: "@everyone"}}})
	env := baseEnv(t)
	env["DISCORD_API_URL"] = fake.URL()
	env["DISCORD_GUILD_ID"] = testGuild
	env["METRICS_ADDR"] = "127.0.0.1:0"
	env["LOG_FORMAT"] = "json"

	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", noDotenv(t)}, environ(env), io.Discard, &stderr) }()
	addrPattern := regexp.MustCompile(`"addr":"(http://127\.0\.0\.1:\d+)"`)
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" || !strings.Contains(stderr.String(), `"msg":"ready"`) {
		if m := addrPattern.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("run returned %v; log:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready with metrics after 10s; log:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var code int
	var body string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if code, body = get("/healthz"); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}

	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	volunteer := discordtest.Invocation{GuildID: testGuild, ChannelID: testChannel,
		Member: discordtest.Member{UserID: testVolunteer, Permissions: discordgo.PermissionViewChannel}}
	admin := discordtest.Invocation{GuildID: testGuild, ChannelID: testChannel,
		Member: discordtest.Member{UserID: "500000000000000001", Permissions: discordgo.PermissionManageGuild | discordgo.PermissionViewChannel}}
	if _, err := fake.Command(cctx, volunteer, "chapter list"); err != nil {
		t.Fatal(err)
	}
	// A volunteer clicks Going on an announcement: the click is what the
	// bot answers most, and what an operator watches.
	if r, err := fake.Command(cctx, admin, "chapter setup", discordtest.Str("chapter", "Seattle"),
		discordtest.ChannelOpt("channel", testChannel)); err != nil || !strings.Contains(r.Text(), "<#"+testChannel+">") {
		t.Fatalf("/chapter setup = %v, %v", r, err)
	}
	seattle, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Now().In(seattle).AddDate(0, 0, 7).Format("2006-01-02") + " 18:00"
	if _, err := fake.Command(cctx, admin, "rally create", discordtest.Str("chapter", "Seattle"), discordtest.Str("title", "Rally for fair housing"),
		discordtest.Str("when", when), discordtest.Str("location", "Westlake Park")); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(testChannel)
	if len(msgs) == 0 {
		t.Fatal("no announcement in the channel")
	}
	ann := msgs[len(msgs)-1]
	going := ""
	for _, row := range ann.Components {
		if r, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range r.Components {
				if b, ok := c.(*discordgo.Button); ok && strings.HasPrefix(b.CustomID, "rsvp:going:") {
					going = b.CustomID
				}
			}
		}
	}
	if going == "" {
		t.Fatalf("the announcement has no Going button: %+v", ann.Components)
	}
	if r, err := fake.Click(cctx, volunteer, ann.ID, going); err != nil || !r.Ephemeral {
		t.Fatalf("click Going = %v, %v; want an ephemeral answer", r, err)
	}
	// The latency is observed once the reply is sent, just after the
	// member sees it: scrape until both are there.
	want := []string{
		`rallybot_interactions_total{kind="command",outcome="ok"} 3`,
		`rallybot_interaction_seconds_count{kind="command"} 3`,
		`rallybot_interactions_total{kind="component",outcome="ok"} 1`,
		`rallybot_interaction_seconds_count{kind="component"} 1`,
		`rallybot_interaction_seconds_bucket{kind="component",le="+Inf"} 1`,
		// Every kind owed to Discord is counted, the create's announcement too.
		`rallybot_scheduled_messages_total{job="announce",outcome="sent"} 1`,
	}
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, body = get("/metrics")
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("/metrics (%d) lacks %q:\n%s", code, missing, body)
		}
	}
	if strings.Contains(body, testGuild) || strings.Contains(body, testVolunteer) {
		t.Error("/metrics names a server or a member")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("LOG_FORMAT=json wrote a line that is not JSON: %q", line)
		}
	}
	if strings.Contains(stderr.String(), tokenSecret) {
		t.Error("the JSON log shows the token")
	}
}

func TestStartupRefusesOtherDatabases(t *testing.T) {
	t.Parallel()
	t.Run("ErrNewerSchema", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t)
		db, err := store.Open(context.Background(), env["DATABASE_PATH"])
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		raw, _ := sql.Open("sqlite3", env["DATABASE_PATH"])
		if _, err := raw.Exec(`INSERT INTO migrations (name, applied_at) VALUES ('0999_next.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		line, err := startErr(t, []string{noDotenv(t)}, env)
		checkLine(t, line, err, "DATABASE_PATH", "newer version", "0999_next.sql", "restore the backup")
	})
	t.Run("ErrForeignDatabase", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t)
		env["DATABASE_PATH"] = filepath.Join(t.TempDir(), "shop.db")
		raw, _ := sql.Open("sqlite3", env["DATABASE_PATH"])
		if _, err := raw.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		line, err := startErr(t, []string{noDotenv(t)}, env)
		checkLine(t, line, err, "DATABASE_PATH", "did not create", "left untouched")
	})
}
