package bot_test

import (
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
