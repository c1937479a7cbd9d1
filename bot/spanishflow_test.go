package bot_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// englishWord is a word a Spanish sentence never has; what is typed (a code
// span, a command's name) and Discord's tokens are read past.
var (
	englishWord  = regexp.MustCompile(`(?i)\b(the|you|your|you're|going|maybe|rally|rallies|reminder|please|and|with|this|that|here|when|where|who|can't|don't|won't|only|leads?|seats?|waitlist|safe|help|button|deleted|forget|sorry|will|have|was|are|is|it|of|to|for|at|in|by|not|an|or|if|still|kept|sent|RSVPs?|checked|home|thanks|got|cancelled|none|needs?|chapter|team)\b`)
	typedOrToken = regexp.MustCompile("`[^`]*`|<[^>]*>|/[a-z-]+( [a-z-]+)?|https?://\\S+")
)

// componentText is the words on a message's buttons and menus.
func componentText(cs []discordgo.MessageComponent) string {
	var b strings.Builder
	for _, c := range cs {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range row.Components {
			switch x := c.(type) {
			case *discordgo.Button:
				b.WriteString(x.Label + "\n")
			case *discordgo.SelectMenu:
				b.WriteString(x.Placeholder + "\n")
				for _, o := range x.Options {
					b.WriteString(o.Label + "\n" + o.Description + "\n")
				}
			}
		}
	}
	return b.String()
}

// TestSpanishEverywhere: a member whose Discord is in Spanish, in a chapter
// that posts in Spanish, reads no English sentence across a rally's life:
// every reply, refusal, button, menu, DM and channel post.
func TestSpanishEverywhere(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "24h,2h")
	h.afterSetupSupport()
	mustContain(t, h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("language", "es"),
		discordtest.Str("safe_home", "on")), true, "Spanish")

	type read struct{ what, text string }
	var reads []read
	reply := func(what string, r *discordtest.Reply) *discordtest.Reply {
		t.Helper()
		text := r.Text()
		if r.Data != nil {
			text += "\n" + componentText(r.Data.Components)
		}
		for _, f := range r.Followups {
			text += "\n" + messageText(f) + componentText(f.Components)
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s: no reply", what)
		}
		reads = append(reads, read{what, text})
		return r
	}
	es := hispanohablante
	leadES := lead
	leadES.Locale = "es-419"
	seat := member(1) // an English client, holding the one seat

	at := start.Add(26 * time.Hour)
	before := len(h.fake.Messages(seattleChannel))
	id, created := h.rallyCreate(leadES, seattleChannel, createOpts(discordtest.Str("title", "Marcha por la vivienda"),
		discordtest.Str("location", "Parque Westlake"), discordtest.Str("when", schedWhen(t, "Seattle", at)),
		discordtest.Int("capacity", 1), discordtest.Int("marshals", 1), discordtest.Bool("safe_home", true))...)
	reply("/rally create", created)
	msgs := h.fake.Messages(seattleChannel)
	if len(msgs) <= before {
		t.Fatal("no announcement")
	}
	ann := msgs[before]
	rid := fmt.Sprint(id)
	rally := discordtest.Str("rally", rid)
	click := func(what string, m discordtest.Member, customID string) *discordtest.Reply {
		t.Helper()
		return reply(what, h.click(m, seattleChannel, ann.ID, customID))
	}
	cmd := func(m discordtest.Member, path string, opts ...discordtest.Option) *discordtest.Reply {
		t.Helper()
		return reply("/"+path, h.cmd(m, seattleChannel, path, opts...))
	}

	h.click(seat, seattleChannel, ann.ID, "rsvp:going:"+rid)
	click("Going, to the waitlist", es, "rsvp:going:"+rid)
	click("Maybe", es, "rsvp:maybe:"+rid)
	click("Going again", es, "rsvp:going:"+rid)
	h.click(seat, seattleChannel, ann.ID, "rsvp:not_going:"+rid) // es takes the seat, told by DM
	menu := click("Volunteer for a role", es, "role:menu:"+rid)
	if menu.Data != nil {
		for _, c := range menu.Data.Components {
			if row, ok := c.(*discordgo.ActionsRow); ok {
				for _, c := range row.Components {
					if x, ok := c.(*discordgo.SelectMenu); ok && len(x.Options) > 0 {
						r, err := h.fake.Select(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: es}, menu.MessageID, x.CustomID, x.Options[0].Value)
						if err != nil {
							t.Fatal(err)
						}
						reply("pick in "+x.CustomID, r)
					}
				}
			}
		}
	}
	cmd(es, "rsvp", rally, discordtest.Str("status", "going"), discordtest.Str("role", "marshal"), discordtest.Str("needs", "asl,ride"))
	mine := cmd(es, "myrsvps")
	reply("Add to calendar", h.click(es, seattleChannel, mine.MessageID, "calendar:mine"))
	cmd(es, "rally info", rally)
	cmd(es, "rally list")
	cmd(es, "rally calendar", rally)
	cmd(es, "help")
	cmd(es, "notify", discordtest.Str("reminders", "off"))
	cmd(es, "notify", discordtest.Str("reminders", "on"), discordtest.Str("safe_home", "on"))
	cmd(es, "checkin", rally)
	cmd(es, "rsvp", discordtest.Str("rally", "999"), discordtest.Str("status", "going"))
	cmd(es, "rsvp", rally, discordtest.Str("status", "bogus"))
	cmd(es, "rsvp", rally, discordtest.Str("status", "going"), discordtest.Str("needs", "jetpack"))
	cmd(es, "rally create", createOpts()...)
	cmd(es, "rally attendees", rally)
	cmd(es, "rally report", rally, discordtest.Int("crowd", 10))
	for _, forged := range []string{"rsvp:bogus:" + rid, "rsvp:going:999", "role:menu:999", "request:approve:" + rid + ":" + es.UserID, "needs:" + rid, "safehome:help:" + rid, "nonsense"} {
		r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: es}, ann.ID, forged)
		if err != nil {
			t.Fatal(err)
		}
		reply("forged "+forged, r)
	}
	cmd(leadES, "rally attendees", rally)
	cmd(leadES, "rally edit", rally, discordtest.Str("location", "Parque Occidental"))
	cmd(leadES, "rally report", rally, discordtest.Int("crowd", 10))

	// The day before: the DM asks; its buttons answer in the DM.
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	eventually(t, 5*time.Second, "the day-before DM", func() bool {
		for _, m := range h.fake.DMs(es.UserID) {
			if len(buttons(m)) > 0 {
				return true
			}
		}
		return false
	})
	for _, m := range h.fake.DMs(es.UserID) {
		for _, b := range buttons(m) {
			if b.CustomID != "" && !b.Disabled {
				reply("DM button "+b.CustomID, h.noticeClickDM(es, m, b.CustomID))
			}
		}
	}
	h.clock.Set(at.Add(10 * time.Minute))
	cmd(es, "checkin", rally)
	cmd(es, "checkin", rally)
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	eventually(t, 5*time.Second, "the safe-home DM", func() bool {
		return len(filter(h.fake.DMs(es.UserID), textHas("safehome"))) > 0 || len(h.fake.DMs(es.UserID)) > 0
	})
	for _, m := range h.fake.DMs(es.UserID) {
		for _, b := range buttons(m) {
			if strings.HasPrefix(b.CustomID, "safehome:help") {
				reply("I need help", h.noticeClickDM(es, m, b.CustomID))
				reply("I need help, again", h.noticeClickDM(es, m, b.CustomID))
			}
		}
	}
	h.runJobs()
	cmd(leadES, "rally report", rally, discordtest.Int("crowd", 10), discordtest.Str("highlights", "Mucha gente"))
	cmd(es, "rally report", rally, discordtest.Int("crowd", 10))
	forget := cmd(es, "privacy forget-me")
	if forget.Data != nil {
		for _, b := range buttonsOf(forget.Data.Components) {
			reply("forget-me "+b.CustomID, h.click(es, seattleChannel, forget.MessageID, b.CustomID))
		}
	}

	for _, m := range h.fake.DMs(es.UserID) {
		reads = append(reads, read{"DM", messageText(m) + componentText(m.Components)})
	}
	if dm := h.fake.DMChannel(es.UserID); dm != "" {
		for _, m := range h.fake.Ephemerals(es.UserID, dm) {
			reads = append(reads, read{"reply in the DM", messageText(m) + componentText(m.Components)})
		}
	}
	for _, ch := range []string{seattleChannel, supportChannel} {
		for _, m := range h.fake.Messages(ch) {
			reads = append(reads, read{"post in " + ch, messageText(m) + componentText(m.Components)})
		}
	}
	for _, r := range reads {
		prose := typedOrToken.ReplaceAllString(r.text, " ")
		if w := englishWord.FindAllString(prose, -1); len(w) > 0 {
			t.Errorf("%s: English %q in:\n%s", r.what, w, r.text)
		}
	}
}

func buttonsOf(cs []discordgo.MessageComponent) []discordgo.Button {
	var out []discordgo.Button
	for _, c := range cs {
		if row, ok := c.(*discordgo.ActionsRow); ok {
			for _, b := range row.Components {
				if x, ok := b.(*discordgo.Button); ok && x.CustomID != "" {
					out = append(out, *x)
				}
			}
		}
	}
	return out
}

// TestSpanishDMsAfterTheRally: the DMs that reach a member after they hold
// no RSVP keep their language: "Home safe?" to one who came without an RSVP
// and checked in, and the end of the day-before DM of one who said they
// could not make it.
func TestSpanishDMsAfterTheRally(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "24h")
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Marcha por la vivienda", at, discordtest.Bool("safe_home", true))
	rid := fmt.Sprint(id)
	ann := h.actAnnouncement(seattleChannel, id)
	walkIn, cantGo := hispanohablante, espanola

	h.noticeRSVP(cantGo, ann, id, "going")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	var asked *discordgo.Message
	eventually(t, 5*time.Second, "the day-before DM", func() bool {
		for _, m := range h.fake.DMs(cantGo.UserID) {
			if len(buttons(m)) == 2 {
				asked = m
				return true
			}
		}
		return false
	})
	mustContain(t, h.noticeClickDM(cantGo, asked, buttons(asked)[1].CustomID), false, "Gracias por avisar")

	h.clock.Set(at.Add(10 * time.Minute))
	mustContain(t, h.cmd(walkIn, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "Llegada registrada")
	h.clock.Set(at.Add(2 * time.Hour))
	h.runJobs()
	h.runJobs()
	eventually(t, 5*time.Second, "the safe-home DM and the end edit", func() bool {
		over := h.fake.Message(asked.ChannelID, asked.ID)
		return len(h.fake.DMs(walkIn.UserID)) == 1 && over != nil && len(buttons(over)) == 1
	})
	home := h.fake.DMs(walkIn.UserID)[0]
	if text := messageText(home) + componentText(home.Components); englishWord.MatchString(typedOrToken.ReplaceAllString(text, " ")) {
		t.Errorf("a walk-in who checked in in Spanish is asked in English:\n%s", text)
	}
	if b := buttons(h.fake.Message(asked.ChannelID, asked.ID))[0]; englishWord.MatchString(b.Label) {
		t.Errorf("the ended DM's button reads %q", b.Label)
	}
}
