package bot_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestChannelNoteClearedOnlyWhenSet: posts to a channel that works (here
// announcements and reminders) write no coordinators' note, not even to
// clear one; a channel that broke (its reminder refused, the coordinators
// told) and works again has its note cleared by its next post, once, so a
// later break is told again.
func TestChannelNoteClearedOnlyWhenSet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.schedSetupCoordinators()
	db := h.botDB.Load()
	if db == nil {
		t.Fatal("the bot's store was not handed to the test")
	}
	notes := func() int {
		return len(filter(h.fake.Messages(coordChannel), textHas("could not post a reminder")))
	}
	posted := func() int { return len(h.fake.Messages(seattleChannel)) }
	cleared := db.NotesCleared()

	// A run of successful posts: five announcements, then their reminders.
	const n = 5
	for i := 0; i < n; i++ {
		h.schedRally("Seattle", seattleChannel, "Working channel march", start.Add(30*time.Hour))
	}
	h.clock.Set(start.Add(6 * time.Hour))
	h.runJobs()
	h.runJobs()
	if got := posted(); got != 2*n {
		t.Fatalf("%d messages in the channel, want %d announcements and %d reminders", got, n, n)
	}
	if got := db.NotesCleared() - cleared; got != 0 {
		t.Errorf("%d successful posts wrote %d note clearings, want 0", 2*n, got)
	}

	// The channel refuses a reminder: the coordinators are told.
	h.schedRally("Seattle", seattleChannel, "Broken channel march", start.Add(40*time.Hour))
	h.fake.FailChannel(seattleChannel, http.StatusForbidden, discordgo.ErrCodeMissingAccess)
	h.clock.Set(start.Add(16 * time.Hour))
	h.runJobs()
	eventually(t, 10*time.Second, "the coordinators are told the channel is broken", func() bool { return notes() == 1 })

	// It works again: its next post clears the note, once.
	h.fake.FailChannel(seattleChannel, 0, 0)
	h.schedRally("Seattle", seattleChannel, "Fixed channel march", start.Add(44*time.Hour))
	if got := db.NotesCleared() - cleared; got != 1 {
		t.Errorf("the post after the fix cleared %d notes, want 1", got)
	}
	h.schedRally("Seattle", seattleChannel, "Fixed channel march", start.Add(44*time.Hour))
	if got := db.NotesCleared() - cleared; got != 1 {
		t.Errorf("after a second post %d notes cleared, want 1", got)
	}

	// Broken again: told again.
	h.fake.FailChannel(seattleChannel, http.StatusForbidden, discordgo.ErrCodeMissingAccess)
	h.clock.Set(start.Add(20 * time.Hour))
	h.runJobs()
	eventually(t, 10*time.Second, "the coordinators are told of the second break", func() bool { return notes() == 2 })
}
