package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// privSecret is a private place; privWord is a word found only in it.
const (
	privSecret = "Quillfeather Warehouse north steps"
	privWord   = "quillfeather"
)

// privRally has an admin create a private rally in Seattle at `at` and
// returns its id and announcement.
func (h *harness) privRally(title string, at time.Time, extra ...discordtest.Option) (int64, *discordgo.Message) {
	h.t.Helper()
	id, _ := h.rallyCreate(admin, seattleChannel, createOpts(append([]discordtest.Option{
		discordtest.Str("title", title), discordtest.Str("when", schedWhen(h.t, "Seattle", at)),
		discordtest.Str("location", privSecret), discordtest.Bool("private_location", true),
	}, extra...)...)...)
	return id, h.actAnnouncement(seattleChannel, id)
}

// privHides fails when a surface shows the private place.
func privHides(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(strings.ToLower(text), privWord) {
		t.Errorf("%s shows the private place: %s", what, text)
	}
}

// privChoices autocompletes a command's rally option with typed, as m.
func (h *harness) privChoices(m discordtest.Member, path, typed string, opts ...discordtest.Option) []*discordgo.ApplicationCommandOptionChoice {
	h.t.Helper()
	opts = append(opts, discordtest.Option{Name: "rally", Type: discordgo.ApplicationCommandOptionString, Value: typed, Focused: true})
	choices, err := h.fake.Autocomplete(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: m}, path, opts...)
	if err != nil {
		h.t.Fatalf("autocomplete /%s: %v", path, err)
	}
	return choices
}

// TestPrivatePlaceSurfaces: every surface a member who is not going can
// reach shows no private place, and none lets them test a guess; a member
// going is told it, from the reveal on, so the checks are not vacuous.
func TestPrivatePlaceSurfaces(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	h.schedSetupCoordinators()
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Quiet action", at, discordtest.Int("capacity", 5))
	rid := fmt.Sprint(id)
	going, maybe := member(1), member(2)
	mustContain(t, h.noticeRSVP(going, ann, id, "going"), true, "DM it to you 2h before")
	h.noticeRSVP(maybe, ann, id, "maybe")

	surfaces := func(t *testing.T, who discordtest.Member) {
		privHides(t, "the announcement", messageText(h.fake.Message(seattleChannel, ann.ID)))
		privHides(t, "/rally info", h.cmd(who, seattleChannel, "rally info", discordtest.Str("rally", rid)).Text())
		privHides(t, "/rally list", h.cmd(who, seattleChannel, "rally list").Text())
		privHides(t, "/rally list chapter", h.cmd(who, seattleChannel, "rally list", discordtest.Str("chapter", "Seattle")).Text())
		cal := h.cmd(who, seattleChannel, "rally calendar", discordtest.Str("rally", rid))
		if len(cal.Files) != 1 {
			t.Fatalf("/rally calendar: %d files: %q", len(cal.Files), cal.Text())
		}
		privHides(t, "the .ics file", string(cal.Files[0].Data))
		for _, e := range h.fake.ScheduledEvents(guildID) {
			privHides(t, "the scheduled event", e.Name+"\n"+e.Description+"\n"+e.EntityMetadata.Location)
		}
		for _, path := range []string{"rsvp", "rally info", "rally calendar", "checkin", "rally attendees", "rally edit", "rally remove"} {
			if got := h.privChoices(who, path, privWord); len(got) != 0 {
				t.Errorf("autocomplete of /%s offers %d rallies for a word only in the private place", path, len(got))
			}
			if got := h.privChoices(who, path, "north steps"); len(got) != 0 {
				t.Errorf("autocomplete of /%s offers %d rallies for words only in the private place", path, len(got))
			}
			got := h.privChoices(who, path, "quiet")
			if len(got) != 1 || got[0].Value != rid {
				t.Fatalf("autocomplete of /%s by title: %+v", path, got)
			}
			privHides(t, "an autocomplete label", got[0].Name)
		}
	}

	t.Run("BeforeTheReveal", func(t *testing.T) {
		for _, who := range []discordtest.Member{volunteer, maybe, going} {
			surfaces(t, who)
		}
		mine := h.cmd(going, seattleChannel, "myrsvps")
		privHides(t, "/myrsvps before the reveal", mine.Text())
		file := h.click(going, seattleChannel, mine.MessageID, "calendar:mine")
		if len(file.Files) != 1 {
			t.Fatalf("Add to calendar: %q", file.Text())
		}
		privHides(t, "the calendar of my rallies", string(file.Files[0].Data))
	})

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()

	t.Run("AfterTheReveal", func(t *testing.T) {
		if len(h.noticeDMs(going, privSecret)) == 0 {
			t.Fatal("the member going was never told the place")
		}
		for _, who := range []discordtest.Member{volunteer, maybe} {
			surfaces(t, who)
		}
		for _, d := range h.fake.DMs(maybe.UserID) {
			privHides(t, "a DM to a maybe", messageText(d))
		}
		privHides(t, "/myrsvps of a maybe", h.cmd(maybe, seattleChannel, "myrsvps").Text())
		privHides(t, "/summary now", h.cmd(coord, coordChannel, "summary now").Text())
		export := h.cmd(coord, coordChannel, "summary export", discordtest.Int("days", 14))
		for _, f := range export.Files {
			privHides(t, "the CSV export", string(f.Data))
		}
		for _, ch := range []string{seattleChannel, coordChannel} {
			for _, m := range h.fake.Messages(ch) {
				privHides(t, "a channel message", messageText(m))
			}
		}
		privHides(t, "the log", h.logs.String())
	})
}

// TestRemovedFromServer: a member going who leaves (or is removed from) the
// server is sent nothing more, not the place, not a reminder, although the
// fake Discord, as Discord, would still take a DM to them; their seat goes
// to the waitlist, whose first member is told, with the place.
func TestRemovedFromServer(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Vigil", at, discordtest.Int("capacity", 1))
	gone, next := member(1), member(2)
	mustContain(t, h.noticeRSVP(gone, ann, id, "going"), true, "going")
	mustContain(t, h.noticeRSVP(next, ann, id, "going"), true, "waitlist")

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	if len(h.noticeDMs(gone, "Reminder")) != 1 {
		t.Fatalf("the member got %d day-before reminders while in the server, want 1", len(h.noticeDMs(gone, "Reminder")))
	}
	before := len(h.fake.DMs(gone.UserID))
	h.fake.RemoveMember(guildID, gone.UserID)

	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()

	if got := h.fake.DMs(gone.UserID); len(got) != before {
		t.Errorf("the departed member got %d more DMs: %s", len(got)-before, messageText(got[len(got)-1]))
	}
	if len(h.noticeDMs(gone, privSecret)) != 0 {
		t.Error("the departed member got the place")
	}
	if len(h.noticeDMs(next, privSecret)) == 0 {
		t.Error("the member promoted in their place was not told the place")
	}
	checked := false
	for _, q := range h.fake.Requests() {
		if q.Method == http.MethodGet && q.Path == "/guilds/"+guildID+"/members/"+gone.UserID && q.Status == http.StatusNotFound {
			checked = true
		}
	}
	if !checked {
		t.Error("no membership check answered Unknown Member")
	}
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", fmt.Sprint(id)))
	if strings.Contains(att.Text(), gone.UserID) {
		t.Errorf("the departed member is still listed: %s", att.Text())
	}
	mustContain(t, att, true, "<@"+next.UserID+">")
	db := h.schedDB()
	if st, err := db.MemberStanding(context.Background(), id, next.UserID); err != nil || st.Status != store.Going {
		t.Errorf("the waitlisted member stands %+v (%v), want going", st, err)
	}
	// A "Can't make it" pressed later in an old DM acts for nobody.
	dm := h.noticeDMs(gone, "Reminder")[0]
	mustContain(t, h.noticeClickDM(gone, dm, fmt.Sprintf("confirm:yes:%d", id)), false, "no longer in")
}

// TestLeftJustAfterADM: a member who leaves the server seconds after a DM
// reached them is asked about again before the next one (a change of the
// rally's time): they are sent nothing, and their seat goes to the
// waitlist. The answer "still in the server" read for the first DM served
// its burst only.
func TestLeftJustAfterADM(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Vigil", at, discordtest.Int("capacity", 1))
	gone, next := member(1), member(2)
	mustContain(t, h.noticeRSVP(gone, ann, id, "going"), true, "going")
	mustContain(t, h.noticeRSVP(next, ann, id, "going"), true, "waitlist")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	if len(h.noticeDMs(gone, "Reminder")) != 1 {
		t.Fatalf("the member got %d day-before reminders while in the server, want 1", len(h.noticeDMs(gone, "Reminder")))
	}
	before := len(h.fake.DMs(gone.UserID))
	h.fake.RemoveMember(guildID, gone.UserID)

	h.clock.Add(10 * time.Second)
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(id)),
		discordtest.Str("when", "2026-11-24 19:00")), true)
	eventually(t, 10*time.Second, "the member promoted in their place is told of the change", func() bool {
		return len(h.noticeDMs(next, "has changed")) == 1
	})
	h.runJobs()
	if got := h.fake.DMs(gone.UserID); len(got) != before {
		t.Errorf("the departed member got %d more DMs: %s", len(got)-before, messageText(got[len(got)-1]))
	}
	db := h.schedDB()
	if st, err := db.MemberStanding(context.Background(), id, next.UserID); err != nil || st.Status != store.Going {
		t.Errorf("the waitlisted member stands %+v (%v), want going", st, err)
	}
	if st, err := db.MemberStanding(context.Background(), id, gone.UserID); err != nil || st.Status != store.NotGoing {
		t.Errorf("the departed member stands %+v (%v), want nowhere", st, err)
	}
}

// TestRallyInfoNeverDeferredInPublicForALead: past the defer deadline (here
// every reply), a lead's /rally info, which carries a private place, is
// deferred for the lead alone; and when a public placeholder cannot be
// deleted, the private answer is withheld rather than put in it.
func TestRallyInfoNeverDeferredInPublicForALead(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, func(h *harness) { h.deferAfter = time.Nanosecond }, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, _ := h.privRally("Quiet action", start.Add(30*time.Hour))
	rid := fmt.Sprint(id)

	t.Run("LeadAlone", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid))
		if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("reply type %v, want deferred", r.Type)
		}
		mustContain(t, r, true, privSecret)
		for _, q := range h.fake.Requests() {
			if strings.Contains(string(q.Body), privSecret) && q.Method == http.MethodPost && q.Route == "/interactions/{interaction_id}/{interaction_token}/callback" {
				t.Errorf("the defer carried the place: %s", q.Body)
			}
		}
	})
	t.Run("VolunteerPublicWithoutPlace", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid))
		mustContain(t, r, false, "Quiet action")
		privHides(t, "a public /rally info", r.Text())
	})
	t.Run("FailedDeleteWithholds", func(t *testing.T) {
		h.fake.FailNext("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", 10, 500)
		r := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", "999"))
		if r.Ephemeral || strings.Contains(r.Text(), "No such rally") {
			t.Fatalf("the private refusal went into the public placeholder: %q", r.Text())
		}
		mustContain(t, r, false, "couldn't answer here")
		for _, q := range h.fake.Requests() {
			if strings.HasPrefix(q.Path, "/webhooks/") && strings.Contains(string(q.Body), "No such rally") {
				t.Errorf("the private answer was sent after the failed delete: %s %s", q.Method, q.Body)
			}
		}
	})
}

// forged presses a button whose custom_id need not be on the message.
func (h *harness) forged(m discordtest.Member, messageID, customID string) *discordtest.Reply {
	h.t.Helper()
	r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: m}, messageID, customID)
	if err != nil {
		h.t.Fatalf("forged click %s: %v", customID, err)
	}
	return r
}

// TestRallyRemove: a lead takes a member off a rally: their seat goes to
// the waitlist, nothing is sent to them, every later RSVP of theirs to it is
// refused with a sentence sending them to the leads, the reason is shown to
// leads alone and goes with the rally's RSVPs at retention.
func TestRallyRemove(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Sit-in", at, discordtest.Int("capacity", 1), discordtest.Int("marshals", 1))
	ann := h.actAnnouncement(seattleChannel, id)
	rid := fmt.Sprint(id)
	removed, next, marshal := member(1), member(2), member(3)
	h.noticeRSVP(removed, ann, id, "going")
	mustContain(t, h.noticeRSVP(next, ann, id, "going"), true, "waitlist")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "signed up as **marshal**")
	const reason = "Photographed members at the last action"
	removeOpts := []discordtest.Option{discordtest.Str("rally", rid), discordtest.UserOpt("member", removed.UserID), discordtest.Str("reason", reason)}

	t.Run("ErrNotLead", func(t *testing.T) {
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally remove", removeOpts...), true, "Only Seattle leads")
		mustContain(t, h.cmd(chiLead, seattleChannel, "rally remove", removeOpts...), true, "Only Seattle leads")
	})
	t.Run("ErrBadMember", func(t *testing.T) {
		mustContain(t, h.cmd(lead, seattleChannel, "rally remove", discordtest.Str("rally", rid), discordtest.UserOpt("member", "someone")),
			true, "Pick the member")
	})
	dmsBefore := len(h.fake.DMs(removed.UserID))
	t.Run("OK", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally remove", removeOpts...)
		mustContain(t, r, true, "Took <@"+removed.UserID+"> off **Sit\\-in**", "going", "nothing was sent to them")
		// The promotion's DM is owed with it and sent as it commits.
		eventually(t, 10*time.Second, "the first on the waitlist is promoted and told", func() bool {
			return len(h.noticeDMs(next, "A seat opened up")) == 1
		})
		att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid))
		mustContain(t, att, true, "Taken off", reason)
		if strings.Contains(h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)).Text(), reason) {
			t.Error("the reason is shown to a volunteer")
		}
		eventually(t, 5*time.Second, "the announcement shows the seat given to the next", func() bool {
			return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "1/1 seats")
		})
	})
	t.Run("LaterRSVPsRefused", func(t *testing.T) {
		const refusal = "ask the Seattle chapter's leads"
		mustContain(t, h.noticeRSVP(removed, ann, id, "going"), true, refusal)
		mustContain(t, h.noticeRSVP(removed, ann, id, "maybe"), true, refusal)
		mustContain(t, h.cmd(removed, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going")), true, refusal)
		mustContain(t, h.cmd(removed, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true, refusal)
		// "Volunteer for a role" sends them to the leads before any menu.
		menu := h.click(removed, seattleChannel, ann.ID, "role:menu:"+rid)
		mustContain(t, menu, true, refusal)
		if len(rolesMenu(menu)) != 0 {
			t.Errorf("the removed member was offered roles: %v", rolesMenu(menu))
		}
		db := h.schedDB()
		if st, err := db.MemberStanding(context.Background(), id, removed.UserID); err != nil || st.Status != store.NotGoing {
			t.Errorf("the removed member stands %+v (%v)", st, err)
		}
	})
	t.Run("RoleHolder", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally remove", discordtest.Str("rally", rid), discordtest.UserOpt("member", marshal.UserID))
		mustContain(t, r, true, "signed up as marshal")
		mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true, "ask the Seattle chapter's leads")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true, "signed up as **marshal**")
	})
	t.Run("NothingSentToThem", func(t *testing.T) {
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		h.runJobs()
		if got := len(h.fake.DMs(removed.UserID)); got != dmsBefore {
			t.Errorf("the removed member got %d DMs after the removal", got-dmsBefore)
		}
		if len(h.noticeDMs(next, "Reminder")) != 1 {
			t.Error("the member promoted got no reminder")
		}
	})
	t.Run("ReasonGoesWithRetention", func(t *testing.T) {
		db := h.schedDB()
		if got, err := db.RallyRemovals(context.Background(), id); err != nil || len(got) != 2 || got[0].Reason != reason {
			t.Fatalf("removals before retention: %+v (%v)", got, err)
		}
		h.clock.Set(at.Add(40 * 24 * time.Hour))
		h.runJobs()
		if got, err := db.RallyRemovals(context.Background(), id); err != nil || len(got) != 0 {
			t.Errorf("removals after retention: %+v (%v)", got, err)
		}
	})
}

// TestApproval: on a rally with approval, Going and a role sign-up are
// requests that hold no seat and are told no place; a lead answers them
// with the buttons of /rally attendees (a lead of another chapter cannot),
// and the member is told by DM either way.
func TestApproval(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Closed meeting", at, discordtest.Int("capacity", 1), discordtest.Int("marshals", 1),
		discordtest.Bool("approval", true))
	rid := fmt.Sprint(id)
	first, second, declined, marshal, waiting := member(1), member(2), member(3), member(4), member(5)
	mustContain(t, h.noticeRSVP(first, ann, id, "going"), true, "went to the Seattle chapter's leads", "no seat")
	mustContain(t, h.noticeRSVP(first, ann, id, "going"), true, "still waiting")
	mustContain(t, h.cmd(second, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going")), true, "went to the")
	h.noticeRSVP(declined, ann, id, "maybe")
	mustContain(t, h.noticeRSVP(declined, ann, id, "going"), true, "went to the")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "as **marshal** went to")
	h.noticeRSVP(waiting, ann, id, "going")

	t.Run("RequestsHoldNoSeat", func(t *testing.T) {
		eventually(t, 5*time.Second, "the announcement counts no one going", func() bool {
			text := messageText(h.fake.Message(seattleChannel, ann.ID))
			return strings.Contains(text, "0/1 seats") && strings.Contains(text, "approve who comes") && !strings.Contains(text, "requested")
		})
		if strings.Contains(h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", rid)).Text(), "requested") {
			t.Error("a volunteer sees the requests")
		}
		mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, "5 requested")
		mine := h.cmd(first, seattleChannel, "myrsvps")
		mustContain(t, mine, true, "Closed meeting", "asked to come")
		privHides(t, "/myrsvps of a request", mine.Text())
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally attendees", discordtest.Str("rally", rid)), true, "Only Seattle leads")
	})
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", rid))
	mustContain(t, att, true, "Requests (5)", "<@"+first.UserID+">", "as marshal")
	approve := func(m discordtest.Member) string { return fmt.Sprintf("request:approve:%d:%s", id, m.UserID) }
	decline := func(m discordtest.Member) string { return fmt.Sprintf("request:decline:%d:%s", id, m.UserID) }

	t.Run("ForeignLeadRefused", func(t *testing.T) {
		// The lead's list is theirs alone: another member forges the
		// answer on a message they can reach.
		mustContain(t, h.forged(chiLead, ann.ID, approve(first)), true, "Only Seattle leads")
		mustContain(t, h.forged(volunteer, ann.ID, decline(first)), true, "Only Seattle leads")
		if len(h.fake.DMs(first.UserID)) != 0 {
			t.Error("a refused answer told the member")
		}
	})
	t.Run("ForgedIDs", func(t *testing.T) {
		mustContain(t, h.forged(lead, att.MessageID, approve(volunteer)), true, "no longer waiting")
		mustContain(t, h.forged(lead, att.MessageID, fmt.Sprintf("request:approve:%d:%s", id+100, first.UserID)), true, "no longer")
		mustContain(t, h.forged(lead, att.MessageID, fmt.Sprintf("request:approve:%d:x%s", id, first.UserID)), true, "no longer valid")
		mustContain(t, h.forged(lead, att.MessageID, fmt.Sprintf("request:maybe:%d:%s", id, first.UserID)), true, "no longer valid")
	})
	t.Run("NoPlaceForARequest", func(t *testing.T) {
		h.clock.Set(at.Add(-2 * time.Hour))
		h.runJobs()
		h.runJobs()
		for _, m := range []discordtest.Member{first, second, declined, marshal, waiting} {
			if len(h.noticeDMs(m, privSecret)) != 0 {
				t.Errorf("member %s got the place while only requested", m.UserID)
			}
		}
	})
	t.Run("Approve", func(t *testing.T) {
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, approve(first)), true, "Approved <@"+first.UserID+">", "going")
		// The answer's DM is owed with it and sent as it commits.
		eventually(t, 10*time.Second, "the approved member's DM, with the place (shared by now)", func() bool {
			got := h.noticeDMs(first, "You're in")
			return len(got) == 1 && strings.Contains(messageText(got[0]), privSecret)
		})
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, approve(first)), true, "no longer waiting")
	})
	t.Run("ApproveOnAFullRally", func(t *testing.T) {
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, approve(second)), true, "waitlist")
		eventually(t, 10*time.Second, "the waitlisted member's DM, without the place", func() bool {
			got := h.noticeDMs(second, "You're in")
			return len(got) == 1 && strings.Contains(messageText(got[0]), "waitlist") && !strings.Contains(messageText(got[0]), privSecret)
		})
	})
	t.Run("ApproveARole", func(t *testing.T) {
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, approve(marshal)), true, "marshal")
		db := h.schedDB()
		if st, err := db.MemberStanding(context.Background(), id, marshal.UserID); err != nil || st.Role != store.Marshal {
			t.Errorf("the approved marshal stands %+v (%v)", st, err)
		}
	})
	t.Run("Decline", func(t *testing.T) {
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, decline(declined)), true, "Declined")
		eventually(t, 10*time.Second, "the declined member's DM, without the place", func() bool {
			got := h.noticeDMs(declined, "Thank you for wanting to come")
			return len(got) == 1 && !strings.Contains(messageText(got[0]), privSecret)
		})
	})
	t.Run("Withdraw", func(t *testing.T) {
		mustContain(t, h.noticeRSVP(waiting, ann, id, "maybe"), true, "withdrawn")
		mustContain(t, h.click(lead, seattleChannel, att.MessageID, approve(waiting)), true, "no longer waiting")
	})
	t.Run("EditAndAction", func(t *testing.T) {
		other := h.schedRally("Seattle", seattleChannel, "Open picket", at)
		mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(other)), discordtest.Bool("approval", true)), true, "approval")
		mustContain(t, h.noticeRSVP(volunteer, h.actAnnouncement(seattleChannel, other), other, "going"), true, "went to the")
		h.schedSetupCoordinators()
		actID, _ := h.actCreate(discordtest.Bool("approval", true))
		for name, r := range actRallies(t, h.schedDB(), actID) {
			if !r.Approval {
				t.Errorf("%s's rally of the action has no approval", name)
			}
		}
	})
}

// TestForgetMeWhileALeadAnswers: members asking to be forgotten while a
// lead approves or declines their requests are forgotten whichever comes
// first: the DM telling the answer is owed with the answer, so it cannot
// be owed after the forget-me to a member it has just deleted, nor sent.
func TestForgetMeWhileALeadAnswers(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.privRally("Closed meeting", start.Add(30*time.Hour), discordtest.Bool("approval", true))
	// Rounds of as many requests as one /rally attendees offers buttons for.
	const rounds, perRound = 3, 10
	for round := 0; round < rounds; round++ {
		for i := 0; i < perRound; i++ {
			mustContain(t, h.noticeRSVP(member(10+round*perRound+i), ann, id, "going"), true, "went to the")
		}
		att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", fmt.Sprint(id)))
		var wg sync.WaitGroup
		for i := 0; i < perRound; i++ {
			m, answer := member(10+round*perRound+i), "approve"
			if i%2 == 1 {
				answer = "decline"
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: lead}
				if _, err := h.fake.Click(h.ctx(), inv, att.MessageID, fmt.Sprintf("request:%s:%d:%s", answer, id, m.UserID)); err != nil {
					t.Error(err)
				}
			}()
			go func() {
				defer wg.Done()
				inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: m}
				if _, err := h.fake.Command(h.ctx(), inv, "privacy forget-me"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	h.runJobs()
	eventually(t, 10*time.Second, "no DM is owed any more", func() bool {
		return h.privacyCount(`SELECT COUNT(*) FROM member_dms WHERE state = 'pending'`)+
			h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`) == 0
	})
	for i := 0; i < rounds*perRound; i++ {
		m := member(10 + i)
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Errorf("forgotten member %s is still in %v", m.UserID, got)
		}
		if got := h.fake.DMs(m.UserID); len(got) != 0 {
			t.Errorf("forgotten member %s has a DM on Discord: %s", m.UserID, messageText(got[0]))
		}
	}
}

// privSeat finds a seat spoken of (not Seattle).
var privSeat = regexp.MustCompile(`\bseats?\b`)

// TestRevealHygiene: a maybe's "Still going" is answered with a question,
// not thanks; a reminder to a maybe speaks of no seat; a member going is
// reminded with the place once it is shared; a day of action's request for
// a place says, once the place is set, that it is.
func TestRevealHygiene(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	at := start.Add(30 * time.Hour)
	id, ann := h.privRally("Night vigil", at)
	going, asked, stays := member(1), member(2), member(3)
	h.noticeRSVP(going, ann, id, "going")
	h.noticeRSVP(asked, ann, id, "maybe")
	h.noticeRSVP(stays, ann, id, "maybe")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()

	t.Run("MaybeReminderSpeaksOfNoSeat", func(t *testing.T) {
		for _, m := range []discordtest.Member{asked, stays} {
			got := h.noticeDMs(m, "Reminder")
			if len(got) != 1 {
				t.Fatalf("a maybe got %d reminders, want 1", len(got))
			}
			if text := strings.ToLower(messageText(got[0])); privSeat.MatchString(text) || !strings.Contains(text, "you said maybe") {
				t.Errorf("reminder to a maybe: %s", text)
			}
		}
		if got := h.noticeDMs(going, "Reminder"); len(got) != 1 || !privSeat.MatchString(messageText(got[0])) {
			t.Errorf("reminder to a member going: %v", got)
		}
	})
	t.Run("MaybeIsAsked", func(t *testing.T) {
		dm := h.noticeDMs(asked, "Reminder")[0]
		r := h.noticeClickDM(asked, dm, fmt.Sprintf("confirm:yes:%d", id))
		mustContain(t, r, false, "You said maybe", "Are you going?")
		if strings.Contains(r.Text(), "Thanks") {
			t.Errorf("a maybe was thanked as if confirmed: %q", r.Text())
		}
		r2, err := h.fake.Click(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: asked}, r.MessageID, fmt.Sprintf("confirm:going:%d", id))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r2, true, "**going**", "DM it to you 2h before")
		dm2 := h.noticeDMs(stays, "Reminder")[0]
		r3 := h.noticeClickDM(stays, dm2, fmt.Sprintf("confirm:yes:%d", id))
		r4, err := h.fake.Click(h.ctx(), discordtest.Invocation{ChannelID: dm2.ChannelID, Member: stays}, r3.MessageID, fmt.Sprintf("confirm:maybe:%d", id))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r4, false, "you stay a maybe")
		db := h.schedDB()
		for user, want := range map[string]store.RSVPStatus{asked.UserID: store.Going, stays.UserID: store.Maybe} {
			if st, err := db.MemberStanding(context.Background(), id, user); err != nil || st.Status != want {
				t.Errorf("member %s stands %+v (%v), want %s", user, st, err, want)
			}
		}
	})
	h.clock.Set(at.Add(-2 * time.Hour))
	h.runJobs()
	h.runJobs()
	t.Run("GoingReminderNamesThePlace", func(t *testing.T) {
		for _, m := range []discordtest.Member{going, asked} {
			var two *discordgo.Message
			for _, d := range h.noticeDMs(m, "Reminder") {
				if !strings.Contains(messageText(d), "still coming") {
					two = d
				}
			}
			if two == nil || !strings.Contains(messageText(two), privSecret) || strings.Contains(messageText(two), "shared with those going") {
				t.Errorf("the 2h reminder to a member going: %v", two)
			}
		}
		for _, d := range h.fake.DMs(stays.UserID) {
			privHides(t, "a DM to a maybe", messageText(d))
		}
	})

	t.Run("AskForAPlaceSaysItIsSet", func(t *testing.T) {
		h.schedSetupCoordinators()
		actID, _ := h.actCreate(discordtest.Str("chapters", "Seattle"))
		asks := h.actAsks(seattleChannel, actID)
		if len(asks) != 1 {
			t.Fatalf("%d asks for a place, want 1", len(asks))
		}
		sea := actRallies(t, h.schedDB(), actID)["Seattle"]
		mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(sea.ID)), discordtest.Str("location", "Westlake Park")),
			true, "announced")
		got := h.fake.Message(seattleChannel, asks[0].ID)
		if !strings.Contains(got.Content, "is set") || strings.Contains(got.Content, "Choose the meeting place") {
			t.Errorf("the ask after the place was set: %q", got.Content)
		}
	})
}
