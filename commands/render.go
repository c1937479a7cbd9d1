package commands

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Embed colours.
const (
	colorScheduled = 0x2E8B57
	colorCancelled = 0x808080
	colorReminder  = 0xE8A317
)

// escaper backslash-escapes every character Discord markdown gives meaning
// to, so user text cannot forge a link, a mention, a heading or formatting.
var escaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `~`, `\~`, `|`, `\|`, `>`, `\>`, `<`, `\<`,
	`[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `#`, `\#`, `-`, `\-`, `@`, "@\u200b", `:`, `\:`,
)

// escape makes user text safe to show as markdown.
func escape(s string) string { return escaper.Replace(s) }

// NoMentions is the allowed_mentions of every message the bot sends: nothing
// in the text pings anyone (users may still be listed as mentions, which
// render as names).
func NoMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func timestamp(t time.Time, style string) string {
	return "<t:" + strconv.FormatInt(t.Unix(), 10) + ":" + style + ">"
}

func location(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// zoneCache keeps the zones already loaded: time.LoadLocation reads and
// parses the zone file on every call, which a summary of a thousand rallies
// would do a thousand times.
type zoneCache struct{ zones sync.Map } // zone name → *time.Location

func (z *zoneCache) location(tz string) *time.Location {
	if loc, ok := z.zones.Load(tz); ok {
		return loc.(*time.Location)
	}
	loc := location(tz)
	z.zones.Store(tz, loc)
	return loc
}

// localTime is the rally's time in its chapter's zone and in each reader's own.
func localTime(r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	return fmt.Sprintf("%s (%s)\n%s · %s", local.Format("Mon Jan 2, 2006 3:04 PM"), describeZone(local),
		timestamp(r.StartsAt, "F"), timestamp(r.StartsAt, "R"))
}

func counts(r store.Rally) string {
	s := fmt.Sprintf("✅ %d going", r.GoingTotal())
	if n := r.Staffing.Filled(); n > 0 {
		s += fmt.Sprintf(" (%d in safety roles)", n)
	}
	s += fmt.Sprintf(" · ❔ %d maybe", r.Maybe)
	if r.OverCapacity() {
		// Capacity lowered below those with a seat: nobody was moved.
		s += fmt.Sprintf(" · ⚠️ over capacity: %d going · capacity %d", r.Going, r.Capacity)
	} else if r.Capacity > 0 {
		s += fmt.Sprintf(" · %d/%d seats taken", r.Going, r.Capacity)
	}
	if r.Capacity > 0 && r.Waitlist > 0 {
		s += fmt.Sprintf(" · %d waitlisted", r.Waitlist)
	}
	return s
}

// announcement renders the message that announces a rally.
func announcement(r store.Rally) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	e := &discordgo.MessageEmbed{
		Title:       truncate(escape(r.Title), 256),
		Description: truncate(escape(r.Details), 4096),
		Color:       colorScheduled,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Chapter", Value: truncate(escape(r.ChapterName), 1024), Inline: true},
			{Name: "When", Value: localTime(r)},
			{Name: "Where", Value: truncate(escape(r.Location), 1024)},
			{Name: "RSVPs", Value: counts(r)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Rally #%d · RSVP below; only the chapter's leads see who is coming.", r.ID)},
	}
	if r.Cancelled() {
		e.Title = truncate("CANCELLED: "+e.Title, 256)
		e.Color = colorCancelled
		reason := "This rally has been cancelled."
		if r.CancelReason != "" {
			reason += " Reason: " + escape(r.CancelReason)
		}
		e.Fields = append([]*discordgo.MessageEmbedField{{Name: "Cancelled", Value: truncate(reason, 1024)}}, e.Fields...)
	}
	if f := staffingField(r); f != nil {
		e.Fields = append(e.Fields, f)
	}
	if place := seriesPlace(r); place != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Series", Value: place, Inline: true})
	}
	return e, withVolunteerButton(rsvpButtons(r.ID, r.Cancelled()), r)
}

func rsvpButtons(rallyID int64, disabled bool) []discordgo.MessageComponent {
	var id rsvpCustomID
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Going", Style: discordgo.SuccessButton, CustomID: id.build(store.Going, rallyID), Disabled: disabled},
		discordgo.Button{Label: "Maybe", Style: discordgo.SecondaryButton, CustomID: id.build(store.Maybe, rallyID), Disabled: disabled},
		discordgo.Button{Label: "Can't go", Style: discordgo.DangerButton, CustomID: id.build(store.NotGoing, rallyID), Disabled: disabled},
	}}}
}

// rallyLine is one rally in a list.
func rallyLine(r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	return fmt.Sprintf("**#%d %s** — %s\n%s (%s) · %s · %s\n%s",
		r.ID, escape(truncate(r.Title, 100)), escape(r.ChapterName),
		local.Format("Jan 2 3:04 PM"), local.Format("MST"), timestamp(r.StartsAt, "R"),
		escape(truncate(r.Location, 80)), counts(r)) + seriesSuffix(r)
}

// seriesSuffix is " · 1 of 6 in a weekly series" for a rally in a series.
func seriesSuffix(r store.Rally) string {
	if place := seriesPlace(r); place != "" {
		return " · " + place
	}
	return ""
}

func messageLink(guildID, channelID, messageID string) string {
	return "https://discord.com/channels/" + guildID + "/" + channelID + "/" + messageID
}

// statusWords says where a member stands in plain words.
func statusWords(status store.RSVPStatus, position int) string {
	switch status {
	case store.Going:
		return "you're **going**"
	case store.Maybe:
		return "you're a **maybe**"
	case store.Waitlist:
		return fmt.Sprintf("the rally is full, so you're **#%d on the waitlist**; you'll get a DM if a seat frees up", position)
	default:
		return "you're marked as **not going**"
	}
}

// chunkLines packs lines into pieces no longer than max characters, never
// splitting a line that fits; a longer line is split across pieces, never cut.
func chunkLines(lines []string, max int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0 // in characters (runes), as Discord counts
	flush := func() {
		if curLen > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, l := range lines {
		n := utf8.RuneCountInString(l)
		for n > max {
			flush()
			cut := runeOffset(l, max)
			out = append(out, l[:cut])
			l, n = l[cut:], n-max
		}
		if curLen > 0 && curLen+1+n > max {
			flush()
		}
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(l)
		curLen += n
	}
	flush()
	return out
}

// runeOffset is the byte offset of the n-th character of s.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// listEmbeds spreads lines over as many embeds as they need, within Discord's
// limits (4096 characters a description, 6000 a message, 10 embeds), so a long
// list is split, never cut. Each returned slice is one message's embeds.
func listEmbeds(title string, lines []string, color int) [][]*discordgo.MessageEmbed {
	chunks := chunkLines(lines, 3900)
	var msgs [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for i, c := range chunks {
		t := title
		if len(chunks) > 1 {
			t = fmt.Sprintf("%s (%d/%d)", title, i+1, len(chunks))
		}
		n := utf8.RuneCountInString(t) + utf8.RuneCountInString(c)
		if len(cur) == 10 || (len(cur) > 0 && size+n > 5800) {
			msgs = append(msgs, cur)
			cur, size = nil, 0
		}
		cur = append(cur, &discordgo.MessageEmbed{Title: t, Description: c, Color: color})
		size += n
	}
	if len(cur) > 0 {
		msgs = append(msgs, cur)
	}
	return msgs
}
