package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// noticeDMs returns the DMs a member got that contain part.
func (h *harness) noticeDMs(m discordtest.Member, part string) []*discordgo.Message {
	return filter(h.fake.DMs(m.UserID), textHas(part))
}

// noticeClickDM clicks a button of a DM, as its recipient, outside any server.
func (h *harness) noticeClickDM(m discordtest.Member, msg *discordgo.Message, customID string) *discordtest.Reply {
	h.t.Helper()
	r, err := h.fake.Click(h.ctx(), discordtest.Invocation{ChannelID: msg.ChannelID, Member: m}, msg.ID, customID)
	if err != nil {
		h.t.Fatalf("click %s in a DM: %v", customID, err)
	}
	return r
}

func (h *harness) noticeRSVP(m discordtest.Member, ann *discordgo.Message, id int64, status string) *discordtest.Reply {
	h.t.Helper()
	return h.click(m, seattleChannel, ann.ID, fmt.Sprintf("rsvp:%s:%d", status, id))
}

func TestNoticesDMReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at, discordtest.Int("capacity", 4))
	ann := h.actAnnouncement(seattleChannel, id)
	going, maybe, closed, off, waiting := member(1), member(2), member(3), member(5), member(4)
	confirmer := member(6)
	for _, m := range []discordtest.Member{going, confirmer, closed, off} {
		h.noticeRSVP(m, ann, id, "going")
	}
	h.noticeRSVP(maybe, ann, id, "maybe")
	mustContain(t, h.noticeRSVP(waiting, ann, id, "going"), true, "waitlist")
	mustContain(t, h.cmd(off, seattleChannel, "notify", discordtest.Str("reminders", "off")), true, "off")
	h.fake.FailDMs(closed.UserID)
	// The first DM channel opened fails every attempt of the send: it is
	// retried by a later sweep, with its nonce.
	h.fake.FailNext("POST", "/users/@me/channels", 4, 500)

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.restart()
	h.runJobs()
	h.clock.Add(2 * time.Minute) // past the retry's backoff
	h.runJobs()
	h.runJobs()

	t.Run("EachGoingOrMaybeOnce", func(t *testing.T) {
		for _, m := range []discordtest.Member{going, maybe, confirmer} {
			got := h.noticeDMs(m, "Reminder: **Tenant union march**")
			if len(got) != 1 {
				t.Fatalf("member %s got %d DM reminders, want 1", m.UserID, len(got))
			}
			text := messageText(got[0])
			for _, want := range []string{"City Hall steps", "PST", fmt.Sprintf("<t:%d:F>", at.Unix()), "still coming"} {
				if !strings.Contains(text, want) {
					t.Errorf("DM reminder lacks %q: %s", want, text)
				}
			}
			if b := buttons(got[0]); len(b) != 2 || b[0].Label != "Still going" || b[1].Label != "Can't make it" {
				t.Errorf("DM reminder buttons %+v, want Still going and Can't make it", b)
			}
		}
	})
	t.Run("NoneWithDMsOffClosedOrWaitlisted", func(t *testing.T) {
		for _, m := range []discordtest.Member{off, closed, waiting} {
			if n := len(h.noticeDMs(m, "Reminder")); n != 0 {
				t.Errorf("member %s got %d DM reminders, want 0", m.UserID, n)
			}
		}
		if !strings.Contains(h.logs.String(), "closed_dms=1") {
			t.Errorf("the log does not count the closed DMs")
		}
	})
	t.Run("StillGoingIsCounted", func(t *testing.T) {
		dm := h.noticeDMs(confirmer, "Reminder")[0]
		mustContain(t, h.noticeClickDM(confirmer, dm, fmt.Sprintf("confirm:yes:%d", id)), false, "See you")
		rid := fmt.Sprint(id)
		mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, "1 confirmed of 4 going")
		mustContain(t, h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid)), true, "1 confirmed of 4 going")
		if strings.Contains(h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)).Text(), "confirmed") {
			t.Errorf("a volunteer sees the confirmations")
		}
	})
	t.Run("CantMakeItPromotesTheWaitlist", func(t *testing.T) {
		dm := h.noticeDMs(going, "Reminder")[0]
		mustContain(t, h.noticeClickDM(going, dm, fmt.Sprintf("confirm:no:%d", id)), false, "no longer on the list")
		eventually(t, 5*time.Second, "the waitlisted member told of the seat", func() bool {
			return len(h.noticeDMs(waiting, "A seat opened up")) == 1
		})
	})
	t.Run("LaterReminderReachesThePromoted", func(t *testing.T) {
		h.clock.Set(at.Add(-2 * time.Hour))
		h.runJobs()
		if n := len(h.noticeDMs(waiting, "Reminder")); n != 1 {
			t.Errorf("promoted member got %d DM reminders at 2h, want 1", n)
		}
		if n := len(h.noticeDMs(going, "Reminder")); n != 1 {
			t.Errorf("member who left got %d DM reminders in all, want 1", n)
		}
		if b := buttons(h.noticeDMs(waiting, "Reminder")[0]); len(b) != 0 {
			t.Errorf("the 2h DM has buttons %+v; only the day-before one asks", b)
		}
	})
}

func TestNoticesChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id := h.schedRally("Seattle", seattleChannel, "Rent strike rally", start.Add(48*time.Hour), discordtest.Int("capacity", 1))
	ann := h.actAnnouncement(seattleChannel, id)
	going, maybe, waiting, gone := member(1), member(2), member(3), member(4)
	h.noticeRSVP(going, ann, id, "going")
	h.noticeRSVP(maybe, ann, id, "maybe")
	h.noticeRSVP(waiting, ann, id, "going")
	h.noticeRSVP(gone, ann, id, "maybe")
	h.noticeRSVP(gone, ann, id, "not_going")
	before := len(h.fake.Messages(seattleChannel))

	h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("location", "Pioneer Square"))
	h.runJobs()
	h.runJobs()

	t.Run("PlacePostsOnce", func(t *testing.T) {
		var notices []string
		for _, m := range h.fake.Messages(seattleChannel)[before:] {
			if strings.Contains(m.Content, "has changed") {
				notices = append(notices, m.Content)
			}
		}
		if len(notices) != 1 || !strings.Contains(notices[0], "City Hall steps") || !strings.Contains(notices[0], "Pioneer Square") {
			t.Fatalf("change notices in the channel %q, want one, old → new", notices)
		}
	})
	t.Run("PlaceDMsEachAttendeeOnce", func(t *testing.T) {
		for _, m := range []discordtest.Member{going, maybe, waiting} {
			got := h.noticeDMs(m, "has changed")
			if len(got) != 1 || !strings.Contains(got[0].Content, "~~City Hall steps~~ → **Pioneer Square**") {
				t.Errorf("member %s got change DMs %v, want one, old → new", m.UserID, got)
			}
		}
		if n := len(h.noticeDMs(gone, "has changed")); n != 0 {
			t.Errorf("a member with no RSVP got %d change DMs", n)
		}
	})
	t.Run("CancelTellsEachOnce", func(t *testing.T) {
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("reason", "Storm"))
		h.runJobs()
		h.restart()
		h.runJobs()
		for _, m := range []discordtest.Member{going, maybe, waiting} {
			if got := h.noticeDMs(m, "has been cancelled"); len(got) != 1 || !strings.Contains(got[0].Content, "Storm") {
				t.Errorf("member %s got cancel DMs %v, want one with the reason", m.UserID, got)
			}
		}
	})
}

func TestNoticesPrivateLocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.schedSetupCoordinators()
	at := start.Add(30 * time.Hour)
	const secret = "Warehouse 9 loading dock"
	r := h.cmd(admin, seattleChannel, "rally create", createOpts(discordtest.Str("when", schedWhen(t, "Seattle", at)),
		discordtest.Str("location", secret), discordtest.Str("title", "Quiet action"), discordtest.Bool("private_location", true))...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	rid := m[1]
	var id int64
	fmt.Sscan(rid, &id)
	ann := h.actAnnouncement(seattleChannel, id)
	going, maybe, late := member(1), member(2), member(3)
	mustContain(t, h.noticeRSVP(going, ann, id, "going"), true, "DM it to you 2h before")
	h.noticeRSVP(maybe, ann, id, "maybe")

	t.Run("HiddenBeforeTheReveal", func(t *testing.T) {
		if text := messageText(ann); strings.Contains(text, secret) || !strings.Contains(text, "shared with those going, 2h before the start") {
			t.Errorf("announcement: %s", text)
		}
		if text := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)).Text(); strings.Contains(text, secret) {
			t.Errorf("a volunteer's /rally info shows the place: %s", text)
		}
		mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, secret)
	})
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.restart()
	h.runJobs()

	t.Run("RevealedToEachGoingOnce", func(t *testing.T) {
		// The reveal once; the 2 h reminder after it names the place too.
		if got := h.noticeDMs(going, "The meeting place for"); len(got) != 1 {
			t.Errorf("going member got the reveal %d times, want 1", len(got))
		}
		if got := h.noticeDMs(maybe, secret); len(got) != 0 {
			t.Errorf("maybe member got the place %d times, want 0", len(got))
		}
	})
	t.Run("LateGoingGetsItInTheReply", func(t *testing.T) {
		mustContain(t, h.noticeRSVP(late, ann, id, "going"), true, secret)
	})
	t.Run("NeverInAChannelOrTheLog", func(t *testing.T) {
		for _, ch := range []string{seattleChannel, coordChannel} {
			for _, msg := range h.fake.Messages(ch) {
				if strings.Contains(messageText(msg), secret) {
					t.Errorf("channel %s message shows the place: %s", ch, messageText(msg))
				}
			}
		}
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("the log shows the place")
		}
	})
}

// TestNoticesCheckIn: check-in is open from the start to the end, once per
// member; turnout counts a role holder as going wherever "of M going" is
// shown: /rally info, /rally attendees and the daily summary.
func TestNoticesCheckIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(3 * time.Hour)
	h.schedSetupCoordinators()
	id := h.schedRally("Seattle", seattleChannel, "Picket", at, discordtest.Int("marshals", 1))
	ann := h.actAnnouncement(seattleChannel, id)
	a, b, marshal := member(1), member(2), member(3)
	h.noticeRSVP(a, ann, id, "going")
	h.noticeRSVP(b, ann, id, "going")
	rid := fmt.Sprint(id)
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "signed up as **marshal**")
	mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, "0 confirmed of 3 going")
	mustContain(t, h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid)), true, "0 confirmed of 3 going")
	checkin := fmt.Sprintf("checkin:%d", id)

	mustContain(t, h.cmd(a, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "open from its start")
	h.clock.Set(at.Add(time.Minute))
	h.runJobs()
	eventually(t, 5*time.Second, "the announcement shows Check in", func() bool {
		for _, btn := range buttons(h.fake.Message(seattleChannel, ann.ID)) {
			if btn.CustomID == checkin {
				return true
			}
		}
		return false
	})
	mustContain(t, h.click(a, seattleChannel, ann.ID, checkin), true, "Checked in")
	mustContain(t, h.click(a, seattleChannel, ann.ID, checkin), true, "already checked in")
	mustContain(t, h.cmd(b, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "Checked in")
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)), false, "2 checked in of 3 going")
	mustContain(t, h.cmd(marshal, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "Checked in")
	h.clock.Set(at.Add(3 * time.Hour))
	h.runJobs()
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)), false, "3 checked in of 3 going")
	mustContain(t, h.cmd(coord, coordChannel, "summary now"), true, "Turnout of the last day", "3 checked in of 3 going")
	eventually(t, 5*time.Second, "the announcement loses Check in", func() bool {
		for _, btn := range buttons(h.fake.Message(seattleChannel, ann.ID)) {
			if btn.CustomID == checkin {
				return false
			}
		}
		return true
	})
}

// TestRevealSkipsWhoLeft: a reveal DM still owed (Discord failed it) is not
// sent to a member who left the rally meanwhile.
func TestRevealSkipsWhoLeft(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	const secret = "Back room of the bakery"
	r := h.cmd(admin, seattleChannel, "rally create", createOpts(discordtest.Str("when", schedWhen(t, "Seattle", at)),
		discordtest.Str("location", secret), discordtest.Bool("private_location", true))...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	var id int64
	fmt.Sscan(m[1], &id)
	ann := h.actAnnouncement(seattleChannel, id)
	stays, leaves := member(1), member(2)
	h.noticeRSVP(stays, ann, id, "going")
	h.noticeRSVP(leaves, ann, id, "going")

	h.fake.FailNext("POST", "/users/@me/channels", 1000, 500) // no DM can be opened
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	if got := h.noticeDMs(stays, secret); len(got) != 0 {
		t.Fatalf("the place went out while Discord failed: %d", len(got))
	}
	h.noticeRSVP(leaves, ann, id, "not_going")
	h.fake.FailNext("POST", "/users/@me/channels", 0, 500)
	h.clock.Add(30 * time.Minute)
	h.runJobs()
	h.runJobs()
	// The reveal once (the 2 h reminder after it names the place too).
	if got := h.noticeDMs(stays, "The meeting place for"); len(got) != 1 || len(h.noticeDMs(stays, secret)) == 0 {
		t.Errorf("the member still going got the reveal %d times, want 1", len(got))
	}
	if got := h.noticeDMs(leaves, secret); len(got) != 0 {
		t.Errorf("a member who left got the place %d times, want 0", len(got))
	}
}

// TestNoticesReachRoleHolders: a safety role counts as going, though its
// sign-up takes the place of the member's RSVP, so a role holder gets each
// DM those going get, once: the reminders and their confirm, a change, the
// private place, a cancel; and can confirm, check in and leave from the DM.
func TestNoticesReachRoleHolders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	const secret = "Union hall side door"
	r := h.cmd(admin, seattleChannel, "rally create", createOpts(discordtest.Str("when", schedWhen(t, "Seattle", at)),
		discordtest.Str("location", secret), discordtest.Str("title", "Staffed march"), discordtest.Bool("private_location", true),
		discordtest.Int("marshals", 1), discordtest.Int("medics", 1))...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	rid := m[1]
	var id int64
	fmt.Sscan(rid, &id)
	ann := h.actAnnouncement(seattleChannel, id)
	marshal, medic, going := member(1), member(2), member(3)
	// The marshal said Going first: the sign-up replaces that RSVP.
	h.noticeRSVP(marshal, ann, id, "going")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "signed up as **marshal**", "DM it to you 2h before")
	mustContain(t, h.cmd(medic, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "medic")), true, "signed up as **medic**")
	h.noticeRSVP(going, ann, id, "going")

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()

	t.Run("DayBeforeReminderOnce", func(t *testing.T) {
		for _, m := range []discordtest.Member{marshal, medic, going} {
			got := h.noticeDMs(m, "Reminder: **Staffed march**")
			if len(got) != 1 {
				t.Fatalf("member %s got %d DM reminders, want 1", m.UserID, len(got))
			}
			if b := buttons(got[0]); len(b) != 2 {
				t.Errorf("member %s: DM reminder buttons %+v, want Still going and Can't make it", m.UserID, b)
			}
		}
	})
	t.Run("StillGoingIsCounted", func(t *testing.T) {
		dm := h.noticeDMs(marshal, "Reminder")[0]
		mustContain(t, h.noticeClickDM(marshal, dm, fmt.Sprintf("confirm:yes:%d", id)), false, "See you")
		mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, "1 confirmed of 3 going")
		mustContain(t, h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid)), true, "1 confirmed of 3 going")
	})
	t.Run("CantMakeItFreesTheRole", func(t *testing.T) {
		dm := h.noticeDMs(medic, "Reminder")[0]
		mustContain(t, h.noticeClickDM(medic, dm, fmt.Sprintf("confirm:no:%d", id)), false, "no longer **medic**")
		h.rolesAnnouncement(t, ann.ID, "Medics 0/1", "Marshals 1/1", "2 going")
	})
	t.Run("ChangeDMedOnce", func(t *testing.T) {
		h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", rid), discordtest.Str("location", "Union hall back door"))
		h.runJobs()
		h.runJobs()
		if got := h.noticeDMs(marshal, "has changed"); len(got) != 1 {
			t.Errorf("the marshal got %d change DMs, want 1", len(got))
		}
	})
	t.Run("PrivatePlaceOnce", func(t *testing.T) {
		h.clock.Set(at.Add(-2 * time.Hour))
		h.runJobs()
		h.restart()
		h.runJobs()
		for _, m := range []discordtest.Member{marshal, going} {
			// The reveal once; the 2 h reminder after it names the place too.
			if got := h.noticeDMs(m, "The meeting place for"); len(got) != 1 || !strings.Contains(messageText(got[0]), "Union hall back door") {
				t.Errorf("member %s got the reveal %d times, want 1", m.UserID, len(got))
			}
		}
		if got := h.noticeDMs(medic, "Union hall back door"); len(got) != 0 {
			t.Errorf("the medic who left got the place %d times, want 0", len(got))
		}
		if got := h.noticeDMs(marshal, "Reminder"); len(got) != 2 {
			t.Errorf("the marshal got %d DM reminders by 2h, want 2", len(got))
		}
	})
	t.Run("LateRoleHolderGetsItInTheReply", func(t *testing.T) {
		late := member(4)
		menu := h.click(late, seattleChannel, ann.ID, "role:menu:"+rid)
		mustContain(t, h.rolesSelect(late, menu, rid, "medic"), true, "signed up as **medic**", "Union hall back door")
	})
	t.Run("CheckIn", func(t *testing.T) {
		h.clock.Set(at.Add(time.Minute))
		mustContain(t, h.cmd(marshal, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "Checked in")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)), false, "1 checked in of 3 going")
	})
	t.Run("CancelDMedOnce", func(t *testing.T) {
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", rid))
		h.runJobs()
		h.runJobs()
		if got := h.noticeDMs(marshal, "has been cancelled"); len(got) != 1 {
			t.Errorf("the marshal got %d cancel DMs, want 1", len(got))
		}
	})
}

// TestDMBurstPacedUnderRateLimits: a reminder DMed to many members through
// the fake Discord with its rate limits on is paced under the global limit:
// no request is answered 429, each member gets it once, and clicks answer
// meanwhile. 45 members are some 135 requests (a member lookup, a DM
// channel and the DM each), more than twice what Discord takes in a second:
// unpaced, they draw 429s. (Fewer than the 50 lookups a guild's
// member route takes in 5 s, so the burst is held by the global pace alone.)
func TestDMBurstPacedUnderRateLimits(t *testing.T) {
	t.Parallel()
	const members = 45
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "LOG_LEVEL", "info")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Citywide march", at)
	other := h.schedRally("Seattle", seattleChannel, "Another rally", at.Add(time.Hour))
	ann := h.actAnnouncement(seattleChannel, other)
	h.dmBurst(h.schedDB(), id, at, members)
	defer h.fake.SetRateLimits(nil)
	if slowest := h.clickUntilDMed(members, ann, other, time.Minute); slowest > 3*time.Second {
		t.Errorf("a click answered after %v during the DMs", slowest)
	}
	// Unpaced, the burst draws 429s; paced, none, but
	// for a request held up on a loaded machine and arriving with the next.
	if n := h.fake.RateLimited(); n > 2 {
		t.Errorf("%d requests answered 429 during the burst, want none (at most 2)", n)
	}
	for m := 0; m < members; m++ {
		if n := len(h.fake.DMs(burstMember(m))); n != 1 {
			t.Errorf("member %d got %d DMs, want 1", m, n)
		}
	}
}

// TestNoticeDMsSurviveACrash: a /rally edit of the place or a /rally cancel
// killed right after it was stored (its channel notice reached Discord,
// nothing after it ran) still DMs each member going, maybe or waitlisted,
// role holders too, once: the DMs were owed in the change's own transaction,
// and the sweeps after the restart send them.
func TestNoticeDMsSurviveACrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id := h.schedRally("Seattle", seattleChannel, "Night vigil", start.Add(48*time.Hour),
		discordtest.Int("capacity", 1), discordtest.Int("marshals", 1))
	rid := fmt.Sprint(id)
	ann := h.actAnnouncement(seattleChannel, id)
	going, maybe, waiting, marshal := member(1), member(2), member(3), member(4)
	h.noticeRSVP(going, ann, id, "going")
	h.noticeRSVP(maybe, ann, id, "maybe")
	mustContain(t, h.noticeRSVP(waiting, ann, id, "going"), true, "waitlist")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "signed up as **marshal**")

	// crashAfterNotice runs the lead's command and kills the bot once its
	// channel notice (saying notice) has reached Discord, unanswered; then
	// starts it again and lets the sweeps run, across one more restart.
	crashAfterNotice := func(notice, path string, opts ...discordtest.Option) {
		t.Helper()
		h.crashOnceSent("POST", postMessage, "the notice reaches the channel", h.inBackground(lead, seattleChannel, path, opts...), func() bool {
			msgs := h.fake.Messages(seattleChannel)
			return strings.Contains(msgs[len(msgs)-1].Content, notice)
		})
		h.start()
		h.runJobs()
		h.restart()
		h.runJobs()
	}
	eachOnce := func(t *testing.T, part string, wants ...string) {
		t.Helper()
		for _, m := range []discordtest.Member{going, maybe, waiting, marshal} {
			got := h.noticeDMs(m, part)
			if len(got) != 1 {
				t.Errorf("member %s got %d DMs with %q after the crash, want 1", m.UserID, len(got), part)
				continue
			}
			for _, want := range wants {
				if !strings.Contains(got[0].Content, want) {
					t.Errorf("member %s: DM %q lacks %q", m.UserID, got[0].Content, want)
				}
			}
		}
		if n := len(h.noticeDMs(volunteer, part)); n != 0 {
			t.Errorf("a member with no RSVP got %d DMs with %q", n, part)
		}
	}

	t.Run("Edit", func(t *testing.T) {
		crashAfterNotice("has changed", "rally edit", discordtest.Str("rally", rid), discordtest.Str("location", "Pioneer Square"))
		eachOnce(t, "has changed", "~~City Hall steps~~ → **Pioneer Square**")
	})
	t.Run("Cancel", func(t *testing.T) {
		crashAfterNotice("has been cancelled", "rally cancel", discordtest.Str("rally", rid), discordtest.Str("reason", "Storm warning"))
		eachOnce(t, "has been cancelled", "Night vigil", "Storm warning", "PST")
	})
}
