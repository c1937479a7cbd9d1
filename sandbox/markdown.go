package sandbox

import (
	"fmt"
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The part of Discord's markdown the bot writes: bold, strike-through, code,
// backslash escapes, mentions, timestamps, masked links, and "-# " subtext
// lines. Links are shown as text: the sandbox leads nowhere beyond this
// machine.
var mdToken = regexp.MustCompile(`\\([^\w\s])` + // 1 escaped character
	`|\*\*(.+?)\*\*` + // 2 bold
	"|`([^`]+)`" + // 3 code
	`|<@!?(\d+)>|<@&(\d+)>|<#(\d+)>` + // 4 user, 5 role, 6 channel
	`|<t:(-?\d+)(?::([tTdDfFR]))?>` + // 7 unix seconds, 8 style
	`|\[([^\]]+)\]\(<?\S+?>?\)` + // 9 masked link text
	`|~~(.+?)~~`) // 10 strike-through

// markdown renders text as Discord's client does for the reader: Discord
// writes timestamps in the reader's language, so a member whose client is
// in Spanish reads «en 3 días» where another reads "in 3 days".
func (s *server) markdown(text string, reader member) template.HTML {
	lines := strings.Split(text, "\n")
	out := make([]string, len(lines))
	for i, line := range lines {
		var b strings.Builder
		if rest, ok := strings.CutPrefix(line, "-# "); ok {
			b.WriteString(`<small class="subtext">`)
			s.writeMarkdown(&b, rest, reader)
			b.WriteString("</small>")
		} else {
			s.writeMarkdown(&b, line, reader)
		}
		out[i] = b.String()
	}
	return template.HTML(strings.Join(out, "<br>"))
}

func (s *server) writeMarkdown(b *strings.Builder, text string, reader member) {
	last := 0
	for _, m := range mdToken.FindAllStringSubmatchIndex(text, -1) {
		group := func(i int) (string, bool) {
			if m[2*i] < 0 {
				return "", false
			}
			return text[m[2*i]:m[2*i+1]], true
		}
		b.WriteString(html.EscapeString(text[last:m[0]]))
		last = m[1]
		if g, ok := group(1); ok {
			b.WriteString(html.EscapeString(g))
		} else if g, ok := group(2); ok {
			b.WriteString("<strong>")
			s.writeMarkdown(b, g, reader)
			b.WriteString("</strong>")
		} else if g, ok := group(3); ok {
			b.WriteString("<code>" + html.EscapeString(g) + "</code>")
		} else if g, ok := group(4); ok {
			b.WriteString(`<span class="mention">` + html.EscapeString(userName(g)) + "</span>")
		} else if g, ok := group(5); ok {
			b.WriteString(`<span class="mention">` + html.EscapeString(roleName(g)) + "</span>")
		} else if g, ok := group(6); ok {
			b.WriteString(`<span class="mention">` + html.EscapeString(s.channelName(g)) + "</span>")
		} else if g, ok := group(7); ok {
			style, _ := group(8)
			sec, _ := strconv.ParseInt(g, 10, 64)
			t := time.Unix(sec, 0)
			b.WriteString(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + html.EscapeString(s.timestamp(t, style, reader.spanish())) + "</time>")
		} else if g, ok := group(9); ok {
			s.writeMarkdown(b, g, reader)
		} else if g, ok := group(10); ok {
			b.WriteString("<s>")
			s.writeMarkdown(b, g, reader)
			b.WriteString("</s>")
		}
	}
	b.WriteString(html.EscapeString(text[last:]))
}

// timestamp renders <t:…:style> in the viewer's zone and language, as
// Discord's client does; "R" is relative to the bot's clock, so moving it
// shows.
func (s *server) timestamp(t time.Time, style string, spanish bool) string {
	t = t.Local()
	if style == "R" {
		return relative(t.Sub(s.clock.Now()), spanish)
	}
	if spanish {
		return timestampES(t, style)
	}
	switch style {
	case "t":
		return t.Format("3:04 PM")
	case "T":
		return t.Format("3:04:05 PM")
	case "d":
		return t.Format("01/02/2006")
	case "D":
		return t.Format("January 2, 2006")
	case "F":
		return t.Format("Monday, January 2, 2006 3:04 PM")
	}
	return t.Format("January 2, 2006 3:04 PM")
}

var (
	weekdaysES = [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	monthsES   = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
)

// timestampES is a Discord timestamp as the client shows it in Spanish
// (es-419), on the 12-hour clock US Spanish uses.
func timestampES(t time.Time, style string) string {
	clock := func(layout string) string {
		return strings.NewReplacer("AM", "a. m.", "PM", "p. m.").Replace(t.Format(layout))
	}
	date := fmt.Sprintf("%d de %s de %d", t.Day(), monthsES[t.Month()-1], t.Year())
	switch style {
	case "t":
		return clock("3:04 PM")
	case "T":
		return clock("3:04:05 PM")
	case "d":
		return t.Format("02/01/2006")
	case "D":
		return date
	case "F":
		return weekdaysES[t.Weekday()] + ", " + date + ", " + clock("3:04 PM")
	}
	return date + ", " + clock("3:04 PM")
}

// relative words d as Discord's client does, in English or Spanish: rounded
// to the nearest unit, so a reminder sent a moment after T−24h reads "in a
// day", not "in 23 hours".
func relative(d time.Duration, spanish bool) string {
	past := d < 0
	if past {
		d = -d
	}
	round := func(unit time.Duration) int { return int((d + unit/2) / unit) }
	words := [...][2]string{
		{"a few seconds", "unos segundos"}, {"a minute", "un minuto"}, {"%d minutes", "%d minutos"},
		{"an hour", "una hora"}, {"%d hours", "%d horas"}, {"a day", "un día"}, {"%d days", "%d días"},
	}
	lang := 0
	if spanish {
		lang = 1
	}
	var phrase string
	switch {
	case round(time.Second) < 45:
		phrase = words[0][lang]
	case round(time.Minute) < 2:
		phrase = words[1][lang]
	case round(time.Minute) < 45:
		phrase = fmt.Sprintf(words[2][lang], round(time.Minute))
	case round(time.Hour) < 2:
		phrase = words[3][lang]
	case round(time.Hour) < 22:
		phrase = fmt.Sprintf(words[4][lang], round(time.Hour))
	case round(24*time.Hour) < 2:
		phrase = words[5][lang]
	default:
		phrase = fmt.Sprintf(words[6][lang], round(24*time.Hour))
	}
	switch {
	case spanish && past:
		return "hace " + phrase
	case spanish:
		return "en " + phrase
	case past:
		return phrase + " ago"
	}
	return "in " + phrase
}
