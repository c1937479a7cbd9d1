package commands

import (
	"testing"
	"time"

	"rallybot/store"
)

// TestPlainMessagesAsTemplates: T fills a message of text and placeholders
// itself; for every such message in both catalogues, and values of every
// kind the code passes, it writes exactly what the catalogue's template
// writes.
func TestPlainMessagesAsTemplates(t *testing.T) {
	values := []any{"Rally for <fair> housing & *more*", 3, 0, -12, int64(1 << 40), 2.5, store.Going, time.Duration(90) * time.Minute, true, nil}
	checked := 0
	for _, l := range Langs {
		if len(catalog.plain[l]) < 100 {
			t.Fatalf("%s: only %d plain messages; the fast path is not taken", l, len(catalog.plain[l]))
		}
		for id, p := range catalog.plain[l] {
			for i, v := range values {
				var kv []any
				for j, k := range p.keys {
					kv = append(kv, k, values[(i+j)%len(values)])
				}
				if i == 0 && len(p.keys) > 0 {
					kv = kv[:len(kv)-2] // one placeholder with no value
				}
				kv = append(kv, "Count", v) // as a plural caller would
				if got, want := p.fill(kv), l.localize(id, kv...); got != want {
					t.Errorf("%s %s with %v:\n got %q\nwant %q", l, id, kv, got, want)
				}
				checked++
			}
		}
	}
	if got, want := English.T("no_such_message_id"), "no_such_message_id"; got != want {
		t.Errorf("a missing message: %q, want its id", got)
	}
	t.Logf("%d renderings compared", checked)
}

// The catalogue's plural messages still go through the templates.
func TestPluralMessagesNotPlain(t *testing.T) {
	for _, l := range Langs {
		if p := catalog.plain[l]["forget_done"]; p != nil {
			t.Errorf("%s forget_done has plural forms but is filled as plain text", l)
		}
		for _, n := range []int{1, 2} {
			if got := l.T("forget_done", "Count", n); got == "forget_done" || got == "" {
				t.Errorf("%s forget_done %d: %q", l, n, got)
			}
		}
	}
}
