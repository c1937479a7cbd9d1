package bot_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"rallybot/discordtest"
	"rallybot/store"
)

// staffingAlerts returns the staffing alerts of the rally in the channel.
func (h *harness) staffingAlerts(channel string, id int64) int {
	return len(filter(h.fake.Messages(channel), textHas(fmt.Sprintf("Rally #%d · staffing alert", id))))
}

// TestStaffingAlertRetriedAcrossSweeps: an alert whose every attempt in one
// sweep meets a 5xx stays pending and is sent by a later sweep, after its
// backoff, with the same enforced nonce: one alert in all.
func TestStaffingAlertRetriedAcrossSweeps(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "2h")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Short of medics", at, discordtest.Int("medics", 1))
	marker := fmt.Sprintf("Rally #%d · staffing alert", id)

	h.fake.FailNext(http.MethodPost, messagesRoute, 1000, http.StatusServiceUnavailable)
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.fake.FailNext(http.MethodPost, messagesRoute, 0, http.StatusServiceUnavailable)
	failed, _ := h.schedPosts(seattleChannel, marker)
	if len(failed) == 0 || h.staffingAlerts(seattleChannel, id) != 0 {
		t.Fatalf("%d attempts and %d alerts in a 503 outage, want attempts and no alert", len(failed), h.staffingAlerts(seattleChannel, id))
	}
	if state, _, err := h.staffingAlertState(id); err != nil || state != store.ReminderPending {
		t.Fatalf("alert stored as %q (%v) after the outage, want pending", state, err)
	}

	h.runJobs() // within the backoff: not tried again yet
	if bodies, _ := h.schedPosts(seattleChannel, marker); len(bodies) != len(failed) {
		t.Fatalf("%d attempts before the backoff passed, want %d", len(bodies), len(failed))
	}

	h.clock.Add(time.Minute)
	h.runJobs()
	h.runJobs()
	if n := h.staffingAlerts(seattleChannel, id); n != 1 {
		t.Fatalf("%d alerts after the outage passed, want 1", n)
	}
	bodies, _ := h.schedPosts(seattleChannel, marker)
	if len(bodies) != len(failed)+1 {
		t.Errorf("%d attempts in all, want %d", len(bodies), len(failed)+1)
	}
	for _, b := range bodies {
		if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
			t.Fatalf("attempts across sweeps must share one enforced nonce: %v then %v", bodies[0]["nonce"], b["nonce"])
		}
	}
	if state, msgID, err := h.staffingAlertState(id); err != nil || state != store.ReminderSent || msgID == "" {
		t.Errorf("alert stored as %q %q %v, want sent", state, msgID, err)
	}
}

// TestStaffingAlertFoundAfterACrash: an alert that reached Discord just
// before a crash is found on restart, even past Discord's nonce window and a
// page of chatter, and is not posted twice.
func TestStaffingAlertFoundAfterACrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "2h")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Short of interpreters", at, discordtest.Int("interpreters", 2))

	h.clock.Set(at.Add(-24 * time.Hour))
	h.crashOnceSent(http.MethodPost, messagesRoute, "the alert reaches Discord", h.tickInBackground,
		func() bool { return h.staffingAlerts(seattleChannel, id) == 1 })

	for i := 0; i < 250; i++ {
		h.fake.Say(seattleChannel, member(i%20).UserID, fmt.Sprintf("who can marshal? %d", i))
	}
	h.fake.ExpireNonces()
	h.clock.Add(10 * time.Minute)
	h.start()
	h.runJobs()
	if n := h.staffingAlerts(seattleChannel, id); n != 1 {
		t.Fatalf("%d alerts after the crash, want 1", n)
	}
	if state, msgID, err := h.staffingAlertState(id); err != nil || state != store.ReminderSent || msgID == "" {
		t.Errorf("alert stored as %q %q %v, want sent with the message found", state, msgID, err)
	}
}
