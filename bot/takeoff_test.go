package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
	"rallybot/store"
)

// TestSeatFreedByForgetMeAndByDeparture: forget-me and a member's departure
// from the server take a member off a rally the one same way: the seat of
// the member going goes to the first on the waitlist, who is told once by
// DM (owed as a row, sent by the outbox), and the announcement is redrawn
// without the waitlist.
func TestSeatFreedByForgetMeAndByDeparture(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	forgetID := h.schedRally("Seattle", seattleChannel, "Forgotten seat", at, discordtest.Int("capacity", 1))
	leaveID := h.schedRally("Seattle", seattleChannel, "Departed seat", at, discordtest.Int("capacity", 1))
	forgets, leaves := member(1), member(2)
	nextForget, nextLeave := member(3), member(4)
	for _, c := range []struct {
		id             int64
		going, waiting discordtest.Member
	}{{forgetID, forgets, nextForget}, {leaveID, leaves, nextLeave}} {
		ann := h.actAnnouncement(seattleChannel, c.id)
		mustContain(t, h.noticeRSVP(c.going, ann, c.id, "going"), true, "going")
		mustContain(t, h.noticeRSVP(c.waiting, ann, c.id, "going"), true, "waitlist")
	}
	announced := func(id int64) string { return messageText(h.actAnnouncement(seattleChannel, id)) }
	for _, id := range []int64{forgetID, leaveID} {
		eventually(t, 10*time.Second, "the announcement shows the waitlist", func() bool {
			return strings.Contains(announced(id), "1 waitlisted")
		})
	}
	promotedDMs := func(m discordtest.Member, title string) int {
		return len(filter(h.noticeDMs(m, "A seat opened up"), textHas(title)))
	}
	db := h.schedDB()
	standing := func(id int64, m discordtest.Member) store.RSVPStatus {
		t.Helper()
		st, err := db.MemberStanding(context.Background(), id, m.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Status
	}

	// Forget-me in the server.
	mustContain(t, h.cmd(forgets, seattleChannel, "privacy forget-me"), true)
	if got := standing(forgetID, nextForget); got != store.Going {
		t.Errorf("after forget-me the waitlisted member stands %q, want going", got)
	}
	eventually(t, 10*time.Second, "the member promoted by forget-me is told by DM", func() bool {
		return promotedDMs(nextForget, "Forgotten seat") > 0
	})

	// A member who left the server, found gone when their day-before
	// reminder is due.
	h.fake.RemoveMember(guildID, leaves.UserID)
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	if got := standing(leaveID, leaves); got != store.NotGoing {
		t.Errorf("the departed member stands %q, want taken off", got)
	}
	if got := standing(leaveID, nextLeave); got != store.Going {
		t.Errorf("after the departure the waitlisted member stands %q, want going", got)
	}
	eventually(t, 10*time.Second, "the member promoted by the departure is told by DM", func() bool {
		return promotedDMs(nextLeave, "Departed seat") > 0
	})

	// More sweeps send nothing again; each promotion was told exactly once.
	h.clock.Add(5 * time.Minute)
	h.runJobs()
	h.runJobs()
	if n := promotedDMs(nextForget, "Forgotten seat"); n != 1 {
		t.Errorf("the member promoted by forget-me got %d promotion DMs, want 1", n)
	}
	if n := promotedDMs(nextLeave, "Departed seat"); n != 1 {
		t.Errorf("the member promoted by the departure got %d promotion DMs, want 1", n)
	}
	for _, m := range []discordtest.Member{nextForget, nextLeave} {
		if n := len(h.noticeDMs(m, "A seat opened up")); n != 1 {
			t.Errorf("member %s got %d promotion DMs in all, want 1", m.UserID, n)
		}
	}
	if n := len(h.fake.DMs(leaves.UserID)); n != 0 {
		t.Errorf("the departed member got %d DMs", n)
	}
	for _, id := range []int64{forgetID, leaveID} {
		eventually(t, 10*time.Second, "the announcement is redrawn without the waitlist", func() bool {
			text := announced(id)
			return strings.Contains(text, "1/1") && !strings.Contains(text, "waitlisted")
		})
	}
}
