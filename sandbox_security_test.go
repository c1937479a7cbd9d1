package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rallybot/sandbox"
	"rallybot/store"
)

// sandboxPost posts the clock form as a page (or another site) would.
func sandboxPost(t *testing.T, base, host, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"clock?as=admin", strings.NewReader(url.Values{"step": {"1h"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Sandbox-Fetch", "1")
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func sandboxClock(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", base, resp.StatusCode)
	}
	_, after, _ := strings.Cut(string(body), `<output id="clock" aria-live="polite">`)
	clock, _, _ := strings.Cut(after, "<")
	return clock
}

// TestSandboxAnswersOnlyItself: a page on another site can neither read the
// sandbox (a name of its own rebound to 127.0.0.1 sends its own Host) nor
// drive it (a form posted from another Origin); the page itself can.
func TestSandboxAnswersOnlyItself(t *testing.T) {
	t.Parallel()
	base, out := startSandboxWith(t, nil)
	u, _ := url.Parse(base)
	own := "http://" + u.Host
	_, port, _ := strings.Cut(u.Host, ":")

	t.Run("ForeignHost", func(t *testing.T) {
		for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1.nip.io:" + port} {
			for _, path := range []string{"", "messages?ch=dm&as=volunteer-1", "events", "static/sandbox.js"} {
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				req.Host = host
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("GET /%s with Host %s = %d, want 403", path, host, resp.StatusCode)
				}
				if strings.Contains(string(body), "rallybot") && !strings.Contains(string(body), "answers only") {
					t.Errorf("GET /%s with Host %s showed the page: %.80q", path, host, body)
				}
			}
		}
		if resp := sandboxPost(t, base, "attacker.example:"+port, "http://attacker.example:"+port); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with a foreign Host and its own Origin = %d, want 403", resp.StatusCode)
		}
	})

	t.Run("ForeignOrigin", func(t *testing.T) {
		before := sandboxClock(t, base)
		for _, origin := range []string{"http://attacker.example", "https://" + u.Host, "null", "http://localhost:1"} {
			if resp := sandboxPost(t, base, "", origin); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /clock from Origin %s = %d, want 403", origin, resp.StatusCode)
			}
		}
		if resp := sandboxPost(t, base, "", ""); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /clock with neither Origin nor Referer = %d, want 403", resp.StatusCode)
		}
		if after := sandboxClock(t, base); after != before {
			t.Errorf("refused posts moved the clock from %q to %q", before, after)
		}
		if resp := sandboxPost(t, base, "", own); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST /clock from the page's own Origin %s = %d, want 204", own, resp.StatusCode)
		}
		if after := sandboxClock(t, base); after == before {
			t.Errorf("the page's own post left the clock at %q", after)
		}
	})

	if strings.Contains(out.String(), "discord.com/oauth2") || strings.Contains(out.String(), "invite the bot") {
		t.Errorf("the sandbox logged an invite link to a real Discord:\n%s", out.String())
	}
}

// TestSandboxNeverUsesDatabasePath: DATABASE_PATH is the real bot's; the
// sandbox neither creates it nor touches one that exists, and refuses a
// SANDBOX_DATABASE_PATH that is it or that holds a real server.
func TestSandboxNeverUsesDatabasePath(t *testing.T) {
	t.Parallel()

	t.Run("NotCreated", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		real := filepath.Join(dir, "rallybot.db")
		base, _ := startSandboxWith(t, map[string]string{"DATABASE_PATH": real, "SANDBOX_DATABASE_PATH": ""})
		if resp := sandboxPost(t, base, "", strings.TrimSuffix(base, "/")); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("move the clock = %d", resp.StatusCode)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			t.Errorf("the sandbox created %s in DATABASE_PATH's directory", e.Name())
		}
	})

	t.Run("NotOpened", func(t *testing.T) {
		t.Parallel()
		// Not SQLite: had the sandbox opened it as its database, start-up
		// would fail ("not a database"); it must stay byte for byte.
		dir := t.TempDir()
		real := filepath.Join(dir, "rallybot.db")
		content := []byte("the live bot's database stands here\n")
		if err := os.WriteFile(real, content, 0o600); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(real)
		base, _ := startSandboxWith(t, map[string]string{"DATABASE_PATH": real})
		if resp := sandboxPost(t, base, "", strings.TrimSuffix(base, "/")); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("move the clock = %d", resp.StatusCode)
		}
		after, _ := os.ReadFile(real)
		now, _ := os.Stat(real)
		if !bytes.Equal(after, content) || !now.ModTime().Equal(info.ModTime()) {
			t.Errorf("DATABASE_PATH changed under the sandbox: %q", after)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("DATABASE_PATH's directory holds %d files, want only the database (no -wal, -shm)", len(entries))
		}
	})

	refused := func(t *testing.T, env map[string]string, want ...string) {
		t.Helper()
		var stderr bytes.Buffer
		env["SANDBOX_ADDR"] = "127.0.0.1:0"
		err := run(context.Background(), []string{"sandbox"}, environ(env), io.Discard, &stderr)
		if err == nil {
			t.Fatal("the sandbox started")
		}
		for _, w := range append(want, "SANDBOX_DATABASE_PATH") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}

	realDB := func(t *testing.T, guilds ...string) (string, []byte) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "live.db")
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range guilds {
			if _, err := db.SeedGuild(context.Background(), g); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return path, b
	}

	t.Run("RealServerRefused", func(t *testing.T) {
		t.Parallel()
		path, before := realDB(t, sandbox.GuildID, "123456789012345678")
		refused(t, map[string]string{"SANDBOX_DATABASE_PATH": path}, "123456789012345678", "left untouched")
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Error("the refused database changed")
		}
	})

	t.Run("SameAsDatabasePathRefused", func(t *testing.T) {
		t.Parallel()
		path, _ := realDB(t)
		refused(t, map[string]string{"SANDBOX_DATABASE_PATH": path, "DATABASE_PATH": path}, "DATABASE_PATH")
	})

	t.Run("OwnDatabaseKept", func(t *testing.T) {
		t.Parallel()
		path, _ := realDB(t, sandbox.GuildID)
		base, _ := startSandboxWith(t, map[string]string{"SANDBOX_DATABASE_PATH": path})
		if clock := sandboxClock(t, base); clock == "" {
			t.Error("the page shows no clock")
		}
	})
}
