package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseWhen(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	ok := []struct {
		name, in, want string // want in RFC 3339, local
		ambiguous      bool
	}{
		{"OK24h", "2026-05-01 14:30", "2026-05-01T14:30:00-07:00", false},
		{"OKpm", "2026-05-01 2:30pm", "2026-05-01T14:30:00-07:00", false},
		{"OKSpacedAMDots", "2026-05-01 9:05 a.m.", "2026-05-01T09:05:00-07:00", false},
		{"OKHourOnlyPM", "2026-05-01 2PM", "2026-05-01T14:00:00-07:00", false},
		{"OKMidnightAM", "2026-05-01 12:15am", "2026-05-01T00:15:00-07:00", false},
		{"OKNoonPM", "2026-05-01 12:00pm", "2026-05-01T12:00:00-07:00", false},
		{"OKWinter", "2026-12-01 18:00", "2026-12-01T18:00:00-08:00", false},
		{"OKFallBackPicksEarlier", "2026-11-01 01:30", "2026-11-01T01:30:00-07:00", true},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseWhen(c.in, la)
			if err != nil {
				t.Fatalf("ParseWhen(%q): %v", c.in, err)
			}
			if s := got.Time.Format(time.RFC3339); s != c.want || got.Ambiguous != c.ambiguous {
				t.Fatalf("got %s ambiguous=%v, want %s ambiguous=%v", s, got.Ambiguous, c.want, c.ambiguous)
			}
		})
	}
	bad := []struct{ name, in, wantMsg string }{
		{"ErrImpossibleDate", "2026-02-30 10:00", "February 2026 has 28 days"},
		{"ErrMonth", "2026-13-01 10:00", "month 13"},
		{"ErrHour", "2026-05-01 24:00", "not a time of day"},
		{"ErrMinute", "2026-05-01 10:60", "not a time of day"},
		{"ErrPMHour", "2026-05-01 13:00pm", "12-hour clock"},
		{"ErrWords", "next tuesday", "not a date and time"},
		{"ErrUSDate", "05/01/2026 10:00", "not a date and time"},
		{"ErrNoMinutes", "2026-05-01 10", "no minutes"},
		{"ErrSpringForwardGap", "2026-03-08 02:30", "does not exist in America/Los_Angeles"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseWhen(c.in, la)
			if errCode(err) != EInvalid || !strings.Contains(errMessage(err), c.wantMsg) {
				t.Fatalf("ParseWhen(%q) = %v, want invalid with %q", c.in, err, c.wantMsg)
			}
			if !strings.Contains(errMessage(err), "`when`") {
				t.Errorf("message %q does not name the field", errMessage(err))
			}
		})
	}
}

func TestParseRallyDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"2h": 2 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2 hours": 2 * time.Hour, "45 min": 45 * time.Minute} {
		if got, err := ParseRallyDuration(in); err != nil || got != want {
			t.Errorf("ParseRallyDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"10m", "25h", "forever", "-2h", ""} {
		if _, err := ParseRallyDuration(in); errCode(err) != EInvalid {
			t.Errorf("ParseRallyDuration(%q) = %v, want invalid", in, err)
		}
	}
}

// FuzzParseWhen: whatever is typed, the parser never panics, and what it
// accepts shows exactly the wall time that was written.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-05-01 14:30", "2026-05-01 2:30pm", "2026-02-30 10:00", "2026-03-08 02:30",
		"2026-11-01 01:30", "2026-05-01 12:00am", "0000-00-00 00:00", "9999-12-31 23:59", "2026-5-1 9:05 P.M.", "2026-05-01T14:30"} {
		f.Add(s, uint8(0))
	}
	f.Add("2026-10-04 02:15", uint8(3)) // Lord Howe moves by 30 minutes
	f.Add("2026-03-29 01:30", uint8(2))
	// Zones from a fixed list: a fuzzed zone name would make LoadLocation
	// read arbitrary files.
	zones := []string{"America/Los_Angeles", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "America/Sao_Paulo"}
	f.Fuzz(func(t *testing.T, s string, zone uint8) {
		loc := mustZone(t, zones[int(zone)%len(zones)])
		got, err := ParseWhen(s, loc)
		if err != nil {
			if errCode(err) != EInvalid {
				t.Fatalf("ParseWhen(%q) error %v is not a user error", s, err)
			}
			return
		}
		m := whenPattern.FindStringSubmatch(strings.TrimSpace(s))
		if m == nil {
			t.Fatalf("accepted %q which does not match the pattern", s)
		}
		if got.Time.Location() != loc {
			t.Fatalf("time not in the chapter's zone")
		}
		atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
		minute := 0
		if m[5] != "" {
			minute = atoi(m[5])
		}
		if got.Time.Year() != atoi(m[1]) || int(got.Time.Month()) != atoi(m[2]) || got.Time.Day() != atoi(m[3]) || got.Time.Minute() != minute {
			t.Fatalf("ParseWhen(%q) = %v: not the wall time written", s, got.Time)
		}
		if got.Time.Second() != 0 {
			t.Fatalf("seconds set: %v", got.Time)
		}
	})
}

var escapedChar = regexp.MustCompile(`\\.`)

func TestEscape(t *testing.T) {
	for _, in := range []string{"@everyone come!", "[click](https://evil.example)", "<@&123> <@456>", "**bold** `code` ||spoiler||", "# Heading"} {
		out := escapedChar.ReplaceAllString(escape(in), "_")
		for _, bad := range []string{"@everyone", "](", "<@", "**", "# "} {
			if strings.Contains(in, bad) && strings.Contains(out, bad) {
				t.Errorf("escape(%q) = %q still contains %q", in, out, bad)
			}
		}
	}
}

func TestListEmbedsSplitsWithinLimits(t *testing.T) {
	var lines []string
	for i := 0; i < 400; i++ {
		lines = append(lines, strings.Repeat("x", 90)+" line")
	}
	msgs := listEmbeds("Title", lines, 0)
	total := 0
	for _, m := range msgs {
		if len(m) > 10 {
			t.Fatalf("message with %d embeds", len(m))
		}
		size := 0
		for _, e := range m {
			if len([]rune(e.Description)) > 4096 {
				t.Fatalf("description of %d characters", len([]rune(e.Description)))
			}
			size += len([]rune(e.Title)) + len([]rune(e.Description))
			total += strings.Count(e.Description, " line")
		}
		if size > 6000 {
			t.Fatalf("message of %d characters", size)
		}
	}
	if total != 400 {
		t.Fatalf("%d of 400 lines made it", total)
	}
	if len(msgs) < 2 {
		t.Fatalf("expected the list to be split across messages, got %d", len(msgs))
	}
}

func TestChunkLinesNeverCuts(t *testing.T) {
	long := strings.Repeat("a", 9000)
	lines := []string{"first", long, "last"}
	chunks := chunkLines(lines, 3900)
	joined := strings.ReplaceAll(strings.Join(chunks, ""), "\n", "")
	if joined != "first"+long+"last" {
		t.Fatalf("chunks lost text: got %d characters, want %d", len(joined), len("first"+long+"last"))
	}
	for _, c := range chunks {
		if n := len([]rune(c)); n > 3900 {
			t.Fatalf("chunk of %d characters", n)
		}
	}
}

// errCode is the code of the refusal err stands for, or "internal".
func errCode(err error) string {
	if e := userError(err); e != nil {
		return e.Code
	}
	return "internal"
}

// errMessage is the sentence the member reads for err.
func errMessage(err error) string {
	if e := userError(err); e != nil {
		return e.Message
	}
	return English.T(internalMessage)
}
