package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"rallybot/discordtest"
)

// TestRefusalClipsEcho: a refusal quoting what the member typed stays within
// Discord's 2,000 characters however long the input (within the option's
// max_length), and quotes a clipped value rather than all of it.
func TestRefusalClipsEcho(t *testing.T) {
	h := actHarness(t)
	var names []string
	for n, size := 0, 0; ; n++ {
		name := fmt.Sprintf("**%d", n)
		if size+len(name)+1 > 1000 {
			break
		}
		names = append(names, name)
		size += len(name) + 1
	}
	r := h.cmd(coord, coordChannel, "action create", actCreateOpts(discordtest.Str("chapters", strings.Join(names, ",")))...)
	mustContain(t, r, true, "Nothing was created.")
	if n := len([]rune(r.Text())); n > 2000 {
		t.Errorf("refusal is %d characters, over Discord's 2,000", n)
	}

	long := strings.Repeat("@x", 50) // 100 characters, the option's max_length
	r = h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("chapter", long))...)
	mustContain(t, r, true, "There is no chapter called")
	if n := strings.Count(r.Text(), "x"); n >= 50 {
		t.Errorf("refusal echoes all %d characters of the input: %q", len(long), r.Text())
	}
}
