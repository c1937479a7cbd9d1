package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Recurring rallies. A series is made whole at once, each occurrence a rally
// of its own; only the next one is announced, and each later one when the
// ones before it are over (ended or cancelled), by the reminder sweep, so
// the chapter's channel carries one open announcement at a time.

// seriesOptions are /rally create's `repeat` and `occurrences`.
func seriesOptions() []*discordgo.ApplicationCommandOption {
	lo, hi := float64(store.MinOccurrences), float64(store.MaxOccurrences)
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "repeat", Description: "Make it recurring: each occurrence is a rally of its own, announced when the one before ends",
			Choices: []*discordgo.ApplicationCommandOptionChoice{
				{Name: "Weekly", Value: string(store.RepeatWeekly)},
				{Name: "Every 2 weeks", Value: string(store.RepeatEvery2Weeks)},
				{Name: "Monthly", Value: string(store.RepeatMonthly)},
			}},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "occurrences", Description: "How many rallies the series holds, the first included (2 to 26; with repeat)",
			MinValue: &lo, MaxValue: hi},
	}
}

// seriesCancelOption is /rally cancel's `series`.
func seriesCancelOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "series",
		Description: "Also cancel every later rally of its series"}
}

// repeatWords names a repeat in a sentence: "a weekly series".
func repeatWords(l Lang, r store.Repeat) string { return l.T("repeat_" + string(r)) }

// seriesPlace says where a rally stands in its series, or "".
func seriesPlace(l Lang, r store.Rally) string {
	if !r.Series.InSeries() {
		return ""
	}
	return l.T("series_place", "Index", r.Series.Index, "Count", r.Series.Count, "Repeat", repeatWords(l, r.Series.Repeat))
}

// readSeries reads `repeat` and `occurrences`: both or neither.
func readSeries(in *Input) (store.Repeat, int, error) {
	n, hasCount, err := in.int("occurrences")
	if err != nil {
		return "", 0, err
	}
	repeat := store.Repeat(in.str("repeat"))
	switch {
	case repeat == "" && !hasCount:
		return "", 0, nil
	case repeat == "":
		return "", 0, invalid("err_occurrences_needs_repeat")
	case !repeat.Valid():
		return "", 0, invalid("err_repeat_option", "Choices", choiceNames(string(store.RepeatWeekly), string(store.RepeatEvery2Weeks), string(store.RepeatMonthly)))
	case !hasCount:
		return "", 0, invalid("err_repeat_needs_occurrences", "Min", store.MinOccurrences, "Max", store.MaxOccurrences)
	case n < store.MinOccurrences || n > store.MaxOccurrences:
		return "", 0, invalid("err_occurrences_range", "Min", store.MinOccurrences, "Max", store.MaxOccurrences)
	}
	return repeat, int(n), nil
}

// occurrence is one start of a series and, when it is not the plain
// repetition of the first, the sentences saying why.
type occurrence struct {
	start time.Time
	notes []perLang
}

// note is the occurrence's notes in l, "" for none.
func (o occurrence) note(l Lang) string {
	parts := make([]string, len(o.notes))
	for i, n := range o.notes {
		parts[i] = n(l)
	}
	return strings.Join(parts, "; ")
}

// seriesStarts lays out n starts from first, each at the same wall-clock
// time in loc, so a daylight-saving change in between keeps 18:00 at 18:00.
// A monthly date a month lacks (the 31st in April) moves to the month's last
// day; a wall time the clocks skip moves forward by the jump (02:30 becomes
// 03:30); one that happens twice is the first of the two. Each move is
// noted.
func seriesStarts(first time.Time, loc *time.Location, repeat store.Repeat, n int) []occurrence {
	first = first.In(loc)
	y, m, d := first.Date()
	hh, mm := first.Hour(), first.Minute()
	out := []occurrence{{start: first}}
	for k := 1; k < n; k++ {
		var date time.Time
		var notes []perLang
		switch repeat {
		case store.RepeatWeekly, store.RepeatEvery2Weeks:
			step := 7
			if repeat == store.RepeatEvery2Weeks {
				step = 14
			}
			date = time.Date(y, m, d+k*step, 0, 0, 0, 0, time.UTC)
		case store.RepeatMonthly:
			month := time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
			day := d
			if last := daysIn(month.Year(), month.Month()); day > last {
				month, want, last := month, d, last
				notes = append(notes, func(l Lang) string {
					return l.T("series_note_short_month", "Month", l.T("month_long_"+strconv.Itoa(int(month.Month()))), "Year", month.Year(),
						"Day", ordinal(l, want), "Last", ordinal(l, last))
				})
				day = last
			}
			date = time.Date(month.Year(), month.Month(), day, 0, 0, 0, 0, time.UTC)
		}
		start, skipped, twice := wallTime(date.Year(), date.Month(), date.Day(), hh, mm, loc)
		switch {
		case skipped:
			date, start := date, start
			notes = append(notes, func(l Lang) string {
				return l.T("series_note_skipped", "Time", l.clock(time.Date(0, 1, 1, hh, mm, 0, 0, time.UTC)), "Date", l.dateTime(date, dateOnly),
					"Start", l.zoneClock(start))
			})
		case twice:
			date, start := date, start
			notes = append(notes, func(l Lang) string {
				return l.T("series_note_twice", "Time", l.clock(time.Date(0, 1, 1, hh, mm, 0, 0, time.UTC)), "Date", l.dateTime(date, dateOnly),
					"Zone", describeZone(start))
			})
		}
		out = append(out, occurrence{start: start, notes: notes})
	}
	return out
}

// wallTime is the instant of a wall-clock time in loc. A time the clocks
// skip is read with the offset in force before the jump, which lands as far
// past the jump as it was into it; of a time that happens twice, the first.
func wallTime(y int, mo time.Month, d, hh, mm int, loc *time.Location) (t time.Time, skipped, twice bool) {
	p, err := ParseWhen(fmt.Sprintf("%04d-%02d-%02d %02d:%02d", y, mo, d, hh, mm), loc)
	if err == nil {
		return p.Time, false, p.Ambiguous
	}
	_, before := time.Date(y, mo, d, hh, mm, 0, 0, loc).Add(-6 * time.Hour).Zone()
	return time.Date(y, mo, d, hh, mm, 0, 0, time.UTC).Add(-time.Duration(before) * time.Second).In(loc), true, false
}

// ordinal is a day of the month as l writes it: "31st", "31".
func ordinal(l Lang, n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return l.T("ordinal_"+suffix, "N", n)
}

// rallyCreateSeries stores the series, announces its first rally, and says
// when each of the others comes.
func (a *App) rallyCreateSeries(ctx context.Context, in *Input, n store.NewRally, first ParsedWhen, repeat store.Repeat, count int) (*Response, error) {
	ch := in.Chapter
	occs := seriesStarts(first.Time, location(ch.TimeZone), repeat, count)
	s := store.NewSeries{Rally: n, Repeat: repeat}
	for _, o := range occs {
		s.Starts = append(s.Starts, o.start.UTC())
	}
	// Every occurrence's announcement is owed with the series: the first's
	// now, in the chapter's channel.
	s.Rally.AnnounceChannelID = ch.ChannelID
	rallies, err := a.db.CreateSeries(ctx, s, a.cfg.ReminderOffsets)
	if err != nil {
		return nil, err
	}
	r := rallies[0]
	p, ok, err := a.db.PostOf(ctx, "announce:"+strconv.FormatInt(r.ID, 10))
	if err == nil && !ok {
		err = fmt.Errorf("the announcement of rally %d is not owed", r.ID)
	}
	if err != nil {
		return nil, err
	}
	// Without its first announcement nobody can RSVP: the series is taken back.
	msg, err := a.announceNow(ctx, in, p, func(ctx context.Context) error { return a.db.DeleteSeries(ctx, in.GuildID, r.Series.ID) })
	if err != nil {
		return nil, err
	}
	a.log.Info("rally series created", "guild", in.GuildID, "series", r.Series.ID, "rallies", len(rallies), "repeat", string(repeat))
	l := in.Lang
	note := a.mirror(ctx, l, r.ID)
	lines := []string{l.T("series_scheduled", "Title", escape(r.Title), "Repeat", repeatWords(l, repeat), "Count", len(rallies), "ID", r.ID,
		"When", zonedTime(l, r.StartsAt, r.TimeZone), "Link", messageLink(in.GuildID, msg.ChannelID, msg.ID))}
	if first.Ambiguous {
		lines = append(lines, strings.TrimPrefix(l.T("rally_ambiguous_time", "Time", l.clock(first.Time), "Zone", describeZone(first.Time)), "\n"))
	}
	loc := location(ch.TimeZone)
	for i, o := range rallies[1:] {
		local := o.StartsAt.In(loc)
		line := fmt.Sprintf("• #%d %s (%s)", o.ID, l.dateTime(local, dateLong), local.Format("MST"))
		if n := occs[i+1].note(l); n != "" {
			line += l.T("series_line_note", "Note", n)
		}
		lines = append(lines, line)
	}
	return ephemeral(truncate(strings.Join(lines, "\n"), 1800) + note), nil
}

// rallyCancelSeries cancels the rally and the rest of its series: each is
// cancelled as a single rally is (announcement, DMs, scheduled event), and
// the channel is told of them all in one notice, owed by the cancel.
func (a *App) rallyCancelSeries(ctx context.Context, in *Input, reason string) (*Response, error) {
	r := in.Rally
	cancelled, err := a.db.CancelSeries(ctx, in.GuildID, r.ID, reason, func(cancelled []store.Rally) store.Notice {
		first := cancelled[0]
		return rallyNotice(first, func(l Lang) string {
			s := l.T("series_cancelled_notice", "Repeat", repeatWords(l, first.Series.Repeat), "Title", escape(first.Title), "Count", len(cancelled),
				"When", zonedTime(l, first.StartsAt, first.TimeZone))
			if reason != "" {
				s += l.T("cancelled_reason", "Reason", escape(reason))
			}
			return s
		})
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("rally series cancelled", "guild", in.GuildID, "series", r.Series.ID, "from", r.ID, "rallies", len(cancelled))
	ids, names := make([]int64, len(cancelled)), make([]string, len(cancelled))
	for i, c := range cancelled {
		ids[i], names[i] = c.ID, fmt.Sprintf("#%d", c.ID)
	}
	notes := []string{a.sendRallyPostsNow(ctx, in.Lang, in.Now, ids...)}
	for _, c := range cancelled {
		notes = append(notes, a.cancelled(ctx, in.Lang, c))
	}
	first := cancelled[0]
	return ephemeral(in.Lang.T("series_cancelled", "Title", escape(first.Title), "Count", len(cancelled), "IDs", strings.Join(names, ", ")) + strings.Join(notes, "")), nil
}
