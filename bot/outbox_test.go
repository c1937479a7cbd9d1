package bot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
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

// marchHarness is a bot with Seattle bound and one rally announced there,
// 30 hours ahead: its id and announcement.
func marchHarness(t *testing.T) (*harness, time.Time, int64, *discordgo.Message) {
	t.Helper()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	return h, at, id, h.actAnnouncement(seattleChannel, id)
}

// TestLeadSeesDMsGoingOut: while a rally's reminder DMs are still going out
// (a burst that takes minutes under Discord's limits), its leads' /rally
// info counts them, sent and closed, and nobody else's does; once all are
// out the line goes.
func TestLeadSeesDMsGoingOut(t *testing.T) {
	t.Parallel()
	h, at, id, ann := marchHarness(t)
	rally := discordtest.Str("rally", fmt.Sprint(id))
	closed, late := member(3), member(4)
	for _, m := range []discordtest.Member{member(1), member(2), closed} {
		h.noticeRSVP(m, ann, id, "going")
	}
	h.fake.FailDMs(closed.UserID)
	// The day-before reminder goes out whole, and opens each member's DM
	// channel.
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	if txt := h.cmd(lead, seattleChannel, "rally info", rally).Text(); strings.Contains(txt, "DMs going out") {
		t.Errorf("a burst all sent is shown as going out: %q", txt)
	}

	// The next reminder: the newcomer's DM channel is not open yet, and
	// Discord holds the answer to opening it.
	h.noticeRSVP(late, ann, id, "going")
	release := h.fake.Hold("POST", "/users/@me/channels")
	defer release()
	h.clock.Set(at.Add(-2 * time.Hour))
	h.tickInBackground()
	eventually(t, 10*time.Second, "the lead sees the reminder DMs going out", func() bool {
		return strings.Contains(h.cmd(lead, seattleChannel, "rally info", rally).Text(), "reminder DMs: 2 of 4 sent, 1 closed")
	})
	mustContain(t, h.cmd(lead, seattleChannel, "rally info", rally), true, "DMs going out")
	if txt := h.cmd(member(1), seattleChannel, "rally info", rally).Text(); strings.Contains(txt, "DMs going out") || strings.Contains(txt, "closed") {
		t.Errorf("a member's /rally info counts the DMs: %q", txt)
	}
	es := lead
	es.Locale = "es-419"
	mustContain(t, h.cmd(es, seattleChannel, "rally info", rally), true, "recordatorios por mensaje directo: 2 de 4 enviados, 1 con mensajes directos cerrados")

	release()
	eventually(t, 10*time.Second, "the last reminder DM is out and the line goes", func() bool {
		return len(h.noticeDMs(late, "Reminder")) == 1 && !strings.Contains(h.cmd(lead, seattleChannel, "rally info", rally).Text(), "DMs going out")
	})
}

// TestDMButtonsAnswerInTheDM: "Still going" pressed in the day-before DM
// updates that DM: the choice shown under it, the buttons put out, the one
// pressed kept in its colour. A maybe's "Still going" asks again in the DM,
// with buttons of its own. The buttons of a rally that is over answer so,
// and are put out too.
func TestDMButtonsAnswerInTheDM(t *testing.T) {
	t.Parallel()
	h, at, id, ann := marchHarness(t)
	going, maybe, late := member(1), member(2), member(3)
	h.noticeRSVP(going, ann, id, "going")
	h.noticeRSVP(maybe, ann, id, "maybe")
	h.noticeRSVP(late, ann, id, "going")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()

	dm := h.noticeDMs(going, "Reminder")[0]
	r := h.noticeClickDM(going, dm, fmt.Sprintf("confirm:yes:%d", id))
	if r.Type != discordgo.InteractionResponseUpdateMessage {
		t.Fatalf("answer type %d, want an update of the DM", r.Type)
	}
	now := h.fake.Message(dm.ChannelID, dm.ID)
	if txt := messageText(now); !strings.Contains(txt, "Reminder: **Tenant union march**") || !strings.Contains(txt, "See you") {
		t.Errorf("the DM after Still going: %q, want the reminder with the answer under it", txt)
	}
	b := buttons(now)
	if len(b) != 2 || !b[0].Disabled || !b[1].Disabled || b[0].Style != discordgo.SuccessButton || b[1].Style != discordgo.SecondaryButton {
		t.Errorf("the DM's buttons after Still going: %+v, want both put out, Still going kept green", b)
	}

	mdm := h.noticeDMs(maybe, "Reminder")[0]
	h.noticeClickDM(maybe, mdm, fmt.Sprintf("confirm:yes:%d", id))
	asked := h.fake.Message(mdm.ChannelID, mdm.ID)
	if b := buttons(asked); len(b) != 2 || b[0].Disabled || b[0].Label != "Going" {
		t.Errorf("a maybe's DM after Still going: buttons %+v, want Going / Still maybe to press", b)
	}

	// Over: the last member presses after the rally's end.
	h.clock.Set(at.Add(3 * time.Hour))
	ldm := h.noticeDMs(late, "Reminder")[0]
	mustContain(t, h.noticeClickDM(late, ldm, fmt.Sprintf("confirm:yes:%d", id)), false, "is over or called off")
	for _, b := range buttons(h.fake.Message(ldm.ChannelID, ldm.ID)) {
		if !b.Disabled {
			t.Errorf("button %q of a rally that is over still pressable", b.Label)
		}
	}
}

// sentOnceAcrossACrash has send post something, crashes the bot once
// Discord has it (what), restarts it, runs its jobs, and checks that count
// (of what Discord shows) is one.
func (h *harness) sentOnceAcrossACrash(what string, send func(), count func() int, failure string) {
	h.t.Helper()
	h.crashOnceSent("POST", postMessage, what, send, func() bool { return count() == 1 })
	h.start()
	h.runJobs()
	if n := count(); n != 1 {
		h.t.Errorf(failure, n)
	}
}

// TestEveryKindSentOnceAcrossACrash: the kinds of the outbox that no other
// crash test covers (a series' later announcement, a summary's message, a
// coordinators' note, a waitlist promotion's DM, a DM's deletion, a rally's
// scheduled event; a DM's end edit is TestEndedRallyPutsOutItsDMButtons),
// each killed once Discord had it and before the bot recorded it, are found
// or deduplicated at the restart: sent exactly once.
func TestEveryKindSentOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	t.Run("SeriesAnnouncement", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, "DISCORD_GUILD_ID", guildID)
		h.setupChapter("Seattle", seattleChannel, seattleLead)
		// Rallies #1 and #2, a week apart; #1 from 6 to 8 PM PST on Nov 25.
		mustContain(t, h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("when", "2026-11-25 18:00"),
			discordtest.Str("repeat", "weekly"), discordtest.Int("occurrences", 2))...), true, "weekly series of 2 rallies")
		announced := func() int {
			return len(filter(h.fake.Messages(seattleChannel), embedWith("", "Rally #2 · ")))
		}
		// The first occurrence is over: the second is announced.
		h.clock.Set(time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC))
		h.sentOnceAcrossACrash("the second announcement reaches Discord", h.tickInBackground, announced, "%d announcements of the series' second rally, want 1")
	})
	t.Run("Summary", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, "DISCORD_GUILD_ID", guildID)
		h.setupChapter("Seattle", seattleChannel, seattleLead)
		h.schedSetupCoordinators()
		h.createRally()
		// 08:00:30 in New York, the default SUMMARY_CRON's time.
		h.clock.Set(time.Date(2026, 11, 24, 13, 0, 30, 0, time.UTC))
		h.sentOnceAcrossACrash("the summary reaches Discord", h.tickInBackground, func() int { return len(h.schedSummaries()) },
			"%d summaries, want 1")
	})
	t.Run("CoordinatorNote", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, "DISCORD_GUILD_ID", guildID)
		h.setupChapter("Seattle", seattleChannel, seattleLead)
		h.schedSetupCoordinators()
		at := start.Add(30 * time.Hour)
		h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
		notes := func() int {
			return len(filter(h.fake.Messages(coordChannel), textHas("could not post a reminder")))
		}
		// The reminder's channel forbids the bot, and the coordinators' note
		// of it fails for a while too: it is owed, begun and backing off.
		h.fake.FailChannel(seattleChannel, http.StatusForbidden, discordgo.ErrCodeMissingAccess)
		h.fake.FailChannel(coordChannel, http.StatusServiceUnavailable, 0)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		eventually(t, 10*time.Second, "the note is tried, and backs off", func() bool {
			_, statuses := h.schedPosts(coordChannel, "could not post a reminder")
			return len(statuses) >= 4 // the client's own retries of the 503
		})
		h.runJobs() // the note's failure recorded, by the drainer or a sweep
		h.fake.FailChannel(coordChannel, 0, 0)
		h.clock.Add(time.Minute) // past the note's backoff
		h.sentOnceAcrossACrash("the note reaches the coordinators", h.tickInBackground, notes, "%d notes to the coordinators, want 1")
	})
	t.Run("PromotionDM", func(t *testing.T) {
		t.Parallel()
		h, id, ann := waitlistedHarness(t)
		told := func() int { return len(h.noticeDMs(member(2), "A seat opened up")) }
		h.sentOnceAcrossACrash("the promotion's DM reaches the member", func() {
			go h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(1)}, ann.ID, "rsvp:not_going:"+id)
		}, told, "the promoted member got %d DMs, want 1")
	})
	t.Run("DMDeletion", func(t *testing.T) {
		t.Parallel()
		h, id, ann := waitlistedHarness(t)
		h.click(member(1), seattleChannel, ann.ID, "rsvp:not_going:"+id)
		eventually(t, 10*time.Second, "the promoted member is told, and where the DM is recorded", func() bool {
			return len(h.noticeDMs(member(2), "A seat opened up")) == 1 &&
				h.privacyCount(`SELECT COUNT(*) FROM member_dms WHERE message_id IS NOT NULL`) == 1
		})
		// Forget-me owes the DM's deletion; the drainer starts it at once,
		// and the bot dies once Discord has deleted it.
		deleted := func() int { return len(h.fake.DeletedDMs(member(2).UserID)) }
		h.crashOnceSent("DELETE", editMessageRoute, "the DM's deletion reaches Discord",
			h.inBackground(member(2), seattleChannel, "privacy forget-me"), func() bool { return deleted() == 1 })
		h.start()
		h.runJobs()
		if n := deleted(); n != 1 || len(h.fake.DMs(member(2).UserID)) != 0 {
			t.Errorf("%d of the member's DMs deleted, %d left; want the one deleted", n, len(h.fake.DMs(member(2).UserID)))
		}
		// Deleted again after the restart, Discord no longer had it: done,
		// and nothing of where it was is kept.
		if n := h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`); n != 0 {
			t.Errorf("%d DM deletions still owed after the restart", n)
		}
	})
	t.Run("ScheduledEvent", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		// /rally create syncs the event its announcement owes, and the bot
		// dies once Discord has made it, before the bot recorded it.
		h.crashOnceSent("POST", eventsRoute, "Discord makes the event",
			h.inBackground(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Held"))...),
			func() bool { return len(h.fake.ScheduledEvents(guildID)) == 1 })
		h.clock.Add(3 * time.Minute) // past the command's lease: the sweep's to sync
		h.start()
		h.runJobs()
		h.runJobs()
		events := h.fake.ScheduledEvents(guildID)
		if len(events) != 1 || h.fake.CountRequests("POST", eventsRoute) != 1 {
			t.Fatalf("%d events from %d creates, want the one made before the crash", len(events), h.fake.CountRequests("POST", eventsRoute))
		}
		// Found by the rally's marker in its description, and adopted.
		if !strings.HasPrefix(events[0].Description, "Rally #1\n") || h.fake.CountRequests("GET", eventsRoute) == 0 {
			t.Errorf("the restart did not look for the event (description %q)", events[0].Description)
		}
		c, err := h.schedDB().CalendarRally(h.ctx(), guildID, 1)
		if err != nil || c.EventID != events[0].ID {
			t.Errorf("stored event %q (%v), want %q", c.EventID, err, events[0].ID)
		}
		if n := h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'event' AND state = 'pending'`); n != 0 {
			t.Errorf("%d event syncs still owed after the restart", n)
		}
	})
}

// waitlistedHarness has a rally of one seat, taken by member 1, with member
// 2 waiting for it.
func waitlistedHarness(t *testing.T) (h *harness, id string, ann *discordgo.Message) {
	t.Helper()
	h = rallyHarness(t)
	id, ann = h.createRally(discordtest.Int("capacity", 1))
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	return h, id, ann
}
