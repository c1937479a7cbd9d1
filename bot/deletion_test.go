package bot_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"rallybot/discordtest"
)

// privacyRaw opens the bot's database file read-only, straight through
// SQLite, for a test to look at what is really kept.
func (h *harness) privacyRaw() *sql.DB {
	h.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+h.dbPath+"?"+url.Values{"mode": {"ro"}, "_query_only": {"on"}, "_busy_timeout": {"5000"}}.Encode())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// privacyHolders lists every table and column of the database whose value
// holds s: all of them, not a list of the ones thought to hold member ids,
// so a table added later cannot hide one.
func (h *harness) privacyHolders(s string) []string {
	h.t.Helper()
	db := h.privacyRaw()
	defer db.Close()
	rows, err := db.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		h.t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			h.t.Fatal(err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if len(cols) < 20 {
		h.t.Fatalf("only %d columns found; the schema was not read", len(cols))
	}
	var out []string
	for _, tc := range cols {
		var n int
		q := fmt.Sprintf(`SELECT COUNT(*) FROM "%s" WHERE instr(CAST("%s" AS TEXT), ?) > 0`, tc[0], tc[1])
		if err := db.QueryRow(q, s).Scan(&n); err != nil {
			h.t.Fatalf("%s.%s: %v", tc[0], tc[1], err)
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s.%s (%d rows)", tc[0], tc[1], n))
		}
	}
	return out
}

// privacyCount runs a COUNT query straight on the file.
func (h *harness) privacyCount(query string, args ...any) int {
	h.t.Helper()
	db := h.privacyRaw()
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// privacyForgetInDM runs /privacy forget-me in the member's DM with the bot.
func (h *harness) privacyForgetInDM(m discordtest.Member) *discordtest.Reply {
	h.t.Helper()
	ch := h.fake.DMChannel(m.UserID)
	if ch == "" {
		h.t.Fatalf("member %s has no DM channel with the bot", m.UserID)
	}
	r, err := h.fake.Command(h.ctx(), discordtest.Invocation{ChannelID: ch, Member: m}, "privacy forget-me")
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// TestForgetMeFromDMEveryServer: forget-me in a DM with the bot deletes the
// member from both servers at once (RSVPs, a role, preferences, language,
// DM records), gives the freed seat to the waitlist, deletes the DMs the bot
// sent them on Discord, and leaves the id in no table and not in the log.
func TestForgetMeFromDMEveryServer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	r := h.cmd(admin, otherChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", otherChannel))
	mustContain(t, r, true, "<#"+otherChannel+">")

	es := discordtest.Member{UserID: volunteer.UserID, Permissions: volunteer.Permissions, Locale: "es-419"}
	waiting := member(1)
	id, ann := h.createRally(discordtest.Int("capacity", 1))
	mustContain(t, h.click(es, seattleChannel, ann.ID, "rsvp:going:"+id), true)
	mustContain(t, h.click(waiting, seattleChannel, ann.ID, "rsvp:going:"+id), true, "waitlist")
	roleID, _ := h.rolesCreate("Medics needed", discordtest.Int("medics", 1))
	mustContain(t, h.cmd(es, seattleChannel, "rsvp", discordtest.Str("rally", roleID), discordtest.Str("status", "going"), discordtest.Str("role", "medic")), true)

	r = h.cmd(admin, otherChannel, "rally create", discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Other server's march"),
		discordtest.Str("when", "2026-11-29 12:00"), discordtest.Str("location", "Daley Plaza"))
	other := rallyIDPattern.FindStringSubmatch(r.Text())
	if other == nil {
		t.Fatalf("rally create in the other server: %q", r.Text())
	}
	mustContain(t, h.cmd(es, otherChannel, "rsvp", discordtest.Str("rally", other[1]), discordtest.Str("status", "maybe")), true)
	mustContain(t, h.cmd(es, otherChannel, "notify", discordtest.Str("reminders", "off")), true)

	// The day-before reminder goes by DM in the first server.
	h.clock.Set(time.Date(2026, 11, 27, 22, 31, 0, 0, time.UTC))
	h.runJobs()
	sent := h.fake.DMs(es.UserID)
	if len(sent) == 0 {
		t.Fatal("no DM reminder was sent; the test cannot tell anything")
	}
	if got := h.privacyHolders(es.UserID); len(got) < 5 {
		t.Fatalf("the member's id is in %v only; the test wants RSVPs, a role, a DM record, a preference and a language", got)
	}

	reply := h.privacyForgetInDM(es)
	mustContain(t, reply, true, "todos los servidores")
	if got := h.privacyHolders(es.UserID); len(got) != 0 {
		t.Errorf("the forgotten member's id is still in %v", got)
	}
	for _, f := range []string{h.dbPath + "-wal", h.dbPath} {
		if fileHas(t, f, es.UserID) {
			t.Errorf("%s still holds the forgotten member's id", f)
		}
	}
	// Deleted in the background after the reply; once done, nothing of
	// them is owed any more.
	eventually(t, 10*time.Second, "the bot's DMs to the member are deleted on Discord", func() bool {
		return len(h.fake.DMs(es.UserID)) == 0 && len(h.fake.DeletedDMs(es.UserID)) == len(sent) &&
			h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`) == 0
	})
	// The freed seat went to the waitlist, as any cancellation's would.
	info := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", id))
	if !strings.Contains(info.Text(), "<@"+waiting.UserID+">") || strings.Contains(info.Text(), es.UserID) {
		t.Errorf("attendees after forget-me: %q", info.Text())
	}
}

// TestForgetMeWhileABackupReads: with a reader holding the log open (as
// Litestream does), forget-me answers at once and says the log will be
// cleaned; another member's click meanwhile is answered well within a
// second (the checkpoint waits at most store.CheckpointBusyTimeout); once
// the reader lets go the log is cleaned in the background.
func TestForgetMeWhileABackupReads(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	mustContain(t, h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")

	reader := h.privacyRaw()
	tx, err := reader.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM rsvps`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader sees %d RSVPs (%v)", n, err)
	}

	var wg sync.WaitGroup
	var click *discordtest.Reply
	wg.Add(1)
	go func() {
		defer wg.Done()
		click = h.click(member(2), seattleChannel, ann.ID, "rsvp:maybe:"+id)
	}()
	forget := h.cmd(volunteer, seattleChannel, "privacy forget-me")
	wg.Wait()
	mustContain(t, forget, true, "Deleted your 1 RSVP", "will be cleaned")
	mustContain(t, click, true, "maybe")
	// A generous bound: the old checkpoint held the write lock for up to
	// 25 s (4 s measured for a click); this one gives up after 100 ms.
	if click.Latency > time.Second || forget.Latency > time.Second {
		t.Errorf("click answered after %v, forget-me after %v; want both under a second", click.Latency, forget.Latency)
	}
	if !fileHas(t, h.dbPath+"-wal", volunteer.UserID) {
		t.Log("the reader did not keep the id in the log; the retry is not exercised")
	}
	tx.Rollback()
	eventually(t, 15*time.Second, "the log is cleaned once the reader is done", func() bool {
		return !fileHas(t, h.dbPath+"-wal", volunteer.UserID) && !fileHas(t, h.dbPath, volunteer.UserID)
	})
}

// TestForgetMeWhileADMIsOnItsWay: a DM that reaches Discord after forget-me
// deleted its record (its send was on its way: its message posted, or its
// DM channel being opened) is deleted on Discord too, once its answer comes
// back: nothing the bot sent the member outlives their forget-me, nothing
// of where it was is kept, and the DM channel opened for it is not held in
// memory (the member's next DM opens it anew).
func TestForgetMeWhileADMIsOnItsWay(t *testing.T) {
	t.Parallel()
	for _, held := range []struct {
		name, route string
		onItsWay    func(h *harness) bool // Discord has done it, the bot has no answer yet
	}{
		{"MessagePosted", postMessage, func(h *harness) bool { return len(h.noticeDMs(member(2), "A seat opened up")) == 1 }},
		{"ChannelOpening", "/users/@me/channels", func(h *harness) bool { return h.fake.DMChannel(member(2).UserID) != "" }},
	} {
		t.Run(held.name, func(t *testing.T) {
			t.Parallel()
			h, id, ann := waitlistedHarness(t)
			release := h.fake.Hold("POST", held.route)
			h.click(member(1), seattleChannel, ann.ID, "rsvp:not_going:"+id)
			eventually(t, 10*time.Second, "the promotion's DM on its way", func() bool { return held.onItsWay(h) })
			mustContain(t, h.cmd(member(2), seattleChannel, "privacy forget-me"), true, "Deleted your")
			release()
			eventually(t, 10*time.Second, "the DM is deleted once its send has answered", func() bool {
				return len(h.fake.DeletedDMs(member(2).UserID)) == 1 && len(h.fake.DMs(member(2).UserID)) == 0
			})
			eventually(t, 10*time.Second, "the deletion done, its row gone", func() bool {
				return h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'dm_delete'`) == 0
			})
			if held := h.privacyHolders(member(2).UserID); len(held) != 0 {
				t.Errorf("the forgotten member's id is still in %v", held)
			}

			// Going again, the member is told of a change: the bot opens
			// their DM channel again, as it does for a member it never knew.
			opened := h.fake.CountRequests("POST", "/users/@me/channels")
			mustContain(t, h.click(member(2), seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")
			h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("location", "Cal Anderson Park"))
			eventually(t, 10*time.Second, "the change reaches the member", func() bool {
				return len(h.fake.DMs(member(2).UserID)) == 1
			})
			if n := h.fake.CountRequests("POST", "/users/@me/channels") - opened; n != 1 {
				t.Errorf("the DM channel was opened %d times for the DM after forget-me, want 1: it was held in memory through forget-me", n)
			}
		})
	}
}

// TestForgetMeOpensNoDMChannelForNothing: forget-me in a server looks up
// the member's DM channel only when a DM deletion is kept for later
// somewhere; a member the bot never wrote to gets no DM channel opened by
// asking to be forgotten.
func TestForgetMeOpensNoDMChannelForNothing(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	mustContain(t, h.click(volunteer, seattleChannel, ann.ID, "rsvp:going:"+id), true, "you're **going**")
	mustContain(t, h.cmd(volunteer, seattleChannel, "privacy forget-me"), true, "Deleted your 1 RSVP")
	if n := h.fake.CountRequests("POST", "/users/@me/channels"); n != 0 || h.fake.DMChannel(volunteer.UserID) != "" {
		t.Errorf("forget-me opened a DM channel with a member never written to (%d requests)", n)
	}
}

// TestLocaleKeptOnlyWithRSVP: a Spanish-speaking member's language is not
// stored by autocomplete or a look at a list, only once they RSVP.
func TestLocaleKeptOnlyWithRSVP(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.createRally()
	es := discordtest.Member{UserID: member(3).UserID, Permissions: volunteer.Permissions, Locale: "es-419"}
	if _, err := h.fake.Autocomplete(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: es}, "rsvp",
		discordtest.Option{Name: "rally", Type: 3, Value: "Rally", Focused: true}); err != nil {
		t.Fatal(err)
	}
	h.cmd(es, seattleChannel, "rally list")
	h.cmd(es, seattleChannel, "chapter list")
	if n := h.privacyCount(`SELECT COUNT(*) FROM member_locales WHERE user_id = ?`, es.UserID); n != 0 {
		t.Fatalf("the locale of a member with no RSVP is stored (%d rows)", n)
	}
	mustContain(t, h.click(es, seattleChannel, ann.ID, "rsvp:going:"+id), true)
	if n := h.privacyCount(`SELECT COUNT(*) FROM member_locales WHERE user_id = ? AND locale = 'es-419'`, es.UserID); n != 1 {
		t.Errorf("the locale of a member going is not stored (%d rows); their DMs would be in English", n)
	}
}

// TestRetentionClearsReasonsAndPreferences: retention clears a past rally's
// cancel reason, and deletes the DM preference of a member with no RSVP
// since, keeping that of a member still going somewhere.
func TestRetentionClearsReasonsAndPreferences(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "RETENTION_DAYS", "1")
	id, _ := h.createRally()
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Str("reason", "the landlord's lawyer called")), true)
	later, ann := h.createRally(discordtest.Str("title", "Much later"), discordtest.Str("when", "2027-02-01 12:00"))
	idle, active := member(4), member(5)
	mustContain(t, h.cmd(idle, seattleChannel, "notify", discordtest.Str("reminders", "off")), true)
	mustContain(t, h.cmd(active, seattleChannel, "notify", discordtest.Str("reminders", "off")), true)
	mustContain(t, h.click(active, seattleChannel, ann.ID, "rsvp:going:"+later), true)

	h.clock.Set(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	h.runJobs()
	if n := h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE cancel_reason != ''`); n != 0 {
		t.Errorf("%d cancel reasons kept past retention", n)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM member_prefs WHERE user_id = ?`, idle.UserID); n != 0 {
		t.Errorf("the preference of a member with no RSVP in the retention period is kept")
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM member_prefs WHERE user_id = ?`, active.UserID); n != 1 {
		t.Errorf("the preference of a member going to a coming rally was deleted")
	}
}

// TestRetentionClearsSafeHomeOptOut: turning the "Home safe?" DM off is a
// preference too: retention deletes it, with every other trace of the
// member, once they have had no RSVP for RETENTION_DAYS, and keeps that of
// a member still going somewhere.
func TestRetentionClearsSafeHomeOptOut(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "RETENTION_DAYS", "1")
	past, ann := h.createRally()
	later, laterAnn := h.createRally(discordtest.Str("title", "Much later"), discordtest.Str("when", "2027-02-01 12:00"))
	idle, active := member(4), member(5)
	mustContain(t, h.click(idle, seattleChannel, ann.ID, "rsvp:going:"+past), true)
	mustContain(t, h.click(active, seattleChannel, laterAnn.ID, "rsvp:going:"+later), true)
	for _, m := range []discordtest.Member{idle, active} {
		mustContain(t, h.cmd(m, seattleChannel, "notify", discordtest.Str("safe_home", "off")), true)
	}
	if got := h.privacyHolders(idle.UserID); len(got) < 2 {
		t.Fatalf("the idle member is in %v only; the test wants an RSVP and the opt-out", got)
	}

	h.clock.Set(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	h.runJobs()
	if got := h.privacyHolders(idle.UserID); len(got) != 0 {
		t.Errorf("a member with no RSVP in the retention period is still in %v", got)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM safe_home_optout WHERE user_id = ?`, active.UserID); n != 1 {
		t.Errorf("the safe-home opt-out of a member going to a coming rally was deleted")
	}
}

// TestRemovedServerDeletedAfterAWeek: when the bot is removed from a server
// (GUILD_DELETE without `unavailable`) its data is deleted 7 days later,
// unless it is added back first; an outage deletes nothing.
func TestRemovedServerDeletedAfterAWeek(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	mustContain(t, h.cmd(admin, otherChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", otherChannel)), true)
	r := h.cmd(admin, otherChannel, "rally create", discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Other server's march"),
		discordtest.Str("when", "2026-11-29 12:00"), discordtest.Str("location", "Daley Plaza"))
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	mustContain(t, h.cmd(volunteer, otherChannel, "rsvp", discordtest.Str("rally", m[1]), discordtest.Str("status", "going")), true)
	h.createRally()
	otherRows := func() int {
		return h.privacyCount(`SELECT (SELECT COUNT(*) FROM guilds WHERE id = ?1) + (SELECT COUNT(*) FROM chapters WHERE guild_id = ?1)
			+ (SELECT COUNT(*) FROM rallies WHERE guild_id = ?1) + (SELECT COUNT(*) FROM rsvps v JOIN rallies r ON r.id = v.rally_id WHERE r.guild_id = ?1)`, otherID)
	}
	mine := func() int {
		return h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE guild_id = ?`, guildID)
	}
	departures := func() int { return h.privacyCount(`SELECT COUNT(*) FROM guild_departures`) }
	before := otherRows()
	if before < 10 {
		t.Fatalf("the other server has %d rows; the test cannot tell anything", before)
	}

	h.fake.GuildOutage(otherID)
	h.fake.RemoveGuild(otherID)
	eventually(t, 5*time.Second, "the removal is recorded", func() bool { return departures() == 1 })
	h.clock.Add(6 * 24 * time.Hour)
	h.runJobs()
	if n := otherRows(); n != before {
		t.Fatalf("%d rows of a server removed 6 days ago, want all %d kept", n, before)
	}
	h.fake.AddGuild(discordtest.Guild{ID: otherID, Name: "Other", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: otherChannel, Name: "general"}}, Roles: []discordtest.Role{{ID: otherID, Name: "@everyone"}}})
	eventually(t, 5*time.Second, "the return cancels the deletion", func() bool { return departures() == 0 })
	h.clock.Add(2 * 24 * time.Hour)
	h.runJobs()
	if n := otherRows(); n != before {
		t.Fatalf("%d rows of a server the bot came back to, want all %d kept", n, before)
	}

	h.fake.RemoveGuild(otherID)
	eventually(t, 5*time.Second, "the second removal is recorded", func() bool { return departures() == 1 })
	h.clock.Add(7*24*time.Hour + time.Minute)
	h.runJobs()
	if n := otherRows(); n != 0 {
		t.Errorf("%d rows of a server removed a week ago are kept", n)
	}
	if got := h.privacyHolders(otherID); len(got) != 0 {
		t.Errorf("the removed server's id is still in %v", got)
	}
	if departures() != 0 || mine() != 1 {
		t.Errorf("departures %d, rallies of the server still served %d; want 0 and 1", departures(), mine())
	}
}

// metricLabels lists every label value the running bot's metrics carry,
// as name=value.
func (h *harness) metricLabels() []string {
	h.t.Helper()
	families, err := h.metrics.Load().Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				out = append(out, l.GetName()+"="+l.GetValue())
			}
		}
	}
	return out
}

// TestMetricsCarryKindsOnly: the DMs a lead's answer to a request owes,
// and forget-me's deletions, are counted by kind: no label names a member
// or one DM (a DM's own id would make a series per DM, and count them one
// by one for whoever scrapes).
func TestMetricsCarryKindsOnly(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, ann := h.privRally("Closed meeting", start.Add(30*time.Hour), discordtest.Bool("approval", true))
	approved, declined := member(1), member(2)
	for _, m := range []discordtest.Member{approved, declined} {
		mustContain(t, h.noticeRSVP(m, ann, id, "going"), true, "went to the")
	}
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", fmt.Sprint(id)))
	mustContain(t, h.click(lead, seattleChannel, att.MessageID, fmt.Sprintf("request:approve:%d:%s", id, approved.UserID)), true, "Approved")
	mustContain(t, h.click(lead, seattleChannel, att.MessageID, fmt.Sprintf("request:decline:%d:%s", id, declined.UserID)), true, "Declined")
	eventually(t, 10*time.Second, "both answers reach the members", func() bool {
		return len(h.fake.DMs(approved.UserID)) == 1 && len(h.fake.DMs(declined.UserID)) == 1
	})
	mustContain(t, h.cmd(approved, seattleChannel, "privacy forget-me"), true, "Deleted")
	eventually(t, 10*time.Second, "forget-me's DM deletion is done and counted", func() bool {
		labels := h.metricLabels()
		notices := slices.IndexFunc(labels, func(l string) bool { return strings.HasPrefix(l, "job=dm_notice") })
		return len(h.fake.DMs(approved.UserID)) == 0 && slices.Contains(labels, "job=dm_delete") && notices >= 0
	})

	kind := regexp.MustCompile(`^(kind|job|outcome|class)=[a-z_]+$`)
	var jobs []string
	for _, l := range h.metricLabels() {
		if !kind.MatchString(l) {
			t.Errorf("a metric label is not a kind: %q", l)
		}
		if strings.HasPrefix(l, "job=") {
			jobs = append(jobs, l)
		}
	}
	if !slices.Contains(jobs, "job=dm_notice") || !slices.Contains(jobs, "job=dm_delete") {
		t.Errorf("jobs counted %v; want the answers' DMs as dm_notice and the deletion as dm_delete", jobs)
	}
}
