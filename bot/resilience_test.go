package bot_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestRefusalClipsEcho: a refusal quoting what the member typed stays within
// Discord's 2,000 characters however long the input (within the option's
// max_length), and quotes a clipped value rather than all of it.
func TestRefusalClipsEcho(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	var names []string
	for n, size := 0, 0; ; n++ {
		name := fmt.Sprintf("**%d", n)
		if size+len(name)+1 > 1000 {
			break
		}
		names = append(names, name)
		size += len(name) + 1
	}
	r := h.cmd(coord, coordChannel, "action create", actCreateOpts(discordtest.Str("chapters", strings.Join(names, ",")))...)
	mustContain(t, r, true, "Nothing was created.")
	if n := len([]rune(r.Text())); n > 2000 {
		t.Errorf("refusal is %d characters, over Discord's 2,000", n)
	}

	long := strings.Repeat("@x", 50) // 100 characters, the option's max_length
	r = h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("chapter", long))...)
	mustContain(t, r, true, "There is no chapter called")
	if n := strings.Count(r.Text(), "x"); n >= 50 {
		t.Errorf("refusal echoes all %d characters of the input: %q", len(long), r.Text())
	}
}

// TestInvisibleTextRefused: a title, location, reason or chapter name made
// only of spaces and invisible characters would be posted as a blank; it is
// refused with a sentence saying so, and nothing is posted or saved.
func TestInvisibleTextRefused(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	invisible := []string{"\u200b\u200b\u200b", "\u200d\u2060\ufeff", "\u3164", "\u2800\u2800", " \u200e\u00a0\u180e ", "\u034f\ufe0f"}
	for _, s := range invisible {
		before := len(h.fake.Messages(seattleChannel))
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", s))...)
		mustContain(t, r, true, "`title`", "no visible characters")
		r = h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("location", s))...)
		mustContain(t, r, true, "`location`", "no visible characters")
		if n := len(h.fake.Messages(seattleChannel)); n != before {
			t.Errorf("%q: %d messages posted", s, n-before)
		}
		r = h.cmd(admin, seattleChannel, "chapter add", discordtest.Str("name", s), discordtest.Str("timezone", "America/Chicago"))
		mustContain(t, r, true, "`name`")
	}
	id, _ := h.createRally()
	r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "\u200b"))
	mustContain(t, r, true, "`title`", "no visible characters")
	r = h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Str("reason", "\u200b \u200b"))
	mustContain(t, r, true, "`reason`", "no visible characters")
	r = h.cmd(admin, seattleChannel, "chapter list")
	if strings.Contains(r.Text(), "\u200b") || strings.Contains(r.Text(), "\u3164") {
		t.Errorf("an invisible chapter name was saved: %q", r.Text())
	}
}

// TestForgottenIDsLeaveTheWAL: after forget-me, and after retention deletes
// old RSVPs, the member's id is in neither the database nor its -wal file:
// the deletion is checkpointed, not left beside the old pages in the log.
func TestForgottenIDsLeaveTheWAL(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	mustContain(t, h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")
	if !fileHas(t, h.dbPath+"-wal", volunteer.UserID) {
		t.Fatal("the member id is not in the -wal file after the RSVP; the test cannot tell anything")
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "privacy forget-me"), true, "Deleted your 1 RSVP")
	for _, f := range []string{h.dbPath + "-wal", h.dbPath} {
		if fileHas(t, f, volunteer.UserID) {
			t.Errorf("%s still holds the forgotten member's id", filepath.Base(f))
		}
	}

	t.Run("Retention", func(t *testing.T) {
		mustContain(t, h.click(member(7), seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")
		h.clock.Add(400 * 24 * time.Hour)
		h.runJobs()
		for _, f := range []string{h.dbPath + "-wal", h.dbPath} {
			if fileHas(t, f, member(7).UserID) {
				t.Errorf("%s still holds the id of an RSVP past retention", filepath.Base(f))
			}
		}
	})
}

func fileHas(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(s))
}

// snapshot copies the database as a SIGKILL would leave it at this moment:
// the main file and its write-ahead log (SQLite rebuilds the -shm).
func (h *harness) snapshot() map[string][]byte {
	h.t.Helper()
	files := map[string][]byte{}
	for _, f := range []string{h.dbPath, h.dbPath + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			h.t.Fatal(err)
		}
		files[f] = b
	}
	return files
}

// crash stops the bot and puts the database back as it was at the snapshot,
// so whatever the bot did after it (its clean shutdown included) is lost, as
// after a SIGKILL. The next start is a restart after a crash.
func (h *harness) crash(snap map[string][]byte) {
	h.t.Helper()
	h.stop()
	os.Remove(h.dbPath + "-shm")
	for f, b := range snap {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			h.t.Fatal(err)
		}
	}
}

// crashOnceSent holds Discord's answers to method route, has send do what
// posts (a command run in the background, a tick), waits until reached
// tells Discord has the post, and crashes the bot there: Discord made it,
// the database does not know. The answer is let go as the bot stops.
func (h *harness) crashOnceSent(method, route, what string, send func(), reached func() bool) {
	h.t.Helper()
	release := h.fake.Hold(method, route)
	send()
	eventually(h.t, 10*time.Second, what, reached)
	snap := h.snapshot()
	go func() { time.Sleep(200 * time.Millisecond); release() }()
	h.crash(snap)
	release()
}

// inBackground runs a slash command as m in channel ch without waiting for
// its answer (it may never come: the bot is about to crash).
func (h *harness) inBackground(m discordtest.Member, ch, path string, opts ...discordtest.Option) func() {
	return func() {
		go h.fake.Command(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: ch, Member: m}, path, opts...)
	}
}

// tickInBackground sends the clock's time to the scheduled jobs without
// waiting for them to take it.
func (h *harness) tickInBackground() {
	now := h.clock.Now()
	go func() { h.tick <- now }()
}

const postMessage = "/channels/{channel_id}/messages"

// TestCreateInterruptedIsFinished: a /rally create killed after storing the
// rally but before recording its announcement leaves neither a rally nobody
// can RSVP to nor a second announcement.
func TestCreateInterruptedIsFinished(t *testing.T) {
	t.Parallel()
	t.Run("PostedNotRecorded", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		h.crashOnceSent("POST", postMessage, "the announcement reaches Discord", h.inBackground(lead, seattleChannel, "rally create", createOpts()...),
			func() bool { return len(h.fake.Messages(seattleChannel)) == 1 })

		h.clock.Add(2 * time.Minute)
		h.start() // the sweep at start finishes the announcement
		msgs := h.fake.Messages(seattleChannel)
		if len(msgs) != 1 {
			t.Fatalf("%d announcements after the restart, want 1", len(msgs))
		}
		mustContain(t, h.click(member(1), seattleChannel, msgs[0].ID, "rsvp:going:1"), true, "you're **going**")
		eventually(t, 10*time.Second, "the recorded announcement is edited with the count", func() bool {
			return strings.Contains(messageText(h.fake.Message(seattleChannel, msgs[0].ID)), "1 going")
		})
	})
	// The post reached Discord, its answer was lost with the bot, and the
	// bot comes back after Discord forgot the nonce: the resumed send must
	// find the announcement in the channel, however much was said after it.
	for _, chatter := range []int{20, 250} {
		t.Run(fmt.Sprintf("PastNonceWindow%d", chatter), func(t *testing.T) {
			t.Parallel()
			h := rallyHarness(t)
			h.crashOnceSent("POST", postMessage, "the announcement reaches Discord", h.inBackground(lead, seattleChannel, "rally create", createOpts()...),
				func() bool { return len(h.fake.Messages(seattleChannel)) == 1 })
			ann := h.fake.Messages(seattleChannel)[0]

			for i := 0; i < chatter; i++ {
				h.fake.Say(seattleChannel, member(i%20).UserID, fmt.Sprintf("who's bringing signs? %d", i))
			}
			h.fake.ExpireNonces()
			h.clock.Add(10 * time.Minute)
			searches := h.fake.CountRequests("GET", postMessage)
			h.start() // the sweep at start finishes the announcement
			h.runJobs()

			var own []string
			for _, m := range h.fake.Messages(seattleChannel) {
				if m.Author.ID == ann.Author.ID {
					own = append(own, m.ID)
				}
			}
			if len(own) != 1 {
				t.Fatalf("%d announcements after the restart, want 1", len(own))
			}
			if n := h.fake.CountRequests("GET", postMessage) - searches; n < 1 {
				t.Errorf("the channel was never searched")
			}
			mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:1"), true, "you're **going**")
			eventually(t, 10*time.Second, "the announcement found is recorded and edited with the count", func() bool {
				return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "1 going")
			})
		})
	}
	t.Run("NotPosted", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		h.fake.FailNext("POST", postMessage, 1000, 503)
		go h.fake.Command(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: lead}, "rally create", createOpts()...)
		eventually(t, 10*time.Second, "the bot tries to post", func() bool { return h.fake.CountRequests("POST", postMessage) > 0 })
		snap := h.snapshot()
		h.crash(snap)
		h.fake.FailNext("POST", postMessage, 0, 503)

		h.start()
		// The lead, who never got an answer, runs the same command again.
		r := h.cmd(lead, seattleChannel, "rally create", createOpts()...)
		mustContain(t, r, true, "(#1)")
		if n := len(h.fake.Messages(seattleChannel)); n != 1 {
			t.Errorf("%d announcements, want 1", n)
		}
		mustContain(t, h.cmd(lead, seattleChannel, "rally list"), false, "#1")
		if txt := h.cmd(lead, seattleChannel, "rally list").Text(); strings.Contains(txt, "#2") {
			t.Errorf("a second rally was created: %q", txt)
		}
	})
}

const editMessage = "/channels/{channel_id}/messages/{message_id}"

// TestStaleCountsRerenderedAfterCrash: a click committed but whose
// announcement edit never happened (the bot was killed first) is shown at the
// next start, without anyone clicking again.
func TestStaleCountsRerenderedAfterCrash(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	h.fake.FailNext("PATCH", editMessage, 1000, 503) // the edit never lands
	mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")
	mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:maybe:"+id), true, "maybe")
	h.crash(h.snapshot())
	h.fake.FailNext("PATCH", editMessage, 0, 503)

	h.start()
	eventually(t, 10*time.Second, "the announcement shows the counts stored before the crash", func() bool {
		txt := messageText(h.fake.Message(seattleChannel, ann.ID))
		return strings.Contains(txt, "1 going") && strings.Contains(txt, "1 maybe")
	})
}

// TestInterruptedReminderFoundInBusyChannel: a reminder whose send reached
// Discord before a crash is found on restart even when the channel has moved
// on by more than a page of messages, past Discord's nonce window; it is not
// posted twice.
func TestInterruptedReminderFoundInBusyChannel(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	idStr, _ := h.createRally() // starts 2026-11-28 22:30 UTC; reminded 24h and 2h before
	var id int64
	fmt.Sscan(idStr, &id)
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	h.crashOnceSent("POST", postMessage, "the reminder reaches Discord", h.tickInBackground,
		func() bool { return len(h.schedReminders(seattleChannel, id)) == 1 })

	for i := 0; i < 250; i++ {
		h.fake.Say(seattleChannel, member(i%20).UserID, fmt.Sprintf("see you there %d", i))
	}
	h.fake.ExpireNonces()
	h.clock.Add(10 * time.Minute)
	h.start() // the sweep at start resumes the interrupted reminder
	h.runJobs()
	if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
		t.Errorf("%d reminders posted, want 1", n)
	}
}

// TestGlobalRateLimitSparesReplies: a global 429 (here on a reminder's post)
// makes discordgo hold back every request until it lifts, but interaction
// callbacks are exempt on Discord: a click during it is still answered at
// once, and the reminder still goes out once, after the wait.
func TestGlobalRateLimitSparesReplies(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally() // 2026-11-28 14:30 Seattle; reminded 24h before
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	h.fake.GlobalRateLimitNext("POST", postMessage, 1, 3*time.Second)
	swept := make(chan struct{})
	go func() {
		h.tick <- h.clock.Now()
		h.tick <- h.clock.Now() // taken once the first run is done
		close(swept)
	}()
	eventually(t, 5*time.Second, "the reminder's post meets the global 429", func() bool {
		return h.fake.CountRequests("POST", postMessage) >= 2 // the announcement, then the reminder
	})
	r := h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	if r.Latency > time.Second {
		t.Errorf("a click during a global rate limit was answered after %v; callbacks are exempt", r.Latency)
	}
	mustContain(t, r, true, "going")
	select {
	case <-swept:
	case <-time.After(15 * time.Second):
		t.Fatal("the sweep did not finish after the rate limit lifted")
	}
	rid, _ := strconv.ParseInt(id, 10, 64)
	if n := len(h.schedReminders(seattleChannel, rid)); n != 1 {
		t.Errorf("%d reminders after the rate limit, want 1", n)
	}
}
