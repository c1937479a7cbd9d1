package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
			for _, path := range []string{"", "messages?ch=dm&as=volunteer-1", "events", "static/sandbox.js",
				"autocomplete?as=lead-seattle&ch=910000000000000001&cmd=/rally+create&focus=chapter", "files/1/2/3/a.ics", "favicon.ico", "nowhere"} {
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

// sandboxAct posts a form to the sandbox as its own page does and returns
// the status and body.
func sandboxAct(t *testing.T, base, path string, form url.Values) (int, string) {
	t.Helper()
	u, _ := url.Parse(base)
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Sandbox-Fetch", "1")
	req.Header.Set("Origin", "http://"+u.Host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func sandboxGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var (
	privateMessage = regexp.MustCompile(`<li class="message private" id="m(\d+)"`)
	buttonOn       = regexp.MustCompile(`name="message" value="(\d+)">\s*<button type="submit" name="custom_id" value="([^"]+)"`)
	fileLink       = regexp.MustCompile(`href="(/files/[^"?]+)\?`)
	selectOn       = regexp.MustCompile(`name="message" value="(\d+)">\s*<input type="hidden" name="custom_id" value="([^"]+)">[\s\S]*?<option value="([^"]+)"`)
)

// TestSandboxOthersEphemeralsOutOfReach: a member's ephemeral replies are
// theirs alone on the page, and out of reach by id too: another member can
// neither press a button on one nor open its file, as Discord allows
// neither.
func TestSandboxOthersEphemeralsOutOfReach(t *testing.T) {
	t.Parallel()
	base, _ := startSandboxWith(t, nil)
	const seattle = "910000000000000001"
	when := time.Now().AddDate(0, 0, 3).Format("2006-01-02") + " 18:00"
	if code, body := sandboxAct(t, base, "command?as=lead-seattle&ch="+seattle, url.Values{"cmd": {"/rally create"},
		"opt-chapter": {"Seattle"}, "opt-title": {"Rally <script>alert(1)</script> <b>now</b>"}, "opt-when": {when}, "opt-location": {"Westlake Park"}}); code != http.StatusNoContent {
		t.Fatalf("/rally create = %d %s", code, body)
	}
	_, page := sandboxGet(t, base, "messages?as=volunteer-1&ch="+seattle)
	// The title the lead typed shows as text, wherever the page shows it.
	for _, path := range []string{"?as=volunteer-1&ch=" + seattle, "messages?as=volunteer-1&ch=" + seattle, "?as=volunteer-1&ch=events"} {
		_, html := sandboxGet(t, base, path)
		if strings.Contains(html, "<script>alert") || strings.Contains(html, "<b>now") {
			t.Errorf("/%s runs the title's markup", path)
		}
		if !strings.Contains(html, "Rally &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;now&lt;/b&gt;") {
			t.Errorf("/%s does not show the title as text", path)
		}
	}
	var going [2]string
	for _, b := range buttonOn.FindAllStringSubmatch(page, -1) {
		if strings.HasPrefix(b[2], "rsvp:going:") {
			going = [2]string{b[1], b[2]}
		}
	}
	if going[0] == "" {
		t.Fatalf("no Going button on the page:\n%s", page)
	}
	rallyID := going[1][strings.LastIndex(going[1], ":")+1:]
	if code, body := sandboxAct(t, base, "click?as=volunteer-1&ch="+seattle, url.Values{"message": {going[0]}, "custom_id": {going[1]}}); code != http.StatusNoContent {
		t.Fatalf("Going = %d %s", code, body)
	}
	if code, body := sandboxAct(t, base, "command?as=volunteer-1&ch="+seattle, url.Values{"cmd": {"/rally calendar"}, "opt-rally": {rallyID}}); code != http.StatusNoContent {
		t.Fatalf("/rally calendar = %d %s", code, body)
	}
	_, robin := sandboxGet(t, base, "messages?as=volunteer-1&ch="+seattle)
	own := privateMessage.FindAllStringSubmatch(robin, -1)
	if len(own) < 2 {
		t.Fatalf("Robin sees %d private replies, want 2:\n%s", len(own), robin)
	}
	var buttons [][]string
	for _, b := range buttonOn.FindAllStringSubmatch(robin, -1) {
		for _, m := range own {
			if b[1] == m[1] {
				buttons = append(buttons, b)
			}
		}
	}
	var menus [][]string
	for _, b := range selectOn.FindAllStringSubmatch(robin, -1) {
		for _, m := range own {
			if b[1] == m[1] {
				menus = append(menus, b)
			}
		}
	}
	if len(buttons)+len(menus) == 0 {
		t.Fatalf("Robin's replies have neither button nor menu:\n%s", robin)
	}
	files := fileLink.FindAllStringSubmatch(robin, -1)
	if len(files) == 0 {
		t.Fatalf("Robin's calendar reply has no file:\n%s", robin)
	}

	_, jordan := sandboxGet(t, base, "messages?as=volunteer-2&ch="+seattle)
	for _, m := range own {
		if strings.Contains(jordan, m[1]) {
			t.Errorf("Jordan's page shows Robin's reply %s", m[1])
		}
	}
	for _, f := range files {
		if code, _ := sandboxGet(t, base, strings.TrimPrefix(f[1], "/")+"?as=volunteer-1&ch="+seattle); code != http.StatusOK {
			t.Errorf("Robin cannot open her own file %s: %d", f[1], code)
		}
		for _, ch := range []string{seattle, "dm", "events"} {
			if code, body := sandboxGet(t, base, strings.TrimPrefix(f[1], "/")+"?as=volunteer-2&ch="+ch); code != http.StatusNotFound {
				t.Errorf("Jordan opened Robin's file %s from %s: %d %.80q", f[1], ch, code, body)
			}
		}
		if code, body := sandboxGet(t, base, strings.TrimPrefix(f[1], "/")+"?as=volunteer-2&ch="+seattle); code != http.StatusNotFound {
			t.Errorf("Jordan opened Robin's file %s: %d %.80q", f[1], code, body)
		}
	}
	for _, b := range buttons {
		code, body := sandboxAct(t, base, "click?as=volunteer-2&ch="+seattle, url.Values{"message": {b[1]}, "custom_id": {b[2]}})
		if code == http.StatusNoContent {
			t.Errorf("Jordan pressed %q on Robin's reply %s", b[2], b[1])
		}
		_ = body
	}
	for _, m := range menus {
		code, _ := sandboxAct(t, base, "click?as=volunteer-2&ch="+seattle, url.Values{"message": {m[1]}, "custom_id": {m[2]}, "kind": {"select"}, "value": {m[3]}})
		if code == http.StatusNoContent {
			t.Errorf("Jordan picked %q in %q on Robin's reply %s", m[3], m[2], m[1])
		}
	}
	_, jordan = sandboxGet(t, base, "messages?as=volunteer-2&ch="+seattle)
	if privateMessage.MatchString(jordan) {
		t.Errorf("a press on Robin's reply gave Jordan a reply:\n%s", jordan)
	}
}

// TestSandboxPrivatePlaceHidden: a rally's private place is on no page of a
// member not going: not the channel, not the Events tab, not their DMs.
func TestSandboxPrivatePlaceHidden(t *testing.T) {
	t.Parallel()
	base, out := startSandboxWith(t, nil)
	const seattle, place = "910000000000000001", "Basement of 42 Pine St"
	when := time.Now().AddDate(0, 0, 3).Format("2006-01-02") + " 18:00"
	for _, title := range []string{"Closed meeting", "High-risk action"} {
		form := url.Values{"cmd": {"/rally create"}, "opt-chapter": {"Seattle"}, "opt-title": {title}, "opt-when": {when},
			"opt-location": {place}, "opt-private_location": {"true"}}
		if title == "High-risk action" {
			form.Set("opt-high_risk", "true")
		}
		if code, body := sandboxAct(t, base, "command?as=lead-seattle&ch="+seattle, form); code != http.StatusNoContent {
			t.Fatalf("/rally create = %d %s", code, body)
		}
	}
	for _, as := range []string{"volunteer-1", "volunteer-4", "coordinator"} {
		for _, ch := range []string{seattle, "events", "dm"} {
			for _, path := range []string{"?", "messages?"} {
				_, html := sandboxGet(t, base, path+"as="+as+"&ch="+ch)
				if strings.Contains(html, "42 Pine") {
					t.Errorf("/%sas=%s&ch=%s shows the private place", path, as, ch)
				}
			}
		}
	}
	if _, html := sandboxGet(t, base, "?as=volunteer-1&ch=events"); !strings.Contains(html, "Closed meeting") {
		t.Error("the Events tab does not list the rally")
	}
	if strings.Contains(out.String(), "42 Pine") {
		t.Error("the sandbox logged the private place")
	}
}
