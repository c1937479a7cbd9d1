package bot_test

import (
	"fmt"
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

// TestLeadSeesDMsGoingOut: while a rally's reminder DMs are still going out
// (a burst that takes minutes under Discord's limits), its leads' /rally
// info counts them, sent and closed, and nobody else's does; once all are
// out the line goes.
func TestLeadSeesDMsGoingOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	ann := h.actAnnouncement(seattleChannel, id)
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
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	ann := h.actAnnouncement(seattleChannel, id)
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
