package bot_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"rallybot/discordtest"
)

// parseICS parses a reply's one .ics attachment with the iCalendar library.
func parseICS(t *testing.T, r *discordtest.Reply, wantName string) *ics.Calendar {
	t.Helper()
	if len(r.Files) != 1 {
		t.Fatalf("reply has %d files, want 1: %q", len(r.Files), r.Text())
	}
	f := r.Files[0]
	if f.Name != wantName || !strings.HasPrefix(f.ContentType, "text/calendar") {
		t.Errorf("file %q (%s), want %q (text/calendar)", f.Name, f.ContentType, wantName)
	}
	if !bytes.Contains(f.Data, []byte("\r\n")) {
		t.Errorf("lines are not CRLF-terminated as RFC 5545 requires")
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("parse .ics: %v\n%s", err, f.Data)
	}
	return cal
}

func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if v := e.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func eventByUID(cal *ics.Calendar, uid string) *ics.VEvent {
	for _, e := range cal.Events() {
		if e.Id() == uid {
			return e
		}
	}
	return nil
}

// zoned reads an event's date-time property as written: its TZID (empty for
// a UTC time) and its value.
func zoned(t *testing.T, e *ics.VEvent, p ics.ComponentProperty) (tzid, value string) {
	t.Helper()
	v := e.GetProperty(p)
	if v == nil {
		t.Fatalf("event has no %s", p)
	}
	if ids := v.ICalParameters[string(ics.ParameterTzid)]; len(ids) == 1 {
		tzid = ids[0]
	}
	return tzid, v.Value
}

// observance is one STANDARD or DAYLIGHT block of a VTIMEZONE.
type observance struct {
	daylight           bool
	start              string // local time in the offset before it, 20060102T150405
	offsetFrom, offset string // ±HHMM
	name               string
}

// observances lists the VTIMEZONE of the calendar for tzid, in file order.
func observances(t *testing.T, cal *ics.Calendar, tzid string) []observance {
	t.Helper()
	var out []observance
	found := 0
	for _, tz := range cal.Timezones() {
		if v := tz.GetProperty(ics.ComponentPropertyTzid); v == nil || v.Value != tzid {
			continue
		}
		found++
		for _, c := range tz.Components {
			var o observance
			var base ics.ComponentBase
			switch c := c.(type) {
			case *ics.Standard:
				base = c.ComponentBase
			case *ics.Daylight:
				base, o.daylight = c.ComponentBase, true
			default:
				t.Fatalf("VTIMEZONE holds a %T", c)
			}
			get := func(p ics.Property) string {
				if v := base.GetProperty(ics.ComponentProperty(p)); v != nil {
					return v.Value
				}
				return ""
			}
			o.start, o.offsetFrom, o.offset, o.name = get(ics.PropertyDtstart), get(ics.PropertyTzoffsetfrom), get(ics.PropertyTzoffsetto), get(ics.PropertyTzname)
			out = append(out, o)
		}
	}
	if found != 1 {
		t.Fatalf("%d VTIMEZONEs with TZID %s, want 1", found, tzid)
	}
	return out
}

// offsetAt is what a calendar reads from the VTIMEZONE for a local time: the
// offset of the last observance begun by then.
func offsetAt(obs []observance, local string) string {
	best, offset := "", ""
	for _, o := range obs {
		if o.start <= local && o.start >= best {
			best, offset = o.start, o.offset
		}
	}
	return offset
}

func TestCalendarICS(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	// Seattle springs forward on 2027-03-14: 18:00 is 02:00Z before, 01:00Z after.
	before, _ := h.createRally(discordtest.Str("title", "Before the change"), discordtest.Str("when", "2027-03-13 18:00"),
		discordtest.Str("duration", "90m"))
	after, _ := h.createRally(discordtest.Str("title", "After the change"), discordtest.Str("when", "2027-03-15 18:00"))
	uid := func(id string) string { return "rally-" + id + "@" + guildID + ".rallybot" }

	t.Run("OneRallyWithItsInstant", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", before))
		mustContain(t, r, true, "Before the change")
		cal := parseICS(t, r, "rally-"+before+".ics")
		if len(cal.Events()) != 1 {
			t.Fatalf("%d events, want 1", len(cal.Events()))
		}
		e := eventByUID(cal, uid(before))
		if e == nil {
			t.Fatalf("no event with UID %s", uid(before))
		}
		start, err := e.GetStartAt()
		if err != nil || !start.Equal(time.Date(2027, 3, 14, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("DTSTART = %v (%v), want 2027-03-14T02:00Z (18:00 PST)", start, err)
		}
		end, err := e.GetEndAt()
		if err != nil || !end.Equal(start.Add(90*time.Minute)) {
			t.Errorf("DTEND = %v (%v), want 90 minutes after the start", end, err)
		}
		// Times with their zone: Seattle's wall clock, and the zone as
		// a VTIMEZONE whose offset then is PST's.
		for p, want := range map[ics.ComponentProperty]string{ics.ComponentPropertyDtStart: "20270313T180000", ics.ComponentPropertyDtEnd: "20270313T193000"} {
			if tzid, value := zoned(t, e, p); tzid != "America/Los_Angeles" || value != want {
				t.Errorf("%s = TZID %q, %q; want TZID America/Los_Angeles, %q", p, tzid, value, want)
			}
		}
		obs := observances(t, cal, "America/Los_Angeles")
		want := observance{daylight: false, start: "20261101T020000", offsetFrom: "-0700", offset: "-0800", name: "PST"}
		if len(obs) != 1 || obs[0] != want {
			t.Errorf("VTIMEZONE observances %+v, want the one in effect: %+v", obs, want)
		}
		if got := offsetAt(obs, "20270313T180000"); got != "-0800" {
			t.Errorf("the VTIMEZONE puts the start at %q, want -0800", got)
		}
		if got := prop(e, ics.ComponentPropertyStatus); got != "CONFIRMED" {
			t.Errorf("STATUS = %q", got)
		}
		if got := prop(e, ics.ComponentPropertySummary); got != "Before the change" {
			t.Errorf("SUMMARY = %q", got)
		}
		if got := prop(e, ics.ComponentPropertyLocation); got != "Westlake Park" {
			t.Errorf("LOCATION = %q", got)
		}
	})

	t.Run("MyRSVPsButtonAcrossDST", func(t *testing.T) {
		for _, id := range []string{before, after} {
			h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going"))
		}
		list := h.cmd(volunteer, seattleChannel, "myrsvps")
		r := h.click(volunteer, seattleChannel, list.MessageID, "calendar:mine")
		if !r.Ephemeral {
			t.Errorf("calendar reply is not ephemeral")
		}
		cal := parseICS(t, r, "my-rallies.ics")
		if n := len(cal.Events()); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
		for id, want := range map[string]time.Time{
			before: time.Date(2027, 3, 14, 2, 0, 0, 0, time.UTC),
			after:  time.Date(2027, 3, 16, 1, 0, 0, 0, time.UTC),
		} {
			e := eventByUID(cal, uid(id))
			if e == nil {
				t.Fatalf("no event %s", uid(id))
			}
			start, err := e.GetStartAt()
			if err != nil || !start.Equal(want) {
				t.Errorf("rally %s starts %v (%v), want %v", id, start, err, want)
			}
			// Both are 18:00 on the wall clock in Seattle.
			if local := start.In(mustZone(t, "America/Los_Angeles")); local.Hour() != 18 {
				t.Errorf("rally %s is at %v in Seattle, want 18:00", id, local)
			}
			if tzid, value := zoned(t, e, ics.ComponentPropertyDtStart); tzid != "America/Los_Angeles" || !strings.HasSuffix(value, "T180000") {
				t.Errorf("rally %s DTSTART = TZID %q, %q; want Seattle's 18:00", id, tzid, value)
			}
		}
		// One zone, its two observances: PST until the spring change,
		// PDT from it, each with the offset it leaves.
		obs := observances(t, cal, "America/Los_Angeles")
		want := []observance{
			{daylight: false, start: "20261101T020000", offsetFrom: "-0700", offset: "-0800", name: "PST"},
			{daylight: true, start: "20270314T020000", offsetFrom: "-0800", offset: "-0700", name: "PDT"},
		}
		if len(obs) != len(want) {
			t.Fatalf("VTIMEZONE observances %+v, want %+v", obs, want)
		}
		for i := range want {
			if obs[i] != want[i] {
				t.Errorf("observance %d = %+v, want %+v", i, obs[i], want[i])
			}
		}
		for local, offset := range map[string]string{"20270313T180000": "-0800", "20270315T180000": "-0700"} {
			if got := offsetAt(obs, local); got != offset {
				t.Errorf("the VTIMEZONE puts %s at %q, want %q", local, got, offset)
			}
		}
	})

	t.Run("EditBumpsSequenceSameUID", func(t *testing.T) {
		seq := func() int {
			cal := parseICS(t, h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", after)), "rally-"+after+".ics")
			e := eventByUID(cal, uid(after))
			if e == nil {
				t.Fatalf("UID changed: want %s", uid(after))
			}
			n, _ := strconv.Atoi(prop(e, ics.ComponentPropertySequence))
			return n
		}
		s0 := seq()
		h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", after), discordtest.Str("title", "After the change, moved"))
		if s1 := seq(); s1 <= s0 {
			t.Errorf("SEQUENCE %d after an edit, want more than %d", s1, s0)
		}
	})

	t.Run("CancelledIsStatusCancelled", func(t *testing.T) {
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", before), discordtest.Str("reason", "rain"))
		r := h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", before))
		mustContain(t, r, true, "cancelled")
		e := eventByUID(parseICS(t, r, "rally-"+before+".ics"), uid(before))
		if e == nil {
			t.Fatal("no event")
		}
		if got := prop(e, ics.ComponentPropertyStatus); got != "CANCELLED" {
			t.Errorf("STATUS = %q, want CANCELLED", got)
		}
		if n, _ := strconv.Atoi(prop(e, ics.ComponentPropertySequence)); n < 1 {
			t.Errorf("SEQUENCE = %d after cancelling, want at least 1", n)
		}
	})

	t.Run("ErrNoSuchRally", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", "999999"))
		mustContain(t, r, true, "No such rally")
		if len(r.Files) != 0 {
			t.Errorf("a refusal carries %d files", len(r.Files))
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestMyRSVPsListsRoles: a safety role sign-up takes the place of the
// member's RSVP, yet the rally is theirs: /myrsvps lists it with the role
// (in the member's language), and its "Add to calendar" file carries it
// beside the rallies they RSVPed to; leaving the role takes it off both.
func TestMyRSVPsListsRoles(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	staffed, ann := h.rolesCreate("Staffed march", discordtest.Str("when", "2026-11-28 14:30"), discordtest.Int("marshals", 1))
	plain, _ := h.createRally(discordtest.Str("title", "Plain vigil"), discordtest.Str("when", "2026-11-29 18:00"))
	uid := func(id string) string { return "rally-" + id + "@" + guildID + ".rallybot" }
	m := member(1)
	// Going first: the sign-up replaces that RSVP row.
	mustContain(t, h.click(m, seattleChannel, ann.ID, "rsvp:going:"+staffed), true, "you're **going**")
	mustContain(t, h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", staffed), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true, "signed up as **marshal**")
	h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", plain), discordtest.Str("status", "maybe"))

	t.Run("ListedWithTheRole", func(t *testing.T) {
		list := h.cmd(m, seattleChannel, "myrsvps")
		mustContain(t, list, true, "#"+staffed+" Staffed march", "you're **going** as **marshal**", "#"+plain+" Plain vigil", "you're a **maybe**")
		es := m
		es.Locale = "es-419"
		mustContain(t, h.cmd(es, seattleChannel, "myrsvps"), true, "**vas** en el equipo de **seguridad**")

		cal := parseICS(t, h.click(m, seattleChannel, list.MessageID, "calendar:mine"), "my-rallies.ics")
		if n := len(cal.Events()); n != 2 {
			t.Fatalf("%d events in the calendar, want the role's rally and the RSVP's", n)
		}
		e := eventByUID(cal, uid(staffed))
		if e == nil {
			t.Fatalf("the calendar lacks the rally held by a role (%s)", uid(staffed))
		}
		if got := prop(e, ics.ComponentPropertySummary); got != "Staffed march" {
			t.Errorf("SUMMARY = %q", got)
		}
		if eventByUID(cal, uid(plain)) == nil {
			t.Errorf("the calendar lacks the rally RSVPed to (%s)", uid(plain))
		}
	})
	t.Run("LeavingTheRoleTakesItOff", func(t *testing.T) {
		h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", staffed), discordtest.Str("status", "not_going"))
		list := h.cmd(m, seattleChannel, "myrsvps")
		if strings.Contains(list.Text(), "Staffed march") {
			t.Errorf("/myrsvps still lists the rally after leaving the role: %q", list.Text())
		}
		cal := parseICS(t, h.click(m, seattleChannel, list.MessageID, "calendar:mine"), "my-rallies.ics")
		if n := len(cal.Events()); n != 1 || eventByUID(cal, uid(plain)) == nil {
			t.Errorf("%d events after leaving the role, want the RSVP's only", n)
		}
	})
}

// TestCalendarICSText: a title, place and details holding commas,
// semicolons, backslashes, line breaks (CRLF too, as a client may send
// them) and long runs of multi-byte characters come back from the .ics file
// as they were typed, and every content line is at most 75 octets ending in
// CRLF, with no bare CR or LF inside one, as RFC 5545 requires.
func TestCalendarICSText(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	title := `Marcha, por; la\justicia ` + strings.Repeat("ñé漢😀", 15)
	place := "Plaza, 1; B"
	details := "Traigan agua, gorras; y\r\ncarteles\nüñ" + strings.Repeat("字", 60)
	id, _ := h.createRally(discordtest.Str("title", title), discordtest.Str("location", place),
		discordtest.Str("details", details))
	r := h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", id))
	cal := parseICS(t, r, "rally-"+id+".ics")
	data := string(r.Files[0].Data)
	if !strings.HasSuffix(data, "\r\n") {
		t.Errorf("the file does not end in CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(data, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, more than 75: %q", i+1, len(line), line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a character: %q", i+1, line)
		}
	}
	e := eventByUID(cal, "rally-"+id+"@"+guildID+".rallybot")
	if e == nil {
		t.Fatalf("no event for the rally:\n%s", data)
	}
	if got := ics.FromText(prop(e, ics.ComponentPropertySummary)); got != title {
		t.Errorf("SUMMARY reads %q, want %q", got, title)
	}
	if got := ics.FromText(prop(e, ics.ComponentPropertyLocation)); got != place {
		t.Errorf("LOCATION reads %q, want %q", got, place)
	}
	want := strings.ReplaceAll(details, "\r\n", "\n")
	if got := ics.FromText(prop(e, ics.ComponentPropertyDescription)); !strings.HasSuffix(got, "\n"+want) {
		t.Errorf("DESCRIPTION reads %q, want it to end with the details %q", got, want)
	}
}

// TestCalendarFallBackNight: a rally at 1:30 AM on the night Seattle's
// clocks fall back (Sun Nov 7, 2027) is created at the first 1:30 (PDT),
// the lead is told so, and its .ics file puts it at that same instant; its
// end, 2:30 PST after the change, too. One that ends in the repeated hour
// (00:30 PDT for 90 minutes, to 1:00 PST) is written in UTC, since a wall
// clock of 1:00 would be read as the first one, an hour early.
func TestCalendarFallBackNight(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, r := h.rallyCreate(lead, seattleChannel, createOpts(discordtest.Str("title", "Night vigil"),
		discordtest.Str("when", "2027-11-07 01:30"), discordtest.Str("duration", "2h"))...)
	mustContain(t, r, true, "happens twice", "the first")
	rally := strconv.FormatInt(id, 10)
	cal := parseICS(t, h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", rally)), "rally-"+rally+".ics")
	e := eventByUID(cal, "rally-"+rally+"@"+guildID+".rallybot")
	if e == nil {
		t.Fatalf("no event for the rally")
	}
	start, err := e.GetStartAt()
	if want := time.Date(2027, 11, 7, 8, 30, 0, 0, time.UTC); err != nil || !start.Equal(want) {
		t.Errorf("DTSTART = %v (%v), want %v (1:30 PDT)", start, err, want)
	}
	end, err := e.GetEndAt()
	if want := time.Date(2027, 11, 7, 10, 30, 0, 0, time.UTC); err != nil || !end.Equal(want) {
		t.Errorf("DTEND = %v (%v), want %v (2:30 PST)", end, err, want)
	}
	if got := offsetAt(observances(t, cal, "America/Los_Angeles"), "20271107T013000"); got != "-0700" {
		t.Errorf("the VTIMEZONE puts 1:30 at %q, want -0700 (the first 1:30)", got)
	}

	id2, _ := h.rallyCreate(lead, seattleChannel, createOpts(discordtest.Str("title", "Late vigil"),
		discordtest.Str("when", "2027-11-07 00:30"), discordtest.Str("duration", "90m"))...)
	rally2 := strconv.FormatInt(id2, 10)
	cal = parseICS(t, h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", rally2)), "rally-"+rally2+".ics")
	e = eventByUID(cal, "rally-"+rally2+"@"+guildID+".rallybot")
	if e == nil {
		t.Fatalf("no event for the second rally")
	}
	for p, want := range map[ics.ComponentProperty]string{ics.ComponentPropertyDtStart: "20271107T073000Z", ics.ComponentPropertyDtEnd: "20271107T090000Z"} {
		if tzid, value := zoned(t, e, p); tzid != "" || value != want {
			t.Errorf("%s = TZID %q, %q; want UTC %q", p, tzid, value, want)
		}
	}
}

// TestEditToFallBackNightSaysWhich1_30: moving a rally with /rally edit to
// 1:30 on the night the clocks fall back tells the lead which 1:30 it is,
// as /rally create does, and the .ics file agrees.
func TestEditToFallBackNightSaysWhich1_30(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, _ := h.createRally()
	r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("when", "2027-11-07 01:30"))
	mustContain(t, r, true, "happens twice", "the first")
	cal := parseICS(t, h.cmd(volunteer, seattleChannel, "rally calendar", discordtest.Str("rally", id)), "rally-"+id+".ics")
	e := eventByUID(cal, "rally-"+id+"@"+guildID+".rallybot")
	if e == nil {
		t.Fatalf("no event for the rally")
	}
	if start, err := e.GetStartAt(); err != nil || !start.Equal(time.Date(2027, 11, 7, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("DTSTART = %v (%v), want 08:30Z (the first 1:30, PDT)", start, err)
	}
}

// TestMyCalendarHoldsNoMemberIDs: the "Add to calendar" file of a member's
// rallies names no member: not the one who asked, not the lead who made the
// rally, not another member going; the rally's own ids (UID, link) only.
func TestMyCalendarHoldsNoMemberIDs(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, _ := h.createRally(discordtest.Str("details", "Bring water"))
	for _, m := range []discordtest.Member{volunteer, member(1)} {
		r := h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going"))
		if !r.Ephemeral {
			t.Fatalf("rsvp: %q", r.Text())
		}
	}
	mine := h.cmd(volunteer, seattleChannel, "myrsvps")
	file := h.click(volunteer, seattleChannel, mine.MessageID, "calendar:mine")
	cal := parseICS(t, file, "my-rallies.ics")
	if eventByUID(cal, "rally-"+id+"@"+guildID+".rallybot") == nil {
		t.Fatalf("the file has no event for the rally:\n%s", file.Files[0].Data)
	}
	data := strings.ReplaceAll(string(file.Files[0].Data), "\r\n ", "") // unfolded
	for _, m := range []discordtest.Member{volunteer, member(1), lead} {
		if strings.Contains(data, m.UserID) {
			t.Errorf("the calendar holds member id %s:\n%s", m.UserID, data)
		}
	}
}
