package bot_test

import (
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestHighRiskRallyLeavesOnlyCounts is a high-risk rally from announcement
// to end: no scheduled event, no check-in, and when it ends no member id in
// any table of the file (read straight from SQLite, every column of every
// table) nor in its -wal file, the DMs sent for it (reminders, the place)
// deleted on Discord, and the rally left with its title, time and counts.
func TestHighRiskRallyLeavesOnlyCounts(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally(discordtest.Str("title", "Vigil at the field office"), discordtest.Bool("private_location", true),
		discordtest.Bool("high_risk", true), discordtest.Int("capacity", 2), discordtest.Int("medics", 1))
	if text := messageText(ann); !strings.Contains(text, "High-risk action: only counts are kept; everything else is deleted when it ends.") {
		t.Errorf("the announcement does not say what is kept: %q", text)
	}
	for _, e := range h.fake.ScheduledEvents(guildID) {
		t.Errorf("a high-risk rally was mirrored as a scheduled event: %q", e.Name)
	}

	going := discordtest.Member{UserID: member(1).UserID, Permissions: volunteer.Permissions, Locale: "es-419"}
	second, waiting, maybe, medic := member(2), member(3), member(4), member(5)
	members := []discordtest.Member{going, second, waiting, maybe, medic}
	mustContain(t, h.click(going, seattleChannel, ann.ID, "rsvp:going:"+id), true)
	mustContain(t, h.click(second, seattleChannel, ann.ID, "rsvp:going:"+id), true, "going")
	mustContain(t, h.click(waiting, seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	mustContain(t, h.click(maybe, seattleChannel, ann.ID, "rsvp:maybe:"+id), true, "maybe")
	mustContain(t, h.cmd(medic, seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going"), discordtest.Str("role", "medic")), true)

	// The day before, the reminders; two hours before, the place and the
	// last reminder: all by DM.
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	h.runJobs()
	h.clock.Set(time.Date(2026, 11, 28, 20, 31, 0, 0, time.UTC))
	h.runJobs()
	sent := map[string]int{}
	for _, m := range members {
		sent[m.UserID] = len(h.fake.DMs(m.UserID))
	}
	if sent[going.UserID] < 2 || sent[medic.UserID] < 2 || len(h.noticeDMs(second, "The meeting place")) != 1 {
		t.Fatalf("DMs sent %v; the test wants reminders and the place by DM", sent)
	}
	// An edit that keeps it high-risk mirrors nothing either.
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("details", "Bring a candle")), true)
	if n := len(h.fake.ScheduledEvents(guildID)); n != 0 {
		t.Errorf("%d scheduled events after an edit of a high-risk rally", n)
	}

	t.Run("NoCheckIn", func(t *testing.T) {
		h.clock.Set(time.Date(2026, 11, 28, 22, 40, 0, 0, time.UTC)) // under way
		h.runJobs()
		for _, b := range buttons(h.fake.Message(seattleChannel, ann.ID)) {
			if strings.HasPrefix(b.CustomID, "checkin:") {
				t.Errorf("the announcement of a high-risk rally has a check-in button")
			}
		}
		r := h.cmd(going, seattleChannel, "checkin", discordtest.Str("rally", id))
		mustContain(t, r, true, "alto riesgo", "no hay registro de llegada")
		r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: second}, ann.ID, "checkin:"+id)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r, true, "high-risk action", "no check-in")
		if n := h.privacyCount(`SELECT COUNT(*) FROM checkins`); n != 0 {
			t.Errorf("%d check-ins recorded at a high-risk rally", n)
		}
	})

	var before []string
	for _, m := range members {
		before = append(before, h.privacyHolders(m.UserID)...)
	}
	if len(before) < 5 {
		t.Fatalf("member ids found only in %v before the end; the test cannot tell anything", before)
	}

	h.clock.Set(time.Date(2026, 11, 29, 0, 31, 0, 0, time.UTC)) // a minute past its end
	h.runJobs()

	for _, m := range members {
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Errorf("member %s is still in %v after the high-risk rally ended", m.UserID, got)
		}
		for _, f := range []string{h.dbPath + "-wal", h.dbPath} {
			if fileHas(t, f, m.UserID) {
				t.Errorf("%s still holds member %s", f, m.UserID)
			}
		}
		if n := len(h.fake.DMs(m.UserID)); n != 0 {
			t.Errorf("member %s still has %d of the bot's DMs about the rally on Discord", m.UserID, n)
		}
		if got := len(h.fake.DeletedDMs(m.UserID)); got != sent[m.UserID] {
			t.Errorf("member %s: %d DMs deleted, want the %d sent", m.UserID, got, sent[m.UserID])
		}
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`); n != 0 {
		t.Errorf("%d DM deletions still owed", n)
	}
	var kept int
	db := h.privacyRaw()
	var title, place, details string
	var startsAt int64
	if err := db.QueryRow(`SELECT title, location, details, starts_at, going_count + maybe_count + waitlist_count FROM rallies WHERE id = ?`, id).
		Scan(&title, &place, &details, &startsAt, &kept); err != nil {
		t.Fatal(err)
	}
	// Two going, one waiting, one maybe; the medic is counted by role.
	if title != "Vigil at the field office" || startsAt != time.Date(2026, 11, 28, 22, 30, 0, 0, time.UTC).Unix() || kept != 4 {
		t.Errorf("rally kept title %q, start %d, counts %d; want its title, time and 4 counted", title, startsAt, kept)
	}
	if n := h.privacyCount(`SELECT filled FROM rally_roles WHERE rally_id = ? AND role = 'medic'`, id); n != 1 {
		t.Errorf("medics filled = %d after the end, want the count of 1 kept", n)
	}
	if place != "" || details != "" {
		t.Errorf("place %q and details %q kept after a high-risk rally ended", place, details)
	}
	eventually(t, 5*time.Second, "the announcement shows the place deleted", func() bool {
		return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "deleted after the rally")
	})
}

// TestChapterHighRiskDefault: /chapter setup high_risk:on makes the
// chapter's new rallies and day-of-action rallies high-risk unless the
// option says otherwise; a forged value is refused with a sentence.
func TestChapterHighRiskDefault(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("high_risk", "on"))
	mustContain(t, r, true, "high-risk by default")
	r = h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("high_risk", "always"))
	mustContain(t, r, true, "`high_risk` must be on or off")
	_, ann := h.createRally(discordtest.Str("title", "By default"))
	if !strings.Contains(messageText(ann), "High-risk action") {
		t.Errorf("a rally of a high-risk chapter is not high-risk: %q", messageText(ann))
	}
	plainID, plain := h.createRally(discordtest.Str("title", "Not this one"), discordtest.Bool("high_risk", false))
	if strings.Contains(messageText(plain), "High-risk action") {
		t.Errorf("high_risk:false did not override the chapter's default")
	}
	eventually(t, 5*time.Second, "the plain rally is mirrored", func() bool { return eventNamed(h, "Not this one") != nil })
	if eventNamed(h, "By default") != nil {
		t.Errorf("the high-risk rally was mirrored as a scheduled event")
	}
	// Turned on by an edit, the event already made goes.
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", plainID), discordtest.Bool("high_risk", true)), true)
	eventually(t, 5*time.Second, "the event of a rally made high-risk is deleted", func() bool { return eventNamed(h, "Not this one") == nil })
	h.schedSetupCoordinators()
	_, act := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	if !strings.Contains(act.Text(), "Seattle") {
		t.Fatalf("action create: %q", act.Text())
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM rallies r JOIN chapters c ON c.id = r.chapter_id WHERE r.action_id IS NOT NULL AND r.high_risk = (c.name = 'Seattle')`); n != 2 {
		t.Errorf("%d of the action's 2 rallies follow their chapter's default", n)
	}
}
