package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// longText is n characters of multi-byte text and emoji (a skin tone
// modifier counts as a character of its own, as Discord counts it),
// starting with prefix and ending with a visible character.
func longText(prefix string, n int) string {
	s := prefix
	for utf8.RuneCountInString(s) < n {
		s += " ñandú ✊🏽 señal"
	}
	r := []rune(s)[:n]
	r[n-1] = 'z'
	return string(r)
}

// markdownText is n characters that escaping doubles (or more: "@" takes a
// zero-width space after it), the most a member's text can grow when shown.
func markdownText(n int) string {
	r := []rune(strings.Repeat("_*@:#-(", n/7+1))[:n]
	r[0], r[n-1] = 'a', 'z'
	return string(r)
}

// noFailure fails the test when a reply is empty or says something went wrong.
func noFailure(t *testing.T, what string, r *discordtest.Reply) {
	t.Helper()
	if text := r.Text(); text == "" || strings.Contains(text, "went wrong") || strings.Contains(text, "salió mal") {
		t.Errorf("%s: %q", what, text)
	}
}

// TestLongestInputsStayWithinDiscordLimits: every chapter named at its
// longest, several rallies in each with title, place and details at their
// longest in multi-byte text, hundreds of members in every role, a
// Spanish-speaking member and a day of action over every chapter. The fake
// refuses anything past Discord's limits, so each surface shown here is
// sent whole.
func TestLongestInputsStayWithinDiscordLimits(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	es := discordtest.Member{UserID: "500000000000000030", Permissions: volunteer.Permissions, Locale: "es-419"}
	esLead := lead
	esLead.Locale = "es-419"
	esCoord := coord
	esCoord.Locale = "es-419"
	names := map[string]string{}
	for i, c := range actChapters {
		name := longText(fmt.Sprintf("%d %s", i, c.name), 50)
		r := h.cmd(admin, c.channel, "chapter setup", discordtest.Str("chapter", c.name), discordtest.Str("rename", name))
		if !strings.Contains(r.Text(), "<#"+c.channel+">") {
			t.Fatalf("rename %s: %q", c.name, r.Text())
		}
		names[c.name] = name
	}
	noFailure(t, "chapter list", h.cmd(es, coordChannel, "chapter list"))

	at := start.Add(48 * time.Hour).Truncate(time.Hour)
	var ids []int64
	for _, c := range actChapters {
		for k := 0; k < 4; k++ {
			opts := []discordtest.Option{
				discordtest.Str("chapter", names[c.name]), discordtest.Str("title", longText(fmt.Sprintf("%d·%d", len(ids), k), 100)),
				discordtest.Str("when", schedWhen(t, c.name, at.Add(time.Duration(k)*time.Hour))), discordtest.Str("location", longText("Plaza", 200)),
				discordtest.Str("details", longText("Traigan agua\n", 1000)),
			}
			if k == 0 {
				for _, o := range []string{"marshals", "medics", "legal_observers", "interpreters"} {
					opts = append(opts, discordtest.Int(o, 50))
				}
			}
			id, _ := h.rallyCreate(admin, c.channel, opts...)
			ids = append(ids, id)
		}
	}
	seattle := ids[5*4] // actChapters is sorted: Seattle is the sixth
	for _, id := range ids {
		noFailure(t, "rsvp", h.cmd(es, coordChannel, "rsvp", discordtest.Str("rally", strconv.FormatInt(id, 10)), discordtest.Str("status", "going")))
	}
	for _, m := range []discordtest.Member{es, volunteer} {
		noFailure(t, "myrsvps", h.cmd(m, coordChannel, "myrsvps"))
		noFailure(t, "rally list", h.cmd(m, coordChannel, "rally list"))
		noFailure(t, "rally info", h.cmd(m, seattleChannel, "rally info", discordtest.Str("rally", strconv.FormatInt(seattle, 10))))
		noFailure(t, "rally calendar", h.cmd(m, seattleChannel, "rally calendar", discordtest.Str("rally", strconv.FormatInt(seattle, 10))))
	}

	db := h.schedDB()
	for m := 0; m < 400; m++ {
		st := store.Going
		if m%4 == 3 {
			st = store.Maybe
		}
		if _, err := db.SetRSVP(context.Background(), guildID, seattle, burstMember(m), st); err != nil {
			t.Fatal(err)
		}
	}
	for m := 400; m < 600; m++ {
		if _, err := db.TakeRole(context.Background(), guildID, seattle, burstMember(m), store.Roles[m%len(store.Roles)]); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []discordtest.Member{esLead, lead} {
		noFailure(t, "rally attendees", h.cmd(m, seattleChannel, "rally attendees", discordtest.Str("rally", strconv.FormatInt(seattle, 10))))
	}
	for _, m := range []discordtest.Member{esCoord, coord} {
		noFailure(t, "summary now", h.cmd(m, coordChannel, "summary now", discordtest.Int("days", 30)))
	}
	// The day-before DMs of 600 members would take long to send.
	for m := 0; m < 600; m++ {
		if m >= 400 {
			if _, err := db.LeaveRole(context.Background(), guildID, seattle, burstMember(m)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SetRSVP(context.Background(), guildID, seattle, burstMember(m), store.NotGoing); err != nil {
			t.Fatal(err)
		}
	}

	act, _ := h.actCreate(discordtest.Str("title", longText("Día de acción", 100)), discordtest.Str("details", longText("Detalles\n", 1000)))
	for _, m := range []discordtest.Member{esCoord, coord} {
		noFailure(t, "action status", h.cmd(m, coordChannel, "action status", discordtest.Str("action", strconv.FormatInt(act, 10))))
		noFailure(t, "action list", h.cmd(m, coordChannel, "action list"))
	}
	// Every autocomplete, for the longest names and titles, in Spanish.
	for _, ac := range []struct{ path, option, value string }{
		{"rsvp", "rally", ""}, {"rsvp", "rally", "ñandú"}, {"rally attendees", "rally", ""}, {"rally list", "chapter", ""},
		{"chapter setup", "chapter", "señal"}, {"chapter setup", "timezone", "America"}, {"action status", "action", ""}, {"action status", "action", "Día"},
	} {
		for _, m := range []discordtest.Member{esCoord, admin} {
			choices, err := h.fake.Autocomplete(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: coordChannel, Member: m}, ac.path,
				discordtest.Option{Name: ac.option, Type: discordgo.ApplicationCommandOptionString, Value: ac.value, Focused: true})
			if err != nil {
				t.Errorf("%s %s %q: %v", ac.path, ac.option, ac.value, err)
			} else if len(choices) == 0 && ac.value == "" {
				t.Errorf("%s %s: no choices", ac.path, ac.option)
			}
		}
	}
	// The day before and the hour before: reminders and DMs; the daily
	// summary between, in both languages.
	mustContain(t, h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole),
		discordtest.Str("language", "en+es")), true, "<#"+coordChannel+">")
	summaries := len(h.schedSummaries())
	for _, when := range []time.Time{at.Add(-24 * time.Hour), time.Date(2026, 11, 25, 13, 0, 30, 0, time.UTC), at.Add(-time.Hour), at.Add(30 * time.Minute)} {
		h.clock.Set(when)
		h.runJobs()
	}
	if got := h.schedSummaries(); len(got) == summaries {
		t.Errorf("no daily summary was posted")
	}
}

// TestBilingualChangeNoticeAtLongestInputs: a bilingual chapter's change
// notice, of a rally whose title, chapter name and place are at their
// longest and all markdown, fits a message and reaches the channel.
func TestBilingualChangeNoticeAtLongestInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	name := markdownText(50)
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", seattleChannel),
		discordtest.RoleOpt("lead_role", seattleLead), discordtest.Str("rename", name), discordtest.Str("language", "en+es"))
	if !strings.Contains(r.Text(), "<#"+seattleChannel+">") {
		t.Fatalf("setup: %q", r.Text())
	}
	id, _ := h.rallyCreate(lead, seattleChannel, createOpts(discordtest.Str("chapter", name), discordtest.Str("title", markdownText(100)),
		discordtest.Str("location", markdownText(200)))...)
	before := len(h.fake.Messages(seattleChannel))
	place := longText("Nueva plaza", 200)
	noFailure(t, "rally edit", h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(id, 10)),
		discordtest.Str("when", "2026-11-28 15:30"), discordtest.Str("location", place)))
	eventually(t, 5*time.Second, "the change notice in the channel", func() bool {
		for _, m := range h.fake.Messages(seattleChannel)[before:] {
			if strings.Contains(m.Content, "has changed") && strings.Contains(m.Content, "cambió") {
				// Cut short, the old place gives way: the new place is
				// whole, and the closing lines are there.
				for _, want := range []string{"**" + place + "**", "RSVPs still stand.", "Las confirmaciones siguen en pie."} {
					if !strings.Contains(m.Content, want) {
						t.Errorf("the notice lacks %q:\n%s", want, m.Content)
					}
				}
				return true
			}
		}
		return false
	})
}

// TestBilingualPostsAtLongestInputs: a bilingual chapter's announcement,
// reminders and cancellation, of a rally whose every text is at its longest
// and all markdown, each reach the channel within Discord's limits.
func TestBilingualPostsAtLongestInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "24h,1h")
	name := markdownText(50)
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", seattleChannel),
		discordtest.RoleOpt("lead_role", seattleLead), discordtest.Str("rename", name), discordtest.Str("language", "en+es"))
	if !strings.Contains(r.Text(), "<#"+seattleChannel+">") {
		t.Fatalf("setup: %q", r.Text())
	}
	opts := createOpts(discordtest.Str("chapter", name), discordtest.Str("title", markdownText(100)),
		discordtest.Str("location", markdownText(200)), discordtest.Str("details", markdownText(1000)))
	for _, o := range []string{"marshals", "medics", "legal_observers", "interpreters"} {
		opts = append(opts, discordtest.Int(o, 50))
	}
	id, _ := h.rallyCreate(lead, seattleChannel, opts...)
	rally := strconv.FormatInt(id, 10)
	// The announcement is posted, its Spanish details cut.
	if ann := filter(h.fake.Messages(seattleChannel), func(m *discordgo.Message) bool {
		return len(m.Embeds) == 2 && strings.HasSuffix(m.Embeds[1].Description, "…")
	}); len(ann) != 1 {
		t.Errorf("%d announcements with their details cut, want 1", len(ann))
	}
	es := discordtest.Member{UserID: "500000000000000030", Permissions: volunteer.Permissions, Locale: "es-419"}
	noFailure(t, "rsvp", h.cmd(es, seattleChannel, "rsvp", discordtest.Str("rally", rally), discordtest.Str("status", "going"), discordtest.Str("role", "interpreter")))
	noFailure(t, "rally info", h.cmd(es, seattleChannel, "rally info", discordtest.Str("rally", rally)))
	noFailure(t, "myrsvps", h.cmd(es, seattleChannel, "myrsvps"))
	at := time.Date(2026, 11, 28, 22, 30, 0, 0, time.UTC) // createOpts' 14:30 in Seattle
	for _, when := range []time.Time{at.Add(-24 * time.Hour), at.Add(-time.Hour)} {
		h.clock.Set(when)
		h.runJobs()
	}
	noFailure(t, "rally cancel", h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", rally), discordtest.Str("reason", markdownText(300))))
	eventually(t, 5*time.Second, "the cancellation in the channel", func() bool {
		return len(filter(h.fake.Messages(seattleChannel), contentHas("has been cancelled", "Se canceló", "Reason: a", "Motivo: a"))) > 0
	})
}

// TestBilingualActionAtLongestInputs: a day of action over seven bilingual
// chapters, every name and text at its longest and all markdown: its asks,
// status, list and cancellation reach everyone within Discord's limits.
func TestBilingualActionAtLongestInputs(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	for i, c := range actChapters {
		name := []rune(markdownText(50))
		name[0] = rune('a' + i)
		r := h.cmd(admin, c.channel, "chapter setup", discordtest.Str("chapter", c.name), discordtest.Str("rename", string(name)), discordtest.Str("language", "en+es"))
		if !strings.Contains(r.Text(), "<#"+c.channel+">") {
			t.Fatalf("rename %s: %q", c.name, r.Text())
		}
	}
	esCoord := coord
	esCoord.Locale = "es-419"
	id, created := h.actCreate(discordtest.Str("title", markdownText(100)), discordtest.Str("details", markdownText(1000)))
	noFailure(t, "action create", created)
	action := strconv.FormatInt(id, 10)
	for _, m := range []discordtest.Member{esCoord, coord} {
		noFailure(t, "action status", h.cmd(m, coordChannel, "action status", discordtest.Str("action", action)))
		noFailure(t, "action list", h.cmd(m, coordChannel, "action list"))
		noFailure(t, "rally list", h.cmd(m, coordChannel, "rally list"))
	}
	for _, c := range actChapters {
		if len(h.actAsks(c.channel, id)) != 1 {
			t.Errorf("%s: %d asks for a place, want 1", c.name, len(h.actAsks(c.channel, id)))
		}
	}
	noFailure(t, "action cancel", h.cmd(coord, coordChannel, "action cancel", discordtest.Str("action", action), discordtest.Str("reason", markdownText(300))))
	for _, c := range actChapters {
		if len(h.actCancels(c.channel, id)) != 1 {
			t.Errorf("%s: %d cancellation notices, want 1", c.name, len(h.actCancels(c.channel, id)))
		}
	}
}

// TestSummaryNowWithManyRecaps: /summary now the evening of a day with five
// days of action, each recap with its CSV and chart besides the summary's
// own chart: more files than one message may carry.
func TestSummaryNowWithManyRecaps(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	var last time.Time
	for i := 0; i < 5; i++ {
		id, _ := h.actCreate(discordtest.Str("title", fmt.Sprintf("Action %d", i)), discordtest.Str("time", fmt.Sprintf("%02d:00", 9+i)))
		for _, r := range actRallies(t, h.schedDB(), id) {
			if r.EndsAt.After(last) {
				last = r.EndsAt
			}
		}
	}
	h.clock.Set(last.Add(time.Minute))
	noFailure(t, "summary now", h.cmd(coord, coordChannel, "summary now"))
	// Each recap's files are uploaded with it, in a follow-up.
	uploaded := func(name string) bool {
		for _, q := range h.fake.Requests() {
			if q.Method == "POST" && q.Route == "/webhooks/{webhook_id}/{webhook_token}" && q.Status == 200 &&
				strings.Contains(string(q.Body), `filename="`+name+`"`) {
				return true
			}
		}
		return false
	}
	for i := 1; i <= 5; i++ {
		for _, ext := range []string{".csv", ".png"} {
			name := fmt.Sprintf("action-%d-recap-en%s", i, ext)
			eventually(t, 5*time.Second, name+" uploaded with its recap", func() bool { return uploaded(name) })
		}
	}
}

// TestBilingualSeriesAtLongestInputs: a bilingual chapter's series of 26
// rallies, every text at its longest and all markdown, created and
// cancelled whole with the longest reason.
func TestBilingualSeriesAtLongestInputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	name := markdownText(50)
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", seattleChannel),
		discordtest.RoleOpt("lead_role", seattleLead), discordtest.Str("rename", name), discordtest.Str("language", "en+es"))
	if !strings.Contains(r.Text(), "<#"+seattleChannel+">") {
		t.Fatalf("setup: %q", r.Text())
	}
	esLead := lead
	esLead.Locale = "es-419"
	id, created := h.rallyCreate(esLead, seattleChannel, createOpts(discordtest.Str("chapter", name), discordtest.Str("title", markdownText(100)),
		discordtest.Str("location", markdownText(200)), discordtest.Str("details", markdownText(1000)),
		discordtest.Str("repeat", "weekly"), discordtest.Int("occurrences", 26))...)
	noFailure(t, "series create", created)
	noFailure(t, "myrsvps", h.cmd(esLead, seattleChannel, "rally list"))
	noFailure(t, "series cancel", h.cmd(esLead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(id, 10)),
		discordtest.Str("reason", markdownText(300)), discordtest.Bool("series", true)))
	eventually(t, 5*time.Second, "the series' cancellation in the channel", func() bool {
		return len(filter(h.fake.Messages(seattleChannel), contentHas("Motivo: a"))) > 0
	})
}

// TestAttendeesWithHundredsOfRequests: /rally attendees of a rally with
// approval and 300 requests, some for a safety role, in Spanish: the list
// is split over messages and the Approve / Decline buttons stay within
// Discord's five rows.
func TestAttendeesWithHundredsOfRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, _ := h.rallyCreate(lead, seattleChannel, createOpts(discordtest.Str("title", longText("Asamblea", 100)), discordtest.Bool("approval", true),
		discordtest.Int("marshals", 50), discordtest.Int("medics", 50))...)
	db := h.schedDB()
	for m := 0; m < 300; m++ {
		var err error
		if m%3 == 0 {
			_, err = db.TakeRole(context.Background(), guildID, id, burstMember(m), store.Roles[m%2])
		} else {
			_, err = db.SetRSVP(context.Background(), guildID, id, burstMember(m), store.Going)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	esLead := lead
	esLead.Locale = "es-419"
	r := h.cmd(esLead, seattleChannel, "rally attendees", discordtest.Str("rally", strconv.FormatInt(id, 10)))
	noFailure(t, "rally attendees", r)
	if !strings.Contains(r.Text(), burstMember(1)) {
		t.Errorf("the first request is not listed: %q", r.Text())
	}
}
