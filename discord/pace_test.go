package discord

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPace checks the spacing of requests and the hold after a global 429
// against a real HTTP server.
func TestPace(t *testing.T) {
	var mu sync.Mutex
	var arrived []time.Time
	limitNext := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived = append(arrived, time.Now())
		limit := limitNext
		limitNext = false
		mu.Unlock()
		if limit {
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 0.4, "global": true}`)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	const app = "900000000000000077"
	var known atomic.Bool // READY has told the application's id
	known.Store(true)
	application := func() string {
		if known.Load() {
			return app
		}
		return ""
	}
	client := &http.Client{Transport: Pace(http.DefaultTransport, 20, application)} // 50 ms apart
	send := func(method, path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	get := func(path string) *http.Response { t.Helper(); return send("GET", path) }
	reset := func() {
		mu.Lock()
		arrived = nil
		mu.Unlock()
	}

	t.Run("SpacedUnderTheLimit", func(t *testing.T) {
		reset()
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); get("/channels/1/messages").Body.Close() }()
		}
		wg.Wait()
		mu.Lock()
		took := arrived[len(arrived)-1].Sub(arrived[0])
		mu.Unlock()
		if took < 400*time.Millisecond {
			t.Errorf("10 requests at 20/s arrived within %v, want at least 450ms", took)
		}
	})
	t.Run("InteractionCallbacksNotHeld", func(t *testing.T) {
		reset()
		get("/channels/1/messages").Body.Close()
		began := time.Now()
		for i := 0; i < 5; i++ {
			get("/interactions/1/token/callback").Body.Close()
		}
		// Paced, they would take 250ms.
		if took := time.Since(began); took > 200*time.Millisecond {
			t.Errorf("5 callbacks took %v behind the pace, want no wait", took)
		}
	})
	// behindBurst starts 10 paced requests (DMs, say: 450ms at this pace)
	// and returns how long do's requests took while they were under way.
	behindBurst := func(do func()) time.Duration {
		t.Helper()
		time.Sleep(100 * time.Millisecond) // past the pace of the requests before
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); get("/users/@me/channels").Body.Close() }()
		}
		time.Sleep(20 * time.Millisecond) // the burst has taken its turns
		began := time.Now()
		do()
		took := time.Since(began)
		wg.Wait()
		return took
	}
	t.Run("DeferredReplyNotBehindBurst", func(t *testing.T) {
		took := behindBurst(func() {
			send("PATCH", "/webhooks/"+app+"/token/messages/@original").Body.Close()
			send("POST", "/api/v10/webhooks/"+app+"/token?wait=true").Body.Close()
			send("DELETE", "/webhooks/"+app+"/token/messages/@original").Body.Close()
		})
		if took > 200*time.Millisecond {
			t.Errorf("a deferred reply's edit, follow-up and delete took %v behind a burst, want no wait", took)
		}
	})
	t.Run("OtherWebhooksPaced", func(t *testing.T) {
		took := behindBurst(func() { send("POST", "/webhooks/900000000000000088/token").Body.Close() })
		if took < 300*time.Millisecond {
			t.Errorf("another application's webhook went out after %v, want it behind the burst", took)
		}
	})
	t.Run("WebhooksPacedUntilApplicationKnown", func(t *testing.T) {
		known.Store(false)
		defer known.Store(true)
		took := behindBurst(func() { send("PATCH", "/webhooks/"+app+"/token/messages/@original").Body.Close() })
		if took < 300*time.Millisecond {
			t.Errorf("a webhook went out after %v with no application id known, want it behind the burst", took)
		}
	})
	t.Run("GlobalLimitHoldsEveryRoute", func(t *testing.T) {
		time.Sleep(100 * time.Millisecond) // past the pace of the requests before
		reset()
		mu.Lock()
		limitNext = true
		mu.Unlock()
		resp := get("/users/@me/channels")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || len(body) == 0 {
			t.Fatalf("429 answered %d %q: its body must reach discordgo whole", resp.StatusCode, body)
		}
		get("/channels/2/messages").Body.Close()
		mu.Lock()
		gap := arrived[1].Sub(arrived[0])
		mu.Unlock()
		if gap < 380*time.Millisecond || gap > 900*time.Millisecond {
			t.Errorf("next request %v after a global 429 with retry_after 0.4, want about 400ms (the body's, not Retry-After's 1s)", gap)
		}
	})
}
