package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	r := h.cmd(admin, seattleChannel, "rally create", createOpts(append([]discordtest.Option{
		discordtest.Str("title", title), discordtest.Str("when", schedWhen(h.t, "Seattle", at)),
		discordtest.Str("location", privSecret), discordtest.Bool("private_location", true),
	}, extra...)...)...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		h.t.Fatalf("rally create: %q", r.Text())
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
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
	mustContain(t, h.noticeClickDM(gone, dm, fmt.Sprintf("confirm:yes:%d", id)), true, "no longer in")
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
