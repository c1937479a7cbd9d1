package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// TestForgedOptionTypes: Discord sends each option with the type its
// definition declares; a forged interaction need not. A boolean sent as the
// string "true" (or a number) is refused with a sentence naming the option,
// in the member's language, and changes nothing: read as false, it would
// make a private place public or a high-risk rally ordinary.
func TestForgedOptionTypes(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, _ := h.createRally(discordtest.Str("title", "Quiet vigil"), discordtest.Bool("private_location", true), discordtest.Bool("high_risk", true))
	forgedBool := func(name string, v any) discordtest.Option {
		return discordtest.Option{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
	}
	kept := func(t *testing.T) {
		t.Helper()
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE id = ? AND private_location = 1 AND high_risk = 1`, id); n != 1 {
			t.Errorf("the forged option changed the rally: private and high-risk no more")
		}
	}
	for _, c := range []struct {
		name string
		opt  discordtest.Option
	}{
		{"StringTrue", forgedBool("private_location", "true")},
		{"Number", forgedBool("private_location", 1)},
		{"HighRiskString", forgedBool("high_risk", "yes")},
	} {
		t.Run("ErrEdit"+c.name, func(t *testing.T) {
			r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), c.opt)
			mustContain(t, r, true, "`"+c.opt.Name+"`", "true or false")
			kept(t)
		})
	}
	t.Run("ErrEditSpanish", func(t *testing.T) {
		es := lead
		es.Locale = "es-419"
		r := h.cmd(es, seattleChannel, "rally edit", discordtest.Str("rally", id), forgedBool("private_location", "false"))
		mustContain(t, r, true, "`private_location`", "verdadero o falso")
		kept(t)
	})
	t.Run("ErrCreateNotHighRisk", func(t *testing.T) {
		before := h.privacyCount(`SELECT COUNT(*) FROM rallies`)
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Forged"), forgedBool("high_risk", "true"))...)
		mustContain(t, r, true, "`high_risk`", "true or false")
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies`); n != before {
			t.Errorf("a rally was made from a forged option: %d rallies, want %d", n, before)
		}
	})
	t.Run("ErrStringAsNumber", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id),
			discordtest.Option{Name: "title", Type: discordgo.ApplicationCommandOptionString, Value: 12})
		mustContain(t, r, true, "`title`", "text")
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE id = ? AND title = 'Quiet vigil'`, id); n != 1 {
			t.Errorf("the title changed")
		}
	})
}

// TestForgetMeDMDeletionsThroughDiscordErrors: the DMs forget-me deletes go
// through Discord's passing trouble (a 429 with retry_after, 500s) and end
// once each: every DM deleted, one successful DELETE each, nothing left
// owed; a DM Discord no longer has (404) is done, not retried for ever.
func TestForgetMeDMDeletionsThroughDiscordErrors(t *testing.T) {
	t.Parallel()
	const deleteRoute = "/channels/{channel_id}/messages/{message_id}"
	for _, c := range []struct {
		name string
		fail func(h *harness)
	}{
		{"RateLimited", func(h *harness) { h.fake.RateLimitNext("DELETE", deleteRoute, 2, 300*time.Millisecond) }},
		{"ServerErrors", func(h *harness) { h.fake.FailNext("DELETE", deleteRoute, 6, 500) }},
		{"Gone", func(h *harness) { h.fake.FailNext("DELETE", deleteRoute, 100, 404) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := rallyHarness(t)
			m := member(1)
			id, ann := h.createRally()
			mustContain(t, h.click(m, seattleChannel, ann.ID, "rsvp:going:"+id), true)
			id2, ann2 := h.createRally(discordtest.Str("title", "Second march"))
			mustContain(t, h.click(m, seattleChannel, ann2.ID, "rsvp:going:"+id2), true)
			h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
			h.runJobs()
			sent := h.fake.DMs(m.UserID)
			if len(sent) < 2 {
				t.Fatalf("%d DMs sent, want the two reminders", len(sent))
			}
			c.fail(h)
			mustContain(t, h.cmd(m, seattleChannel, "privacy forget-me"), true)
			owed := func() int { return h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`) }
			for i := 0; i < 20 && owed() > 0; i++ {
				h.clock.Add(time.Minute) // past the outbox's backoff
				h.runJobs()
			}
			eventually(t, 10*time.Second, "nothing owed any more", func() bool { return owed() == 0 })
			failed := 0
			for _, q := range h.fake.Requests() {
				if q.Method == "DELETE" && q.Status >= 400 {
					failed++
				}
			}
			if failed == 0 {
				t.Fatal("no DELETE failed: the test tells nothing")
			}
			if c.name == "Gone" {
				return // Discord said they were gone: nothing to count
			}
			if got := h.fake.DeletedDMs(m.UserID); len(got) != len(sent) || len(h.fake.DMs(m.UserID)) != 0 {
				t.Errorf("%d of %d DMs deleted, %d left", len(got), len(sent), len(h.fake.DMs(m.UserID)))
			}
			for _, dm := range sent {
				n := 0
				for _, q := range h.fake.Requests() {
					if q.Method == "DELETE" && q.Path == "/channels/"+dm.ChannelID+"/messages/"+dm.ID && q.Status/100 == 2 {
						n++
					}
				}
				if n != 1 {
					t.Errorf("DM %s deleted %d times, want once", dm.ID, n)
				}
			}
		})
	}
}

// TestDMButtonsRefusedInAServer: the buttons of the bot's DMs ("Still
// going" / "Can't make it", Going / Still maybe, "Home safe?") act for the
// member on the rally their custom_id names, whichever server it is in. A
// forged one pressed in a server channel is refused with a sentence, in the
// member's language, and changes nothing: not a seat freed, not an RSVP in
// another server's rally.
func TestDMButtonsRefusedInAServer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	mustContain(t, h.cmd(admin, otherChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", otherChannel)), true)
	id, ann := h.createRally()
	r := h.cmd(admin, otherChannel, "rally create", discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Other server's march"),
		discordtest.Str("when", "2026-11-29 12:00"), discordtest.Str("location", "Daley Plaza"))
	other := rallyIDPattern.FindStringSubmatch(r.Text())
	if other == nil {
		t.Fatalf("rally create in the other server: %q", r.Text())
	}
	m := member(1)
	mustContain(t, h.click(m, seattleChannel, ann.ID, "rsvp:going:"+id), true)
	es := m
	es.Locale = "es-419"
	rsvps := func() int { return h.privacyCount(`SELECT COUNT(*) FROM rsvps WHERE user_id = ?`, m.UserID) }
	going := func() int {
		return h.privacyCount(`SELECT COUNT(*) FROM rsvps WHERE user_id = ? AND rally_id = ? AND status = 'going'`, m.UserID, id)
	}
	for _, c := range []struct {
		name, customID string
		who            discordtest.Member
		want           string
	}{
		{"CantMakeIt", "confirm:no:" + id, m, "DM"},
		{"GoingInAnotherServer", "confirm:going:" + other[1], m, "DM"},
		{"StillGoing", "confirm:yes:" + id, m, "DM"},
		{"HomeSafe", "safehome:safe:" + id, m, "DM"},
		{"Spanish", "confirm:no:" + id, es, "mensaje directo"},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			mustContain(t, h.forged(c.who, ann.ID, c.customID), true, c.want)
			if going() != 1 || rsvps() != 1 {
				t.Errorf("a DM's button pressed in a server changed the member's RSVPs: going %d, RSVPs %d", going(), rsvps())
			}
			if n := h.privacyCount(`SELECT COUNT(*) FROM rsvps WHERE confirmed_at IS NOT NULL`); n != 0 {
				t.Errorf("%d confirmations recorded", n)
			}
		})
	}
}

// TestDMButtonForAnUnknownRally: a DM's button whose custom_id names a rally
// that does not exist (forged, or purged since) is answered as a button, in
// the member's language: no longer valid, not "pick one from the list as you
// type", which is about a command's option. The DM is left as it was.
func TestDMButtonForAnUnknownRally(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	m := member(1)
	mustContain(t, h.click(m, seattleChannel, ann.ID, "rsvp:going:"+id), true)
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	h.runJobs()
	dms := h.fake.DMs(m.UserID)
	if len(dms) == 0 {
		t.Fatal("no reminder DM: the test tells nothing")
	}
	dm := dms[0]
	before := h.fake.Message(dm.ChannelID, dm.ID)
	es := m
	es.Locale = "es-419"
	for _, c := range []struct {
		name, customID string
		who            discordtest.Member
		want           string
	}{
		{"StillGoing", "confirm:yes:99999", m, "no longer valid"},
		{"CantMakeIt", "confirm:no:99999", m, "no longer valid"},
		{"Going", "confirm:going:99999", m, "no longer valid"},
		{"Spanish", "confirm:no:99999", es, "ya no es válido"},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: c.who}, dm.ID, c.customID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Text(), c.want) || strings.Contains(r.Text(), "/rally list") {
				t.Errorf("reply %q, want %q", r.Text(), c.want)
			}
			now := h.fake.Message(dm.ChannelID, dm.ID)
			if now.Content != before.Content || len(buttons(now)) != len(buttons(before)) || buttons(now)[0].Disabled {
				t.Errorf("the DM changed: %q %+v", now.Content, buttons(now))
			}
		})
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM rsvps WHERE user_id = ? AND status = 'going'`, m.UserID); n != 1 {
		t.Errorf("the member's RSVP changed: %d going", n)
	}
}

// TestDMEndEditThroughDiscordErrors: the end edit of a day-before DM goes
// through a 429 with retry_after (edited once, the buttons put out) and
// ends at a 404 (the DM gone from Discord: not retried, nothing left owed).
func TestDMEndEditThroughDiscordErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		fail func(h *harness)
		done int // successful edits wanted
	}{
		{"RateLimited", func(h *harness) { h.fake.RateLimitNext("PATCH", editMessageRoute, 2, 300*time.Millisecond) }, 1},
		{"Gone", func(h *harness) { h.fake.FailNext("PATCH", editMessageRoute, 100, 404) }, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := rallyHarness(t)
			at := start.Add(30 * time.Hour)
			id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
			m := member(1)
			h.noticeRSVP(m, h.actAnnouncement(seattleChannel, id), id, "going")
			h.clock.Set(at.Add(-24 * time.Hour))
			h.runJobs()
			h.runJobs()
			dms := h.noticeDMs(m, "Reminder")
			if len(dms) != 1 {
				t.Fatalf("%d day-before DMs, want 1", len(dms))
			}
			dm := dms[0]
			c.fail(h)
			h.clock.Set(at.Add(2*time.Hour + time.Minute))
			owed := func() int {
				return h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_end_edit' AND state = 'pending'`)
			}
			for i := 0; i < 10 && (i == 0 || owed() > 0); i++ {
				h.runJobs()
				h.clock.Add(5 * time.Minute)
			}
			eventually(t, 10*time.Second, "the end edit is no longer owed", func() bool { return owed() == 0 })
			failed := 0
			for _, q := range h.fake.Requests() {
				if q.Method == "PATCH" && q.Path == "/channels/"+dm.ChannelID+"/messages/"+dm.ID && q.Status >= 400 {
					failed++
				}
			}
			if failed == 0 {
				t.Fatal("no edit failed: the test tells nothing")
			}
			if n := h.dmEdits(dm, 200); n != c.done {
				t.Errorf("the DM was edited %d times, want %d", n, c.done)
			}
			h.clock.Add(time.Hour)
			h.runJobs()
			if n := failed + h.dmEdits(dm, 200); n != len(h.patchesOf(dm)) {
				t.Errorf("edits went on after the end edit ended")
			}
		})
	}
}

func (h *harness) patchesOf(m *discordgo.Message) []int {
	var out []int
	for _, q := range h.fake.Requests() {
		if q.Method == "PATCH" && q.Path == "/channels/"+m.ChannelID+"/messages/"+m.ID {
			out = append(out, q.Status)
		}
	}
	return out
}

// TestForgetMeFromAnotherMembersDMChannel: forget-me from a DM makes the
// DM deletions kept for later in the asker's DM channel due now (a
// high-risk rally's "Home safe?" DM, kept for its day). The channel is the
// asker's own, found from who asks, never the channel the interaction
// names: forged to name another member's DM channel, it must not delete
// their "Home safe?" DM before its day is out.
func TestForgetMeFromAnotherMembersDMChannel(t *testing.T) {
	t.Parallel()
	h := afterHarness(t)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil at the field office", at,
		discordtest.Int("marshals", 2), discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", true))
	asker, victim := member(1), member(2)
	for _, m := range []discordtest.Member{asker, victim} {
		mustContain(t, h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true)
	}
	h.clock.Set(at.Add(2 * time.Hour))
	h.runJobs()
	h.runJobs()
	h.clock.Add(time.Minute)
	h.runJobs()
	for _, m := range []discordtest.Member{asker, victim} {
		if n := len(h.afterDMs(m)); n != 1 {
			t.Fatalf("member %s got %d safe-home DMs, want 1", m.UserID, n)
		}
	}
	r, err := h.fake.Command(h.ctx(), discordtest.Invocation{ChannelID: h.fake.DMChannel(victim.UserID), Member: asker}, "privacy forget-me")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r, true)
	eventually(t, 10*time.Second, "the asker's own Home safe? DM is deleted", func() bool { return len(h.afterDMs(asker)) == 0 })
	h.runJobs()
	if n := len(h.afterDMs(victim)); n != 1 {
		t.Fatalf("the other member's Home safe? DM was deleted by a forget-me naming their DM channel")
	}
	safe := h.afterDMs(victim)[0]
	mustContain(t, h.noticeClickDM(victim, safe, fmt.Sprintf("safehome:safe:%d", id)), false, "glad you are home safe")
}

// TestChannelOptionsOfTheWrongType: Discord's picker offers only text and
// announcement channels for a channel option; a forged one naming a voice
// channel or a category is refused with a sentence naming the option, and
// nothing is set up.
func TestChannelOptionsOfTheWrongType(t *testing.T) {
	t.Parallel()
	h := afterHarness(t)
	const voice, category = "300000000000000071", "300000000000000072"
	h.fake.AddChannel(guildID, discordtest.Channel{ID: voice, Name: "voice", Type: discordgo.ChannelTypeGuildVoice})
	h.fake.AddChannel(guildID, discordtest.Channel{ID: category, Name: "category", Type: discordgo.ChannelTypeGuildCategory})
	before := h.cmd(volunteer, seattleChannel, "chapter list").Text()
	for _, c := range []struct {
		name, path, option string
		opts               []discordtest.Option
	}{
		{"AnnouncementsInVoice", "chapter setup", "channel", []discordtest.Option{discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", voice)}},
		{"SupportInCategory", "chapter setup", "support_channel", []discordtest.Option{discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("support_channel", category)}},
		{"SummaryInVoice", "setup coordinators", "channel", []discordtest.Option{discordtest.ChannelOpt("channel", voice)}},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			mustContain(t, h.cmd(admin, seattleChannel, c.path, c.opts...), true, "`"+c.option+"`", "not a text or announcement channel")
		})
	}
	if after := h.cmd(volunteer, seattleChannel, "chapter list").Text(); after != before {
		t.Errorf("a refused channel changed the chapters:\n%s\n%s", before, after)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM guilds WHERE coordinator_channel_id IN (?, ?)`, voice, category); n != 0 {
		t.Errorf("the summary channel was set to a channel of the wrong type")
	}
}

// TestForgedModalAnswered: the bot opens no form, so a submitted one was
// forged; it is answered with a sentence, in the member's language, rather
// than left to fail, and nothing is stored.
func TestForgedModalAnswered(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	es := volunteer
	es.Locale = "es-419"
	for _, c := range []struct {
		who  discordtest.Member
		want string
	}{{volunteer, "no longer valid"}, {es, "ya no es válido"}} {
		r, err := h.fake.ForgedModal(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: c.who}, "rsvp:going:1", "@everyone")
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r, true, c.want)
	}
	if got := h.privacyHolders(volunteer.UserID); len(got) != 0 {
		t.Errorf("a forged form stored the member in %v", got)
	}
}
