package bot_test

import (
	"strings"
	"testing"
	"time"
)

// TestAdoptedAnnouncementShowsClicksMadeMeanwhile: a /rally create killed
// once Discord had posted the announcement leaves a message members can
// click before the restarted bot has recorded it. The restart adopts it at
// once (nothing of the dead process is in flight, so there is no grace to
// wait out), and then shows the clicks recorded meanwhile without anyone
// clicking again.
func TestAdoptedAnnouncementShowsClicksMadeMeanwhile(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	h.crashOnceSent("POST", postMessage, "the announcement reaches Discord", h.inBackground(lead, seattleChannel, "rally create", createOpts()...),
		func() bool { return len(h.fake.Messages(seattleChannel)) == 1 })
	ann := h.fake.Messages(seattleChannel)[0]

	// The restart resumes the send, at start: it looks for the message
	// first. The answer to that search is held, so members click while the
	// bot has not recorded the message.
	release := h.fake.Hold("GET", postMessage)
	started := make(chan struct{})
	go func() { defer close(started); h.start() }()
	eventually(t, 10*time.Second, "the restarted bot is connected", func() bool {
		return strings.Count(h.logs.String(), "msg=ready") == 2
	})
	mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:1"), true, "you're **going**")
	mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:maybe:1"), true, "maybe")
	// The clicks' edits found no message to edit, and are done with.
	eventually(t, 10*time.Second, "the clicks' edits give up on the unrecorded message", func() bool {
		var pending int
		err := h.sql().QueryRow(`SELECT refresh_pending FROM rallies WHERE id = 1`).Scan(&pending)
		return err == nil && pending == 0
	})
	if n := len(h.fake.Messages(seattleChannel)); n != 1 {
		t.Errorf("%d messages in the channel before the announcement is recorded, want 1", n)
	}
	release()
	<-started
	if n := h.fake.CountRequests("GET", postMessage); n == 0 {
		t.Error("the restart never looked for the announcement")
	}

	eventually(t, 10*time.Second, "the adopted announcement shows the clicks made meanwhile", func() bool {
		txt := messageText(h.fake.Message(seattleChannel, ann.ID))
		return strings.Contains(txt, "1 going") && strings.Contains(txt, "1 maybe")
	})
	if n := len(h.fake.Messages(seattleChannel)); n != 1 {
		t.Errorf("%d messages in the channel, want the one announcement", n)
	}
}
