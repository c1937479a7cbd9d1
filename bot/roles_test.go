package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// The helpers here are prefixed "roles" so they cannot collide with those of
// the other test files of the package.

// rolesCreate has the Seattle lead create a rally with the given extra
// options (minimums included) and returns its id and announcement.
func (h *harness) rolesCreate(title string, extra ...discordtest.Option) (string, *discordgo.Message) {
	h.t.Helper()
	return h.rallyAnnounced(append(createOpts(discordtest.Str("title", title)), extra...)...)
}

// rolesMenu returns the values the reply's select menu offers (nil: no menu).
func rolesMenu(r *discordtest.Reply) []string {
	menu := selectMenu(r, "")
	if menu == nil {
		return nil
	}
	out := []string{}
	for _, o := range menu.Options {
		out = append(out, o.Value)
	}
	return out
}

// selectMenu returns the reply's first select menu whose custom id starts
// with prefix, or nil.
func selectMenu(r *discordtest.Reply, prefix string) *discordgo.SelectMenu {
	if r == nil || r.Data == nil {
		return nil
	}
	for _, c := range r.Data.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, x := range row.Components {
			if menu, ok := x.(*discordgo.SelectMenu); ok && strings.HasPrefix(menu.CustomID, prefix) {
				return menu
			}
		}
	}
	return nil
}

func (h *harness) rolesSelect(m discordtest.Member, reply *discordtest.Reply, id, value string) *discordtest.Reply {
	h.t.Helper()
	r, err := h.fake.Select(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: m},
		reply.MessageID, "role:pick:"+id, value)
	if err != nil {
		h.t.Fatalf("select %s: %v", value, err)
	}
	return r
}

// rolesAnnouncement waits for the announcement to show every part.
func (h *harness) rolesAnnouncement(t *testing.T, messageID string, parts ...string) {
	t.Helper()
	var text string
	eventually(t, 5*time.Second, fmt.Sprintf("announcement shows %q", parts), func() bool {
		text = messageText(h.fake.Message(seattleChannel, messageID))
		for _, p := range parts {
			if !strings.Contains(text, p) {
				return false
			}
		}
		return true
	})
}

func TestRolesSignUp(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.rolesCreate("Rally with safety roles", discordtest.Int("marshals", 2), discordtest.Int("medics", 1))
	rallyOpt := discordtest.Str("rally", id)

	t.Run("AnnouncementShowsFilledOverNeeded", func(t *testing.T) {
		text := messageText(ann)
		for _, want := range []string{"Marshals 0/2", "Medics 0/1", "0 going"} {
			if !strings.Contains(text, want) {
				t.Errorf("announcement lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Legal observers") || strings.Contains(text, "Interpreters") {
			t.Errorf("announcement shows roles not needed:\n%s", text)
		}
		bs := buttons(ann)
		if len(bs) != 4 || bs[3].Label != "Volunteer for a role" || bs[3].CustomID != "role:menu:"+id {
			t.Fatalf("buttons = %+v, want a fourth, Volunteer for a role", bs)
		}
	})

	t.Run("SelectMenuFillsARole", func(t *testing.T) {
		menu := h.click(volunteer, seattleChannel, ann.ID, "role:menu:"+id)
		mustContain(t, menu, true, "2 marshals, 1 medic")
		if got := rolesMenu(menu); !slices.Equal(got, []string{"marshal", "medic"}) {
			t.Fatalf("menu offers %v, want [marshal medic]", got)
		}
		r := h.rolesSelect(volunteer, menu, id, "marshal")
		mustContain(t, r, true, "signed up as **marshal**", "counts as going")
		h.rolesAnnouncement(t, ann.ID, "Marshals 1/2", "1 going")
	})

	t.Run("RSVPRoleFillsARole", func(t *testing.T) {
		r := h.cmd(member(1), seattleChannel, "rsvp", rallyOpt, discordtest.Str("status", "going"), discordtest.Str("role", "marshal"))
		mustContain(t, r, true, "signed up as **marshal**")
		h.rolesAnnouncement(t, ann.ID, "Marshals 2/2", "2 going")
		info := h.cmd(member(5), seattleChannel, "rally info", rallyOpt)
		mustContain(t, info, false, "Marshals 2/2", "Medics 0/1", "2 going")
		summary := h.cmd(admin, seattleChannel, "summary now")
		mustContain(t, summary, true, "2 going", "safety roles Marshals 2/2 ✓ · Medics 0/1")
	})

	t.Run("FullRoleNotOffered", func(t *testing.T) {
		menu := h.click(member(2), seattleChannel, ann.ID, "role:menu:"+id)
		if got := rolesMenu(menu); !slices.Equal(got, []string{"medic"}) {
			t.Fatalf("menu offers %v, want only [medic]", got)
		}
		r := h.cmd(member(2), seattleChannel, "rsvp", rallyOpt, discordtest.Str("status", "going"), discordtest.Str("role", "marshal"))
		mustContain(t, r, true, "someone just took the last marshal place", "1 medic")
		if got := rolesMenu(r); !slices.Equal(got, []string{"medic"}) {
			t.Errorf("refusal offers %v, want [medic]", got)
		}
	})

	t.Run("AttendeesGroupedByRoleForTheLead", func(t *testing.T) {
		h.click(member(3), seattleChannel, ann.ID, "rsvp:going:"+id)
		r := h.cmd(lead, seattleChannel, "rally attendees", rallyOpt)
		text := r.Text()
		mustContain(t, r, true, "Going (1)", "<@"+member(3).UserID+">", "Marshals, 2 needed (2)", "Medics, 1 needed (0)")
		marshals := text[strings.Index(text, "Marshals"):]
		if !strings.Contains(marshals, "<@"+volunteer.UserID+">") || !strings.Contains(marshals, "<@"+member(1).UserID+">") {
			t.Errorf("marshals not listed under their role:\n%s", text)
		}
		refused := h.cmd(volunteer, seattleChannel, "rally attendees", rallyOpt)
		mustContain(t, refused, true, "Only Seattle leads")
		if strings.Contains(refused.Text(), member(1).UserID) {
			t.Errorf("a volunteer saw who signed up: %q", refused.Text())
		}
	})

	t.Run("CantGoFreesTheRole", func(t *testing.T) {
		r := h.click(volunteer, seattleChannel, ann.ID, "rsvp:not_going:"+id)
		mustContain(t, r, true, "no longer **marshal**", "not going")
		h.rolesAnnouncement(t, ann.ID, "Marshals 1/2", "2 going")
		menu := h.click(member(2), seattleChannel, ann.ID, "role:menu:"+id)
		if got := rolesMenu(menu); !slices.Equal(got, []string{"marshal", "medic"}) {
			t.Fatalf("menu offers %v after a marshal left, want [marshal medic]", got)
		}
	})

	t.Run("ForgetMeFreesTheRole", func(t *testing.T) {
		r := h.cmd(member(1), seattleChannel, "privacy forget-me")
		mustContain(t, r, true, "Deleted your 1 RSVP")
		h.rolesAnnouncement(t, ann.ID, "Marshals 0/2", "1 going")
	})

	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Errorf("requests Discord would refuse: %+v", v)
	}
}

func TestRolesRaceForTheLastPlace(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.rolesCreate("Race for the medic place", discordtest.Int("medics", 1), discordtest.Int("interpreters", 1))
	a, b := member(1), member(2)
	menuA := h.click(a, seattleChannel, ann.ID, "role:menu:"+id)
	menuB := h.click(b, seattleChannel, ann.ID, "role:menu:"+id)

	var wg sync.WaitGroup
	replies := make([]*discordtest.Reply, 2)
	errs := make([]error, 2)
	for i, pick := range []struct {
		m    discordtest.Member
		menu *discordtest.Reply
	}{{a, menuA}, {b, menuB}} {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			replies[i], errs[i] = h.fake.Select(ctx, discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: pick.m},
				pick.menu.MessageID, "role:pick:"+id, "medic")
		}(i)
	}
	wg.Wait()
	won, lost := 0, 0
	for i, r := range replies {
		if errs[i] != nil {
			t.Fatalf("select: %v", errs[i])
		}
		switch {
		case strings.Contains(r.Text(), "signed up as **medic**"):
			won++
		case strings.Contains(r.Text(), "someone just took the last medic place"):
			lost++
			mustContain(t, r, true, "1 interpreter")
			if got := rolesMenu(r); !slices.Equal(got, []string{"interpreter"}) {
				t.Errorf("the one who lost is offered %v, want [interpreter]", got)
			}
		default:
			t.Errorf("unexpected reply %q", r.Text())
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won and %d lost the last medic place, want 1 and 1", won, lost)
	}
	h.rolesAnnouncement(t, ann.ID, "Medics 1/1", "Interpreters 0/1")
}

func TestRolesStaffingAlert(t *testing.T) {
	t.Parallel()
	// The 2h reminder only: the failure injected below is for the alert.
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "2h")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Short of marshals", at, discordtest.Int("marshals", 2))
	r := h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)),
		discordtest.Str("status", "going"), discordtest.Str("role", "marshal"))
	mustContain(t, r, true, "signed up as **marshal**")
	marker := fmt.Sprintf("Rally #%d · staffing alert", id)
	alerts := func() []*discordgo.Message {
		var out []*discordgo.Message
		for _, m := range h.fake.Messages(seattleChannel) {
			if strings.Contains(messageText(m), marker) {
				out = append(out, m)
			}
		}
		return out
	}

	t.Run("NotBeforeItsTime", func(t *testing.T) {
		h.clock.Set(at.Add(-24*time.Hour - time.Minute))
		h.runJobs()
		if n := len(alerts()); n != 0 {
			t.Fatalf("%d alerts before T-24h, want 0", n)
		}
	})

	t.Run("OnceDespiteA500", func(t *testing.T) {
		h.fake.FailNext(http.MethodPost, messagesRoute, 1, http.StatusInternalServerError)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		h.runJobs()
		got := alerts()
		if len(got) != 1 {
			t.Fatalf("%d alerts, want 1", len(got))
		}
		text := messageText(got[0])
		for _, want := range []string{"<@&" + seattleLead + ">", "still needed 1 marshal", "Marshals 1/2"} {
			if !strings.Contains(text, want) {
				t.Errorf("alert lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, volunteer.UserID) {
			t.Errorf("alert names a person:\n%s", text)
		}
		bodies, statuses := h.schedPosts(seattleChannel, marker)
		if fmt.Sprint(statuses) != "[500 200]" {
			t.Fatalf("POST statuses %v, want [500 200]", statuses)
		}
		for _, b := range bodies {
			if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
				t.Errorf("the retry must reuse the nonce, enforced: %v then %v", bodies[0]["nonce"], b["nonce"])
			}
			am, _ := b["allowed_mentions"].(map[string]any)
			parse, _ := am["parse"].([]any)
			if fmt.Sprint(am["roles"]) != "["+seattleLead+"]" || parse == nil || len(parse) != 0 || am["users"] != nil {
				t.Errorf("allowed_mentions = %v, want parse [] and roles [%s] only", am, seattleLead)
			}
		}
		if state, msgID, err := h.staffingAlertState(id); err != nil || state != store.ReminderSent || msgID != got[0].ID {
			t.Errorf("alert stored as %q %q %v, want sent as %s", state, msgID, err, got[0].ID)
		}
	})

	t.Run("OnceAcrossARestart", func(t *testing.T) {
		h.restart()
		h.runJobs()
		if n := len(alerts()); n != 1 {
			t.Fatalf("%d alerts after a restart, want 1", n)
		}
		if bodies, _ := h.schedPosts(seattleChannel, marker); len(bodies) != 2 {
			t.Fatalf("%d alert POSTs after a restart, want the 2 before", len(bodies))
		}
	})

	t.Run("EditedIntoShortfallAfterTheAlertTime", func(t *testing.T) {
		at2 := h.clock.Now().Truncate(time.Minute).Add(10 * time.Hour)
		id2 := h.schedRally("Seattle", seattleChannel, "Staffed at first", at2)
		h.runJobs()
		marker2 := fmt.Sprintf("Rally #%d · staffing alert", id2)
		if bodies, _ := h.schedPosts(seattleChannel, marker2); len(bodies) != 0 {
			t.Fatalf("%d alerts for a rally that needs nobody", len(bodies))
		}
		r := h.cmd(admin, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(id2)), discordtest.Int("medics", 1))
		mustContain(t, r, true, "medics")
		h.runJobs()
		h.runJobs()
		if bodies, _ := h.schedPosts(seattleChannel, marker2); len(bodies) != 1 {
			t.Fatalf("%d alerts after the edit, want 1", len(bodies))
		}
	})
}

func TestRolesCapacityLoweredBelowGoing(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.rolesCreate("Small room", discordtest.Int("capacity", 3))
	for i := 1; i <= 3; i++ {
		mustContain(t, h.click(member(i), seattleChannel, ann.ID, "rsvp:going:"+id), true, "**going**")
	}
	r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Int("capacity", 1))
	mustContain(t, r, true, "over capacity", "3 going · capacity 1", "Nobody was moved")
	h.rolesAnnouncement(t, ann.ID, "3 going · capacity 1")
	if text := messageText(h.fake.Message(seattleChannel, ann.ID)); strings.Contains(text, "3/1") {
		t.Errorf("announcement still shows a seat count past the capacity:\n%s", text)
	}
	mustContain(t, h.click(member(4), seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", id))
	mustContain(t, att, true, "Going (3)", "<@"+member(1).UserID+">", "<@"+member(3).UserID+">", "Waitlist (1)")
}
