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

// The part of Discord's markdown the bot writes: bold, code,
// backslash escapes, mentions, timestamps and masked links. Links are shown
// as text: the sandbox leads nowhere beyond this machine.
var mdToken = regexp.MustCompile(`\\([^\w\s])` + // 1 escaped character
	`|\*\*(.+?)\*\*` + // 2 bold
	"|`([^`]+)`" + // 3 code
	`|<@!?(\d+)>|<@&(\d+)>|<#(\d+)>` + // 4 user, 5 role, 6 channel
	`|<t:(-?\d+)(?::([tTdDfFR]))?>` + // 7 unix seconds, 8 style
	`|\[([^\]]+)\]\(<?\S+?>?\)`) // 9 masked link text

func (s *server) markdown(text string) template.HTML {
	var b strings.Builder
	s.writeMarkdown(&b, text)
	return template.HTML(strings.ReplaceAll(b.String(), "\n", "<br>"))
}

func (s *server) writeMarkdown(b *strings.Builder, text string) {
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
			s.writeMarkdown(b, g)
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
			b.WriteString(`<time datetime="` + t.UTC().Format(time.RFC3339) + `">` + html.EscapeString(s.timestamp(t, style)) + "</time>")
		} else if g, ok := group(9); ok {
			s.writeMarkdown(b, g)
		}
	}
	b.WriteString(html.EscapeString(text[last:]))
}

// timestamp renders <t:…:style> in the viewer's zone, as Discord's client
// does; "R" is relative to the bot's clock, so moving it shows.
func (s *server) timestamp(t time.Time, style string) string {
	t = t.Local()
	switch style {
	case "t":
		return t.Format("15:04")
	case "T":
		return t.Format("15:04:05")
	case "d":
		return t.Format("01/02/2006")
	case "D":
		return t.Format("January 2, 2006")
	case "F":
		return t.Format("Monday, January 2, 2006 15:04 MST")
	case "R":
		return relative(t.Sub(s.clock.Now()))
	}
	return t.Format("January 2, 2006 15:04 MST")
}

// relative words d as Discord's client does: rounded to the nearest unit,
// so a reminder sent a moment after T−24h reads "in a day", not "in 23
// hours".
func relative(d time.Duration) string {
	past := d < 0
	if past {
		d = -d
	}
	round := func(unit time.Duration) int { return int((d + unit/2) / unit) }
	var phrase string
	switch {
	case round(time.Second) < 45:
		phrase = "a few seconds"
	case round(time.Minute) < 2:
		phrase = "a minute"
	case round(time.Minute) < 45:
		phrase = fmt.Sprintf("%d minutes", round(time.Minute))
	case round(time.Hour) < 2:
		phrase = "an hour"
	case round(time.Hour) < 22:
		phrase = fmt.Sprintf("%d hours", round(time.Hour))
	case round(24*time.Hour) < 2:
		phrase = "a day"
	default:
		phrase = fmt.Sprintf("%d days", round(24*time.Hour))
	}
	if past {
		return phrase + " ago"
	}
	return "in " + phrase
}
