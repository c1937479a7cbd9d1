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

// TestPlaceAuditNoEarlyRevealAfterAMove: the place's reveal DM cannot go out
// (Discord refuses it), and meanwhile the lead moves the rally a week later
// to a new place. When Discord takes DMs again, nothing of either place is
// sent before the new reveal time; at it, the new place is.
func TestPlaceAuditNoEarlyRevealAfterAMove(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Night vigil", at)
	rid := fmt.Sprint(id)
	going := member(1)
	mustContain(t, h.noticeRSVP(going, ann, id, "going"), true, "DM it to you 2h before")

	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500) // no DM can be opened
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()
	if got := len(h.fake.DMs(going.UserID)); got != 0 {
		t.Fatalf("%d DMs went out while none could be opened", got)
	}
	const moved = "Tallowmere depot side door"
	later := at.Add(7 * 24 * time.Hour)
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", rid),
		discordtest.Str("when", schedWhen(t, "Seattle", later)), discordtest.Str("location", moved)), true, "Night vigil")

	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	for range 4 {
		h.clock.Add(10 * time.Minute)
		h.runJobs()
	}
	if len(h.noticeDMs(going, "has changed")) != 1 {
		t.Errorf("the member going was not told of the move: %d DMs", len(h.fake.DMs(going.UserID)))
	}
	for _, d := range h.fake.DMs(going.UserID) {
		if text := messageText(d); strings.Contains(text, moved) || strings.Contains(text, privSecret) {
			t.Errorf("a place went out a week before its reveal: %s", text)
		}
	}

	h.clock.Set(later.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()
	if got := h.noticeDMs(going, moved); len(got) == 0 {
		t.Error("the member going was not told the new place at its reveal")
	}
}

// TestPlaceAuditNewPlaceReachesEveryoneGoing: a member whose reveal was
// dropped (they said Can't go while Discord refused it) comes back, going,
// and is told the place in the reply; when the lead then changes the place,
// the new one reaches them at its reveal as it reaches everyone going.
func TestPlaceAuditNewPlaceReachesEveryoneGoing(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Night vigil", at)
	rid := fmt.Sprint(id)
	back, stays := member(1), member(2)
	mustContain(t, h.noticeRSVP(back, ann, id, "going"), true, "DM it to you 2h before")
	mustContain(t, h.noticeRSVP(stays, ann, id, "going"), true, "DM it to you 2h before")

	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500) // no DM can be opened
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()
	mustContain(t, h.noticeRSVP(back, ann, id, "not_going"), true, "Night vigil")
	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	h.clock.Add(10 * time.Minute)
	h.runJobs()
	h.runJobs()
	if len(h.noticeDMs(back, privSecret)) != 0 || len(h.noticeDMs(stays, privSecret)) == 0 {
		t.Fatalf("the reveal: %d DMs to the member who left, %d to the one going", len(h.fake.DMs(back.UserID)), len(h.fake.DMs(stays.UserID)))
	}
	mustContain(t, h.noticeRSVP(back, ann, id, "going"), true, privSecret)

	const moved = "Tallowmere depot side door"
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", rid), discordtest.Str("location", moved)), true, "Night vigil")
	h.clock.Add(time.Minute)
	h.runJobs()
	h.runJobs()
	for _, m := range []discordtest.Member{back, stays} {
		if got := h.noticeDMs(m, moved); len(got) == 0 {
			t.Errorf("member %s, going, was never told the new place", m.UserID)
		}
	}
}
