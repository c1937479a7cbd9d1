package sandbox

import (
	"html/template"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

func TestCheckLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "localhost:0", "[::1]:8080"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	for _, addr := range []string{":8080", "0.0.0.0:8080", "192.168.1.2:80", "example.com:80", "8080"} {
		if err := checkLoopback(addr); err == nil {
			t.Errorf("%s: accepted, want refused", addr)
		}
	}
}

func TestMarkdown(t *testing.T) {
	fake := discordtest.New(t, discordtest.Config{Token: Token})
	fake.AddGuild(guild())
	clock := NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := newServer(Config{Discord: fake, Clock: clock})
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).Unix()
	for _, tc := range []struct{ in, want string }{
		{"**Rally** at <b>noon</b>", "<strong>Rally</strong> at &lt;b&gt;noon&lt;/b&gt;"},
		{`Rally for \*\*fair\*\* housing`, "Rally for **fair** housing"},
		{"<@930000000000000001> in <#910000000000000001> for <@&920000000000000001>",
			`<span class="mention">@Avery</span> in <span class="mention">#seattle</span> for <span class="mention">@Seattle leads</span>`},
		{"`/rsvp`\nline", "<code>/rsvp</code><br>line"},
		{"[announcement](https://discord.com/channels/1/2/3)", "announcement"},
		{"<t:" + itoa(start) + ":R>", `<time datetime="2026-11-26T12:00:00Z">in 3 days</time>`},
		{"Place: ~~Westlake~~ → **City Hall**\n-# Rally #3 · reminder", `Place: <s>Westlake</s> → <strong>City Hall</strong><br><small class="subtext">Rally #3 · reminder</small>`},
		{"-# first line\nsecond -# line", `<small class="subtext">first line</small><br>second -# line`},
	} {
		if got := s.markdown(tc.in, members[0]); got != template.HTML(tc.want) {
			t.Errorf("markdown(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	mateo, _ := memberByKey("volunteer-4")
	if got, want := s.markdown("<t:"+itoa(start)+":R>", mateo), template.HTML(`<time datetime="2026-11-26T12:00:00Z">en 3 días</time>`); got != want {
		t.Errorf("relative time for a Spanish reader: got %s, want %s", got, want)
	}
}

func TestCancelledRallyHasNoReminder(t *testing.T) {
	e := &discordgo.MessageEmbed{Fields: []*discordgo.MessageEmbedField{{Name: "Cancelled", Value: "rain"}, {Name: "When", Value: "<t:1795905000:F>"}}}
	if !cancelled(e) {
		t.Error("a cancelled announcement is not seen as cancelled")
	}
	// A chapter posting in Spanish names it so (one posting in both has an
	// embed in each language).
	for _, name := range []string{"Cancelada"} {
		if es := (&discordgo.MessageEmbed{Fields: []*discordgo.MessageEmbedField{{Name: name, Value: "lluvia"}}}); !cancelled(es) {
			t.Errorf("an announcement with a %q field is not seen as cancelled", name)
		}
	}
	e.Fields = e.Fields[1:]
	if cancelled(e) {
		t.Error("an announcement is seen as cancelled")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRelative(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "in a few seconds"},
		{-80 * time.Second, "a minute ago"},
		{30 * time.Minute, "in 30 minutes"},
		{100 * time.Minute, "in 2 hours"},
		{24*time.Hour - time.Second, "in a day"},
		{2*time.Hour - time.Second, "in 2 hours"},
		{-3 * 24 * time.Hour, "3 days ago"},
	} {
		if got := relative(c.d, false); got != c.want {
			t.Errorf("relative(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "en unos segundos"},
		{-80 * time.Second, "hace un minuto"},
		{30 * time.Minute, "en 30 minutos"},
		{24*time.Hour - time.Second, "en un día"},
		{-3 * 24 * time.Hour, "hace 3 días"},
	} {
		if got := relative(c.d, true); got != c.want {
			t.Errorf("relative(%v) in Spanish = %q, want %q", c.d, got, c.want)
		}
	}
}

type daily struct{ hour int }

func (d daily) Next(t time.Time) time.Time {
	n := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !n.After(t) {
		n = n.AddDate(0, 0, 1)
	}
	return n
}

// TestSkippedSummaryIsSaid: a clock move well past a summary's time (the bot
// posts one only within its grace) says so on the page; a move that lands on
// it, or stays within the grace, says nothing.
func TestSkippedSummaryIsSaid(t *testing.T) {
	s := newServer(Config{Summary: daily{13}, SummaryGrace: time.Hour, Clock: NewClock(time.Time{})})
	from := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if note := s.skippedSummaries(from, from.Add(24*time.Hour)); !strings.Contains(note, "jumped past the daily summary") {
		t.Errorf("a day's jump over a 13:00 summary: %q", note)
	}
	if note := s.skippedSummaries(from, from.Add(72*time.Hour)); !strings.Contains(note, "3 daily summaries") {
		t.Errorf("three days' jump: %q", note)
	}
	if note := s.skippedSummaries(from, time.Date(2026, 12, 7, 13, 0, 1, 0, time.UTC)); note != "" {
		t.Errorf("landing on the summary: %q", note)
	}
	if note := s.skippedSummaries(from, from.Add(time.Hour)); note != "" {
		t.Errorf("an hour before the summary: %q", note)
	}
}
