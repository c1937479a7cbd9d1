package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// A day of action whose every rally was cancelled one by one, with
// /rally cancel, is no upcoming action: /action list no longer shows it,
// with no chapter left under its title.
func TestActionListDropsActionWhoseRalliesAreAllCancelled(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	other, _ := h.actCreate(discordtest.Str("title", "Spring action"), discordtest.Str("chapters", "Seattle"))
	rallies := actRallies(t, db, id)
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies["Seattle"].ID, 10))), true, "Cancelled")
	mustContain(t, h.cmd(volunteer, seattleChannel, "action list"), false, "Holiday weekend action", "Chicago")
	mustContain(t, h.cmd(chiLead, chicagoChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies["Chicago"].ID, 10))), true, "Cancelled")
	list := h.cmd(volunteer, seattleChannel, "action list").Text()
	if strings.Contains(list, "Holiday weekend action") {
		t.Errorf("an action with every rally cancelled is still listed as upcoming: %q", list)
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "action list"), false, "Spring action", "#"+strconv.FormatInt(other, 10))
}

// Cancelling one occurrence of a series, on its own, announces the next one
// at once: members can answer for the next rally instead of waiting for the
// cancelled one's end, when nothing is left to wait for.
func TestSeriesCancelOneAnnouncesTheNext(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	rallies, _ := h.seriesCreate(db, "2026-11-26 18:00", "weekly", 3)
	if n := len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)); n != 0 {
		t.Fatalf("the second occurrence was announced with the first: %d", n)
	}
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies[0].ID, 10)),
		discordtest.Str("reason", "Hall closed")), true, "Cancelled")
	h.runJobs()
	eventually(t, 10*time.Second, "the second occurrence is announced", func() bool {
		return len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)) == 1
	})
	if n := len(h.seriesAnnouncements(seattleChannel, rallies[2].ID)); n != 0 {
		t.Errorf("the third occurrence was announced too")
	}
	h.clock.Set(rallies[0].EndsAt.Add(time.Minute))
	h.runJobs()
	if n := len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)); n != 1 {
		t.Errorf("the second occurrence announced %d times", n)
	}

	h.clock.Set(start)

	// Cancelling one in the middle: the one after it waits for the one
	// before it, still on, and no longer for the cancelled one.
	later, _ := h.seriesCreate(db, "2026-11-27 18:00", "weekly", 3)
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(later[1].ID, 10))), true, "Cancelled")
	h.runJobs()
	if n := len(h.seriesAnnouncements(seattleChannel, later[2].ID)); n != 0 {
		t.Errorf("the third occurrence was announced before the first ended")
	}
	h.clock.Set(later[0].EndsAt.Add(time.Minute))
	h.runJobs()
	eventually(t, 10*time.Second, "the third occurrence is announced when the first ends", func() bool {
		return len(h.seriesAnnouncements(seattleChannel, later[2].ID)) == 1
	})
}

// Moving a rally of a series earlier brings the next one's announcement
// with it: it is announced when the moved rally ends, not when it would
// have ended before the move.
func TestSeriesMovedEarlierAnnouncesTheNextAtItsNewEnd(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	rallies, _ := h.seriesCreate(db, "2026-11-26 18:00", "weekly", 3)
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(rallies[0].ID, 10)),
		discordtest.Str("when", "2026-11-24 18:00")), true, "Updated")
	moved, err := db.RallyByID(context.Background(), rallies[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(moved.EndsAt.Add(time.Minute))
	h.runJobs()
	eventually(t, 10*time.Second, "the second occurrence is announced when the moved first one ends", func() bool {
		return len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)) == 1
	})
	if n := len(h.seriesAnnouncements(seattleChannel, rallies[2].ID)); n != 0 {
		t.Errorf("the third occurrence was announced too")
	}
}

// /action create for every chapter says which chapters it left out for
// lacking an announcement channel, and how to bring them in, in the
// coordinator's language; a chapter with a channel and no lead role is in.
func TestActionCreateNamesChaptersLeftOut(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	mustContain(t, h.cmd(admin, coordChannel, "chapter add", discordtest.Str("name", "Portland"), discordtest.Str("timezone", "America/Los_Angeles")), true, "Portland")
	h.fake.AddChannel(guildID, discordtest.Channel{ID: "300000000000000008", Name: "phoenix"})
	mustContain(t, h.cmd(admin, coordChannel, "chapter add", discordtest.Str("name", "Phoenix"), discordtest.Str("timezone", "America/Phoenix"),
		discordtest.ChannelOpt("channel", "300000000000000008")), true, "Phoenix")
	_, r := h.actCreate()
	mustContain(t, r, true, "8 rallies", "• Phoenix: rally #", "Left out: Portland, which has no announcement channel", "`/chapter setup`")
	if strings.Contains(r.Text(), "• Portland") {
		t.Errorf("Portland got a rally: %q", r.Text())
	}
	es := coord
	es.Locale = "es-419"
	r = h.cmd(es, coordChannel, "action create", actCreateOpts(discordtest.Str("title", "Jornada"))...)
	mustContain(t, r, true, "Quedó fuera: Portland", "`/chapter setup`")
}
