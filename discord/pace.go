package discord

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GlobalRequestsPerSecond is the pace Pace keeps by default: under Discord's
// global limit of 50 requests a second for a bot, with room for the jitter
// between leaving here and arriving there.
const GlobalRequestsPerSecond = 45

// Pace spaces the REST requests sent through base to perSecond, and holds
// them all back after a global 429 until Discord's retry_after has passed.
//
// discordgo spaces each route's bucket from its rate-limit headers, but
// Discord states no remaining count for the global limit, and a DM opens a
// bucket of its own (its channel), so a burst of DMs to 2,000 members went
// out as fast as the workers could send and bounced off global 429s: each a
// wasted request, resent after a sleep, and a global 429 says nothing to the
// other workers. Paced, the burst takes the time the limit allows and no
// more. Interaction callbacks, and the webhooks of the application's own
// interactions (a deferred reply's edit or deletion, its follow-ups), are
// exempt from the global limit and are not held: a click is answered, and a
// slow answer put in, at once whatever is being sent. application returns
// the application's id, "" until the gateway has told it. Other requests
// wait in order of arrival, so a channel reminder or an announcement edit
// waits behind at most the DMs already in flight (dmWorkers), never behind
// the whole burst.
func Pace(base http.RoundTripper, perSecond int, application func() string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &pacedTransport{base: base, application: application, pacer: &pacer{interval: time.Second / time.Duration(perSecond)}}
}

type pacedTransport struct {
	base        http.RoundTripper
	application func() string
	pacer       *pacer
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.exemptFromGlobalLimit(req) {
		return t.base.RoundTrip(req)
	}
	if err := t.pacer.wait(req); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && globalLimit(resp.Header) {
		t.pacer.pause(time.Now().Add(retryAfter(resp)))
	}
	return resp, err
}

// exemptFromGlobalLimit: interaction callbacks and interaction webhooks
// (/webhooks/{application_id}/{interaction_token}…) do not count against the
// global limit. Only the application's own id is let through: any other
// webhook would count (the bot uses none), and before the id is known every
// webhook is paced.
func (t *pacedTransport) exemptFromGlobalLimit(req *http.Request) bool {
	if strings.Contains(req.URL.Path, "/interactions/") {
		return true
	}
	if t.application == nil {
		return false
	}
	app := t.application()
	return app != "" && strings.Contains(req.URL.Path, "/webhooks/"+app+"/")
}

// globalLimit reports whether a 429 limits every route (the bot's global
// limit) rather than one bucket.
func globalLimit(h http.Header) bool {
	return h.Get("X-RateLimit-Global") != "" || h.Get("X-RateLimit-Scope") == "global"
}

// retryAfter reads how long a 429 asks to wait: the body's retry_after (in
// seconds, with fractions), else the Retry-After header (whole seconds). The
// body is put back for discordgo, which reads it too.
func retryAfter(resp *http.Response) time.Duration {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var rl struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if err == nil && json.Unmarshal(body, &rl) == nil && rl.RetryAfter > 0 {
		return time.Duration(rl.RetryAfter * float64(time.Second))
	}
	if s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return time.Second
}

// pacer hands out send times interval apart, in order of asking.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time // the earliest time the next request may go
}

// wait blocks until the request's turn, or until its context ends.
func (p *pacer) wait(req *http.Request) error {
	at := p.reserve(time.Now())
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-req.Context().Done():
		return req.Context().Err()
	}
}

// reserve takes the next free send time at or after now.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := now
	if p.next.After(at) {
		at = p.next
	}
	p.next = at.Add(p.interval)
	return at
}

// pause holds every request not yet sent until until.
func (p *pacer) pause(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.next) {
		p.next = until
	}
}
