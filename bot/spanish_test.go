package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// Members whose Discord client is in Spanish.
var (
	hispanohablante = discordtest.Member{UserID: "500000000000000020", Permissions: discordgo.PermissionViewChannel, Locale: "es-419"}
	espanola        = discordtest.Member{UserID: "500000000000000021", Permissions: discordgo.PermissionViewChannel, Locale: "es-ES"}
)

// TestSpanish: a reply follows the interaction's locale, a channel post its
// chapter's language, a DM the member's last seen locale.
func TestSpanish(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "REMINDER_OFFSETS", "2h")
	id, ann := h.createRally()

	t.Run("RepliesFollowTheMembersLocale", func(t *testing.T) {
		es := h.click(hispanohablante, seattleChannel, ann.ID, "rsvp:going:"+id)
		mustContain(t, es, true, "Listo, quedó anotado para **Rally for fair housing**, el sáb 28 nov 2:30 p. m. PST", "**vas**", "¡Nos vemos ahí!")
		en := h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id)
		mustContain(t, en, true, "Got it: for **Rally for fair housing**", "you're **going**", "See you there!")
		mustContain(t, h.cmd(hispanohablante, seattleChannel, "myrsvps"), true, "Tus próximas confirmaciones", "**vas**")
		mustContain(t, h.cmd(hispanohablante, seattleChannel, "rally info", discordtest.Str("rally", id)), false,
			"Cuándo", "sábado, 28 de noviembre de 2026, 2:30 p. m.", "2 personas van", "Anuncio")
	})

	t.Run("RefusalsFollowTheMembersLocale", func(t *testing.T) {
		mustContain(t, h.cmd(hispanohablante, seattleChannel, "rally create", createOpts()...), true,
			"Solo responsables de Seattle", "<@&"+seattleLead+">")
		mustContain(t, h.cmd(volunteer, seattleChannel, "rally create", createOpts()...), true, "Only Seattle leads")
		mustContain(t, h.cmd(espanola, seattleChannel, "rsvp", discordtest.Str("rally", "999"), discordtest.Str("status", "going")), true,
			"No existe esa manifestación")
		lead := lead
		lead.Locale = "es-419"
		mustContain(t, h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("when", "2026-02-30 10:00"))...), true,
			"`when`", "febrero de 2026 tiene 28 días", "AAAA-MM-DD HH:MM")
	})

	t.Run("PluralForms", func(t *testing.T) {
		lines := func() string { return h.cmd(espanola, seattleChannel, "rally list").Text() }
		mustHave := func(text string, parts ...string) {
			t.Helper()
			for _, p := range parts {
				if !strings.Contains(text, p) {
					t.Errorf("%q does not contain %q", text, p)
				}
			}
		}
		mustHave(lines(), "2 personas van", "Próximas manifestaciones")
		h.click(volunteer, seattleChannel, ann.ID, "rsvp:not_going:"+id)
		mustHave(lines(), "1 persona va")
		h.click(hispanohablante, seattleChannel, ann.ID, "rsvp:maybe:"+id)
		mustHave(lines(), "0 personas van", "1 tal vez")
	})

	t.Run("SummaryInTheReadersLanguage", func(t *testing.T) {
		es := admin
		es.Locale = "es-419"
		mustContain(t, h.cmd(es, coordChannel, "summary now"), true, "Participación, próximos 7 días", "**Todas las secciones:** 1 manifestación")
		mustContain(t, h.cmd(admin, coordChannel, "summary now"), true, "Turnout, next 7 days", "**All chapters:** 1 rally")
	})

	t.Run("SpanishChapterPostsInSpanish", func(t *testing.T) {
		r := h.cmd(admin, chicagoChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.Str("language", "es"))
		mustContain(t, r, true, "posts in Spanish")
		before := len(h.fake.Messages(chicagoChannel))
		created := h.cmd(admin, chicagoChannel, "rally create", createOpts(discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Marcha por la vivienda"))...)
		mustContain(t, created, true, "Scheduled **Marcha por la vivienda**") // the admin's client is in English
		msgs := h.fake.Messages(chicagoChannel)
		if len(msgs) != before+1 {
			t.Fatalf("%d new messages in Chicago, want 1", len(msgs)-before)
		}
		a := msgs[len(msgs)-1]
		text := messageText(a)
		for _, want := range []string{"Sección", "Cuándo", "sábado, 28 de noviembre de 2026, 2:30 p. m.", "Dónde", "0 personas van", "Confirma abajo"} {
			if !strings.Contains(text, want) {
				t.Errorf("Spanish announcement lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "When") || strings.Contains(text, "going") {
			t.Errorf("Spanish announcement has English in it:\n%s", text)
		}
		if bs := buttons(a); len(bs) != 3 || bs[0].Label != "Voy" || bs[1].Label != "Tal vez" || bs[2].Label != "No puedo ir" {
			t.Errorf("buttons = %+v", bs)
		}

		h.clock.Set(time.Date(2026, 11, 28, 20, 30, 0, 0, time.UTC).Add(-2 * time.Hour)) // 14:30 in Chicago, 2h before
		h.runJobs()
		var reminder *discordgo.Message
		eventually(t, 5*time.Second, "the Spanish reminder", func() bool {
			for _, m := range h.fake.Messages(chicagoChannel) {
				if strings.Contains(messageText(m), "Recordatorio: Marcha por la vivienda") {
					reminder = m
					return true
				}
			}
			return false
		})
		text = messageText(reminder)
		for _, want := range []string{"⏰ **Marcha por la vivienda** empieza", "recordatorio 2h antes del inicio", "Cuándo"} {
			if !strings.Contains(text, want) {
				t.Errorf("Spanish reminder lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Reminder") {
			t.Errorf("Spanish reminder has English in it:\n%s", text)
		}
	})
}

// TestBilingualChapter: an en+es chapter posts both languages in one message,
// Spanish second.
func TestBilingualChapter(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("language", "en+es"))
	mustContain(t, r, true, "posts in English and Spanish")
	es := admin
	es.Locale = "es-ES"
	mustContain(t, h.cmd(es, seattleChannel, "chapter list"), false, "inglés y español")

	id, ann := h.createRally()
	if len(ann.Embeds) != 2 {
		t.Fatalf("%d embeds, want English then Spanish", len(ann.Embeds))
	}
	en, sp := messageText(&discordgo.Message{Embeds: ann.Embeds[:1]}), messageText(&discordgo.Message{Embeds: ann.Embeds[1:]})
	if !strings.Contains(en, "When") || !strings.Contains(en, "Sat Nov 28, 2026 2:30 PM") || !strings.Contains(en, "0 going") {
		t.Errorf("first embed is not English:\n%s", en)
	}
	if !strings.Contains(sp, "Cuándo") || !strings.Contains(sp, "sábado, 28 de noviembre de 2026, 2:30 p. m.") || !strings.Contains(sp, "0 personas van") {
		t.Errorf("second embed is not Spanish:\n%s", sp)
	}
	if bs := buttons(ann); len(bs) != 3 || bs[0].Label != "Going / Voy" || bs[2].Label != "Can't go / No puedo ir" {
		t.Errorf("buttons = %+v", bs)
	}

	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)
	eventually(t, 5*time.Second, "the announcement counts one in both languages", func() bool {
		text := messageText(h.fake.Message(seattleChannel, ann.ID))
		return strings.Contains(text, "1 going") && strings.Contains(text, "1 persona va")
	})

	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Str("reason", "storm")), true, "Cancelled")
	msgs := h.fake.Messages(seattleChannel)
	notice := msgs[len(msgs)-1].Content
	enAt, esAt := strings.Index(notice, "has been cancelled. Reason: storm"), strings.Index(notice, "Se canceló **Rally for fair housing**")
	if enAt < 0 || esAt < 0 || esAt < enAt {
		t.Errorf("cancel notice is not English then Spanish: %q", notice)
	}
}

// TestBilingualReminder: an en+es chapter's reminder is one message, English
// first, then Spanish.
func TestBilingualReminder(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "REMINDER_OFFSETS", "2h")
	mustContain(t, h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("language", "en+es")), true,
		"posts in English and Spanish")
	id, ann := h.createRally()
	h.click(member(1), seattleChannel, ann.ID, "rsvp:going:"+id)

	h.clock.Set(time.Date(2026, 11, 28, 22, 30, 0, 0, time.UTC).Add(-2 * time.Hour)) // 14:30 in Seattle, 2h before
	h.runJobs()
	var reminders []*discordgo.Message
	eventually(t, 5*time.Second, "the reminder", func() bool {
		reminders = nil
		for _, m := range h.fake.Messages(seattleChannel) {
			if strings.Contains(messageText(m), "Reminder: Rally for fair housing") || strings.Contains(messageText(m), "Recordatorio: Rally for fair housing") {
				reminders = append(reminders, m)
			}
		}
		return len(reminders) > 0
	})
	if len(reminders) != 1 {
		t.Fatalf("%d reminder messages, want one in both languages", len(reminders))
	}
	r := reminders[0]
	enAt, esAt := strings.Index(r.Content, "⏰ **Rally for fair housing** starts"), strings.Index(r.Content, "⏰ **Rally for fair housing** empieza")
	if enAt < 0 || esAt < 0 || esAt < enAt {
		t.Errorf("reminder text is not English then Spanish: %q", r.Content)
	}
	if len(r.Embeds) != 2 {
		t.Fatalf("%d embeds, want English then Spanish", len(r.Embeds))
	}
	en, es := messageText(&discordgo.Message{Embeds: r.Embeds[:1]}), messageText(&discordgo.Message{Embeds: r.Embeds[1:]})
	for _, want := range []string{"Reminder: Rally for fair housing", "When", "Sat Nov 28, 2026 2:30 PM", "1 going", "reminder 2h before the start"} {
		if !strings.Contains(en, want) {
			t.Errorf("first embed lacks %q:\n%s", want, en)
		}
	}
	for _, want := range []string{"Recordatorio: Rally for fair housing", "Cuándo", "sábado, 28 de noviembre de 2026, 2:30 p. m.", "1 persona va", "recordatorio 2h antes del inicio"} {
		if !strings.Contains(es, want) {
			t.Errorf("second embed lacks %q:\n%s", want, es)
		}
	}
	if bs := buttons(r); len(bs) != 3 || bs[0].Label != "Going / Voy" {
		t.Errorf("reminder buttons = %+v", bs)
	}
}

// TestSpanishChapterDMReminders: a Spanish chapter's channel reminder is in
// Spanish, but each member's DM reminder follows the locale they last
// interacted with.
func TestSpanishChapterDMReminders(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "REMINDER_OFFSETS", "2h")
	mustContain(t, h.cmd(admin, chicagoChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.Str("language", "es")), true,
		"posts in Spanish")
	h.cmd(admin, chicagoChannel, "rally create", createOpts(discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Marcha por la vivienda"))...)
	msgs := h.fake.Messages(chicagoChannel)
	ann := msgs[len(msgs)-1]
	id := strings.TrimPrefix(buttons(ann)[0].CustomID, "rsvp:going:")

	// Went back to English since: the DM follows the last locale seen.
	switched := espanola
	h.click(switched, chicagoChannel, ann.ID, "rsvp:going:"+id)
	switched.Locale = "en-US"
	mustContain(t, h.cmd(switched, chicagoChannel, "myrsvps"), true, "Your upcoming RSVPs")
	mustContain(t, h.click(hispanohablante, chicagoChannel, ann.ID, "rsvp:going:"+id), true, "**vas**")
	mustContain(t, h.click(volunteer, chicagoChannel, ann.ID, "rsvp:maybe:"+id), true, "you're a **maybe**")

	h.clock.Set(time.Date(2026, 11, 28, 20, 30, 0, 0, time.UTC).Add(-2 * time.Hour)) // 14:30 in Chicago, 2h before
	h.runJobs()
	h.runJobs()
	dm := func(m discordtest.Member, part string) *discordgo.Message {
		t.Helper()
		var got *discordgo.Message
		eventually(t, 5*time.Second, "a DM reminder to "+m.UserID, func() bool {
			got = nil
			for _, d := range h.fake.DMs(m.UserID) {
				if strings.Contains(messageText(d), part) {
					got = d
				}
			}
			return got != nil
		})
		return got
	}

	es := dm(hispanohablante, "Recordatorio: **Marcha por la vivienda** (sección Chicago) empieza")
	mustHave := func(text string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("DM lacks %q: %s", w, text)
			}
		}
	}
	mustHave(es.Content, "sáb 28 nov 2:30 p. m. CST", "📍 Westlake Park", "¿Sigues pensando venir?")
	if b := buttons(es); len(b) != 2 || b[0].Label != "Sí, voy" || b[1].Label != "Al final no puedo" {
		t.Errorf("Spanish DM buttons %+v", b)
	}
	for _, m := range []discordtest.Member{volunteer, switched} {
		en := dm(m, "Reminder: **Marcha por la vivienda** (Chicago chapter) starts")
		mustHave(en.Content, "Sat Nov 28 2:30 PM CST", "Are you still coming?")
		if strings.Contains(en.Content, "Recordatorio") {
			t.Errorf("member %s, last seen in English, got Spanish: %s", m.UserID, en.Content)
		}
		if b := buttons(en); len(b) != 2 || b[0].Label != "Still going" {
			t.Errorf("English DM buttons %+v", b)
		}
	}
	// The channel's own reminder stays in the chapter's language.
	eventually(t, 5*time.Second, "the Spanish channel reminder", func() bool {
		for _, m := range h.fake.Messages(chicagoChannel) {
			if strings.Contains(messageText(m), "Recordatorio: Marcha por la vivienda") && !strings.Contains(messageText(m), "Reminder") {
				return true
			}
		}
		return false
	})
}

// TestSpanishDM: a DM follows the locale the member last interacted with.
func TestSpanishDM(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally(discordtest.Int("capacity", 1))
	h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id)
	mustContain(t, h.click(hispanohablante, seattleChannel, ann.ID, "rsvp:going:"+id), true, "lista de espera")
	h.click(volunteer, seattleChannel, ann.ID, "rsvp:not_going:"+id)
	eventually(t, 5*time.Second, "the promoted member gets a DM", func() bool { return len(h.fake.DMs(hispanohablante.UserID)) == 1 })
	if dm := h.fake.DMs(hispanohablante.UserID)[0].Content; !strings.Contains(dm, "Se liberó un lugar: ahora **vas** a **Rally for fair housing**") {
		t.Errorf("DM = %q", dm)
	}
}

// TestLocalizedRegistration: every description and choice carries es-ES and
// es-419 (the fake checked the body against Discord's spec).
func TestLocalizedRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	cmds := h.fake.Commands(guildID)
	if len(cmds) == 0 {
		t.Fatal("no commands registered")
	}
	var walk func(path string, opts []*discordgo.ApplicationCommandOption)
	walk = func(path string, opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			p := path + " " + o.Name
			if o.DescriptionLocalizations["es-ES"] == "" || o.DescriptionLocalizations["es-419"] == "" {
				t.Errorf("%s: no Spanish description", p)
			}
			for _, c := range o.Choices {
				if c.NameLocalizations["es-ES"] == "" || c.NameLocalizations["es-419"] == "" {
					t.Errorf("%s %v: no Spanish name", p, c.Value)
				}
			}
			walk(p, o.Options)
		}
	}
	for _, c := range cmds {
		if c.DescriptionLocalizations == nil || (*c.DescriptionLocalizations)["es-419"] == "" {
			t.Errorf("/%s: no Spanish description", c.Name)
		}
		walk(c.Name, c.Options)
		if c.Name == "rsvp" {
			if got := (*c.DescriptionLocalizations)["es-ES"]; got != "Confirma o cambia tu asistencia a una manifestación (solo tú ves la respuesta)" {
				t.Errorf("/rsvp in Spanish: %q", got)
			}
		}
	}
	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Errorf("registration broke Discord's spec: %v", v)
	}
}
