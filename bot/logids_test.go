package bot_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestNoMemberIDLoggedOnANetworkError: when the connection to Discord
// breaks under a membership check before a DM (a timeout, a reset), the
// failure is logged and retried, and the log names no member: the request's
// address (…/members/<member id>) is in the error Go makes of it.
func TestNoMemberIDLoggedOnANetworkError(t *testing.T) {
	t.Parallel()
	var cut atomic.Bool
	h := newHarnessWith(t, func(h *harness) {
		target, err := url.Parse(h.fake.URL())
		if err != nil {
			t.Fatal(err)
		}
		forward := httputil.NewSingleHostReverseProxy(target)
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cut.Load() && strings.Contains(r.URL.Path, "/members/") {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close() // the connection breaks: no answer at all
				}
				return
			}
			forward.ServeHTTP(w, r)
		}))
		t.Cleanup(proxy.Close)
		h.env["DISCORD_API_URL"] = proxy.URL
	}, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, ann := h.createRally()
	going := member(1)
	mustContain(t, h.click(going, seattleChannel, ann.ID, "rsvp:going:"+id), true, "going")

	cut.Store(true)
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC)) // the day-before reminder
	h.runJobs()
	h.runJobs()
	eventually(t, 10*time.Second, "the failed membership check is logged", func() bool {
		return strings.Contains(h.logs.String(), "will retry")
	})
	if n := len(h.fake.DMs(going.UserID)); n != 0 {
		t.Fatalf("%d DMs sent with no answer on membership", n)
	}
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, going.UserID) {
			t.Errorf("the log names the member: %s", line)
		}
	}
}
