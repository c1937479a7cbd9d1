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

// myCalendarButton answers "Add to calendar" with every rally the member
// RSVPed to that has not ended, as one .ics file.
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

// icsFile renders rallies as an RFC 5545 calendar. Times are UTC instants,
// which every calendar reads the same way; the description gives the
// chapter's local time and zone for people.
func icsFile(l Lang, name string, rallies []store.CalendarRally, now time.Time) (File, error) {
	cal := ics.NewCalendar()
	cal.SetProductId("-//rallybot//Rallies//EN")
	cal.SetMethod(ics.MethodPublish)
	if zone := commonZone(rallies); zone != "" {
		cal.SetXWRTimezone(zone) // a display hint some calendars use
	}
	for _, r := range rallies {
		e := cal.AddEvent(rallyUID(r.GuildID, r.ID))
		e.SetDtStampTime(now.UTC())
		e.SetSequence(r.Sequence)
		e.SetStartAt(r.StartsAt.UTC())
		e.SetEndAt(r.EndsAt.UTC())
		e.SetSummary(r.Title)
		if r.Location != "" {
			e.SetLocation(place(l, r.Rally))
		}
		e.SetDescription(icsDescription(l, r.Rally))
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

func icsDescription(l Lang, r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	lines := []string{l.T("ics_description", "Chapter", r.ChapterName, "When", l.dateTime(local, dateLong), "Zone", describeZone(local))}
	if r.Cancelled() {
		line := l.T("ics_cancelled")
		if r.CancelReason != "" {
			line += l.T("cancelled_reason", "Reason", r.CancelReason)
		}
		lines = append(lines, line)
	}
	if r.Details != "" {
		lines = append(lines, r.Details)
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
