package bot_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// dmDeletes counts the deletes of a DM Discord was asked for.
func (h *harness) dmDeletes(m *discordgo.Message) int {
	n := 0
	for _, q := range h.fake.Requests() {
		if q.Method == http.MethodDelete && q.Path == "/channels/"+m.ChannelID+"/messages/"+m.ID {
			n++
		}
	}
	return n
}

// TestDMOpsOwedBeforeTheMigrationAreSentOnce: a bot stopped while it owed,
// in the layout before migration 0080, a DM's deletion (dm_deletions) and
// an ended rally's DM end edit (member_dms' end_edit columns), starts on the
// new version: the migration moves both into the outbox, and the outbox
// sends each once, and never again.
func TestDMOpsOwedBeforeTheMigrationAreSentOnce(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	going, forgotten := member(1), member(2)
	ann := h.actAnnouncement(seattleChannel, id)
	h.noticeRSVP(going, ann, id, "going")
	h.noticeRSVP(forgotten, ann, id, "going")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	edited, deleted := h.noticeDMs(going, "Reminder"), h.noticeDMs(forgotten, "Reminder")
	if len(edited) != 1 || len(deleted) != 1 {
		t.Fatalf("day-before DMs: %d and %d, want 1 each", len(edited), len(deleted))
	}
	h.stop()

	// Back to the layout before 0080, with what it owed there: the second
	// member's DM owed a deletion (their record gone, as forget-me leaves
	// it), the first's owed its end edit (one try made).
	h.execStopped(
		`ALTER TABLE member_dms ADD COLUMN end_edit INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE member_dms ADD COLUMN end_edit_attempts INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE member_dms ADD COLUMN end_edit_next INTEGER NOT NULL DEFAULT 0`,
		`CREATE INDEX member_dms_end_edit ON member_dms(rally_id) WHERE buttons = 1 AND end_edit = 0 AND message_id IS NOT NULL`,
		`DROP INDEX member_dms_message`,
		`CREATE TABLE dm_deletions (id INTEGER PRIMARY KEY AUTOINCREMENT, channel_id TEXT NOT NULL, message_id TEXT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0, next_try_at INTEGER NOT NULL DEFAULT 0, UNIQUE (channel_id, message_id))`,
		fmt.Sprintf(`INSERT INTO dm_deletions (channel_id, message_id) VALUES ('%s', '%s')`, deleted[0].ChannelID, deleted[0].ID),
		fmt.Sprintf(`DELETE FROM member_dms WHERE user_id = '%s'`, forgotten.UserID),
		`UPDATE member_dms SET end_edit_attempts = 1 WHERE buttons = 1`,
		`DELETE FROM channel_posts WHERE kind IN ('dm_delete', 'dm_end_edit')`,
		`DELETE FROM migrations WHERE name = '0080_dm_ops_outbox.sql'`,
	)

	// Past the rally's end, on the new version.
	h.clock.Set(at.Add(2*time.Hour + time.Minute))
	h.start()
	h.runJobs()
	h.runJobs()
	b := buttons(h.fake.Message(edited[0].ChannelID, edited[0].ID))
	if len(b) != 1 || !b[0].Disabled {
		t.Errorf("the DM owed its end edit before the migration: %+v, want its buttons put out", b)
	}
	if len(h.fake.DMs(forgotten.UserID)) != 0 {
		t.Error("the DM owed its deletion before the migration is still on Discord")
	}
	h.clock.Add(time.Hour)
	h.runJobs()
	h.runJobs()
	if n := h.dmEdits(edited[0], 0); n != 1 {
		t.Errorf("the DM was edited %d times, want once", n)
	}
	if n := h.dmDeletes(deleted[0]); n != 1 {
		t.Errorf("the DM was deleted %d times, want once", n)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind IN ('dm_delete', 'dm_end_edit') AND state = 'pending'`); n != 0 {
		t.Errorf("%d DM operations still owed", n)
	}
}
