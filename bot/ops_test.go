package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAllowedGuilds: with ALLOWED_GUILDS set, the bot leaves a server not in
// it, stores nothing for it, and refuses its interactions, while the allowed
// server works as before.
func TestAllowedGuilds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "ALLOWED_GUILDS", guildID)
	eventually(t, 5*time.Second, "the bot leaves the server not allowed", func() bool {
		return slices.Contains(h.fake.Left(), otherID)
	})
	if slices.Contains(h.fake.Left(), guildID) {
		t.Fatalf("the bot left its own coalition's server: %v", h.fake.Left())
	}
	if !strings.Contains(h.logs.String(), "leaving a server not in ALLOWED_GUILDS") {
		t.Error("leaving is not logged")
	}

	// An interaction that still arrives from the stranger's server (sent
	// before the leave took effect) is refused and stores nothing.
	r := h.cmd(admin, otherChannel, "chapter list")
	mustContain(t, r, true, "only its coalition's servers")

	db := h.schedDB()
	if chapters, err := db.Chapters(context.Background(), otherID); err != nil || len(chapters) != 0 {
		t.Errorf("chapters stored for the server not allowed: %d (%v)", len(chapters), err)
	}
	guilds, err := db.Guilds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range guilds {
		if g.ID == otherID {
			t.Error("the server not allowed was recorded")
		}
	}
	mustContain(t, h.cmd(admin, seattleChannel, "chapter list"), false, "Seattle")
}

// TestGuildIDImpliesAllowed: DISCORD_GUILD_ID alone limits the bot to that
// server too.
func TestGuildIDImpliesAllowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "ALLOWED_GUILDS", "")
	eventually(t, 5*time.Second, "the bot leaves the other server", func() bool {
		return slices.Contains(h.fake.Left(), otherID)
	})
}

// TestHelp: /help lists what this member may use, and nothing they would be
// refused.
func TestHelp(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	vol := h.cmd(volunteer, seattleChannel, "help")
	mustContain(t, vol, true, "`/rsvp`", "`/myrsvps`", "`/privacy forget-me`", "`/rally list`")
	for _, no := range []string{"`/rally create`", "`/chapter add`", "`/summary now`", "`/action create`"} {
		if strings.Contains(vol.Text(), no) {
			t.Errorf("a volunteer's /help offers %s", no)
		}
	}
	leadHelp := h.cmd(lead, seattleChannel, "help")
	mustContain(t, leadHelp, true, "`/rally create`", "`/rally attendees`")
	if strings.Contains(leadHelp.Text(), "`/chapter add`") {
		t.Error("a lead's /help offers /chapter add")
	}
	mustContain(t, h.cmd(admin, seattleChannel, "help"), true, "`/chapter add`", "`/setup coordinators`", "`/summary now`", "`/action create`")
}
