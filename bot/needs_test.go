package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// The helpers here are prefixed "needs" so they cannot collide with those of
// the other test files of the package.

// needsMenu returns the reply's needs menu, or nil.
func needsMenu(r *discordtest.Reply) *discordgo.SelectMenu { return selectMenu(r, "needs:") }

// needsPicked returns the values the menu shows as picked.
func needsPicked(menu *discordgo.SelectMenu) []string {
	picked := []string{}
	for _, o := range menu.Options {
		if o.Default {
			picked = append(picked, o.Value)
		}
	}
	return picked
}

// needsSelect picks values in the needs menu of a reply, as m.
func (h *harness) needsSelect(m discordtest.Member, reply *discordtest.Reply, rallyID string, values ...string) *discordtest.Reply {
	h.t.Helper()
	r, err := h.fake.Select(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: m},
		reply.MessageID, "needs:"+rallyID, values...)
	if err != nil {
		h.t.Fatalf("select needs %v: %v", values, err)
	}
	return r
}

// needsStored returns the member's stored needs at the rally, as keys.
func needsStored(t *testing.T, db *store.DB, rallyID string, m discordtest.Member) []string {
	t.Helper()
	id, _ := strconv.ParseInt(rallyID, 10, 64)
	got, err := db.MemberNeeds(context.Background(), id, m.UserID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, n := range got {
		out = append(out, string(n))
	}
	return out
}

// needsNoMember fails if text carries the id of any of the members.
func needsNoMember(t *testing.T, view, text string, members ...discordtest.Member) {
	t.Helper()
	for _, m := range members {
		if strings.Contains(text, m.UserID) {
			t.Errorf("%s names member %s: counts only\n%s", view, m.UserID, text)
		}
	}
}

// needsWords are what would show a need: none may reach a member who is
// not a lead or coordinator.
var needsWords = []string{"ASL", "Spanish interpretation", "Seating", "A ride", "need Spanish", "needs ASL", "Access and language needs"}

func needsNone(t *testing.T, view, text string) {
	t.Helper()
	for _, w := range needsWords {
		if strings.Contains(text, w) {
			t.Errorf("%s shows %q to someone who is not a lead:\n%s", view, w, text)
		}
	}
}

// TestNeedsFromTheGoingReply: a Going click's reply asks what the member
// needs; what they pick is stored while they are going, changed by picking
// again, counted for the lead, and gone when they can't go.
func TestNeedsFromTheGoingReply(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	id, ann := h.createRally(discordtest.Int("interpreters", 2))
	leadInfo := func() string {
		r := h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", id))
		if !r.Ephemeral {
			t.Fatalf("a lead's /rally info with need counts is public: %q", r.Text())
		}
		return r.Text()
	}

	going := h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id)
	mustContain(t, going, true, "Got it", "Anything you need to take part?", "never who")
	menu := needsMenu(going)
	if menu == nil {
		t.Fatalf("Going reply has no needs menu: %+v", going.Data)
	}
	var values []string
	for _, o := range menu.Options {
		values = append(values, o.Value)
	}
	if want := []string{"asl", "spanish", "other_interpretation", "wheelchair", "seating", "childcare", "ride"}; !slices.Equal(values, want) {
		t.Errorf("menu offers %v, want %v", values, want)
	}
	if menu.MinValues == nil || *menu.MinValues != 0 || menu.MaxValues != 7 || len(needsPicked(menu)) != 0 {
		t.Errorf("menu min %v max %d picked %v, want 0, 7 and nothing picked", menu.MinValues, menu.MaxValues, needsPicked(menu))
	}

	t.Run("Picked", func(t *testing.T) {
		r := h.needsSelect(volunteer, going, id, "seating", "asl")
		mustContain(t, r, true, "Saved for **Rally for fair housing**: ASL interpretation, Seating.")
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"asl", "seating"}) {
			t.Errorf("stored %v", got)
		}
		info := leadInfo()
		for _, want := range []string{"Access and language needs (counts only)", "ASL interpretation 1 · Seating 1", "Interpreters 0/2 · 1 needs ASL"} {
			if !strings.Contains(info, want) {
				t.Errorf("lead's /rally info lacks %q:\n%s", want, info)
			}
		}
		needsNoMember(t, "lead's /rally info", info, volunteer)
	})

	t.Run("NotShownToOthers", func(t *testing.T) {
		r := h.cmd(member(5), seattleChannel, "rally info", discordtest.Str("rally", id))
		needsNone(t, "a volunteer's /rally info", r.Text())
		needsNone(t, "/rally list", h.cmd(member(5), seattleChannel, "rally list").Text())
		h.rolesAnnouncement(t, ann.ID, "1 going")
		needsNone(t, "the announcement", messageText(h.fake.Message(seattleChannel, ann.ID)))
		r = h.cmd(member(5), seattleChannel, "rally attendees", discordtest.Str("rally", id))
		needsNone(t, "a volunteer's /rally attendees", r.Text())
	})

	t.Run("Changed", func(t *testing.T) {
		r := h.needsSelect(volunteer, going, id, "spanish")
		mustContain(t, r, true, "Spanish interpretation")
		info := leadInfo()
		if !strings.Contains(info, "Spanish interpretation 1") || strings.Contains(info, "ASL interpretation") || !strings.Contains(info, "Interpreters 0/2 · 1 needs Spanish") {
			t.Errorf("lead's /rally info after the change:\n%s", info)
		}
		// Going again shows what is stored, picked in the menu.
		again := h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id)
		mustContain(t, again, true, "No change")
		if m := needsMenu(again); m == nil || !slices.Equal(needsPicked(m), []string{"spanish"}) {
			t.Errorf("the menu of a second Going shows %v, want spanish picked", m)
		}
	})

	t.Run("ErrForgedValue", func(t *testing.T) {
		inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: volunteer}
		for _, values := range [][]string{{"teleport"}, {"spanish", "asl; DROP TABLE"}, {"asl", "spanish", "other_interpretation", "wheelchair", "seating", "childcare", "ride", "asl"}} {
			r, err := h.fake.ForgedSelect(h.ctx(), inv, going.MessageID, "needs:"+id, values...)
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, r, true, "not one of the needs offered", "Nothing was changed")
		}
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"spanish"}) {
			t.Errorf("stored %v after forged picks, want spanish unchanged", got)
		}
	})

	t.Run("ClearedByPickingNothing", func(t *testing.T) {
		r := h.needsSelect(volunteer, going, id)
		mustContain(t, r, true, "nothing needed")
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v after picking nothing", got)
		}
		h.needsSelect(volunteer, going, id, "ride")
	})

	t.Run("GoneOnCantGo", func(t *testing.T) {
		mustContain(t, h.click(volunteer, seattleChannel, ann.ID, "rsvp:not_going:"+id), true)
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v after Can't go, want none", got)
		}
		if info := leadInfo(); !strings.Contains(info, "Nobody going has asked for anything.") {
			t.Errorf("lead's /rally info after Can't go:\n%s", info)
		}
		// The old reply's menu no longer stores anything: not going.
		r := h.needsSelect(volunteer, going, id, "ride")
		mustContain(t, r, true, "once you are going")
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v for a member not going", got)
		}
		// Going anew starts with nothing picked.
		again := h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id)
		if m := needsMenu(again); m == nil || len(needsPicked(m)) != 0 {
			t.Errorf("menu after going anew: %v", m)
		}
	})

	t.Run("ErrStarted", func(t *testing.T) {
		h.clock.Set(time.Date(2026, 11, 28, 22, 31, 0, 0, time.UTC)) // a minute after the start
		r := h.needsSelect(volunteer, going, id, "seating")
		mustContain(t, r, true, "has already started; needs could be changed until the start")
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v after the start", got)
		}
	})
}

// TestNeedsFromRSVP: /rsvp needs takes the same keys; an unknown one, or
// needs with a status other than Going, is refused and changes nothing.
func TestNeedsFromRSVP(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	id, _ := h.createRally()
	rsvp := func(m discordtest.Member, status string, extra ...discordtest.Option) *discordtest.Reply {
		return h.cmd(m, seattleChannel, "rsvp", append([]discordtest.Option{discordtest.Str("rally", id), discordtest.Str("status", status)}, extra...)...)
	}

	t.Run("OK", func(t *testing.T) {
		r := rsvp(volunteer, "going", discordtest.Str("needs", " Spanish, ride,spanish "))
		mustContain(t, r, true, "Got it", "Saved for **Rally for fair housing**: Spanish interpretation, A ride.")
		if m := needsMenu(r); m == nil || !slices.Equal(needsPicked(m), []string{"spanish", "ride"}) {
			t.Errorf("reply's menu %v, want spanish and ride picked", m)
		}
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"spanish", "ride"}) {
			t.Errorf("stored %v", got)
		}
	})

	t.Run("ErrUnknownKey", func(t *testing.T) {
		r := rsvp(member(2), "going", discordtest.Str("needs", "spanish, klingon"))
		mustContain(t, r, true, `"klingon" is not one of the needs`, "`asl`, `spanish`, `other_interpretation`, `wheelchair`, `seating`, `childcare`, `ride`", "Nothing was changed")
		r = rsvp(volunteer, "going", discordtest.Str("needs", "asl, wheelchairs, kids"))
		mustContain(t, r, true, `"wheelchairs", "kids" are not among the needs`)
		going, err := db.IsGoing(context.Background(), mustID(t, id), member(2).UserID)
		if err != nil || going {
			t.Errorf("a refused /rsvp made the member going (%v)", err)
		}
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"spanish", "ride"}) {
			t.Errorf("stored %v after a refusal, want unchanged", got)
		}
		es := member(3)
		es.Locale = "es-419"
		mustContain(t, rsvp(es, "going", discordtest.Str("needs", "teletransporte")), true, `"teletransporte" no es una de las necesidades`, "No se cambió nada")
	})

	t.Run("ErrNeedsWithoutGoing", func(t *testing.T) {
		r := rsvp(volunteer, "maybe", discordtest.Str("needs", "seating"))
		mustContain(t, r, true, "`needs` goes with Going", "Nothing was changed")
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"spanish", "ride"}) {
			t.Errorf("stored %v after a refusal, want unchanged", got)
		}
	})

	t.Run("Changed", func(t *testing.T) {
		mustContain(t, rsvp(volunteer, "going", discordtest.Str("needs", "childcare")), true, "No change", "Childcare")
		if got := needsStored(t, db, id, volunteer); !slices.Equal(got, []string{"childcare"}) {
			t.Errorf("stored %v, want childcare", got)
		}
		mustContain(t, rsvp(volunteer, "going", discordtest.Str("needs", "none")), true, "nothing needed")
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v after none", got)
		}
	})

	t.Run("GoneOnMaybe", func(t *testing.T) {
		rsvp(volunteer, "going", discordtest.Str("needs", "wheelchair"))
		mustContain(t, rsvp(volunteer, "maybe"), true, "maybe")
		if got := needsStored(t, db, id, volunteer); len(got) != 0 {
			t.Errorf("stored %v after Maybe, want none", got)
		}
	})

	t.Run("WithARole", func(t *testing.T) {
		staffed, _ := h.createRally(discordtest.Str("title", "Staffed"), discordtest.Int("interpreters", 1))
		r := h.cmd(member(4), seattleChannel, "rsvp", discordtest.Str("rally", staffed), discordtest.Str("status", "going"),
			discordtest.Str("role", "interpreter"), discordtest.Str("needs", "seating"))
		mustContain(t, r, true, "interpreter", "Seating")
		if got := needsStored(t, db, staffed, member(4)); !slices.Equal(got, []string{"seating"}) {
			t.Errorf("role holder's needs %v", got)
		}
		// Can't go gives up the role, and the needs with it.
		h.cmd(member(4), seattleChannel, "rsvp", discordtest.Str("rally", staffed), discordtest.Str("status", "not_going"))
		if got := needsStored(t, db, staffed, member(4)); len(got) != 0 {
			t.Errorf("needs %v after giving up the role", got)
		}
	})

	t.Run("NotSavedOnTheWaitlist", func(t *testing.T) {
		full, _ := h.createRally(discordtest.Str("title", "Small room"), discordtest.Int("capacity", 1))
		h.cmd(member(6), seattleChannel, "rsvp", discordtest.Str("rally", full), discordtest.Str("status", "going"))
		r := h.cmd(member(7), seattleChannel, "rsvp", discordtest.Str("rally", full), discordtest.Str("status", "going"), discordtest.Str("needs", "seating"))
		mustContain(t, r, true, "waitlist", "Your needs were not saved")
		if needsMenu(r) != nil {
			t.Errorf("a waitlisted member was offered the needs menu")
		}
		if got := needsStored(t, db, full, member(7)); len(got) != 0 {
			t.Errorf("waitlisted member's needs stored: %v", got)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestNeedsForgotten: forget-me deletes a member's needs with their RSVPs
// and roles, everywhere in the server.
func TestNeedsForgotten(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	seat, _ := h.createRally()
	role, _ := h.createRally(discordtest.Str("title", "Staffed"), discordtest.Int("interpreters", 1))
	h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", seat), discordtest.Str("status", "going"), discordtest.Str("needs", "asl,ride"))
	h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", role), discordtest.Str("status", "going"),
		discordtest.Str("role", "interpreter"), discordtest.Str("needs", "seating"))
	h.cmd(member(1), seattleChannel, "rsvp", discordtest.Str("rally", seat), discordtest.Str("status", "going"), discordtest.Str("needs", "spanish"))
	if len(needsStored(t, db, seat, volunteer)) != 2 || len(needsStored(t, db, role, volunteer)) != 1 {
		t.Fatalf("needs not stored before forget-me")
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "privacy forget-me"), true)
	counts, err := db.RallyNeeds(context.Background(), mustID(t, seat), mustID(t, role))
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[mustID(t, seat)]; got.Total() != 1 || got[store.NeedSpanish] != 1 {
		t.Errorf("counts at the first rally after forget-me: %v, want only the other member's Spanish", got)
	}
	if got := counts[mustID(t, role)]; got.Total() != 0 {
		t.Errorf("counts at the staffed rally after forget-me: %v, want none", got)
	}
}

// TestNeedsCountedInEveryView: leads in /rally info and /rally attendees,
// coordinators in /action status, /summary now, the daily summary and the
// CSV see how many need each thing, and never who.
func TestNeedsCountedInEveryView(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	actionID, _ := h.actCreate(discordtest.Str("chapters", "Seattle"), discordtest.Int("interpreters", 1))
	db := h.schedDB()
	sea := actRallies(t, db, actionID)["Seattle"]
	id := strconv.FormatInt(sea.ID, 10)
	mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("location", "Westlake Park")), true)
	members := []discordtest.Member{member(1), member(2), member(3), member(4), member(5)}
	for i, needs := range []string{"spanish", "spanish, seating", "spanish", "asl,seating,ride", ""} {
		opts := []discordtest.Option{discordtest.Str("rally", id), discordtest.Str("status", "going")}
		if needs != "" {
			opts = append(opts, discordtest.Str("needs", needs))
		}
		r := h.cmd(members[i], seattleChannel, "rsvp", opts...)
		mustContain(t, r, true, "Got it")
		if i == 3 {
			// The member's own reply is the one place their needs are named with them.
			mustContain(t, r, true, "ASL interpretation, Seating, A ride")
		}
	}
	h.cmd(member(6), seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "maybe"))
	counts := "ASL interpretation 1 · Spanish interpretation 3 · Seating 2 · A ride 1"
	interp := "Interpreters 0/1 · 3 need Spanish, 1 needs ASL"
	everyone := append(append([]discordtest.Member(nil), members...), member(6))

	check := func(t *testing.T, view, text string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", view, w, text)
			}
		}
		needsNoMember(t, view, text, everyone...)
	}

	t.Run("RallyInfo", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", id))
		mustContain(t, r, true)
		check(t, "lead's /rally info", r.Text(), counts, interp)
		needsNone(t, "a volunteer's /rally info", h.cmd(member(1), seattleChannel, "rally info", discordtest.Str("rally", id)).Text())
	})

	t.Run("Attendees", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", id))
		mustContain(t, r, true, "Access and language needs (counts only):** "+counts, "Safety roles:** "+interp)
		// The attendees list names those going, as it always has; the
		// counts stand apart from it, on lines naming nobody.
		for _, line := range strings.Split(r.Text(), "\n") {
			if strings.Contains(line, "Access and language needs") || strings.Contains(line, "need Spanish") {
				needsNoMember(t, "an attendees needs line", line, everyone...)
			}
		}
	})

	t.Run("ActionStatus", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "action status", discordtest.Str("action", strconv.FormatInt(actionID, 10)))
		mustContain(t, r, true)
		check(t, "/action status", r.Text(), "Safety roles: "+interp, "Needs: "+counts,
			"**Needs, all chapters:** "+counts, "**Safety roles, all chapters:** "+interp)
	})

	t.Run("SummaryNow", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "summary now")
		check(t, "/summary now", r.Text(), " · safety roles "+interp+" · needs: "+counts)
	})

	t.Run("DailySummary", func(t *testing.T) {
		h.clock.Set(time.Date(2026, 11, 24, 13, 0, 30, 0, time.UTC)) // the default SUMMARY_CRON's time
		h.runJobs()
		got := h.schedSummaries()
		if len(got) != 1 {
			t.Fatalf("%d daily summaries, want 1", len(got))
		}
		check(t, "the daily summary", messageText(got[0]), " · needs: "+counts)
		h.clock.Set(start)
	})

	t.Run("CSV", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "summary export")
		if len(r.Files) != 1 {
			t.Fatalf("%d files: %q", len(r.Files), r.Text())
		}
		needsNoMember(t, "the CSV", string(r.Files[0].Data), everyone...)
		rows, err := csv.NewReader(bytes.NewReader(r.Files[0].Data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		if col["checked_in"] != 16 || col["needs_asl"] != 17 || col["needs_ride"] != 23 || len(rows[0]) != 24 {
			t.Fatalf("header %v: needs_* must follow checked_in, the last of today's columns", rows[0])
		}
		var row []string
		for _, r := range rows[1:] {
			if r[col["chapter"]] == "Seattle" && r[col["action"]] != "" {
				row = r
			}
		}
		if row == nil {
			t.Fatalf("no Seattle row of the action:\n%s", r.Files[0].Data)
		}
		for key, want := range map[string]int{"asl": 1, "spanish": 3, "other_interpretation": 0, "wheelchair": 0, "seating": 2, "childcare": 0, "ride": 1} {
			if got := row[col["needs_"+key]]; got != strconv.Itoa(want) {
				t.Errorf("needs_%s = %s, want %d", key, got, want)
			}
		}
		if row[col["going"]] != "5" {
			t.Errorf("going = %s, want 5", row[col["going"]])
		}
	})

	t.Run("GoneFromTheCountsOnCantGo", func(t *testing.T) {
		h.cmd(member(4), seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "not_going"))
		r := h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", id))
		check(t, "lead's /rally info", r.Text(), "Spanish interpretation 3 · Seating 1", "Interpreters 0/1 · 3 need Spanish")
		if strings.Contains(r.Text(), "ASL") || strings.Contains(r.Text(), "A ride") {
			t.Errorf("counts keep the needs of a member who can't go:\n%s", r.Text())
		}
	})

	t.Run("SpanishCounts", func(t *testing.T) {
		es := lead
		es.Locale = "es-419"
		r := h.cmd(es, seattleChannel, "rally info", discordtest.Str("rally", id))
		check(t, "a Spanish lead's /rally info", r.Text(), "Necesidades de acceso e idioma (solo conteos)",
			"Interpretación al español 3 · Un lugar para sentarse 1", "Intérpretes 0/1 · 3 necesitan español")
	})
}

// TestNeedsStaffingAlert: a rally whose interpreters signed up are fewer
// than the kinds of interpretation its members going need alerts its lead
// role, whatever its minimum; the alert names no need and no member.
func TestNeedsStaffingAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "2h")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	// Two languages, one interpreter: short, though the minimum of 1 is met.
	twoLangs := h.schedRally("Seattle", seattleChannel, "Two languages", at, discordtest.Int("interpreters", 1))
	// Spanish needed and no minimum at all: nobody can sign up yet.
	noMinimum := h.schedRally("Seattle", seattleChannel, "No minimum", at)
	// One language, one interpreter: covered.
	covered := h.schedRally("Seattle", seattleChannel, "Covered", at, discordtest.Int("interpreters", 1))
	rsvp := func(id int64, m discordtest.Member, extra ...discordtest.Option) {
		t.Helper()
		r := h.cmd(m, seattleChannel, "rsvp", append([]discordtest.Option{discordtest.Str("rally", strconv.FormatInt(id, 10)), discordtest.Str("status", "going")}, extra...)...)
		if !strings.Contains(r.Text(), "Saved for") && !strings.Contains(r.Text(), "interpreter") {
			t.Fatalf("rsvp: %q", r.Text())
		}
	}
	rsvp(twoLangs, member(1), discordtest.Str("role", "interpreter"))
	rsvp(twoLangs, member(2), discordtest.Str("needs", "spanish"))
	rsvp(twoLangs, member(3), discordtest.Str("needs", "asl"))
	rsvp(noMinimum, member(2), discordtest.Str("needs", "spanish"))
	rsvp(covered, member(1), discordtest.Str("role", "interpreter"))
	rsvp(covered, member(2), discordtest.Str("needs", "spanish"))
	rsvp(covered, member(3), discordtest.Str("needs", "spanish"))

	h.clock.Set(at.Add(-24 * time.Hour))
	h.runJobs()
	h.runJobs()
	for _, c := range []struct {
		id      int64
		alerts  int
		missing string
	}{{twoLangs, 1, "1 interpreter"}, {noMinimum, 1, "1 interpreter"}, {covered, 0, ""}} {
		if n := h.staffingAlerts(seattleChannel, c.id); n != c.alerts {
			t.Errorf("rally #%d: %d staffing alerts, want %d", c.id, n, c.alerts)
			continue
		}
		if c.alerts == 0 {
			continue
		}
		for _, m := range h.fake.Messages(seattleChannel) {
			text := messageText(m)
			if !strings.Contains(text, fmt.Sprintf("Rally #%d · staffing alert", c.id)) {
				continue
			}
			for _, want := range []string{"<@&" + seattleLead + ">", "still needed " + c.missing, "interpretation in more languages than interpreters have signed up"} {
				if !strings.Contains(text, want) {
					t.Errorf("alert of #%d lacks %q:\n%s", c.id, want, text)
				}
			}
			needsNone(t, "a staffing alert in the channel", text)
			needsNoMember(t, "a staffing alert", text, member(1), member(2), member(3))
		}
	}
}
