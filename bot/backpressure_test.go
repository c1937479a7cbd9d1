package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

const (
	memberRoute   = "/guilds/{guild_id}/members/{user_id}"
	callbackRoute = "/interactions/{interaction_id}/{interaction_token}/callback"
)

// waitFor polls cond until it holds; it fails the test after 20s. Not a
// timing assertion: the bound only keeps a broken build from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// With every handler slot taken, a click waits for one; one that waits past
// DeferAfter is acknowledged ("thinking…", for the member alone) in time,
// and answered with its RSVP once a slot frees and its commit is done.
func TestClickWaitingForAHandlerIsDeferred(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, func(h *harness) { h.maxHandlers, h.deferAfter = 1, 300*time.Millisecond })
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, ann := h.createRally(discordtest.Int("capacity", 1))
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	if r := h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id); !strings.Contains(strings.ToLower(r.Text()), "waitlist") {
		t.Fatalf("second member: %q, want the waitlist", r.Text())
	}

	// A lead creates a rally: the handler posts its announcement and waits
	// for Discord's answer, which the fake holds, so the one slot stays
	// taken. (The fake logs a request once answered: a held one is seen by
	// the deferral it causes.)
	release := h.fake.Hold("POST", postMessage)
	defer release()
	callbacks := h.fake.CountRequests("POST", callbackRoute)
	leaving := make(chan *discordtest.Reply, 1)
	go func() { leaving <- h.cmd(lead, seattleChannel, "rally create", createOpts()...) }()
	waitFor(t, "the held command acknowledged", func() bool { return h.fake.CountRequests("POST", callbackRoute) > callbacks })

	going := make(chan *discordtest.Reply, 1)
	go func() { going <- h.click(member(3), seattleChannel, ann.ID, "rsvp:maybe:"+id) }()
	waitFor(t, "the waiting click acknowledged", func() bool { return h.fake.CountRequests("POST", callbackRoute) > callbacks+1 })
	select {
	case r := <-going:
		t.Fatalf("a click was answered while the only handler slot was taken: %q", r.Text())
	default:
	}
	release()

	r := <-going
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.Ephemeral {
		t.Errorf("waiting click: type %d ephemeral %v, want a deferred reply for the member alone", r.Type, r.Ephemeral)
	}
	if !strings.Contains(r.Text(), "Rally for fair housing") {
		t.Errorf("waiting click's answer: %q, want its RSVP confirmed", r.Text())
	}
	if l := <-leaving; l.Text() == "" {
		t.Error("the click that held the slot got no answer")
	}
	// Answered after its commit: member 3's maybe is on the rally.
	my := h.cmd(member(3), seattleChannel, "myrsvps")
	if !strings.Contains(my.Text(), "Rally for fair housing") {
		t.Errorf("/myrsvps after the answer: %q, want the rally", my.Text())
	}
}
