package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// icsContentType is what calendar apps expect of an .ics attachment.
const icsContentType = "text/calendar; charset=utf-8"

// calendarMineID is the custom_id of /myrsvps' "Add to calendar" button. It
// carries nothing: the clicker's own RSVPs are looked up when it is clicked.
var calendarMineID = calendarCustomID{}.build()

// calendarSubcommand is /rally calendar.
func calendarSubcommand() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "calendar",
		Description: "An .ics file of a rally for your calendar (only you see it)",
		Options:     []*discordgo.ApplicationCommandOption{rallyOpt("Rally to add to your calendar")}}
}

// calendarButton is the row /myrsvps carries under its list.
func calendarButton(l Lang) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: l.T("button_calendar"), Style: discordgo.SecondaryButton, CustomID: calendarMineID,
			Emoji: &discordgo.ComponentEmoji{Name: "📅"}},
	}}}
}

// rallyCalendar answers /rally calendar with the rally as an .ics file.
// Everyone may: it shows what /rally info shows.
func (a *App) rallyCalendar(ctx context.Context, in *Input) (*Response, error) {
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return nil, err
	}
	c, err := a.db.CalendarRally(ctx, in.GuildID, r.ID)
	if err != nil {
		return nil, err
	}
	f, err := icsFile(in.Lang, fmt.Sprintf("rally-%d.ics", c.ID), []store.CalendarRally{c}, in.Now)
	if err != nil {
		return nil, err
	}
	note := in.Lang.T("calendar_note")
	if c.Cancelled() {
		note = in.Lang.T("calendar_note_cancelled")
	}
	return &Response{Content: in.Lang.T("calendar_one", "Title", escape(c.Title), "ID", c.ID, "Note", note), Ephemeral: true, Files: []File{f}}, nil
}

// myCalendarButton answers "Add to calendar" with every rally that has not
// ended that the member RSVPed to or holds a safety role at, as one .ics
// file: the rallies /myrsvps lists.
func (a *App) myCalendarButton(ctx context.Context, in *Input) (*Response, error) {
	mine, err := a.db.MemberCalendar(ctx, in.GuildID, in.userID(), in.Now)
	if err != nil {
		return nil, err
	}
	if len(mine) == 0 {
		return ephemeral(in.Lang.T("calendar_none")), nil
	}
	f, err := icsFile(in.Lang, "my-rallies.ics", mine, in.Now)
	if err != nil {
		return nil, err
	}
	return &Response{Content: in.Lang.T("calendar_mine", "Count", len(mine)), Ephemeral: true, Files: []File{f}}, nil
}

// rallyUID is a rally's iCalendar UID: the same for every file the rally is
// ever exported in, so importing again updates the entry instead of adding one.
func rallyUID(guildID string, rallyID int64) string {
	return fmt.Sprintf("rally-%d@%s.rallybot", rallyID, guildID)
}

// icsFile renders rallies as an RFC 5545 calendar. Times carry their zone:
// DTSTART and DTEND are the chapter's wall clock with TZID=<IANA zone>, and
// the file holds that zone as a VTIMEZONE, so a calendar shows "18:00
// Seattle time" and keeps the rally there if it is moved to another zone's
// view; the description says it in words too.
func icsFile(l Lang, name string, rallies []store.CalendarRally, now time.Time) (File, error) {
	cal := ics.NewCalendar()
	cal.SetProductId("-//rallybot//Rallies//EN")
	cal.SetMethod(ics.MethodPublish)
	if zone := commonZone(rallies); zone != "" {
		cal.SetXWRTimezone(zone) // a display hint some calendars use
	}
	zones := addTimezones(cal, rallies)
	for _, r := range rallies {
		e := cal.AddEvent(rallyUID(r.GuildID, r.ID))
		e.SetDtStampTime(now.UTC())
		e.SetSequence(r.Sequence)
		setTimes(e, r.StartsAt, r.EndsAt, r.TimeZone, zones[r.TimeZone])
		e.SetSummary(icsText(r.Title))
		if r.Location != "" {
			e.SetLocation(icsText(place(l, r.Rally)))
		}
		e.SetDescription(icsText(icsDescription(l, r.Rally)))
		if r.MessageID != "" {
			e.SetURL(messageLink(r.GuildID, r.ChannelID, r.MessageID))
		}
		if r.Cancelled() {
			e.SetStatus(ics.ObjectStatusCancelled)
		} else {
			e.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	var b strings.Builder
	// RFC 5545 lines end in CRLF; the library defaults to LF.
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return File{}, fmt.Errorf("render calendar: %w", err)
	}
	return File{Name: name, ContentType: icsContentType, Data: []byte(b.String())}, nil
}

// icsLineBreaks turns every line break into LF, which the library writes
// as the escape \n. It escapes LF only: a CR (details typed with CRLF)
// would be written as it is, a bare CR inside a content line, which RFC
// 5545 forbids and strict calendar apps reject or cut the line at.
var icsLineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// icsText is s as a TEXT value the library can escape whole.
func icsText(s string) string { return icsLineBreaks.Replace(s) }

const (
	icsLocalTime = "20060102T150405"
	icsUTCTime   = "20060102T150405Z"
)

// setTimes writes DTSTART and DTEND as the wall clock of zone (TZID) when
// the file defines the zone, else in UTC. A time in the hour a fall-back
// change repeats puts both in UTC: RFC 5545 reads such a wall clock as its
// first occurrence, which would put a rally at the second one an hour early.
func setTimes(e *ics.VEvent, start, end time.Time, zone string, loc *time.Location) {
	if loc == nil || repeatedWallClock(start.In(loc)) || repeatedWallClock(end.In(loc)) {
		e.SetProperty(ics.ComponentPropertyDtStart, start.UTC().Format(icsUTCTime))
		e.SetProperty(ics.ComponentPropertyDtEnd, end.UTC().Format(icsUTCTime))
		return
	}
	e.SetProperty(ics.ComponentPropertyDtStart, start.In(loc).Format(icsLocalTime), ics.WithTZID(zone))
	e.SetProperty(ics.ComponentPropertyDtEnd, end.In(loc).Format(icsLocalTime), ics.WithTZID(zone))
}

// repeatedWallClock reports whether t's wall clock was also shown earlier,
// under the offset before a change that set clocks back.
func repeatedWallClock(t time.Time) bool {
	begun, _ := t.ZoneBounds()
	if begun.IsZero() {
		return false
	}
	_, before := begun.Add(-time.Second).Zone()
	_, offset := t.Zone()
	return before > offset && t.Sub(begun) < time.Duration(before-offset)*time.Second
}

// addTimezones adds a VTIMEZONE for each zone the rallies are in, before
// their events, and returns the zones it defined. Each holds one observance
// (STANDARD or DAYLIGHT) per offset in force from its first rally's start
// to its last one's end, read from Go's zone data: the onset, the offsets
// before and after, the abbreviation. A zone Go cannot load is left out; its
// rallies are written in UTC.
func addTimezones(cal *ics.Calendar, rallies []store.CalendarRally) map[string]*time.Location {
	type span struct {
		loc         *time.Location
		first, last time.Time
	}
	spans := map[string]*span{}
	var names []string
	for _, r := range rallies {
		if sp, ok := spans[r.TimeZone]; ok {
			if sp != nil {
				sp.first, sp.last = minTime(sp.first, r.StartsAt), maxTime(sp.last, r.EndsAt)
			}
			continue
		}
		loc, err := time.LoadLocation(r.TimeZone)
		if err != nil || r.TimeZone == "" {
			spans[r.TimeZone] = nil
			continue
		}
		spans[r.TimeZone] = &span{loc: loc, first: r.StartsAt, last: maxTime(r.StartsAt, r.EndsAt)}
		names = append(names, r.TimeZone)
	}
	zones := map[string]*time.Location{}
	for _, name := range names {
		sp := spans[name]
		tz := cal.AddTimezone(name)
		for at := sp.first.In(sp.loc); ; {
			begun, ends := at.ZoneBounds()
			tz.Components = append(tz.Components, observance(at, begun))
			if ends.IsZero() || ends.After(sp.last) {
				break
			}
			at = ends
		}
		zones[name] = sp.loc
	}
	return zones
}

// observance is the STANDARD or DAYLIGHT block for the offset in force at
// t, which began at begun (zero: since the zone's records begin, written as
// 1970 with no change of offset).
func observance(t, begun time.Time) ics.Component {
	abbrev, offset := t.Zone()
	from, onset := offset, "19700101T000000"
	if !begun.IsZero() {
		_, from = begun.Add(-time.Second).Zone()
		// The onset is the wall clock just before the change, as RFC 5545
		// wants it: 02:00 for a change at 2 a.m. either way.
		onset = begun.In(time.FixedZone("", from)).Format(icsLocalTime)
	}
	base := ics.ComponentBase{}
	base.SetProperty(ics.ComponentPropertyDtStart, onset)
	base.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), icsOffset(from))
	base.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), icsOffset(offset))
	base.SetProperty(ics.ComponentProperty(ics.PropertyTzname), abbrev)
	if t.IsDST() {
		return &ics.Daylight{ComponentBase: base}
	}
	return &ics.Standard{ComponentBase: base}
}

// icsOffset writes a UTC offset in seconds as RFC 5545's UTC-OFFSET: ±HHMM,
// or ±HHMMSS when it has seconds (some zones' early history).
func icsOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	h, m, s := seconds/3600, seconds/60%60, seconds%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func icsDescription(l Lang, r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	lines := []string{l.T("ics_description", "Chapter", r.ChapterName, "When", l.dateTime(local, dateLong), "Zone", describeZone(local))}
	if r.Cancelled() {
		line := l.T("ics_cancelled")
		if r.CancelReason != "" {
			line += l.T("cancelled_reason", "Reason", unmaskLinks(r.CancelReason))
		}
		lines = append(lines, line)
	}
	if r.Details != "" {
		lines = append(lines, unmaskLinks(r.Details))
	}
	return strings.Join(lines, "\n")
}

// commonZone is the zone all the rallies share, or "".
func commonZone(rallies []store.CalendarRally) string {
	zone := ""
	for i, r := range rallies {
		if i > 0 && r.TimeZone != zone {
			return ""
		}
		zone = r.TimeZone
	}
	return zone
}
