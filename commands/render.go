package commands

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
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

// optionList names command options as the member typed them, in code, so a
// reply in Spanish does not read "location, capacity" as English words.
func optionList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return strings.Join(out, ", ")
}

// escapeFit is escape(s) in at most max characters: s is cut, with "…",
// before it is escaped, so that no escape is split.
func escapeFit(s string, max int) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	n := 0
	for i, c := range s {
		w := utf8.RuneCountInString(escape(string(c)))
		if n+w > max-1 {
			return escape(s[:i]) + "…"
		}
		n += w
	}
	return e
}

// NoMentions is the allowed_mentions of every message the bot sends.
func NoMentions() *discordgo.MessageAllowedMentions { return discord.NoMentions() }

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

// localTime is the rally's time in its chapter's zone, written in l, and in
// each reader's own.
func localTime(l Lang, r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	return fmt.Sprintf("%s (%s)\n%s · %s", l.dateTime(local, dateLong), describeZone(local),
		timestamp(r.StartsAt, "F"), timestamp(r.StartsAt, "R"))
}

func counts(l Lang, r store.Rally) string {
	s := l.T("counts_going", "Count", r.GoingTotal())
	if n := r.Staffing.Filled(); n > 0 {
		s += l.T("counts_in_roles", "Count", n)
	}
	s += l.T("counts_maybe", "Count", r.Maybe)
	if r.OverCapacity() {
		// Capacity lowered below those with a seat: nobody was moved.
		s += l.T("counts_over_capacity", "Count", r.Going, "Going", r.Going, "Capacity", r.Capacity)
	} else if r.Capacity > 0 {
		s += l.T("counts_seats", "Going", r.Going, "Capacity", r.Capacity)
	}
	if r.Capacity > 0 && r.Waitlist > 0 {
		s += l.T("counts_waitlisted", "Count", r.Waitlist)
	}
	return s
}

// announcementIn is the announcement of a rally in langs, one embed each.
// A channel gets it through App.publicAnnouncement, which says when a
// private place will be shared.
func announcementIn(langs []Lang, r store.Rally) ([]*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	embeds := make([]*discordgo.MessageEmbed, len(langs))
	for i, l := range langs {
		embeds[i] = announcementEmbed(l, r)
	}
	fitDetails(embeds, r)
	return embeds, withVolunteerButton(langs, rsvpButtons(langs, r.ID, r.Cancelled()), r)
}

// maxEmbedsChars is Discord's limit on the characters of all of a message's
// embeds together.
const maxEmbedsChars = 6000

// embedChars counts an embed's characters as Discord does towards
// maxEmbedsChars.
func embedChars(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

// fitDetails cuts the details of a rally's announcement embeds (one per
// language) so that together they fit one message: a bilingual
// announcement of the longest texts, escaped, passes 6000 characters, and
// Discord refuses it. /rally info shows the details whole.
func fitDetails(embeds []*discordgo.MessageEmbed, r store.Rally) {
	total := 0
	for _, e := range embeds {
		total += embedChars(e)
	}
	if total <= maxEmbedsChars {
		return
	}
	share := maxEmbedsChars / len(embeds)
	for _, e := range embeds {
		if over := embedChars(e) - share; over > 0 && e.Description != "" {
			e.Description = escapeFit(r.Details, utf8.RuneCountInString(e.Description)-over)
		}
	}
}

func announcementEmbed(l Lang, r store.Rally) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:       truncate(escape(r.Title), 256),
		Description: truncate(escape(r.Details), 4096),
		Color:       colorScheduled,
		Fields: []*discordgo.MessageEmbedField{
			{Name: l.T("field_chapter"), Value: truncate(escape(r.ChapterName), 1024), Inline: true},
			{Name: l.T("field_when"), Value: localTime(l, r)},
			{Name: l.T("field_where"), Value: truncate(escape(place(l, r)), 1024)},
			{Name: l.T("field_rsvps"), Value: counts(l, r)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: l.T("announcement_footer", "ID", r.ID)},
	}
	if r.Cancelled() {
		e.Title = truncate(l.T("cancelled_title", "Title", e.Title), 256)
		e.Color = colorCancelled
		reason := l.T("cancelled_text")
		if r.CancelReason != "" {
			reason += l.T("cancelled_reason", "Reason", escape(r.CancelReason))
		}
		e.Fields = append([]*discordgo.MessageEmbedField{{Name: l.T("field_cancelled"), Value: truncate(reason, 1024)}}, e.Fields...)
	}
	if r.Approval {
		e.Fields[3].Value += "\n" + l.T("approval_note")
	}
	if f := staffingField(l, r); f != nil {
		e.Fields = append(e.Fields, f)
	}
	if place := seriesPlace(l, r); place != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: l.T("field_series"), Value: place, Inline: true})
	}
	if r.HighRisk {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: l.T("field_high_risk"), Value: l.T("high_risk_notice")})
	}
	return e
}

// place is where the rally meets as anyone may see it.
func place(l Lang, r store.Rally) string {
	if r.PrivateLocation && r.Location != "" {
		return l.T("place_private") // the reveal time is added where known (App.publicAnnouncement)
	}
	return meetingPlace(l, r)
}

// meetingPlace is the rally's place itself, private or not: in l while a
// day-of-action rally waits for its lead to set one (its Location is then a
// marker, not words to show).
func meetingPlace(l Lang, r store.Rally) string {
	switch r.Location {
	case placeToBeAnnounced:
		return l.T("place_tba")
	case "":
		// Deleted after the rally (high-risk end, or retention).
		return l.T("place_deleted")
	}
	return r.Location
}

// label is a button's label in each language of a post.
func label(langs []Lang, id string) string {
	return inLangs(langs, " / ", func(l Lang) string { return l.T(id) })
}

func rsvpButtons(langs []Lang, rallyID int64, disabled bool) []discordgo.MessageComponent {
	var id rsvpCustomID
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: label(langs, "button_going"), Style: discordgo.SuccessButton, CustomID: id.build(store.Going, rallyID), Disabled: disabled},
		discordgo.Button{Label: label(langs, "button_maybe"), Style: discordgo.SecondaryButton, CustomID: id.build(store.Maybe, rallyID), Disabled: disabled},
		discordgo.Button{Label: label(langs, "button_not_going"), Style: discordgo.DangerButton, CustomID: id.build(store.NotGoing, rallyID), Disabled: disabled},
	}}}
}

// rallyLine is one rally in a list.
func rallyLine(l Lang, r store.Rally) string {
	local := r.StartsAt.In(location(r.TimeZone))
	// The chapter's own time and zone, then the reader's own (Discord
	// renders <t:…:F> in each reader's zone and language).
	return fmt.Sprintf("**#%d %s** — %s\n%s (%s) · %s · %s · %s\n%s",
		r.ID, escape(truncate(r.Title, 100)), escape(r.ChapterName),
		l.dateTime(local, dateShort), local.Format("MST"), timestamp(r.StartsAt, "F"), timestamp(r.StartsAt, "R"),
		escape(truncate(place(l, r), 80)), counts(l, r)) + seriesSuffix(l, r)
}

// seriesSuffix is " · 1 of 6 in a weekly series" for a rally in a series.
func seriesSuffix(l Lang, r store.Rally) string {
	if place := seriesPlace(l, r); place != "" {
		return " · " + place
	}
	return ""
}

func messageLink(guildID, channelID, messageID string) string {
	return "https://discord.com/channels/" + guildID + "/" + channelID + "/" + messageID
}

// statusWords says where a member stands in plain words.
func statusWords(l Lang, status store.RSVPStatus, position int) string {
	switch status {
	case store.Going:
		return l.T("status_going")
	case store.Maybe:
		return l.T("status_maybe")
	case store.Waitlist:
		return l.T("status_waitlist", "Position", position)
	case store.Requested:
		return l.T("status_requested")
	default:
		return l.T("status_not_going")
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
