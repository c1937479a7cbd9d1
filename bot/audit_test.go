package bot_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// TestAuditNoDMAfterLeavingTheRally: a reminder or a change notice owed to
// a member while Discord could not take it is not sent once they have said
// Can't go: it was owed to someone coming, and they no longer are.
func TestAuditNoDMAfterLeavingTheRally(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Bus depot picket", at)
	ann := h.actAnnouncement(seattleChannel, id)
	rid := fmt.Sprint(id)
	left, maybeLeft, stays := member(1), member(2), member(3)
	mustContain(t, h.noticeRSVP(left, ann, id, "going"), true, "going")
	mustContain(t, h.noticeRSVP(maybeLeft, ann, id, "maybe"), true, "maybe")
	mustContain(t, h.noticeRSVP(stays, ann, id, "going"), true, "going")

	// No DM can be opened: the day-before reminders and a change notice
	// stay owed.
	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500)
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", rid), discordtest.Str("location", "Depot gate 4")),
		true, "Bus depot picket")
	h.runJobs()
	for _, m := range []discordtest.Member{left, maybeLeft, stays} {
		if got := len(h.fake.DMs(m.UserID)); got != 0 {
			t.Fatalf("%d DMs went out while none could be opened", got)
		}
	}

	mustContain(t, h.noticeRSVP(left, ann, id, "not_going"), true, "Bus depot picket")
	mustContain(t, h.noticeRSVP(maybeLeft, ann, id, "not_going"), true, "Bus depot picket")
	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	for range 4 {
		h.clock.Add(10 * time.Minute)
		h.runJobs()
	}

	if len(h.noticeDMs(stays, "Reminder")) != 1 || len(h.noticeDMs(stays, "has changed")) != 1 {
		t.Fatalf("the member still going was not sent the owed DMs: %d", len(h.fake.DMs(stays.UserID)))
	}
	for _, m := range []discordtest.Member{left, maybeLeft} {
		for _, d := range h.fake.DMs(m.UserID) {
			t.Errorf("a member who said Can't go was sent: %s", messageText(d))
		}
	}
}

// TestAuditLocaleGoesWithTheLastRSVP: a member's language is kept only while
// they have an RSVP, a request or a role in the server: Can't go on their
// last rally or a lead taking them off it deletes it at once, not at the
// next retention run.
func TestAuditLocaleGoesWithTheLastRSVP(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Clinic defense", at)
	ann := h.actAnnouncement(seattleChannel, id)
	rid := fmt.Sprint(id)
	es := func(n int) discordtest.Member { m := member(n); m.Locale = "es-419"; return m }
	cantGo, removed, stays := es(1), es(2), es(4)
	for _, m := range []discordtest.Member{cantGo, removed, stays} {
		h.noticeRSVP(m, ann, id, "going")
	}
	locales := func(m discordtest.Member) int {
		return h.privacyCount(`SELECT COUNT(*) FROM member_locales WHERE user_id = ?`, m.UserID)
	}
	for _, m := range []discordtest.Member{cantGo, removed, stays} {
		if locales(m) != 1 {
			t.Fatalf("the locale of a member going was not stored")
		}
	}

	// Checked before any job runs: retention's sweep would delete them too.
	h.noticeRSVP(cantGo, ann, id, "not_going")
	if locales(cantGo) != 0 {
		t.Error("the locale of a member with nothing left is kept after Can't go")
	}
	mustContain(t, h.cmd(lead, seattleChannel, "rally remove", discordtest.Str("rally", rid), discordtest.UserOpt("member", removed.UserID)),
		true, "Took <@"+removed.UserID+">")
	if locales(removed) != 0 {
		t.Error("the locale of a member with nothing left is kept after a removal")
	}
	if locales(stays) != 1 {
		t.Error("the locale of a member still going was deleted")
	}
	// Their next word is in their language again, and kept only with an RSVP.
	mustContain(t, h.noticeRSVP(cantGo, ann, id, "going"), true, "Clinic defense")
	if locales(cantGo) != 1 {
		t.Error("the locale of a member going again was not stored")
	}
}

// TestAuditNoCheckInButtonAtAHighRiskRally: /rally info during a high-risk
// rally offers no "Check in" button (a check-in is a record of presence),
// as its announcement offers none; another rally's info still does.
func TestAuditNoCheckInButtonAtAHighRiskRally(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	risky := h.schedRally("Seattle", seattleChannel, "Courthouse watch", at, discordtest.Bool("high_risk", true))
	plain := h.schedRally("Seattle", seattleChannel, "Park cleanup", at)
	h.clock.Set(at.Add(10 * time.Minute))
	hasCheckIn := func(id int64) bool {
		r := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", fmt.Sprint(id)))
		if r.Data == nil {
			t.Fatalf("/rally info: no reply")
		}
		for _, row := range r.Data.Components {
			if ar, ok := row.(*discordgo.ActionsRow); ok {
				for _, c := range ar.Components {
					if b, ok := c.(*discordgo.Button); ok && b.CustomID == fmt.Sprintf("checkin:%d", id) {
						return true
					}
				}
			}
		}
		return false
	}
	if !hasCheckIn(plain) {
		t.Fatal("/rally info of a rally under way offers no Check in")
	}
	if hasCheckIn(risky) {
		t.Error("/rally info of a high-risk rally under way offers Check in")
	}
}
