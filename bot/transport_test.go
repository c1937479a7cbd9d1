package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestSessionRequestsHaveADeadline: a REST request Discord never answers
// ends at the session's deadline (shortened here), through the request's
// context rather than http.Client's Timeout.
func TestSessionRequestsHaveADeadline(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: "deadline.test.token"})
	session, err := NewSession(Config{Token: "deadline.test.token", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if session.Client.Timeout != 0 {
		t.Errorf("http.Client.Timeout = %v: over the session's chain of transports it cancels through two goroutines a request", session.Client.Timeout)
	}
	dt, ok := session.Client.Transport.(deadlineTransport)
	if !ok {
		t.Fatalf("the session's transport is %T, want the deadline first", session.Client.Transport)
	}
	if dt.timeout != restTimeout {
		t.Errorf("deadline %v, want %v", dt.timeout, restTimeout)
	}
	dt.timeout = 50 * time.Millisecond
	session.Client.Transport = dt

	release := fake.Hold("GET", "/users/@me")
	defer release()
	if _, err := session.User("@me"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a request never answered: %v, want the deadline exceeded", err)
	}
	release()
	dt.timeout = restTimeout
	session.Client.Transport = dt
	if _, err := session.User("@me"); err != nil {
		t.Fatalf("an answered request: %v", err)
	}
}
