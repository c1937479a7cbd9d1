package bot_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

const editMessageRoute = "/channels/{channel_id}/messages/{message_id}"

// dmEdits counts the edits of a DM Discord answered with status (0: any).
func (h *harness) dmEdits(m *discordgo.Message, status int) int {
	n := 0
	for _, q := range h.fake.Requests() {
		if q.Method == http.MethodPatch && q.Path == "/channels/"+m.ChannelID+"/messages/"+m.ID && (status == 0 || q.Status == status) {
			n++
		}
	}
	return n
}

// TestEndedRallyPutsOutItsDMButtons: the day-before DM's "Still going" /
// "Can't make it" stay pressable until the rally ends; then the bot edits
// the DM, its text kept, its buttons replaced by one disabled "This rally is
// over", through a 503 and a crash once Discord had the edit, and
// never again after. A high-risk rally's DMs (deleted at its end) and a
// "Home safe?" DM (its buttons work for the day) are not edited.
func TestEndedRallyPutsOutItsDMButtons(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at,
		discordtest.Int("marshals", 1), discordtest.Bool("safe_home", true))
	risky := h.schedRally("Seattle", seattleChannel, "Quiet vigil", at, discordtest.Bool("high_risk", true))
	going, marshal, hidden := member(1), member(2), member(3)
	h.noticeRSVP(going, h.actAnnouncement(seattleChannel, id), id, "going")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true)
	h.noticeRSVP(hidden, h.actAnnouncement(seattleChannel, risky), risky, "going")

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	reminders := h.noticeDMs(going, "Reminder")
	hiddenDMs := h.noticeDMs(hidden, "Reminder")
	if len(reminders) != 1 || len(hiddenDMs) != 1 {
		t.Fatalf("day-before DMs: %d to the member going, %d at the high-risk rally; want 1 each", len(reminders), len(hiddenDMs))
	}
	dm, hiddenDM := reminders[0], hiddenDMs[0]
	text := h.fake.Message(dm.ChannelID, dm.ID).Content
	pressable := func(m *discordgo.Message) bool {
		b := buttons(h.fake.Message(m.ChannelID, m.ID))
		return len(b) == 2 && !b[0].Disabled && !b[1].Disabled
	}
	putOut := func() bool {
		now := h.fake.Message(dm.ChannelID, dm.ID)
		b := buttons(now)
		return len(b) == 1 && b[0].Disabled && b[0].Label == "This rally is over" && now.Content == text
	}

	// Under way: nothing is edited.
	h.clock.Set(at.Add(time.Hour))
	h.runJobs()
	if !pressable(dm) || h.dmEdits(dm, 0) != 0 {
		t.Fatalf("the DM was edited before the end: %+v", buttons(h.fake.Message(dm.ChannelID, dm.ID)))
	}

	// Over, with the DM's channel failing: the edit is owed, not lost.
	h.fake.FailChannel(dm.ChannelID, http.StatusServiceUnavailable, 0)
	h.clock.Set(at.Add(2*time.Hour + time.Minute))
	h.runJobs()
	h.runJobs()
	if h.dmEdits(dm, http.StatusServiceUnavailable) == 0 {
		t.Fatal("the DM's edit was not tried at the end")
	}
	if !pressable(dm) {
		t.Fatal("a refused edit changed the DM")
	}
	h.fake.FailChannel(dm.ChannelID, 0, 0)

	// Past the backoff, crashed once Discord had the edit: done, and the
	// same edit made again at the restart is the one edit the member sees.
	h.clock.Add(2 * time.Minute)
	h.crashOnceSent("PATCH", editMessageRoute, "the DM's buttons are put out", h.tickInBackground, putOut)
	h.start()
	h.runJobs()
	if !putOut() {
		t.Fatalf("the DM after the end: %q %+v", h.fake.Message(dm.ChannelID, dm.ID).Content, buttons(h.fake.Message(dm.ChannelID, dm.ID)))
	}
	done := h.dmEdits(dm, http.StatusOK)
	h.clock.Add(time.Hour)
	h.runJobs()
	h.runJobs()
	if n := h.dmEdits(dm, http.StatusOK); n != done {
		t.Errorf("the DM was edited %d more times after it was done", n-done)
	}
	// Pressed anyway, it answers that the rally is over.
	mustContain(t, h.noticeClickDM(going, dm, fmt.Sprintf("confirm:yes:%d", id)), false, "is over or called off")

	if n := h.dmEdits(hiddenDM, 0); n != 0 {
		t.Errorf("the high-risk rally's DM was edited %d times; it is deleted instead", n)
	}
	safe := h.afterDMs(marshal)
	if len(safe) != 1 {
		t.Fatalf("the marshal got %d safe-home DMs, want 1", len(safe))
	}
	if b := buttons(h.fake.Message(safe[0].ChannelID, safe[0].ID)); len(b) == 0 || b[0].Disabled || h.dmEdits(safe[0], 0) != 0 {
		t.Errorf("the Home safe? DM was edited: %+v", b)
	}
}
