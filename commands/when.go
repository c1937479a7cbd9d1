package commands

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var whenPattern = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T)(\d{1,2})(?::(\d{2}))?\s*([aApP]\.?[mM]\.?)?$`)

// whenHelp ends every refusal of `when`: how to write it.
// Callers that know the clock date its examples after now (withWhenExample).
var whenHelp = perLang(func(l Lang) string { return l.T("when_help", "Date", exampleDate(time.Now(), time.UTC)) })

// ParsedWhen is a chapter-local wall-clock time resolved to an instant.
type ParsedWhen struct {
	Time time.Time // in the chapter's location
	// Ambiguous is set when the wall time happens twice (clocks fall back):
	// the earlier instant is chosen, and the reply shows its offset.
	Ambiguous bool
}

// ParseWhen reads a rally time written in the chapter's local time:
// "2026-05-01 14:30", "2026-05-01 2:30pm", "2026-05-01 2pm". Dates that do
// not exist (2026-02-30) and local times skipped by a daylight-saving jump are
// errors; a time that happens twice resolves to the first.
func ParseWhen(s string, loc *time.Location) (ParsedWhen, error) {
	s = strings.TrimSpace(s)
	m := whenPattern.FindStringSubmatch(s)
	if m == nil {
		return ParsedWhen{}, invalid("err_when_unreadable", "When", echo(s), "Help", whenHelp)
	}
	year, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	hour, _ := strconv.Atoi(m[4])
	minute := 0
	if m[5] != "" {
		minute, _ = strconv.Atoi(m[5])
	} else if m[6] == "" {
		return ParsedWhen{}, invalid("err_when_no_minutes", "When", echo(s), "Help", whenHelp)
	}
	if ampm := strings.ToLower(strings.ReplaceAll(m[6], ".", "")); ampm != "" {
		if hour < 1 || hour > 12 {
			return ParsedWhen{}, invalid("err_when_hour", "Hour", hour, "Help", whenHelp)
		}
		hour %= 12
		if ampm == "pm" {
			hour += 12
		}
	}
	if month < 1 || month > 12 {
		return ParsedWhen{}, invalid("err_when_month", "Month", month, "Help", whenHelp)
	}
	if days := daysIn(year, time.Month(month)); day < 1 || day > days {
		return ParsedWhen{}, invalid("err_when_day", "Month", perLang(func(l Lang) string { return l.T("month_long_" + strconv.Itoa(month)) }),
			"Year", year, "Days", days, "Day", day, "Help", whenHelp)
	}
	if hour > 23 || minute > 59 {
		return ParsedWhen{}, invalid("err_when_time", "Time", fmt.Sprintf("%02d:%02d", hour, minute), "Help", whenHelp)
	}
	// time.Date quietly moves a wall time that does not exist (spring forward)
	// and picks either instant of one that happens twice (fall back), so look
	// at every instant near it that shows this exact wall time.
	guess := time.Date(year, time.Month(month), day, hour, minute, 0, 0, loc)
	var matches []time.Time
	for d := -3 * time.Hour; d <= 3*time.Hour; d += 15 * time.Minute {
		t := guess.Add(d)
		if y, mo, dd := t.Date(); y == year && int(mo) == month && dd == day && t.Hour() == hour && t.Minute() == minute {
			matches = append(matches, t)
		}
	}
	if len(matches) == 0 {
		return ParsedWhen{}, invalid("err_when_gap", "When", fmt.Sprintf("%04d-%02d-%02d %02d:%02d", year, month, day, hour, minute), "Zone", loc.String())
	}
	return ParsedWhen{Time: matches[0], Ambiguous: len(matches) > 1}, nil
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ParseRallyDuration reads a rally's length: a Go duration such as 2h or 1h30m
// (also "90 min", "2 hours"), from 15 minutes to 24 hours.
func ParseRallyDuration(s string) (time.Duration, error) {
	norm := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	for _, r := range []struct{ from, to string }{{"hours", "h"}, {"hour", "h"}, {"hrs", "h"}, {"hr", "h"}, {"minutes", "m"}, {"minute", "m"}, {"mins", "m"}, {"min", "m"}} {
		norm = strings.ReplaceAll(norm, r.from, r.to)
	}
	d, err := time.ParseDuration(norm)
	if err != nil {
		return 0, invalid("err_duration_unreadable", "Duration", echo(s))
	}
	if d < 15*time.Minute || d > 24*time.Hour {
		return 0, invalid("err_duration_range", "Duration", d.String())
	}
	return d, nil
}

// describeZone says which zone and offset a time is shown in, e.g. "PDT, UTC-07:00".
func describeZone(t time.Time) string {
	name, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s, UTC%s%02d:%02d", name, sign, off/3600, off%3600/60)
}
