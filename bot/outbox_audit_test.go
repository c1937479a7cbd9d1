package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// TestGatewayDropMidStorm: the gateway drops in the middle of a storm of
// clicks, twice, each member changing their mind over and over. A click
// Discord could not deliver is clicked again (as a member does when Discord
// says the interaction failed); every RSVP ends stored once with its last
// choice, and the announcement's counts are right after the resume.
func TestGatewayDropMidStorm(t *testing.T) {
	t.Parallel()
	fakeCfg := discordtest.Config{Token: token, HeartbeatInterval: 500 * time.Millisecond}
	h := newHarnessOn(t, fakeCfg, nil, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, ann := h.createRally()
	const members, rounds = 30, 8
	count := func(status string) int {
		var n int
		if err := h.sql().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rsvps WHERE rally_id = ? AND status = ?`, id, status).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// storm has each member click round after round, the last round's
	// status last; the gateway drops a third of the way through.
	storm := func(status func(n, round int) string) {
		var wg sync.WaitGroup
		var answered, before, retried atomic.Int32
		for n := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(n)}
				for round := range rounds {
					ok := false
					// Until the gateway is back: a click made while it is
					// down fails at once, and is made again a moment later.
					for giveUp := time.Now().Add(30 * time.Second); !ok && time.Now().Before(giveUp); {
						ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
						r, err := h.fake.Click(ctx, inv, ann.ID, "rsvp:"+status(n, round)+":"+id)
						cancel()
						if err != nil {
							retried.Add(1)
							time.Sleep(20 * time.Millisecond)
							continue
						}
						if !strings.Contains(r.Text(), "Rally for fair housing") {
							t.Errorf("member %d's click answered %q", n, r.Text())
						}
						answered.Add(1)
						ok = true
					}
					if !ok {
						t.Errorf("member %d's click never answered", n)
						return
					}
				}
			}()
		}
		eventually(t, 10*time.Second, "a third of the clicks answered", func() bool { return answered.Load() >= members*rounds/3 })
		resumed := h.fake.Resumes()
		h.fake.DropGateway(4000)
		before.Store(answered.Load())
		wg.Wait()
		if err := h.fake.WaitResumed(h.ctx(), resumed+1); err != nil {
			t.Fatal(err)
		}
		t.Logf("answered before the drop: %d of %d; clicks again after it: %d", before.Load(), members*rounds, retried.Load())
	}
	flip := func(n, round int) string {
		if (n+round)%2 == 0 {
			return "maybe"
		}
		return "going"
	}

	storm(flip)
	final := func(n int) string { return flip(n, rounds-1) }
	want := map[string]int{}
	for n := range members {
		want[final(n)]++
	}
	check := func() {
		t.Helper()
		if g, m := count("going"), count("maybe"); g != want["going"] || m != want["maybe"] {
			t.Errorf("%d going and %d maybe, want %v", g, m, want)
		}
		var rows int
		if err := h.sql().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rsvps WHERE rally_id = ?`, id).Scan(&rows); err != nil || rows != members {
			t.Errorf("%d RSVP rows (%v), want %d", rows, err, members)
		}
		g, m := strconv.Itoa(want["going"])+" going", strconv.Itoa(want["maybe"])+" maybe"
		eventually(t, 10*time.Second, "the announcement shows the counts after the resume", func() bool {
			txt := messageText(h.fake.Message(seattleChannel, ann.ID))
			return strings.Contains(txt, g) && strings.Contains(txt, m)
		})
	}
	check()
	storm(func(n, round int) string { return flip(n, round+1) })
	want = map[string]int{}
	for n := range members {
		want[flip(n, rounds)]++
	}
	check()
}

// TestDrainerAndSweepSendADueReminderOnce: a reminder's post is held at
// Discord while the sweep sends it; clicks meanwhile kick the drainer, which
// reads the same due row; a sweep follows. It is posted once: one request,
// not two deduplicated by their nonce.
func TestDrainerAndSweepSendADueReminderOnce(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	idStr, ann := h.createRally() // starts 2026-11-28 22:30 UTC; reminded 24h before
	rid, _ := strconv.ParseInt(idStr, 10, 64)
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	posts := func() int {
		n := 0
		for _, r := range h.fake.Requests() {
			if r.Method == "POST" && r.Route == postMessage && strings.Contains(string(r.Body), "Reminder:") {
				n++
			}
		}
		return n
	}
	release := h.fake.Hold("POST", postMessage)
	h.tickInBackground()
	eventually(t, 10*time.Second, "the sweep's reminder reaches Discord", func() bool { return len(h.schedReminders(seattleChannel, rid)) == 1 })
	for n := range 3 {
		mustContain(t, h.click(member(n), seattleChannel, ann.ID, "rsvp:going:"+idStr), true, "going")
	}
	release()
	h.runJobs()
	h.runJobs()
	if n := posts(); n != 1 {
		t.Errorf("the reminder was posted %d times, want 1", n)
	}
	if n := len(h.schedReminders(seattleChannel, rid)); n != 1 {
		t.Errorf("%d reminders in the channel, want 1", n)
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

// TestClickThroughServerErrors: Discord answers 5xx to every callback of a
// click and 502 to the announcement's edits. The RSVP is stored once; the
// member, told by Discord the click failed, clicks again and is answered;
// the announcement's counts come right once the edits go through.
func TestClickThroughServerErrors(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	h.fake.FailNext("POST", callbackRoute, 1000, 503)
	h.fake.FailNext("PATCH", editMessage, 3, 502)
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(1)}
	ctx, cancel := context.WithCancel(context.Background())
	clicked := make(chan error, 1)
	go func() {
		_, err := h.fake.Click(ctx, inv, ann.ID, "rsvp:going:"+id)
		clicked <- err
	}()
	rows := func() int {
		var n int
		if err := h.sql().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rsvps WHERE rally_id = ? AND status = 'going'`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, 10*time.Second, "the RSVP stored and its answer tried again", func() bool {
		return rows() == 1 && h.fake.CountRequests("POST", callbackRoute) >= 2
	})
	cancel()
	if err := <-clicked; err == nil {
		t.Fatal("a click was answered while every callback failed")
	}
	h.fake.FailNext("POST", callbackRoute, 0, 503)
	mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id), true, "going")
	if n := rows(); n != 1 {
		t.Errorf("%d going after the click again, want 1", n)
	}
	eventually(t, 15*time.Second, "the announcement shows 1 going once the edits go through", func() bool {
		return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "1 going")
	})
}
