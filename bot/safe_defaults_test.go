package bot_test

import (
	"strings"
	"testing"

	"rallybot/discordtest"
)

// TestFormatCharactersRefused: text holding a Unicode format character that
// reorders or hides what a reader sees (a right-to-left override, an
// isolate, a zero-width space) is refused on every text option with a
// sentence saying what to change, and nothing is posted or saved. The
// zero-width joiner of emoji sequences is kept.
func TestFormatCharactersRefused(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	// "Westlake ‮kraP‬" shows as "Westlake Park" reversed in part; the
	// others hide a character or isolate a run of text.
	tricks := []string{"Westlake \u202ekraP\u202c", "City Hall \u2067steps\u2069", "Pier\u200b62", "Meet\u2066 here\u2069", "Old\u00adtown"}
	for _, s := range tricks {
		before := len(h.fake.Messages(seattleChannel))
		for _, field := range []string{"title", "location", "details"} {
			r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str(field, s))...)
			mustContain(t, r, true, "`"+field+"`", "invisible formatting characters", "Type it again without them")
		}
		if n := len(h.fake.Messages(seattleChannel)); n != before {
			t.Errorf("%q: %d messages posted", s, n-before)
		}
		r := h.cmd(admin, seattleChannel, "chapter add", discordtest.Str("name", "Tacoma"+s), discordtest.Str("timezone", "America/Los_Angeles"))
		mustContain(t, r, true, "`name`", "invisible formatting characters")
		r = h.cmd(admin, seattleChannel, "action create", discordtest.Str("title", s), discordtest.Str("date", "2026-12-05"), discordtest.Str("time", "12:00"))
		mustContain(t, r, true, "`title`", "invisible formatting characters")
	}
	id, _ := h.createRally(discordtest.Str("title", "Family day 👩\u200d👩\u200d👧"))
	r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("location", "Westlake \u202ekraP"))
	mustContain(t, r, true, "`location`", "invisible formatting characters")
	r = h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Str("reason", "rain\u2067 (not really)"))
	mustContain(t, r, true, "`reason`", "invisible formatting characters")
	r = h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", id))
	if !strings.Contains(r.Text(), "Westlake Park") || strings.Contains(r.Text(), "kraP") || strings.Contains(r.Text(), "Cancelled") {
		t.Errorf("a refused edit or cancel changed the rally: %q", r.Text())
	}
	r = h.cmd(admin, seattleChannel, "chapter list")
	if strings.Contains(r.Text(), "Tacoma") {
		t.Errorf("a chapter name with format characters was saved: %q", r.Text())
	}
	es := discordtest.Member{UserID: lead.UserID, Roles: lead.Roles, Permissions: lead.Permissions, Locale: "es-419"}
	r = h.cmd(es, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Marcha\u200b"))
	mustContain(t, r, true, "`title`", "caracteres de formato invisibles")
}

// TestMaskedLinksShownPlainly: details written into the scheduled event and
// the .ics file cannot hide where a link goes: [text](url) becomes the text
// followed by the address.
func TestMaskedLinksShownPlainly(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	details := "Bring water. [Legal hotline](https://evil.example/steal) and [map]( <https://maps.example/x> )"
	id, _ := h.createRally(discordtest.Str("title", "Linked"), discordtest.Str("details", details))
	eventually(t, 5e9, "the scheduled event exists", func() bool { return eventNamed(h, "Linked") != nil })
	e := eventNamed(h, "Linked")
	for _, where := range []struct{ name, text string }{{"event", e.Description}, {"ics", icsText(t, h, id)}} {
		if strings.Contains(where.text, "](") {
			t.Errorf("%s keeps a masked link: %q", where.name, where.text)
		}
		for _, want := range []string{"Legal hotline (https://evil.example/steal)", "map (https://maps.example/x)"} {
			if !strings.Contains(where.text, want) {
				t.Errorf("%s %q does not show %q", where.name, where.text, want)
			}
		}
	}
}

// icsText is the unfolded text of the rally's .ics file.
func icsText(t *testing.T, h *harness, id string) string {
	t.Helper()
	r := h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", id))
	if len(r.Files) != 1 {
		t.Fatalf("no .ics file: %q", r.Text())
	}
	s := strings.ReplaceAll(string(r.Files[0].Data), "\r\n ", "")
	return strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, "\n").Replace(s)
}
