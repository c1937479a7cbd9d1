package bot_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

var rallyIDPattern = regexp.MustCompile(`\(#(\d+)\)`)

// rallyHarness is a bot with Seattle and Chicago set up.
func rallyHarness(t *testing.T, env ...string) *harness {
	h := newHarness(t, append([]string{"DISCORD_GUILD_ID", guildID}, env...)...)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.setupChapter("Chicago", chicagoChannel, chicagoLead)
	return h
}

func createOpts(extra ...discordtest.Option) []discordtest.Option {
	return withDefaults([]discordtest.Option{
		discordtest.Str("chapter", "Seattle"),
		discordtest.Str("title", "Rally for fair housing"),
		discordtest.Str("when", "2026-11-28 14:30"),
		discordtest.Str("location", "Westlake Park"),
	}, []string{"chapter", "title", "when", "location", "details", "capacity", "duration"}, extra)
}

// withDefaults is a command's options: the defaults, each replaced by an
// extra of the same name, in the command's order; extras of options added
// by later features follow in the order given.
func withDefaults(defaults []discordtest.Option, order []string, extra []discordtest.Option) []discordtest.Option {
	byName := map[string]discordtest.Option{}
	for _, o := range append(append([]discordtest.Option(nil), defaults...), extra...) {
		byName[o.Name] = o
	}
	var out []discordtest.Option
	for _, k := range order {
		if o, ok := byName[k]; ok {
			out = append(out, o)
		}
	}
	for _, o := range extra {
		if !slices.Contains(order, o.Name) {
			out = append(out, o)
		}
	}
	return out
}

// createRally has the Seattle lead create a rally and returns its id and announcement.
func (h *harness) createRally(extra ...discordtest.Option) (string, *discordgo.Message) {
	h.t.Helper()
	return h.rallyAnnounced(createOpts(extra...)...)
}

func buttons(m *discordgo.Message) []discordgo.Button {
	var out []discordgo.Button
	for _, c := range m.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, b := range row.Components {
			if btn, ok := b.(*discordgo.Button); ok {
				out = append(out, *btn)
			}
		}
	}
	return out
}

func TestRallyCreate(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)

	t.Run("LeadCreatesAnnouncementWithThreeButtons", func(t *testing.T) {
		id, ann := h.createRally(discordtest.Str("details", "Bring water"), discordtest.Int("capacity", 50))
		text := messageText(ann)
		for _, want := range []string{"Rally for fair housing", "Seattle", "Westlake Park", "Bring water", "Sat Nov 28, 2026 2:30 PM",
			"PST, UTC-08:00", "<t:1795905000:F>", "<t:1795905000:R>", "0 going", "0 maybe", "0/50"} {
			if !strings.Contains(text, want) {
				t.Errorf("announcement lacks %q:\n%s", want, text)
			}
		}
		bs := buttons(ann)
		if len(bs) != 3 || bs[0].Label != "Going" || bs[1].Label != "Maybe" || bs[2].Label != "Can't go" {
			t.Fatalf("buttons = %+v", bs)
		}
		if bs[0].CustomID != "rsvp:going:"+id || bs[2].CustomID != "rsvp:not_going:"+id {
			t.Errorf("custom ids = %q, %q", bs[0].CustomID, bs[2].CustomID)
		}
		info := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id))
		mustContain(t, info, false, "Rally for fair housing", "/channels/"+guildID+"/"+seattleChannel+"/"+ann.ID)
	})

	t.Run("AdminMayCreate", func(t *testing.T) {
		before := len(h.fake.Messages(chicagoChannel))
		r := h.cmd(admin, coordChannel, "rally create", createOpts(discordtest.Str("chapter", "Chicago"))...)
		mustContain(t, r, true, "Scheduled", "/channels/"+guildID+"/"+chicagoChannel+"/")
		msgs := h.fake.Messages(chicagoChannel)
		if len(msgs) != before+1 || !strings.Contains(messageText(msgs[len(msgs)-1]), "CST, UTC-06:00") {
			t.Errorf("no announcement in Chicago's channel in Chicago time")
		}
	})

	t.Run("TwelveHourClock", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("when", "2026-12-01 6:15pm"))...)
		mustContain(t, r, true, "<t:1796177700:F>")
		// The list shows the chapter's time and zone and each reader's own.
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally list"), false, "Dec 1 6:15 PM", "(PST)", "<t:1796177700:F>")
	})

	t.Run("AmbiguousFallBackPicksEarlierAndSaysSo", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("when", "2027-11-07 01:30"))...)
		mustContain(t, r, true, "happens twice", "PDT, UTC-07:00")
	})

	noChange := func(t *testing.T, path string, m discordtest.Member, opts []discordtest.Option, want ...string) {
		t.Helper()
		listBefore := h.cmd(volunteer, coordChannel, "rally list").Text()
		msgsBefore := len(h.fake.Messages(seattleChannel)) + len(h.fake.Messages(chicagoChannel))
		r := h.cmd(m, seattleChannel, path, opts...)
		mustContain(t, r, true, want...)
		if n := len(h.fake.Messages(seattleChannel)) + len(h.fake.Messages(chicagoChannel)); n != msgsBefore {
			t.Errorf("a refused command posted %d messages", n-msgsBefore)
		}
		if after := h.cmd(volunteer, coordChannel, "rally list").Text(); after != listBefore {
			t.Errorf("a refused command changed the rallies:\n%s\n→\n%s", listBefore, after)
		}
	}

	bad := []struct {
		name string
		m    discordtest.Member
		opts []discordtest.Option
		want []string
	}{
		{"ErrPlainMember", volunteer, createOpts(), []string{"Only Seattle leads", "<@&" + seattleLead + ">"}},
		{"ErrOtherChapterLead", chiLead, createOpts(), []string{"Only Seattle leads"}},
		{"ErrUnknownChapter", lead, createOpts(discordtest.Str("chapter", "Atlantis")), []string{"no chapter called \"Atlantis\"", "/chapter list"}},
		{"ErrImpossibleDate", lead, createOpts(discordtest.Str("when", "2026-02-30 10:00")), []string{"`when`", "February 2026 has 28 days"}},
		{"ErrUnparseableDate", lead, createOpts(discordtest.Str("when", "next saturday")), []string{"`when`", "YYYY-MM-DD HH:MM"}},
		{"ErrPastDate", lead, createOpts(discordtest.Str("when", "2026-11-20 10:00")), []string{"`when`", "in the past"}},
		{"ErrMoreThanAYearAhead", lead, createOpts(discordtest.Str("when", "2028-01-10 10:00")), []string{"`when`", "more than a year ahead"}},
		{"ErrSpringForwardGap", lead, createOpts(discordtest.Str("when", "2027-03-14 02:30")), []string{"`when`", "does not exist", "clocks jump forward"}},
		{"ErrTitleTooLong", lead, createOpts(discordtest.Str("title", strings.Repeat("t", 101))), []string{"`title`", "101 characters", "100"}},
		{"ErrLocationTooLong", lead, createOpts(discordtest.Str("location", strings.Repeat("l", 201))), []string{"`location`", "200"}},
		{"ErrDetailsTooLong", lead, createOpts(discordtest.Str("details", strings.Repeat("d", 1001))), []string{"`details`", "1000"}},
		{"ErrCapacityZero", lead, createOpts(discordtest.Int("capacity", 0)), []string{"`capacity`", "between 1 and 100000"}},
		{"ErrCapacityHuge", lead, createOpts(discordtest.Int("capacity", 100001)), []string{"`capacity`"}},
		{"ErrCapacityForgedType", lead, createOpts(discordtest.Option{Name: "capacity", Type: discordgo.ApplicationCommandOptionInteger, Value: "lots"}), []string{"`capacity`", "whole number"}},
		{"ErrDurationShort", lead, createOpts(discordtest.Str("duration", "10m")), []string{"`duration`", "15m to 24h"}},
		{"ErrDurationLong", lead, createOpts(discordtest.Str("duration", "25h")), []string{"`duration`"}},
		{"ErrDurationGarbage", lead, createOpts(discordtest.Str("duration", "a while")), []string{"`duration`", "2h"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { noChange(t, "rally create", c.m, c.opts, c.want...) })
	}

	t.Run("ErrChapterWithoutChannel", func(t *testing.T) {
		noChange(t, "rally create", admin, createOpts(discordtest.Str("chapter", "Oakland")), "Oakland has no announcement channel", "/chapter setup")
	})

	t.Run("ErrChannelForbidsBotStoresNothing", func(t *testing.T) {
		h.fake.FailChannel(chicagoChannel, 403, 50013)
		defer h.fake.FailChannel(chicagoChannel, 0, 0)
		noChange(t, "rally create", admin, createOpts(discordtest.Str("chapter", "Chicago")), "can't post in <#"+chicagoChannel+">", "Nothing was saved")
	})

	t.Run("UserTextNeverPings", func(t *testing.T) {
		_, ann := h.createRally(discordtest.Str("title", "@everyone [free food](https://evil.example) <@&"+seattleLead+">"),
			discordtest.Str("location", "@here"))
		text := messageText(ann)
		for _, bad := range []string{"@everyone", "@here", "](https", "<@&"} {
			if strings.Contains(text, bad) {
				t.Errorf("announcement carries %q unescaped:\n%s", bad, text)
			}
		}
		// Every message and edit carried allowed_mentions with no parse: the
		// fake records a violation otherwise, which fails the test.
		for _, req := range h.fake.Requests() {
			if req.Method == "POST" && req.Route == "/channels/{channel_id}/messages" && !strings.Contains(string(req.Body), `"allowed_mentions":{"parse":[]`) {
				t.Errorf("message without empty allowed_mentions.parse: %s", req.Body)
			}
		}
	})
}

func TestRSVPButtonsAndCounts(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	going, maybe, notGoing := "rsvp:going:"+id, "rsvp:maybe:"+id, "rsvp:not_going:"+id

	mustContain(t, h.click(member(1), seattleChannel, ann.ID, going), true, "you're **going**")
	h.click(member(2), seattleChannel, ann.ID, going)
	h.click(member(3), seattleChannel, ann.ID, maybe)
	mustContain(t, h.click(member(4), seattleChannel, ann.ID, notGoing), true, "not going")
	mustContain(t, h.click(member(1), seattleChannel, ann.ID, going), true, "No change")
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "1 maybe")

	t.Run("ChangeOfMindMovesTheCount", func(t *testing.T) {
		mustContain(t, h.click(member(2), seattleChannel, ann.ID, maybe), true, "a **maybe**")
		mustContain(t, h.cmd(member(3), seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going")), true, "you're **going**")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "1 maybe")
	})

	t.Run("AnnouncementCatchesUp", func(t *testing.T) {
		eventually(t, 5*time.Second, "announcement shows 2 going, 1 maybe", func() bool {
			return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "2 going · ❔ 1 maybe")
		})
	})

	t.Run("MyRSVPs", func(t *testing.T) {
		r := h.cmd(member(2), seattleChannel, "myrsvps")
		mustContain(t, r, true, "Rally for fair housing", "a **maybe**")
	})

	t.Run("AttendeesForLeadsOnly", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", id))
		mustContain(t, r, true, "Going (2)", "<@"+member(1).UserID+">", "<@"+member(3).UserID+">", "Maybe (1)", "<@"+member(2).UserID+">")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally attendees", discordtest.Str("rally", id)), true, "Only Seattle leads")
		mustContain(t, h.cmd(chiLead, seattleChannel, "rally attendees", discordtest.Str("rally", id)), true, "Only Seattle leads")
	})

	t.Run("ErrForgedCustomID", func(t *testing.T) {
		for _, cid := range []string{"rsvp:going:999999", "rsvp:dance:" + id, "rsvp:going:" + id + ":x", "admin:delete", "rsvp:going:0" + id} {
			r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(9)}, ann.ID, cid)
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, r, true, "This button is no longer valid.")
		}
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "1 maybe")
	})

	t.Run("RSVPsSurviveRestart", func(t *testing.T) {
		h.restart()
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "1 maybe")
		mustContain(t, h.cmd(member(1), seattleChannel, "myrsvps"), true, "you're **going**")
		mustContain(t, h.click(member(5), seattleChannel, ann.ID, going), true, "you're **going**")
	})
}

func TestCapacityAndWaitlist(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally(discordtest.Int("capacity", 2))
	going := "rsvp:going:" + id

	var wg sync.WaitGroup
	replies := make([]string, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(i)}, ann.ID, going)
			if err != nil {
				t.Errorf("click %d: %v", i, err)
				return
			}
			replies[i] = r.Text()
		}(i)
	}
	wg.Wait()
	var seated, waiting []int
	for i, r := range replies {
		switch {
		case strings.Contains(r, "you're **going**"):
			seated = append(seated, i)
		case strings.Contains(r, "on the waitlist"):
			waiting = append(waiting, i)
		default:
			t.Errorf("reply %d: %q", i, r)
		}
	}
	if len(seated) != 2 || len(waiting) != 2 {
		t.Fatalf("%d seated, %d waitlisted; want 2 and 2", len(seated), len(waiting))
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "2/2 seats", "2 waitlisted")

	// Who is first in line? The attendees list keeps arrival order.
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", id)).Text()
	first := ""
	for _, i := range waiting {
		if strings.Contains(att, "1. <@"+member(i).UserID+">") && strings.Index(att, "Waitlist") < strings.Index(att, "1. <@"+member(i).UserID+">") {
			first = member(i).UserID
		}
	}
	if first == "" {
		t.Fatalf("cannot find the first on the waitlist in %q", att)
	}

	t.Run("DropPromotesFirstAndDMs", func(t *testing.T) {
		mustContain(t, h.click(member(seated[0]), seattleChannel, ann.ID, "rsvp:not_going:"+id), true, "not going")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "2 going", "1 waitlisted")
		eventually(t, 5*time.Second, "the promoted member gets a DM", func() bool { return len(h.fake.DMs(first)) == 1 })
		if dm := h.fake.DMs(first)[0].Content; !strings.Contains(dm, "now **going**") {
			t.Errorf("DM = %q", dm)
		}
		mustContain(t, h.cmd(discordtest.Member{UserID: first}, seattleChannel, "myrsvps"), true, "you're **going**")
	})

	t.Run("PromotionShownInMyRSVPsWhenDMFails", func(t *testing.T) {
		var last string
		for _, i := range waiting {
			if member(i).UserID != first {
				last = member(i).UserID
			}
		}
		h.fake.FailDMs(last)
		mustContain(t, h.click(member(seated[1]), seattleChannel, ann.ID, "rsvp:maybe:"+id), true, "a **maybe**")
		r := h.cmd(discordtest.Member{UserID: last}, seattleChannel, "myrsvps")
		mustContain(t, r, true, "you're **going**", "moved off the waitlist")
		mustContain(t, h.cmd(discordtest.Member{UserID: last}, seattleChannel, "myrsvps"), true, "you're **going**")
		if strings.Contains(h.cmd(discordtest.Member{UserID: last}, seattleChannel, "myrsvps").Text(), "moved off") {
			t.Errorf("promotion shown again after it was told")
		}
	})
}

func TestRallyEditCancel(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)

	t.Run("ErrEditByPlainMember", func(t *testing.T) {
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Hijacked")), true, "Only Seattle leads")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "Rally for fair housing")
	})
	t.Run("ErrEditNothing", func(t *testing.T) {
		mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id)), true, "Nothing to change")
	})
	t.Run("EditUpdatesAnnouncement", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Housing march"),
			discordtest.Str("when", "2026-11-29 11:00"))
		mustContain(t, r, true, "Updated", "title", "when")
		eventually(t, 5*time.Second, "announcement shows the new title and time", func() bool {
			text := messageText(h.fake.Message(seattleChannel, ann.ID))
			return strings.Contains(text, "Housing march") && strings.Contains(text, "Sun Nov 29, 2026 11:00 AM")
		})
		msgs := h.fake.Messages(seattleChannel)
		if last := msgs[len(msgs)-1]; !strings.Contains(last.Content, "has changed") || !strings.Contains(last.Content, "Sun Nov 29 11:00 AM PST") {
			t.Errorf("no notice of the new time in the channel: %q", last.Content)
		}
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "1 going")
	})
	t.Run("CancelDisablesButtonsAndTellsChannel", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Str("reason", "Storm warning"))
		mustContain(t, r, true, "Cancelled")
		eventually(t, 5*time.Second, "announcement shows the cancel", func() bool {
			m := h.fake.Message(seattleChannel, ann.ID)
			bs := buttons(m)
			return strings.Contains(messageText(m), "CANCELLED") && len(bs) == 3 && bs[0].Disabled && bs[1].Disabled && bs[2].Disabled
		})
		msgs := h.fake.Messages(seattleChannel)
		if last := msgs[len(msgs)-1]; !strings.Contains(last.Content, "has been cancelled") || !strings.Contains(last.Content, "Storm warning") {
			t.Errorf("cancel notice = %q", last.Content)
		}
		mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id), true, "cancelled", "RSVPs are closed")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally list"), true, "No upcoming rallies")
		mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id)), true, "already cancelled")
	})
}

func TestRallyOfAnotherGuild(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "DISCORD_GUILD_ID", "") // global commands reach both guilds
	id, ann := h.createRally()
	otherAdmin := discordtest.Member{UserID: "600000000000000001", Permissions: discordgo.PermissionAdministrator}
	for _, c := range []struct {
		name string
		run  func() *discordtest.Reply
	}{
		{"Info", func() *discordtest.Reply {
			return h.cmd(otherAdmin, otherChannel, "rally info", discordtest.Str("rally", id))
		}},
		{"RSVP", func() *discordtest.Reply {
			return h.cmd(otherAdmin, otherChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going"))
		}},
		{"Edit", func() *discordtest.Reply {
			return h.cmd(otherAdmin, otherChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Mine now"))
		}},
		{"Cancel", func() *discordtest.Reply {
			return h.cmd(otherAdmin, otherChannel, "rally cancel", discordtest.Str("rally", id))
		}},
		{"Attendees", func() *discordtest.Reply {
			return h.cmd(otherAdmin, otherChannel, "rally attendees", discordtest.Str("rally", id))
		}},
		{"ForgedNonNumeric", func() *discordtest.Reply {
			return h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", "1 OR 1=1"))
		}},
	} {
		t.Run("Err"+c.name, func(t *testing.T) { mustContain(t, c.run(), true, "No such rally") })
	}
	t.Run("ErrButtonFromOtherGuild", func(t *testing.T) {
		// The same custom_id arriving from another guild's channel.
		r, err := h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: otherID, ChannelID: seattleChannel, Member: volunteer}, ann.ID, "rsvp:going:"+id)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r, true, "no longer valid")
	})
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "Rally for fair housing", "0 going")
	inv := discordtest.Invocation{GuildID: otherID, ChannelID: otherChannel, Member: otherAdmin}
	choices, err := h.fake.Autocomplete(h.ctx(), inv, "rally info", discordtest.Option{Name: "rally", Type: discordgo.ApplicationCommandOptionString, Value: "", Focused: true})
	if err != nil || len(choices) != 0 {
		t.Errorf("other guild's autocomplete offers %v (%v)", choices, err)
	}
}

func TestRallyAutocompleteAndList(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	for i := 0; i < 30; i++ {
		h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", fmt.Sprintf("Vigil %02d", i)),
			discordtest.Str("when", fmt.Sprintf("2026-12-%02d 18:00", 1+i%28)))...)
	}
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: volunteer}
	focused := func(v string) discordtest.Option {
		return discordtest.Option{Name: "rally", Type: discordgo.ApplicationCommandOptionString, Value: v, Focused: true}
	}
	choices, err := h.fake.Autocomplete(h.ctx(), inv, "rally info", focused(""))
	if err != nil || len(choices) != 25 {
		t.Fatalf("%d choices (%v), want 25", len(choices), err)
	}
	choices, _ = h.fake.Autocomplete(h.ctx(), inv, "rally info", focused("vigil 07"))
	if len(choices) != 1 || !strings.Contains(choices[0].Name, "Vigil 07") {
		t.Fatalf("choices for \"vigil 07\" = %+v", choices)
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", choices[0].Value.(string))), false, "Vigil 07")

	r := h.cmd(volunteer, seattleChannel, "rally list", discordtest.Str("chapter", "Seattle"))
	all := r.Text()
	for _, f := range r.Followups {
		all += messageText(f)
	}
	for i := 0; i < 30; i++ {
		if !strings.Contains(all, fmt.Sprintf("Vigil %02d", i)) {
			t.Errorf("rally list lost Vigil %02d", i)
		}
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "rally list", discordtest.Str("chapter", "Chicago")), true, "No upcoming rallies")
}

// TestAnnouncementEditsCoalesce: a burst of clicks updates the announcement a
// handful of times, and the last edit shows the true counts.
func TestAnnouncementEditsCoalesce(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	// 120 clicks spread over about two and a half seconds.
	const clicks = 120
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	began := time.Now()
	for i := 0; i < clicks; i++ {
		wg.Add(1)
		sem <- struct{}{}
		time.Sleep(20 * time.Millisecond)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			status := "going"
			if i%3 == 0 {
				status = "maybe"
			}
			if _, err := h.fake.Click(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(i)}, ann.ID, "rsvp:"+status+":"+id); err != nil {
				t.Errorf("click %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	burst := time.Since(began)
	eventually(t, 3*time.Second, "the announcement shows 80 going and 40 maybe", func() bool {
		return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "80 going · ❔ 40 maybe")
	})
	edits := h.fake.Edits(seattleChannel, ann.ID)
	// First edit at once, then at most one a second, plus the trailing one.
	limit := int(burst/time.Second) + 3
	t.Logf("%d clicks in %v → %d edits (limit %d)", clicks, burst.Round(time.Millisecond), edits, limit)
	if edits > limit || edits < 1 {
		t.Fatalf("%d edits for %d clicks over %v; want at most %d", edits, clicks, burst, limit)
	}
}

// TestDiscordErrorsLoseNothing: server errors on the announcement and on the
// interaction reply are retried, and the announcement still appears once.
func TestDiscordErrorsLoseNothing(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	h.fake.FailNext("POST", "/channels/{channel_id}/messages", 2, 500)
	h.fake.FailNext("POST", "/interactions/{interaction_id}/{interaction_token}/callback", 1, 500)
	id, ann := h.createRally() // fails unless exactly one announcement appeared
	var nonces []string
	for _, req := range h.fake.Requests() {
		if req.Method == "POST" && req.Route == "/channels/{channel_id}/messages" {
			nonces = append(nonces, regexp.MustCompile(`"nonce":"([^"]+)","enforce_nonce":true`).FindString(string(req.Body)))
		}
	}
	if len(nonces) != 3 || nonces[0] == "" || nonces[0] != nonces[1] || nonces[1] != nonces[2] {
		t.Fatalf("announcement attempts carried nonces %q; want three attempts with one enforced nonce", nonces)
	}
	h.fake.FailNext("PATCH", "/channels/{channel_id}/messages/{message_id}", 1, 500)
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	eventually(t, 5*time.Second, "the announcement edit is retried after a 500", func() bool {
		return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "1 going")
	})
}

// TestSlowDiscord: when Discord is slow (a long rate limit on the channel), the
// bot acknowledges the command within the deadline, edits in its answer when
// done, and a shutdown meanwhile finishes the command instead of dropping it.
func TestSlowDiscord(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	route := "/channels/{channel_id}/messages"

	t.Run("DefersThenAnswers", func(t *testing.T) {
		h.fake.RateLimitNext("POST", route, 1, 2500*time.Millisecond)
		r := h.cmd(lead, seattleChannel, "rally create", createOpts()...)
		if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.Ephemeral {
			t.Errorf("reply type %d ephemeral %v; want a deferred ephemeral reply", r.Type, r.Ephemeral)
		}
		mustContain(t, r, true, "Scheduled")
		if n := len(h.fake.Messages(seattleChannel)); n != 1 {
			t.Errorf("%d announcements, want 1", n)
		}
	})

	t.Run("ShutdownFinishesInFlight", func(t *testing.T) {
		h.fake.RateLimitNext("POST", route, 1, 1500*time.Millisecond)
		replies := make(chan *discordtest.Reply, 1)
		go func() {
			r, err := h.fake.Command(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: lead}, "rally create",
				createOpts(discordtest.Str("title", "In flight at shutdown"))...)
			if err != nil {
				t.Errorf("in-flight command: %v", err)
			}
			replies <- r
		}()
		eventually(t, 5*time.Second, "the command reaches Discord", func() bool {
			return h.fake.CountRequests("POST", route) >= 3
		})
		h.stop()
		r := <-replies
		if r == nil {
			return
		}
		mustContain(t, r, true, "Scheduled **In flight at shutdown**")
		h.start()
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally list"), false, "In flight at shutdown")
	})
}

func TestRSVPRefusals(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally(discordtest.Str("when", "2026-11-24 09:00"))

	t.Run("ErrForgedStatus", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "definitely"))
		mustContain(t, r, true, "`status`", "Going, Maybe or Can't go")
		mustContain(t, h.cmd(volunteer, seattleChannel, "myrsvps"), true, "no upcoming RSVPs")
	})
	t.Run("ErrRallyAlreadyStarted", func(t *testing.T) {
		h.clock.Set(time.Date(2026, 11, 24, 17, 30, 0, 0, time.UTC)) // 09:30 in Seattle
		defer h.clock.Set(start)
		mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id), true, "already started", "RSVPs are closed")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id)), false, "0 going")
		mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Late")), true, "already started")
	})
}

// TestRepliesNameTheZone: every time a member reads in a reply, a DM or a
// notice carries the chapter's zone as well as a Discord timestamp.
func TestRepliesNameTheZone(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	at := time.Date(2026, 11, 28, 22, 30, 0, 0, time.UTC)
	zoned := fmt.Sprintf("Sat Nov 28 2:30 PM PST (<t:%d:F>)", at.Unix())
	r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Int("capacity", 1), discordtest.Int("marshals", 1))...)
	mustContain(t, r, true, zoned)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	id := m[1]
	msgs := h.fake.Messages(seattleChannel)
	ann := msgs[len(msgs)-1]

	t.Run("RSVP", func(t *testing.T) {
		mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id), true, zoned)
		mustContain(t, h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id), true, "No change", zoned)
	})
	t.Run("PromotedDMAndMyRSVPs", func(t *testing.T) {
		mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
		h.click(member(1), seattleChannel, ann.ID, "rsvp:not_going:"+id)
		eventually(t, 5*time.Second, "the promoted member is told, with the zone", func() bool {
			for _, d := range h.fake.DMs(member(2).UserID) {
				if strings.Contains(d.Content, "A seat opened up") && strings.Contains(d.Content, zoned) {
					return true
				}
			}
			return false
		})
		mustContain(t, h.cmd(member(2), seattleChannel, "myrsvps"), true, zoned)
	})
	t.Run("Roles", func(t *testing.T) {
		menu := h.click(member(3), seattleChannel, ann.ID, "role:menu:"+id)
		mustContain(t, menu, true, zoned)
		mustContain(t, h.rolesSelect(member(3), menu, id, "marshal"), true, "signed up as **marshal**", zoned)
		mustContain(t, h.cmd(member(3), seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true, "No change", zoned)
		mustContain(t, h.click(member(3), seattleChannel, ann.ID, "rsvp:going:"+id), true, "No change", zoned)
	})
	t.Run("CancelNotice", func(t *testing.T) {
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id))
		msgs := h.fake.Messages(seattleChannel)
		if last := msgs[len(msgs)-1].Content; !strings.Contains(last, "cancelled") || !strings.Contains(last, zoned) {
			t.Errorf("cancel notice %q lacks %q", last, zoned)
		}
	})
	t.Run("Series", func(t *testing.T) {
		rallies, reply := h.seriesCreate(db, "2026-11-25 18:00", "weekly", 2)
		first := fmt.Sprintf("Wed Nov 25 6:00 PM PST (<t:%d:F>)", rallies[0].StartsAt.Unix())
		mustContain(t, reply, true, first)
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies[0].ID, 10)), discordtest.Bool("series", true))
		msgs := h.fake.Messages(seattleChannel)
		if last := msgs[len(msgs)-1].Content; !strings.Contains(last, "series") || !strings.Contains(last, first) {
			t.Errorf("series cancel notice %q lacks %q", last, first)
		}
	})
}
