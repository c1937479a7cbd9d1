package bot_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

func TestExportCSV(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole))
	formula, _ := h.createRally(discordtest.Str("title", `=HYPERLINK("http://evil.example","x")`), discordtest.Str("when", "2026-11-28 14:30"))
	h.createRally(discordtest.Str("title", `Housing, "now"`), discordtest.Str("when", "2026-11-29 10:00"))
	called, _ := h.createRally(discordtest.Str("title", "@here -5 +1"), discordtest.Str("when", "2026-11-30 09:15"))
	h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", formula), discordtest.Str("status", "going"))
	h.cmd(member(1), seattleChannel, "rsvp", discordtest.Str("rally", formula), discordtest.Str("status", "maybe"))
	h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", called))
	staffed, _ := h.createRally(discordtest.Str("title", "Night march"), discordtest.Str("when", "2026-12-01 19:00"),
		discordtest.Int("marshals", 2), discordtest.Int("medics", 1))
	h.cmd(member(2), seattleChannel, "rsvp", discordtest.Str("rally", staffed), discordtest.Str("status", "going"), discordtest.Str("role", "marshal"))
	// Two members at the first rally check in while it runs; the export
	// counts them, and names neither.
	h.clock.Set(time.Date(2026, 11, 28, 22, 40, 0, 0, time.UTC))
	for _, m := range []discordtest.Member{volunteer, member(3)} {
		mustContain(t, h.cmd(m, seattleChannel, "checkin", discordtest.Str("rally", formula)), true, "Checked in")
	}
	h.clock.Set(start)
	r := h.cmd(coord, coordChannel, "action create", discordtest.Str("title", "Day of rent strikes"), discordtest.Str("date", "2026-12-02"),
		discordtest.Str("time", "11:00"), discordtest.Str("chapters", "Seattle"))
	mustContain(t, r, true, "Created the day of action")

	t.Run("ErrNotCoordinator", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "summary export")
		mustContain(t, r, true, "Only coordinators")
		if len(r.Files) != 0 {
			t.Errorf("a refused member got %d files", len(r.Files))
		}
	})

	t.Run("RoundTripsAndNeutralisesFormulas", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "summary export", discordtest.Int("days", 14))
		mustContain(t, r, true, "5 rallies")
		if len(r.Files) != 1 {
			t.Fatalf("%d files, want 1", len(r.Files))
		}
		f := r.Files[0]
		if !strings.HasSuffix(f.Name, ".csv") || !strings.HasPrefix(f.ContentType, "text/csv") {
			t.Errorf("file %q (%s)", f.Name, f.ContentType)
		}
		for _, id := range []string{volunteer.UserID, member(1).UserID, member(3).UserID, lead.UserID, coord.UserID} {
			if bytes.Contains(f.Data, []byte(id)) {
				t.Errorf("the export carries member id %s", id)
			}
		}
		rows, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, f.Data)
		}
		wantHeader := "chapter,title,start_utc,status,going,maybe,waitlist,action," +
			"marshal_filled,marshal_needed,medic_filled,medic_needed,legal_observer_filled,legal_observer_needed,interpreter_filled,interpreter_needed," +
			"checked_in," +
			"needs_asl,needs_spanish,needs_other_interpretation,needs_wheelchair,needs_seating,needs_childcare,needs_ride"
		if got := strings.Join(rows[0], ","); got != wantHeader {
			t.Errorf("header %q, want %q", got, wantHeader)
		}
		none := []string{"0", "0", "0", "0", "0", "0", "0", "0"}
		noNeeds := []string{"0", "0", "0", "0", "0", "0", "0"}
		want := [][]string{
			append(append(append([]string{"Seattle", `'=HYPERLINK("http://evil.example","x")`, "2026-11-28T22:30:00Z", "scheduled", "1", "1", "0", ""}, none...), "2"), noNeeds...),
			append(append(append([]string{"Seattle", `Housing, "now"`, "2026-11-29T18:00:00Z", "scheduled", "0", "0", "0", ""}, none...), "0"), noNeeds...),
			append(append(append([]string{"Seattle", "'@here -5 +1", "2026-11-30T17:15:00Z", "cancelled", "0", "0", "0", ""}, none...), "0"), noNeeds...),
			append([]string{"Seattle", "Night march", "2026-12-02T03:00:00Z", "scheduled", "1", "0", "0", "", "1", "2", "0", "1", "0", "0", "0", "0", "0"}, noNeeds...),
			append(append(append([]string{"Seattle", "Day of rent strikes", "2026-12-02T19:00:00Z", "scheduled", "0", "0", "0", "Day of rent strikes"}, none...), "0"), noNeeds...),
		}
		if len(rows)-1 != len(want) {
			t.Fatalf("%d rows, want %d:\n%s", len(rows)-1, len(want), f.Data)
		}
		for i, w := range want {
			if got := strings.Join(rows[i+1], "|"); got != strings.Join(w, "|") {
				t.Errorf("row %d = %q, want %q", i+1, got, strings.Join(w, "|"))
			}
		}
	})

	t.Run("SpanishHeaders", func(t *testing.T) {
		es := coord
		es.Locale = "es-419"
		r := h.cmd(es, coordChannel, "summary export", discordtest.Int("days", 14))
		if len(r.Files) != 1 {
			t.Fatalf("%d files, want 1: %q", len(r.Files), r.Text())
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Files[0].Data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		const checkedIn = 16 // the column before the needs
		if header[0] != "sección" || header[checkedIn] != "llegadas_registradas" || header[len(header)-1] != "necesita_transporte" {
			t.Errorf("Spanish header %q, want sección … llegadas_registradas … necesita_transporte", header)
		}
		if got := rows[1][checkedIn]; got != "2" {
			t.Errorf("checked in = %q in the Spanish export, want 2", got)
		}
	})

	t.Run("ErrDaysOutOfRange", func(t *testing.T) {
		r := h.cmd(admin, coordChannel, "summary export", discordtest.Int("days", 0))
		mustContain(t, r, true, "`days` must be between 1 and 366")
	})
}
