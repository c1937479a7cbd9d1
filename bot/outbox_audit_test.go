package bot_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestRetimedRallyRemindsByDMAtTheNewTime: a rally moved after its
// reminder came due is reminded by DM at the new time, once, and not at the
// old one: a reminder DM still owed for the old time (Discord failing when
// it came due) is owed no more, and the one sent for the old time does not
// stand for the new.
func TestRetimedRallyRemindsByDMAtTheNewTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	ann := h.actAnnouncement(seattleChannel, id)
	owed, told := member(1), member(2) // both owed the first; both told later
	h.noticeRSVP(owed, ann, id, "going")
	h.noticeRSVP(told, ann, id, "going")

	// The day before, the first member's DM channel cannot be opened: the
	// reminder DM stays owed, backing off. The other's goes out.
	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500)
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	if n := len(h.noticeDMs(owed, "Reminder")) + len(h.noticeDMs(told, "Reminder")); n != 0 {
		t.Fatalf("%d reminder DMs while Discord fails, want 0", n)
	}

	// The rally moves three days later; the DM's backoff passes.
	moved := at.Add(72 * time.Hour)
	mustContain(t, h.cmd(admin, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(id, 10)),
		discordtest.Str("when", schedWhen(t, "Seattle", moved))), true)
	h.clock.Add(10 * time.Minute)
	h.runJobs()
	h.runJobs()
	for _, m := range []discordtest.Member{owed, told} {
		if n := len(h.noticeDMs(m, "Reminder")); n != 0 {
			t.Errorf("member %s got %d reminder DMs for the old time, three days early", m.UserID, n)
		}
	}

	h.clock.Set(moved.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	for _, m := range []discordtest.Member{owed, told} {
		if n := len(h.noticeDMs(m, "Reminder")); n != 1 {
			t.Errorf("member %s got %d reminder DMs by the new time's, want 1", m.UserID, n)
		}
	}

	// Moved again, after that reminder went out: the DM sent for the
	// earlier time does not stand for the new one.
	again := moved.Add(72 * time.Hour)
	mustContain(t, h.cmd(admin, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(id, 10)),
		discordtest.Str("when", schedWhen(t, "Seattle", again))), true)
	h.clock.Set(again.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	for _, m := range []discordtest.Member{owed, told} {
		if n := len(h.noticeDMs(m, "Reminder")); n != 2 {
			t.Errorf("member %s got %d reminder DMs by the third time's, want 2", m.UserID, n)
		}
	}
	// The channel: the first time's (sent before the first move), then
	// one for each new time.
	if n := len(h.schedReminders(seattleChannel, id)); n != 3 {
		t.Errorf("%d reminders in the channel, want 3", n)
	}
}

// TestRedeliveredInteractionHandledOnce: Discord may deliver an interaction
// again after a resume. The second copy changes nothing and is not answered:
// a create makes one rally, a "Can't go" promotes the waitlist once, a click
// already answered is not answered again.
func TestRedeliveredInteractionHandledOnce(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	h.fake.RedeliverNext(1)
	id, ann := h.createRally(discordtest.Int("capacity", 1))
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	mustContain(t, h.click(member(3), seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	h.fake.RedeliverNext(1)
	h.click(member(1), seattleChannel, ann.ID, "rsvp:not_going:"+id)
	h.cmd(lead, seattleChannel, "rally list") // read after the copy on the gateway
	h.stop()                                  // the copy's handler, if any, is done
	var rallies, going int
	db := h.sql()
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rallies`).Scan(&rallies); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rsvps WHERE rally_id = ? AND status = 'going'`, id).Scan(&going); err != nil {
		t.Fatal(err)
	}
	if rallies != 1 {
		t.Errorf("%d rallies after a create delivered twice, want 1", rallies)
	}
	if n := len(filter(h.fake.Messages(seattleChannel), embedWith("", "Rally #"))); n != 1 {
		t.Errorf("%d announcements after a create delivered twice, want 1", n)
	}
	if going != 1 {
		t.Errorf("%d going after one Can't go delivered twice with capacity 1, want 1", going)
	}
	if n := h.fake.AnsweredTwice(); n != 0 {
		t.Errorf("%d interactions answered twice", n)
	}
}
