package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestPlaceAuditApprovedThenLeftGetsNoPlace: a lead approves a request on a
// private rally whose place is being shared; the DM saying so cannot go out
// yet (Discord refuses it), and meanwhile the member says Can't go. When
// Discord takes DMs again the member, no longer going, is not sent the
// place; a member approved and still going is.
func TestPlaceAuditApprovedThenLeftGetsNoPlace(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Closed meeting", at, discordtest.Bool("approval", true))
	rid := fmt.Sprint(id)
	left, stays := member(1), member(2)
	mustContain(t, h.noticeRSVP(left, ann, id, "going"), true, "went to the")
	mustContain(t, h.noticeRSVP(stays, ann, id, "going"), true, "went to the")
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()

	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500) // no DM can be opened
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid))
	for _, m := range []discordtest.Member{left, stays} {
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, fmt.Sprintf("request:approve:%d:%s", id, m.UserID)), true, "Approved")
	}
	h.runJobs()
	for _, m := range []discordtest.Member{left, stays} {
		if got := len(h.fake.DMs(m.UserID)); got != 0 {
			t.Fatalf("%d DMs went out while none could be opened", got)
		}
	}
	mustContain(t, h.noticeRSVP(left, ann, id, "not_going"), true, "Closed meeting")

	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	for range 4 {
		h.clock.Add(5 * time.Minute)
		h.runJobs()
	}
	if got := h.noticeDMs(stays, "You're in"); len(got) != 1 || !strings.Contains(messageText(got[0]), privSecret) {
		t.Fatalf("the member approved and still going was not told the place: %v", got)
	}
	for _, d := range h.fake.DMs(left.UserID) {
		privHides(t, "a DM to a member who said Can't go after their approval", messageText(d))
	}
}
