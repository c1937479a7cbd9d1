package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/bot"
	"rallybot/discordtest"
)

// keepsNoMembers fails if the bot's session holds any member of the guild:
// the state must not keep the names GUILD_CREATE carries.
func (h *harness) keepsNoMembers(t *testing.T, guild string) {
	t.Helper()
	s := h.session.Load()
	g, err := s.State.Guild(guild)
	if err != nil {
		t.Fatalf("the state does not know server %s: %v", guild, err)
	}
	s.State.RLock()
	n := len(g.Members)
	s.State.RUnlock()
	if n != 0 {
		t.Errorf("the state keeps %d members of server %s", n, guild)
	}
	if m, err := s.State.Member(guild, s.State.User.ID); err == nil {
		t.Errorf("the state keeps a member: %+v", m.User)
	}
}

// TestMemberEvents: with MEMBER_EVENTS=on the bot identifies with the Guild
// Members intent, and a member who leaves a server it serves is taken off
// its rallies at once: the first on the waitlist is promoted and told once,
// the announcement is redrawn, the departed member's RSVP is deleted and
// nothing is sent to them, with no membership check needed. A departure
// from a server the bot does not serve changes nothing, and no member is
// held in memory.
func TestMemberEvents(t *testing.T) {
	t.Parallel()
	h := newHarnessOn(t, discordtest.Config{Token: token, PrivilegedIntentsAllowed: true}, nil, "MEMBER_EVENTS", "on")
	h.setupChapter("Seattle", seattleChannel, seattleLead)

	// A rally in the second server, which the bot stops serving below.
	elsewhere := member(3)
	mustContain(t, h.cmd(admin, otherChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.ChannelOpt("channel", otherChannel)), true)
	r := h.cmd(admin, otherChannel, "rally create", discordtest.Str("chapter", "Chicago"), discordtest.Str("title", "Other server's march"),
		discordtest.Str("when", "2026-11-29 12:00"), discordtest.Str("location", "Daley Plaza"))
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		t.Fatalf("rally create: %q", r.Text())
	}
	mustContain(t, h.cmd(elsewhere, otherChannel, "rsvp", discordtest.Str("rally", m[1]), discordtest.Str("status", "going")), true, "going")
	rowsElsewhere := func() int {
		return h.privacyCount(`SELECT COUNT(*) FROM rsvps v JOIN rallies r ON r.id = v.rally_id WHERE r.guild_id = ? AND v.user_id = ?`, otherID, elsewhere.UserID)
	}
	if rowsElsewhere() != 1 {
		t.Fatal("the RSVP in the second server was not recorded")
	}

	// The bot now serves the first server only; its attempt to leave the
	// second fails, so Discord still tells it of that server's members.
	h.fake.FailNext(http.MethodDelete, "/users/@me/guilds/{guild_id}", 1, http.StatusForbidden)
	h.env["ALLOWED_GUILDS"] = guildID
	h.restart()
	for _, id := range h.fake.Identifies() {
		if id.Intents != discordgo.IntentsGuilds|discordgo.IntentsGuildMembers {
			t.Fatalf("identified with intents %d, want Guilds and Guild Members (%d)", id.Intents, discordgo.IntentsGuilds|discordgo.IntentsGuildMembers)
		}
	}
	h.keepsNoMembers(t, guildID)

	at := start.Add(30 * time.Hour)
	id := h.schedRally("Seattle", seattleChannel, "Vigil", at, discordtest.Int("capacity", 1))
	ann := h.actAnnouncement(seattleChannel, id)
	gone, next := member(1), member(2)
	mustContain(t, h.noticeRSVP(gone, ann, id, "going"), true, "going")
	mustContain(t, h.noticeRSVP(next, ann, id, "going"), true, "waitlist")
	eventually(t, 10*time.Second, "the announcement shows the waitlist", func() bool {
		return strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "1 waitlisted")
	})
	dmsBefore := len(h.fake.DMs(gone.UserID))

	// In the order Discord sends them: the server not served first.
	h.fake.RemoveMember(otherID, elsewhere.UserID)
	h.fake.RemoveMember(guildID, gone.UserID)

	promoted := func() int { return len(h.noticeDMs(next, "now **going**")) }
	eventually(t, 10*time.Second, "the member first on the waitlist is told they are going", func() bool { return promoted() >= 1 })
	eventually(t, 10*time.Second, "the announcement is redrawn without the waitlist", func() bool {
		return !strings.Contains(messageText(h.fake.Message(seattleChannel, ann.ID)), "waitlisted")
	})
	if st, err := h.schedDB().MemberStanding(context.Background(), id, next.UserID); err != nil || st.Status != "going" {
		t.Errorf("the waitlisted member stands %+v (%v), want going", st, err)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM rsvps WHERE rally_id = ? AND user_id = ?`, id, gone.UserID); n != 0 {
		t.Errorf("the departed member's RSVP is kept (%d rows)", n)
	}
	for _, q := range h.fake.Requests() {
		if q.Path == "/guilds/"+guildID+"/members/"+gone.UserID {
			t.Errorf("the departure was looked up (%s %s): the event says it", q.Method, q.Path)
		}
	}
	// The server not served: its RSVP stays as it was, nothing looked up.
	if rowsElsewhere() != 1 {
		t.Error("a departure from a server the bot does not serve changed its data")
	}

	// The sweep sends nothing twice, and nothing goes to the departed member.
	h.runJobs()
	if n := promoted(); n != 1 {
		t.Errorf("the promoted member got %d promotion DMs, want 1", n)
	}
	if got := h.fake.DMs(gone.UserID); len(got) != dmsBefore {
		t.Errorf("the departed member got %d DMs: %s", len(got)-dmsBefore, messageText(got[len(got)-1]))
	}
	att := h.cmd(lead, seattleChannel, "rally attendees", discordtest.Str("rally", fmt.Sprint(id)))
	if strings.Contains(att.Text(), gone.UserID) {
		t.Errorf("the departed member is still listed: %s", att.Text())
	}

	// A member who comes back (GUILD_MEMBER_ADD) is not put in memory.
	h.fake.RestoreMember(guildID, gone.UserID)
	mustContain(t, h.noticeRSVP(gone, ann, id, "going"), true, "waitlist")
	h.keepsNoMembers(t, guildID)
}

// TestMemberEventsIntentRefused: with MEMBER_EVENTS=on and the Server
// Members Intent off in the Developer Portal, the gateway closes with 4014
// and start-up stops once, with the setting and both fixes named.
func TestMemberEventsIntentRefused(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: token})
	fake.AddGuild(discordtest.Guild{ID: guildID, Name: "Coalition", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: seattleChannel, Name: "seattle"}}})
	env := map[string]string{"DISCORD_TOKEN": token, "DISCORD_API_URL": fake.URL(), "DISCORD_GUILD_ID": guildID,
		"DATABASE_PATH": t.TempDir() + "/rallybot.db", "MEMBER_EVENTS": "on"}
	cfg, err := bot.LoadConfig(func(k string) string { return env[k] }, start)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = runBot(ctx, cfg, bot.Options{Now: func() time.Time { return start }, Logger: bot.NewLogger(logs, cfg.LogLevel, cfg.Token),
		Ready: func() { t.Error("the bot became ready without its intents") }})
	var ce *bot.ConfigError
	if !errors.As(err, &ce) || ce.Var != "MEMBER_EVENTS" {
		t.Fatalf("start-up ended with %v (%T), want a MEMBER_EVENTS error", err, err)
	}
	for _, w := range []string{"4014", "Server Members Intent", "Developer Portal", "MEMBER_EVENTS=off"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if ids := fake.Identifies(); len(ids) != 1 {
		t.Errorf("%d identifies, want 1: the bot must stop, not reconnect", len(ids))
	}
}

// TestMemberEventsOff: by default the bot asks for the Guilds intent only
// (so Discord tells it of no member leaving: TestMemberRemoveNeedsTheIntent
// in discordtest), and no member is held in memory; a departure is found by
// the membership check before a DM (TestRemovedFromServer).
func TestMemberEventsOff(t *testing.T) {
	t.Parallel()
	h := newHarnessOn(t, discordtest.Config{Token: token, PrivilegedIntentsAllowed: true}, nil, "DISCORD_GUILD_ID", guildID)
	for _, id := range h.fake.Identifies() {
		if id.Intents != discordgo.IntentsGuilds {
			t.Errorf("identified with intents %d, want Guilds (%d) only", id.Intents, discordgo.IntentsGuilds)
		}
	}
	h.keepsNoMembers(t, guildID)
}
