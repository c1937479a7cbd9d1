package commands

import (
	"bytes"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"rallybot/store"
)

// TestICSZones renders rallies in several zones and parses the file back:
// each time is its zone's wall clock unless that wall clock is ambiguous,
// and each zone is defined once with the offsets a calendar needs.
func TestICSZones(t *testing.T) {
	t.Parallel()
	rally := func(id int64, zone string, start time.Time) store.CalendarRally {
		return store.CalendarRally{Rally: store.Rally{ID: id, GuildID: "200000000000000001", Title: "Rally", TimeZone: zone,
			StartsAt: start, EndsAt: start.Add(2 * time.Hour), Status: store.RallyScheduled}}
	}
	rallies := []store.CalendarRally{
		// Seattle falls back on 2026-11-01 at 02:00 PDT: 01:30 comes twice.
		rally(1, "America/Los_Angeles", time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC)), // 01:30 PDT, the first
		rally(2, "America/Los_Angeles", time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)), // 01:30 PST, the second
		rally(3, "America/New_York", time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)),    // 12:00 EST
		rally(4, "Mars/Olympus", time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)),        // no such zone
	}
	f, err := icsFile(langOf("en-US"), "my-rallies.ics", rallies, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, f.Data)
	}
	byUID := map[string]store.CalendarRally{}
	for _, r := range rallies {
		byUID[rallyUID(r.GuildID, r.ID)] = r
	}
	t.Run("Times", func(t *testing.T) {
		want := map[string]struct{ tzid, start, end string }{
			rallyUID("200000000000000001", 1): {"America/Los_Angeles", "20261101T013000", "20261101T023000"},
			// Its wall clock is ambiguous: both in UTC.
			rallyUID("200000000000000001", 2): {"", "20261101T093000Z", "20261101T113000Z"},
			rallyUID("200000000000000001", 3): {"America/New_York", "20261205T120000", "20261205T140000"},
			rallyUID("200000000000000001", 4): {"", "20261206T170000Z", "20261206T190000Z"},
		}
		for _, e := range cal.Events() {
			w, ok := want[e.Id()]
			if !ok {
				t.Fatalf("unexpected event %s", e.Id())
			}
			for p, value := range map[ics.ComponentProperty]string{ics.ComponentPropertyDtStart: w.start, ics.ComponentPropertyDtEnd: w.end} {
				v := e.GetProperty(p)
				tzid := ""
				if ids := v.ICalParameters[string(ics.ParameterTzid)]; len(ids) == 1 {
					tzid = ids[0]
				}
				if tzid != w.tzid || v.Value != value {
					t.Errorf("%s %s = TZID %q, %q; want TZID %q, %q", e.Id(), p, tzid, v.Value, w.tzid, value)
				}
			}
			start, err := e.GetStartAt()
			if r := byUID[e.Id()]; err != nil || !start.Equal(r.StartsAt) {
				t.Errorf("%s starts at %v (%v), want the instant %v", e.Id(), start, err, r.StartsAt)
			}
			delete(want, e.Id())
		}
		if len(want) != 0 {
			t.Errorf("missing events %v", want)
		}
	})
	t.Run("OneVTimezonePerZone", func(t *testing.T) {
		got := map[string][]string{}
		for _, tz := range cal.Timezones() {
			id := tz.GetProperty(ics.ComponentPropertyTzid).Value
			for _, c := range tz.Components {
				var b ics.ComponentBase
				kind := ""
				switch c := c.(type) {
				case *ics.Standard:
					b, kind = c.ComponentBase, "STANDARD"
				case *ics.Daylight:
					b, kind = c.ComponentBase, "DAYLIGHT"
				}
				got[id] = append(got[id], kind+" "+b.GetProperty(ics.ComponentPropertyDtStart).Value+" "+
					b.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value+"→"+
					b.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value+" "+
					b.GetProperty(ics.ComponentProperty(ics.PropertyTzname)).Value)
			}
		}
		want := map[string][]string{
			"America/Los_Angeles": {"DAYLIGHT 20260308T020000 -0800→-0700 PDT", "STANDARD 20261101T020000 -0700→-0800 PST"},
			"America/New_York":    {"STANDARD 20261101T020000 -0400→-0500 EST"},
		}
		if len(got) != len(want) {
			t.Errorf("VTIMEZONEs %v, want %v", got, want)
		}
		for id, w := range want {
			if len(got[id]) != len(w) {
				t.Errorf("%s: %q, want %q", id, got[id], w)
				continue
			}
			for i := range w {
				if got[id][i] != w[i] {
					t.Errorf("%s observance %d = %q, want %q", id, i, got[id][i], w[i])
				}
			}
		}
	})
	t.Run("ZonesBeforeEvents", func(t *testing.T) {
		tz, ev := bytes.Index(f.Data, []byte("BEGIN:VTIMEZONE")), bytes.Index(f.Data, []byte("BEGIN:VEVENT"))
		if tz < 0 || ev < 0 || tz > ev {
			t.Errorf("VTIMEZONE at %d, first VEVENT at %d: a zone must be defined before the events using it", tz, ev)
		}
	})
}

func TestICSOffset(t *testing.T) {
	t.Parallel()
	for sec, want := range map[int]string{0: "+0000", -8 * 3600: "-0800", 5*3600 + 1800: "+0530", 12*3600 + 45*60: "+1245", -(17*60 + 30): "-001730"} {
		if got := icsOffset(sec); got != want {
			t.Errorf("icsOffset(%d) = %q, want %q", sec, got, want)
		}
	}
}
