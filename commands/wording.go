package commands

import (
	"errors"
	"strings"
	"sync"
	"time"

	"rallybot/store"
)

// clock is t's time of day as l writes it: "6:00 PM" in English, "6:00
// p. m." in Spanish (CLDR es-US, the 12-hour clock US Latino readers use).
// The layout and the day-half words are catalogue messages, so no time of
// day in text is formatted outside the catalogue.
func (l Lang) clock(t time.Time) string {
	w := clockWordsOf(l)
	s := t.Format(w.layout)
	if t.Hour() < 12 {
		return strings.Replace(s, "AM", w.am, 1)
	}
	return strings.Replace(s, "PM", w.pm, 1)
}

// clockWords are a language's time layout and day-half words, read from the
// catalogue once: a summary writes a clock per rally, and rendering three
// messages (and building a replacer) for each was most of its allocations.
type clockWords struct{ layout, am, pm string }

var clockWordsCache sync.Map // Lang -> clockWords

func clockWordsOf(l Lang) clockWords {
	if w, ok := clockWordsCache.Load(l); ok {
		return w.(clockWords)
	}
	w := clockWords{layout: l.T("time_layout"), am: l.T("time_am"), pm: l.T("time_pm")}
	clockWordsCache.Store(l, w)
	return w
}

// clockOf is clock for a stored "HH:MM" wall time (a day of action's start);
// anything else is shown as it is.
func (l Lang) clockOf(hhmm string) string {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return hhmm
	}
	return l.clock(t)
}

// zoneClock is clock with the zone's abbreviation: "6:00 p. m. PST".
func (l Lang) zoneClock(t time.Time) string { return l.clock(t) + " " + t.Format("MST") }

// choiceNames are the names a member sees for an option's values, as one
// list in the reader's language ("Going, Maybe or Can't go"): a refusal of a
// forged value names what the member can pick, never the raw values.
func choiceNames(values ...string) perLang {
	return func(l Lang) string {
		names := make([]string, len(values))
		for i, v := range values {
			names[i] = l.T(choiceID(v))
		}
		return orList(l, names)
	}
}

// orList joins items with commas and the language's "or". Spanish writes
// «u» before a word that starts with the sound o («Seguridad u Observación
// legal»), so the catalogue has a second form for that case.
func orList(l Lang, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	head, last := strings.Join(items[:len(items)-1], ", "), items[len(items)-1]
	id := "list_or"
	if startsWithO(last) {
		id = "list_or_before_o"
	}
	return l.T(id, "Head", head, "Last", last)
}

func startsWithO(s string) bool {
	s = strings.ToLower(strings.TrimLeft(s, "*_`«\"'¿¡ "))
	s = strings.TrimPrefix(s, "h") // «ho-» sounds as «o-»
	for _, r := range s {
		return r == 'o' || r == 'ó'
	}
	return false
}

// exampleDate is a date to show in an example: four weeks after now in loc,
// so an example is never a day that has passed.
func exampleDate(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return now.In(loc).AddDate(0, 0, 28).Format("2006-01-02")
}

// whenHelpOn is the help that ends every refusal of `when`, with examples
// on a date after now.
func whenHelpOn(now time.Time, loc *time.Location) perLang {
	date := exampleDate(now, loc)
	return func(l Lang) string { return l.T("when_help", "Date", date) }
}

// withWhenExample gives a refusal of `when` examples dated after now (the
// parser knows no clock, so it leaves them undated).
func withWhenExample(err error, now time.Time, loc *time.Location) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	data := append([]any(nil), e.Data...)
	for i := 0; i+1 < len(data); i += 2 {
		if data[i] == "Help" {
			data[i+1] = whenHelpOn(now, loc)
		}
	}
	return refusal(e.Code, e.ID, data)
}

// roleChoiceNames are the names of the `role` option's choices.
func roleChoiceNames() perLang {
	values := make([]string, len(store.Roles))
	for i, r := range store.Roles {
		values[i] = string(r)
	}
	return choiceNames(values...)
}
