package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// After the action (SPEC "After the action"): the safe-home check, the
// leads' report, the recap of a day of action and the summary's chart.

const (
	supportChannel = "300000000000000031"
	supportRole    = "400000000000000031"
)

// afterHarness is a server whose Seattle chapter has a support channel and
// role, and whose coordinators get the summary.
func afterHarness(t *testing.T, env ...string) *harness {
	h := newHarness(t, env...)
	h.fake.AddChannel(guildID, discordtest.Channel{ID: supportChannel, Name: "seattle-legal-support"})
	h.fake.AddRole(guildID, discordtest.Role{ID: supportRole, Name: "Seattle jail support"})
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	return h
}

func (h *harness) afterSetupSupport() {
	h.t.Helper()
	r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"),
		discordtest.ChannelOpt("support_channel", supportChannel), discordtest.RoleOpt("support_role", supportRole))
	mustContain(h.t, r, true, "<#"+supportChannel+">", "<@&"+supportRole+">")
}

// afterDMs returns the "Home safe?" DMs a member got.
func (h *harness) afterDMs(m discordtest.Member) []*discordgo.Message {
	return h.noticeDMs(m, "Are you home safe?")
}

// pressHomeSafe presses answer ("safe" or "help") on the member's "Home
// safe?" DM about the rally.
func (h *harness) pressHomeSafe(m discordtest.Member, answer string, rallyID int64) *discordtest.Reply {
	h.t.Helper()
	return h.noticeClickDM(m, h.afterDMs(m)[0], fmt.Sprintf("safehome:%s:%d", answer, rallyID))
}

// afterPosts returns the channel's messages that contain every part.
func (h *harness) afterPosts(channel string, parts ...string) []*discordgo.Message {
	return h.actMessages(channel, parts...)
}

// afterPNG decodes a PNG attachment and checks it is small and not blank.
func afterPNG(t *testing.T, f discordtest.File) {
	t.Helper()
	if f.ContentType != "image/png" || !strings.HasSuffix(f.Name, ".png") {
		t.Errorf("chart %s has type %q", f.Name, f.ContentType)
	}
	if len(f.Data) >= 100*1024 {
		t.Errorf("chart %s is %d bytes, want under 100 KB", f.Name, len(f.Data))
	}
	img, err := png.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("chart %s: %v", f.Name, err)
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 100 {
		t.Errorf("chart %s is %v, too small to read", f.Name, b)
	}
	// Not blank: more than one colour, and a fair share of the picture
	// unlike its corner (bars, text, axes).
	corner := img.At(b.Min.X, b.Min.Y)
	differ := 0
	colours := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			c := img.At(x, y)
			r, g, bl, a := c.RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
			if cr, cg, cb, ca := corner.RGBA(); r != cr || g != cg || bl != cb || a != ca {
				differ++
			}
		}
	}
	if len(colours) < 3 || differ < (b.Dx()*b.Dy()/4)/100 {
		t.Errorf("chart %s looks blank: %d colours, %d pixels unlike the background", f.Name, len(colours), differ)
	}
}

func TestAfterSafeHome(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	at := start.Add(26 * time.Hour)

	t.Run("RefusedWithoutSupportChannel", func(t *testing.T) {
		before := len(h.fake.Messages(seattleChannel))
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("when", schedWhen(t, "Seattle", at)), discordtest.Bool("safe_home", true))...)
		mustContain(t, r, true, "no support channel", "/chapter setup chapter:Seattle support_channel:")
		if n := len(h.fake.Messages(seattleChannel)); n != before {
			t.Errorf("a refused create posted %d messages", n-before)
		}
		r = h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.Str("safe_home", "on"))
		mustContain(t, r, true, "no support channel")
	})
	h.afterSetupSupport()

	id := h.schedRally("Seattle", seattleChannel, "March for due process", at,
		discordtest.Int("marshals", 2), discordtest.Bool("safe_home", true))
	rid := fmt.Sprint(id)
	ann := h.actAnnouncement(seattleChannel, id)
	came, marshal, absent, optedOut, maybe, silent := member(1), member(2), member(3), member(4), member(5), member(6)
	for _, m := range []discordtest.Member{came, absent, optedOut, silent} {
		h.noticeRSVP(m, ann, id, "going")
	}
	h.noticeRSVP(maybe, ann, id, "maybe")
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"), discordtest.Str("role", "marshal")), true)
	mustContain(t, h.cmd(optedOut, seattleChannel, "notify", discordtest.Str("safe_home", "off")), true, "off")

	h.clock.Set(at.Add(10 * time.Minute))
	for _, m := range []discordtest.Member{came, optedOut, silent} {
		mustContain(t, h.cmd(m, seattleChannel, "checkin", discordtest.Str("rally", rid)), true, "Checked in")
	}
	// The end is handled once across a restart.
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.restart()
	h.runJobs()

	t.Run("DMAtTheEndToThoseWhoCameOrHeldARole", func(t *testing.T) {
		for _, m := range []discordtest.Member{came, marshal, silent} {
			got := h.afterDMs(m)
			if len(got) != 1 {
				t.Fatalf("member %s got %d safe-home DMs, want 1", m.UserID, len(got))
			}
			if b := buttons(got[0]); len(b) != 2 || b[0].Label != "I'm home safe" || b[1].Label != "I need help" {
				t.Errorf("safe-home DM buttons %+v", b)
			}
			if strings.Contains(messageText(got[0]), "City Hall") {
				t.Errorf("the safe-home DM names the place: %s", messageText(got[0]))
			}
		}
		for _, m := range []discordtest.Member{absent, optedOut, maybe, volunteer} {
			if n := len(h.afterDMs(m)); n != 0 {
				t.Errorf("member %s (did not come, or opted out) got %d safe-home DMs", m.UserID, n)
			}
		}
	})
	t.Run("INeedHelpPostsAtOnceInTheSupportChannelOnly", func(t *testing.T) {
		h.fake.FailNext("POST", "/channels/{channel_id}/messages", 1, 502)
		dm := h.afterDMs(marshal)[0]
		mustContain(t, h.noticeClickDM(marshal, dm, fmt.Sprintf("safehome:help:%d", id)), false, "support team")
		help := h.afterPosts(supportChannel, "I need help")
		if len(help) != 1 {
			t.Fatalf("%d calls for help in the support channel, want 1", len(help))
		}
		text := help[0].Content
		for _, want := range []string{"<@" + marshal.UserID + ">", "<@&" + supportRole + ">", "March for due process", "#" + rid} {
			if !strings.Contains(text, want) {
				t.Errorf("call for help lacks %q: %s", want, text)
			}
		}
		if strings.Contains(text, "City Hall") {
			t.Errorf("the call for help names the place: %s", text)
		}
		bodies, _ := h.schedPosts(supportChannel, "I need help")
		for _, b := range bodies {
			am, _ := b["allowed_mentions"].(map[string]any)
			roles, _ := am["roles"].([]any)
			if len(roles) != 1 || roles[0] != supportRole || len(am["parse"].([]any)) != 0 {
				t.Errorf("call for help allowed_mentions %v, want the support role alone", am)
			}
		}
		for _, ch := range []string{seattleChannel, chicagoChannel, coordChannel} {
			if n := len(h.afterPosts(ch, "I need help")); n != 0 {
				t.Errorf("channel %s got %d calls for help", ch, n)
			}
		}
		h.runJobs()
		if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
			t.Errorf("after a sweep: %d calls for help, want 1", n)
		}
	})
	t.Run("PressedAgainOrForged", func(t *testing.T) {
		dm := h.afterDMs(marshal)[0]
		mustContain(t, h.noticeClickDM(marshal, dm, fmt.Sprintf("safehome:help:%d", id)), false, "already gone to the support team")
		mustContain(t, h.noticeClickDM(marshal, dm, fmt.Sprintf("safehome:safe:%d", id)), false, "already gone to the support team")
		dm = h.afterDMs(came)[0]
		mustContain(t, h.noticeClickDM(came, dm, fmt.Sprintf("safehome:safe:%d", id)), false, "glad you are home safe")
		mustContain(t, h.noticeClickDM(came, dm, fmt.Sprintf("safehome:safe:%d", id)), false, "already told us")
		// Someone who was not asked, pressing a button made up for the rally.
		r, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{ChannelID: dm.ChannelID, Member: absent}, dm.ID, fmt.Sprintf("safehome:help:%d", id))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, r, false, "not open for you")
		if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
			t.Errorf("%d calls for help after the forged click, want 1", n)
		}
	})
	t.Run("LateListOnceNamingOnlyThoseWhoDidNotAnswer", func(t *testing.T) {
		h.clock.Set(end.Add(4*time.Hour - time.Minute))
		h.runJobs()
		if n := len(h.afterPosts(supportChannel, "have not answered")); n != 0 {
			t.Fatalf("the late list went before SAFE_HOME_AFTER")
		}
		h.clock.Set(end.Add(4 * time.Hour))
		h.runJobs()
		h.runJobs()
		late := h.afterPosts(supportChannel, "have not answered")
		if len(late) != 1 {
			t.Fatalf("%d late lists, want 1", len(late))
		}
		text := late[0].Content
		if !strings.Contains(text, "<@"+silent.UserID+">") || !strings.Contains(text, "<@&"+supportRole+">") {
			t.Errorf("late list lacks the silent member or the role: %s", text)
		}
		for _, m := range []discordtest.Member{came, marshal, absent, optedOut, maybe} {
			if strings.Contains(text, m.UserID) {
				t.Errorf("late list names %s, who answered or was not asked: %s", m.UserID, text)
			}
		}
	})
	t.Run("RowsGoneAfter24h", func(t *testing.T) {
		db := h.schedDB()
		if n, err := db.SafeHomeRows(context.Background(), id); err != nil || n == 0 {
			t.Fatalf("before 24 h: %d rows, %v", n, err)
		}
		h.clock.Set(end.Add(24 * time.Hour))
		h.runJobs()
		if n, err := db.SafeHomeRows(context.Background(), id); err != nil || n != 0 {
			t.Errorf("24 h after the end: %d safe-home rows left (%v)", n, err)
		}
		if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
			t.Errorf("the support channel keeps its message: %d", n)
		}
		dm := h.afterDMs(silent)[0]
		mustContain(t, h.noticeClickDM(silent, dm, fmt.Sprintf("safehome:safe:%d", id)), false, "not open for you")
	})
}

func TestAfterReport(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil for the detained", at)
	rid := fmt.Sprint(id)
	report := func(m discordtest.Member, crowd int64, extra ...discordtest.Option) *discordtest.Reply {
		return h.cmd(m, seattleChannel, "rally report", append([]discordtest.Option{discordtest.Str("rally", rid), discordtest.Int("crowd", crowd)}, extra...)...)
	}
	prompts := func() []*discordgo.Message {
		return h.afterPosts(seattleChannel, "has ended", "/rally report rally:"+rid)
	}

	t.Run("RefusedBeforeTheEnd", func(t *testing.T) {
		mustContain(t, report(lead, 50), true, "has not ended yet")
	})
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.restart()
	h.runJobs()
	t.Run("PromptOncePerRally", func(t *testing.T) {
		got := prompts()
		if len(got) != 1 {
			t.Fatalf("%d report prompts, want 1", len(got))
		}
		if !strings.Contains(got[0].Content, "<@&"+seattleLead+">") {
			t.Errorf("prompt does not ping the leads: %s", got[0].Content)
		}
		bodies, _ := h.schedPosts(seattleChannel, "/rally report rally:"+rid)
		for _, b := range bodies {
			am, _ := b["allowed_mentions"].(map[string]any)
			if roles, _ := am["roles"].([]any); len(roles) != 1 || roles[0] != seattleLead {
				t.Errorf("prompt allowed_mentions %v, want the lead role alone", am)
			}
		}
		h.clock.Add(time.Hour)
		h.runJobs()
		if n := len(prompts()); n != 1 {
			t.Errorf("%d prompts after another sweep, want 1", n)
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		mustContain(t, report(volunteer, 50), true, "leads")
		mustContain(t, report(chiLead, 50), true, "leads")
		mustContain(t, report(lead, -1), true, "0 to 1,000,000")
		mustContain(t, report(lead, 1_000_001), true, "0 to 1,000,000")
		mustContain(t, report(lead, 10, discordtest.Str("highlights", strings.Repeat("a", 501))), true, "501")
		after, err := h.schedDB().RallyAfter(context.Background(), id)
		if err != nil || after.Reported {
			t.Errorf("a refused report was stored: %+v, %v", after, err)
		}
	})
	t.Run("SavedWithMentionsDefused", func(t *testing.T) {
		r := report(lead, 240, discordtest.Str("highlights", "@everyone 240 people, <@&"+seattleLead+"> thanks"))
		mustContain(t, r, true, "a crowd of 240")
		if strings.Contains(r.Text(), "@everyone") || strings.Contains(r.Text(), "<@&") {
			t.Errorf("the reply can mention: %q", r.Text())
		}
		mustContain(t, report(admin, 260), true, "Report updated", "260")
		after, err := h.schedDB().RallyAfter(context.Background(), id)
		if err != nil || after.Crowd != 260 {
			t.Errorf("stored report %+v, %v", after, err)
		}
	})
	t.Run("ClosedAfter7Days", func(t *testing.T) {
		h.clock.Set(end.Add(7*24*time.Hour + time.Minute))
		mustContain(t, report(lead, 300), true, "7 days")
	})
}

func TestAfterRecapAndCharts(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	actionID, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	rallies := actRallies(t, db, actionID)
	sea, chi := rallies["Seattle"], rallies["Chicago"]
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(sea.ID)), discordtest.Str("location", "Westlake Park")), true)
	mustContain(t, h.cmd(chiLead, chicagoChannel, "rally edit", discordtest.Str("rally", fmt.Sprint(chi.ID)), discordtest.Str("location", "Daley Plaza")), true)
	going := map[int64][]discordtest.Member{sea.ID: {member(1), member(2), member(3)}, chi.ID: {member(4), member(5)}}
	for rid, ms := range going {
		ch := seattleChannel
		if rid == chi.ID {
			ch = chicagoChannel
		}
		for _, m := range ms {
			mustContain(t, h.cmd(m, ch, "rsvp", discordtest.Str("rally", fmt.Sprint(rid)), discordtest.Str("status", "going")), true)
		}
	}
	h.clock.Set(chi.StartsAt.Add(5 * time.Minute))
	mustContain(t, h.cmd(member(4), chicagoChannel, "checkin", discordtest.Str("rally", fmt.Sprint(chi.ID))), true, "Checked in")
	h.clock.Set(sea.StartsAt.Add(5 * time.Minute))
	for _, m := range []discordtest.Member{member(1), member(2)} {
		mustContain(t, h.cmd(m, seattleChannel, "checkin", discordtest.Str("rally", fmt.Sprint(sea.ID))), true, "Checked in")
	}
	h.clock.Set(sea.EndsAt.Add(time.Minute))
	h.runJobs()
	mustContain(t, h.cmd(lead, seattleChannel, "rally report", discordtest.Str("rally", fmt.Sprint(sea.ID)), discordtest.Int("crowd", 400),
		discordtest.Str("highlights", "Marched to the courthouse")), true, "400")

	t.Run("RecapNumbersMatchTheStore", func(t *testing.T) {
		mustContain(t, h.cmd(volunteer, coordChannel, "action recap", discordtest.Str("action", fmt.Sprint(actionID))), true, "coordinator")
		r := h.cmd(coord, coordChannel, "action recap", discordtest.Str("action", fmt.Sprint(actionID)))
		stored := actRallies(t, db, actionID)
		var wantGoing, wantChecked int
		for _, name := range []string{"Seattle", "Chicago"} {
			s := stored[name]
			wantGoing += s.GoingTotal()
			wantChecked += s.CheckedIn
		}
		if wantGoing != 5 || wantChecked != 3 {
			t.Fatalf("stored going %d, checked in %d; the test set up 5 and 3", wantGoing, wantChecked)
		}
		after, err := db.RallyAfter(context.Background(), sea.ID)
		if err != nil || after.Crowd != 400 {
			t.Fatalf("stored report %+v, %v", after, err)
		}
		mustContain(t, r, true,
			"Seattle\ngoing: 3 · checked in: 2 · crowd: 400\n> Marched to the courthouse",
			"Chicago\ngoing: 2 · checked in: 1 · crowd: not reported yet",
			fmt.Sprintf("going: %d · checked in: %d · crowd: %d (1 of 2 chapters reported)", wantGoing, wantChecked, after.Crowd))
		if len(r.Files) != 2 {
			t.Fatalf("recap has %d files, want a CSV and a PNG", len(r.Files))
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Files[0].Data)).ReadAll()
		if err != nil {
			t.Fatalf("recap CSV: %v", err)
		}
		got := map[string][]string{}
		for _, row := range rows {
			got[row[0]] = row
		}
		for name, want := range map[string][]string{
			"Seattle": {"Seattle", fmt.Sprint(sea.ID), "scheduled", "3", "2", "400", "Marched to the courthouse"},
			"Chicago": {"Chicago", fmt.Sprint(chi.ID), "scheduled", "2", "1", "", ""},
			"total":   {"total", "", "", "5", "3", "400", ""},
		} {
			if fmt.Sprint(got[name]) != fmt.Sprint(want) {
				t.Errorf("CSV row %s = %q, want %q", name, got[name], want)
			}
		}
		afterPNG(t, r.Files[1])
		for i := 1; i <= 5; i++ {
			if strings.Contains(r.Text()+string(r.Files[0].Data), member(i).UserID) {
				t.Errorf("the recap names a member")
			}
		}
	})
	t.Run("MorningSummaryCarriesRecapAndChart", func(t *testing.T) {
		// 08:00 in New York the morning after.
		morning := time.Date(sea.EndsAt.Year(), sea.EndsAt.Month(), sea.EndsAt.Day()+1, 13, 0, 30, 0, time.UTC)
		h.clock.Set(morning)
		h.runJobs()
		h.runJobs()
		var pngs, csvs int
		var recapSeen, idleLine bool
		for _, m := range h.fake.Messages(coordChannel) {
			text := messageText(m)
			recapSeen = recapSeen || strings.Contains(text, "Recap: Holiday weekend action")
			idleLine = idleLine || strings.Contains(text, "**No rallies in this window:** ")
			for _, f := range h.fake.MessageFiles(coordChannel, m.ID) {
				switch {
				case strings.HasSuffix(f.Name, ".png"):
					pngs++
					afterPNG(t, f)
				case strings.HasSuffix(f.Name, ".csv"):
					csvs++
				}
			}
		}
		if !recapSeen || !idleLine {
			t.Errorf("summary: recap %v, idle chapters on one line %v", recapSeen, idleLine)
		}
		if pngs != 2 || csvs != 1 {
			t.Errorf("summary attached %d charts and %d CSVs, want 2 and 1", pngs, csvs)
		}
	})
}

// TestAfterSummaryChartOff: SUMMARY_CHART=off posts the summary without a file.
func TestAfterSummaryChartOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "SUMMARY_CHART", "off")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.schedSetupCoordinators()
	r := h.cmd(coord, coordChannel, "summary now")
	if len(r.Files) != 0 {
		t.Errorf("/summary now with SUMMARY_CHART=off has %d files", len(r.Files))
	}
	h2 := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h2.setupChapter("Seattle", seattleChannel, seattleLead)
	h2.schedSetupCoordinators()
	r = h2.cmd(coord, coordChannel, "summary now")
	if len(r.Files) != 1 {
		t.Fatalf("/summary now has %d files, want the chart", len(r.Files))
	}
	afterPNG(t, r.Files[0])
}

// TestAfterSafeHomeHighRisk: a high-risk rally with the safe-home check asks
// those who held a role once it ends, then forgets whom it asked with every
// other member id; its "Home safe?" DM stays on Discord for the day after,
// and "I need help" pressed there still reaches the support channel.
func TestAfterSafeHomeHighRisk(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "DISCORD_GUILD_ID", guildID)
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil at the field office", at,
		discordtest.Int("marshals", 1), discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", true))
	rid := fmt.Sprint(id)
	ann := h.actAnnouncement(seattleChannel, id)
	marshal, going := member(1), member(2)
	mustContain(t, h.cmd(marshal, seattleChannel, "rsvp", discordtest.Str("rally", rid), discordtest.Str("status", "going"), discordtest.Str("role", "marshal")), true)
	h.noticeRSVP(going, ann, id, "going")
	h.clock.Set(at.Add(-23 * time.Hour)) // the day-before reminder DMs
	h.runJobs()
	reminders := len(h.fake.DMs(marshal.UserID))
	if reminders == 0 {
		t.Fatal("the marshal got no reminder; the test cannot tell what is deleted")
	}

	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	h.clock.Add(time.Minute)
	h.runJobs()

	dms := h.afterDMs(marshal)
	if len(dms) != 1 {
		t.Fatalf("the marshal got %d safe-home DMs at the end of a high-risk rally, want 1", len(dms))
	}
	if n := len(h.afterDMs(going)); n != 0 {
		t.Errorf("a member without a role or check-in got %d safe-home DMs", n)
	}
	for _, m := range []discordtest.Member{marshal, going} {
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Errorf("member %s is still in %v after the high-risk rally ended", m.UserID, got)
		}
	}
	if got := len(h.fake.DeletedDMs(marshal.UserID)); got != reminders {
		t.Errorf("%d of the marshal's DMs deleted at the end, want the %d reminders (the safe-home DM stays for its buttons)", got, reminders)
	}

	r := h.noticeClickDM(marshal, dms[0], fmt.Sprintf("safehome:help:%d", id))
	mustContain(t, r, false, "support team")
	help := h.afterPosts(supportChannel, "I need help")
	if len(help) != 1 || !strings.Contains(help[0].Content, "<@"+marshal.UserID+">") {
		t.Fatalf("calls for help in the support channel: %d, want 1 naming the marshal", len(help))
	}
	// Pressed anywhere but the member's own DM, an unrecorded answer is
	// refused: nothing says they were asked.
	forged, err := h.fake.ForgedClick(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: going}, ann.ID,
		fmt.Sprintf("safehome:help:%d", id))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, forged, true)
	if n := len(h.afterPosts(supportChannel, "I need help")); n != 1 {
		t.Errorf("a forged press in the channel made %d calls for help, want still 1", n)
	}

	// The day after, the check is closed and its DM deleted too.
	h.clock.Set(end.Add(25 * time.Hour))
	h.runJobs()
	if got := len(h.fake.DeletedDMs(marshal.UserID)); got != reminders+1 {
		t.Errorf("%d of the marshal's DMs deleted a day after, want all %d", got, reminders+1)
	}
	for _, m := range []discordtest.Member{marshal, going} {
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Errorf("member %s is in %v a day after", m.UserID, got)
		}
	}
}

// TestForgetMeTakesTheHomeSafeDM: a high-risk rally's "Home safe?" DM
// stays on Discord for its day after the end, its deletion owed for then
// (TestAfterSafeHomeHighRisk); a member who asks to be forgotten within that
// day, in the server or from a DM, has it deleted now, as every other DM
// the bot sent them.
func TestForgetMeTakesTheHomeSafeDM(t *testing.T) {
	t.Parallel()
	h := afterHarness(t) // commands offered in DMs too
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil at the field office", at,
		discordtest.Int("marshals", 2), discordtest.Bool("safe_home", true), discordtest.Bool("high_risk", true))
	inServer, fromDM := member(1), member(2)
	for _, m := range []discordtest.Member{inServer, fromDM} {
		mustContain(t, h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true)
	}
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	h.clock.Add(time.Minute)
	h.runJobs()
	for _, m := range []discordtest.Member{inServer, fromDM} {
		if n := len(h.afterDMs(m)); n != 1 {
			t.Fatalf("member %s got %d safe-home DMs, want 1", m.UserID, n)
		}
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Fatalf("member %s is still in %v after the high-risk rally ended", m.UserID, got)
		}
	}

	h.cmd(inServer, seattleChannel, "privacy forget-me")
	h.privacyForgetInDM(fromDM)
	for _, m := range []discordtest.Member{inServer, fromDM} {
		eventually(t, 10*time.Second, "the forgotten member's Home safe? DM is deleted", func() bool {
			return len(h.fake.DMs(m.UserID)) == 0
		})
	}
}

// TestHomeSafeDMNotLeftBehind: a "Home safe?" DM stays on Discord once its
// check has closed (24 h after the end) and its record is gone; it is still
// deleted when its member asks to be forgotten, and at retention for the
// others, so none is left that nothing could find again.
func TestHomeSafeDMNotLeftBehind(t *testing.T) {
	t.Parallel()
	h := afterHarness(t, "RETENTION_DAYS", "2")
	h.afterSetupSupport()
	at := start.Add(26 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Night march", at, discordtest.Int("marshals", 2), discordtest.Bool("safe_home", true))
	forgets, stays := member(1), member(2)
	for _, m := range []discordtest.Member{forgets, stays} {
		mustContain(t, h.cmd(m, seattleChannel, "rsvp", discordtest.Str("rally", fmt.Sprint(id)), discordtest.Str("status", "going"),
			discordtest.Str("role", "marshal")), true)
	}
	end := at.Add(2 * time.Hour)
	h.clock.Set(end)
	h.runJobs()
	h.runJobs()
	for _, m := range []discordtest.Member{forgets, stays} {
		if n := len(h.afterDMs(m)); n != 1 {
			t.Fatalf("member %s got %d safe-home DMs, want 1", m.UserID, n)
		}
	}
	h.clock.Set(end.Add(25 * time.Hour)) // the check is closed, its rows gone
	h.runJobs()
	if n, err := h.schedDB().SafeHomeRows(context.Background(), id); err != nil || n != 0 {
		t.Fatalf("25 h after the end: %d safe-home rows (%v)", n, err)
	}

	h.cmd(forgets, seattleChannel, "privacy forget-me")
	eventually(t, 10*time.Second, "the forgotten member's Home safe? DM is deleted", func() bool {
		return len(h.afterDMs(forgets)) == 0
	})
	if n := len(h.afterDMs(stays)); n != 1 {
		t.Errorf("the other member's Home safe? DM: %d, want it kept until retention", n)
	}
	h.clock.Add(3 * 24 * time.Hour) // past retention
	h.runJobs()
	eventually(t, 10*time.Second, "the other member's Home safe? DM is deleted at retention", func() bool {
		return len(h.afterDMs(stays)) == 0
	})
	for _, m := range []discordtest.Member{forgets, stays} {
		if got := h.privacyHolders(m.UserID); len(got) != 0 {
			t.Errorf("member %s is still in %v", m.UserID, got)
		}
	}
}
