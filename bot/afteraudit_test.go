package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// TestSafeHomeForgedInADM: a high-risk rally forgets whom it asked "Home
// safe?" when it ends, and its own DM's buttons still answer for the day
// after. Only that DM's buttons: a member who was never asked (no role, no
// check-in), pressing a made-up "I need help" on another DM the bot sent
// them, raises no call for help in the support channel.
func TestSafeHomeForgedInADM(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil at the field office", at,
		discordtest.Int("marshals", 1), discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", true))
	// An ordinary rally the next day: its reminder is a DM of the bot's
	// that stays on Discord.
	other := h.schedRally("Seattle", seattleChannel, "Tenant union march", at.Add(24*time.Hour))
	marshal, stranger := member(1), member(2)
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true)
	mustContain(t, h.cmd(stranger, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(other)), discordtest.Str("status", "going")), true)

	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	h.clock.Add(time.Minute)
	h.runJobs()
	if n := len(h.afterDMs(marshal)); n != 1 {
		t.Fatalf("the marshal got %d safe-home DMs, want 1", n)
	}
	reminders := h.noticeDMs(stranger, "Tenant union march")
	if len(reminders) == 0 {
		t.Fatal("the other member got no reminder DM to press a button on")
	}
	if n := len(h.afterDMs(stranger)); n != 0 {
		t.Fatalf("a member who was not asked got %d safe-home DMs", n)
	}

	dm := reminders[0]
	for _, answer := range []string{"help", "safe"} {
		r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: stranger}, dm.ID,
			fmt.Sprintf("safehome:%s:%d", answer, id))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r, false, "not open for you")
	}
	if n := len(h.afterPosts(supportChannel, "I need help")); n != 0 {
		t.Errorf("a made-up press by a member never asked made %d calls for help", n)
	}
	// The marshal's own DM still answers.
	mustContain(t, h.pressHomeSafe(marshal, "help", id), false, "support team")
	if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
		t.Errorf("%d calls for help after the marshal's press, want 1", n)
	}
}

// TestSafeHomeLateListLeavesOutTheDeparted: a member who held a role and
// left the server before the rally's end is sent no "Home safe?" DM (they
// are sent nothing more); the support channel's list of those who did not
// answer leaves them out too: they were never asked, and nobody is to chase
// someone who left or was removed.
func TestSafeHomeLateListLeavesOutTheDeparted(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Night march", at, discordtest.Int("marshals", 3), discordtest.Bool("safe_home", true))
	gone, stays := member(1), member(2)
	for _, m := range []discordtest.Member{gone, stays} {
		mustContain(t, h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true)
	}
	// Gone without a word to the bot: it learns at the DM's membership check.
	h.fake.RemoveMember(guildID, gone.UserID)
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	if n := len(h.afterDMs(gone)); n != 0 {
		t.Fatalf("a member who left got %d safe-home DMs", n)
	}
	if n := len(h.afterDMs(stays)); n != 1 {
		t.Fatalf("the member still here got %d safe-home DMs, want 1", n)
	}
	h.clock.Set(end.Add(4 * time.Hour))
	h.runJobs()
	late := h.afterPosts(supportChannel, "have not answered")
	if len(late) != 1 {
		t.Fatalf("%d late lists, want 1", len(late))
	}
	text := late[0].Content
	if !strings.Contains(text, "<@"+stays.UserID+">") || !strings.Contains(text, "1 of those who came") {
		t.Errorf("the late list lacks the member who did not answer: %q", text)
	}
	if strings.Contains(text, gone.UserID) {
		t.Errorf("the late list names a member who left and was never asked: %s", text)
	}
}

// TestSupportChannelApartFromAnnouncements: a call for help names the
// member, so the support channel cannot be a channel where a chapter's
// rallies are announced (read by everyone in it), set either way round;
// the refusal says why and changes nothing.
func TestSupportChannelApartFromAnnouncements(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Chicago", chicagoChannel, chicagoLead)
	db := h.schedDB()
	support := func(chapter string) string {
		t.Helper()
		c, err := db.ChapterByName(context.Background(), guildID, chapter)
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.ChapterSupport(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.SupportChannelID
	}
	for _, ch := range []string{seattleChannel, chicagoChannel} {
		r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("support_channel", ch))
		mustContain(t, r, true, "<#"+ch+"> is where", "are announced", "Nothing was changed")
	}
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", supportChannel),
		discordtest.ChannelOpt("support_channel", supportChannel))
	mustContain(t, r, true, "<#"+supportChannel+"> is where")
	es := admin
	es.Locale = "es-419"
	mustContain(t, h.cmd(es, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("support_channel", seattleChannel)),
		true, "es donde se anuncian", "No se cambió nada")
	if got := support("Seattle"); got != "" {
		t.Fatalf("a refused setup stored support channel %s", got)
	}
	if c, _ := db.ChapterByName(context.Background(), guildID, "Seattle"); c.ChannelID != seattleChannel {
		t.Errorf("a refused setup moved the announcements to %s", c.ChannelID)
	}

	h.afterSetupSupport()
	// The other way round: announcing in a chapter's support channel.
	for _, chapter := range []string{"Chicago", "Seattle"} {
		r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", chapter), discordtest.ChannelOpt("channel", supportChannel))
		mustContain(t, r, true, "<#"+supportChannel+"> is **Seattle**'s support channel", "Nothing was changed")
	}
	r = h.cmd(admin, seattleChannel, "chapter add", discordtest.Str("name", "Tacoma"), discordtest.Str("timezone", "America/Los_Angeles"),
		discordtest.ChannelOpt("channel", supportChannel))
	mustContain(t, r, true, "<#"+supportChannel+"> is **Seattle**'s support channel", "Nothing was changed")
	if _, err := db.ChapterByName(context.Background(), guildID, "Tacoma"); err == nil {
		t.Errorf("a refused /chapter add added the chapter")
	}
	mustContain(t, h.cmd(es, seattleChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", supportChannel)),
		true, "es el canal de apoyo de **Seattle**")
	if c, _ := db.ChapterByName(context.Background(), guildID, "Chicago"); c.ChannelID != chicagoChannel {
		t.Errorf("a refused setup moved Chicago's announcements to %s", c.ChannelID)
	}
	// Moving both at once, apart, is fine.
	r = h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", supportChannel),
		discordtest.ChannelOpt("support_channel", seattleChannel))
	mustContain(t, r, true, "<#"+seattleChannel+">")
	if got := support("Seattle"); got != seattleChannel {
		t.Errorf("support channel %s after swapping, want %s", got, seattleChannel)
	}
}

// TestReportOnACancelledRally: a report on a rally that was called off is
// refused with what is wrong (it was cancelled, not "edited") and where to
// go instead; nothing is stored.
func TestReportOnACancelledRally(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil for the detained", at)
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", fmt.Sprint(id))), true, "Cancelled")
	h.clock.Set(at.Add(3 * time.Hour))
	r := h.cmd(lead, seattleChannel, "rally report", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Int("crowd", 40))
	mustContain(t, r, true, "was cancelled, so there is no crowd to report", "Nothing was saved")
	es := lead
	es.Locale = "es-419"
	r = h.cmd(es, seattleChannel, "rally report", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Int("crowd", 40))
	mustContain(t, r, true, "se canceló, así que no hay asistencia que informar")
	if after, err := h.schedDB().RallyAfter(context.Background(), id); err != nil || after.Reported {
		t.Errorf("a refused report was stored: %+v, %v", after, err)
	}
}

// safeHomeButtonState returns whether each of the "Home safe?" DM's buttons
// can still be pressed, by label.
func (h *harness) safeHomeButtonState(m discordtest.Member) map[string]bool {
	h.t.Helper()
	dms := h.afterDMs(m)
	if len(dms) != 1 {
		h.t.Fatalf("member %s has %d safe-home DMs, want 1", m.UserID, len(dms))
	}
	out := map[string]bool{}
	for _, b := range buttons(dms[0]) {
		out[b.Label] = !b.Disabled
	}
	return out
}

// TestSafeHomeHelpAfterSafe: "I'm home safe" does not take back the means
// to call for help (a wrong tap, or trouble after getting home): the DM
// keeps "I need help" open, and pressing it reaches the support channel,
// once, on a high-risk rally (which keeps no record of the answers) as on
// any other.
func TestSafeHomeHelpAfterSafe(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		highRisk bool
	}{{"Recorded", false}, {"HighRisk", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
			h.afterSetupSupport()
			at := start.Add(26 * time.Hour)
			id := h.schedRally("Seattle", seattleChannel, "Night march", at, discordtest.Int("marshals", 2),
				discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", c.highRisk))
			marshal := member(1)
			mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
				discordtest.Str("role", "marshal")), true)
			h.clock.Set(at.Add(2 * time.Hour))
			h.runJobs()
			h.runJobs()
			h.clock.Add(time.Minute)
			h.runJobs()

			mustContain(t, h.pressHomeSafe(marshal, "safe", id), false, "glad you are home safe")
			if got := h.safeHomeButtonState(marshal); got["I'm home safe"] || !got["I need help"] {
				t.Fatalf("after I'm home safe, the DM's buttons can be pressed: %v; want I need help alone", got)
			}
			mustContain(t, h.pressHomeSafe(marshal, "help", id), false, "support team")
			if got := h.safeHomeButtonState(marshal); got["I'm home safe"] || got["I need help"] {
				t.Errorf("after I need help, the DM's buttons can be pressed: %v", got)
			}
			// A second press (a double tap, or a client that ignores the
			// disabled button) raises no second call.
			mustContain(t, h.pressHomeSafe(marshal, "help", id), false, "already gone to the support team")
			if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
				t.Errorf("%d calls for help, want 1", n)
			}
		})
	}
}

// TestNeedsFromADM: a maybe who answers the day-before DM with Going is
// asked, in that DM, what they need to take part; what they pick there is
// stored for them (not refused as "only in a server"), counted for the
// lead, and named back to them alone.
func TestNeedsFromADM(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Tenant union march", at)
	ann := h.actAnnouncement(seattleChannel, id)
	maybe := member(1)
	h.noticeRSVP(maybe, ann, id, "maybe")
	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()

	dm := h.noticeDMs(maybe, "Reminder")[0]
	h.noticeClickDM(maybe, dm, fmt.Sprintf("confirm:yes:%d", id))
	r := h.noticeClickDM(maybe, h.fake.Message(dm.ChannelID, dm.ID), fmt.Sprintf("confirm:going:%d", id))
	mustContain(t, r, true, "Anything you need to take part?")
	reply := r.MessageID
	custom := fmt.Sprintf("needs:%d", id)
	r, err := h.fake.Select(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: maybe}, reply, custom, "seating", "ride")
	if err != nil {
		t.Fatalf("the DM after Going has no needs menu to pick in: %v", err)
	}
	mustContain(t, r, true, "Saved for **Tenant union march**: Seating, A ride.")
	if got := needsStored(t, h.schedDB(), fmt.Sprint(id), maybe); strings.Join(got, ",") != "seating,ride" {
		t.Errorf("stored %v, want seating and ride", got)
	}
	info := h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", fmt.Sprint(id))).Text()
	if !strings.Contains(info, "Seating 1 · A ride 1") {
		t.Errorf("lead's /rally info lacks the counts:\n%s", info)
	}
	// Someone else's rally in the same DM: nothing stored for a rally they
	// are not going to.
	other := h.schedRally("Seattle", seattleChannel, "Another march", at.Add(48*time.Hour))
	r, err = h.fake.ForgedSelect(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: maybe}, reply, fmt.Sprintf("needs:%d", other), "seating")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r, true, "once you are going")
	if got := needsStored(t, h.schedDB(), fmt.Sprint(other), maybe); len(got) != 0 {
		t.Errorf("stored %v at a rally the member is not going to", got)
	}
}

// TestSafeHomeHelpWhenTheSupportChannelIsGone: a call for help that can
// never reach the support channel (deleted, or the bot shut out of it) is
// not answered with "it will reach your support team": the member is told
// to reach them directly.
func TestSafeHomeHelpWhenTheSupportChannelIsGone(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Night march", at, discordtest.Int("marshals", 2), discordtest.Bool("safe_home", true))
	marshal := member(1)
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true)
	h.clock.Set(at.Add(2 * time.Hour))
	h.runJobs()
	h.runJobs()
	h.fake.FailChannel(supportChannel, http.StatusNotFound, 10003) // Unknown Channel
	r := h.pressHomeSafe(marshal, "help", id)
	if strings.Contains(r.Text(), "as soon as Discord lets it through") || strings.Contains(r.Text(), "has been alerted") {
		t.Errorf("a call for help that cannot reach the support channel is answered as if it will: %q", r.Text())
	}
	mustContain(t, r, false, "could not reach", "call your legal support hotline")
	// The call did not go: it is not taken as made. The DM keeps "I need
	// help" to press again, and once the channel works, it goes.
	if got := h.safeHomeButtonState(marshal); !got["I need help"] {
		t.Fatalf("after a call that could not go, the DM's buttons %v; want I need help still open", got)
	}
	h.fake.FailChannel(supportChannel, 0, 0)
	r = h.pressHomeSafe(marshal, "help", id)
	mustContain(t, r, false, "has been alerted")
	if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
		t.Errorf("%d calls for help in the support channel, want 1", n)
	}
}

// TestReportUpdateKeepsHighlights: changing a report's crowd without
// highlights keeps the highlights given before (the reply shows them);
// highlights given again replace them.
func TestReportUpdateKeepsHighlights(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil for the detained", at)
	h.clock.Set(at.Add(3 * time.Hour))
	report := func(crowd int64, extra ...discordtest.Option) *discordtest.Reply {
		return h.cmd(lead, seattleChannel, "rally report", append([]discordtest.Option{discordtest.Str("rally", fmt.Sprint(id)),
			discordtest.Int("crowd", crowd)}, extra...)...)
	}
	highlights := func() string {
		t.Helper()
		after, err := h.schedDB().RallyAfter(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return after.Highlights
	}
	mustContain(t, report(240, discordtest.Str("highlights", "Marched to the courthouse")), true, "a crowd of 240")
	r := report(260)
	mustContain(t, r, true, "Report updated", "260", "> Marched to the courthouse")
	if got := highlights(); got != "Marched to the courthouse" {
		t.Errorf("highlights %q after a crowd-only update, want them kept", got)
	}
	mustContain(t, report(260, discordtest.Str("highlights", "Three speakers")), true, "> Three speakers")
	if got := highlights(); got != "Three speakers" {
		t.Errorf("highlights %q, want replaced", got)
	}
}

// TestHighRiskCallForHelpKeepsNoID: a high-risk rally keeps no member id
// once it ends; a call for help made from its "Home safe?" DM after the end
// is kept only until it is sent: then the support channel has it, and the
// database no longer holds the member's id.
func TestHighRiskCallForHelpKeepsNoID(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil at the field office", at,
		discordtest.Int("marshals", 1), discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", true))
	marshal := member(1)
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
		discordtest.Str("role", "marshal")), true)
	h.clock.Set(at.Add(2 * time.Hour))
	h.runJobs()
	h.runJobs()
	h.clock.Add(time.Minute)
	h.runJobs()
	if got := h.privacyHolders(marshal.UserID); len(got) != 0 {
		t.Fatalf("the marshal is in %v after the high-risk rally ended", got)
	}
	mustContain(t, h.pressHomeSafe(marshal, "help", id), false, "has been alerted")
	h.clock.Add(time.Minute)
	h.runJobs()
	if n := len(h.afterPosts(supportChannel, "<@"+marshal.UserID+">")); n != 1 {
		t.Fatalf("%d calls for help naming the marshal in the support channel, want 1", n)
	}
	if got := h.privacyHolders(marshal.UserID); len(got) != 0 {
		t.Errorf("the marshal is in %v once their call for help was sent", got)
	}
}
