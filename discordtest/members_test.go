package discordtest

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// memberEvents collects what a session hears of members, and each
// GUILD_CREATE's guild id, in the order the gateway sent them.
func memberEvents(dg *discordgo.Session) chan string {
	seen := make(chan string, 16)
	dg.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
		seen <- "remove " + m.GuildID + " " + m.User.ID
	})
	dg.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberAdd) {
		seen <- "add " + m.GuildID + " " + m.User.ID
	})
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { seen <- "guild " + g.ID })
	return seen
}

func next(t *testing.T, seen chan string) string {
	t.Helper()
	select {
	case s := <-seen:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return ""
	}
}

// TestMemberRemoveNeedsTheIntent: RemoveMember tells a session that asked
// for the Guild Members intent (GUILD_MEMBER_REMOVE, and GUILD_MEMBER_ADD
// when the member comes back), and nobody else, as Discord does; the
// membership lookup answers 10007 either way.
func TestMemberRemoveNeedsTheIntent(t *testing.T) {
	t.Parallel()
	t.Run("WithIntent", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, Config{PrivilegedIntentsAllowed: true})
		dg := newSession(t, srv, testToken, discordgo.IntentsGuilds|discordgo.IntentsGuildMembers)
		seen := memberEvents(dg)
		open(t, srv, dg)
		if got := next(t, seen); got != "guild "+guildID {
			t.Fatalf("first event %q, want the GUILD_CREATE", got)
		}
		if ids := srv.Identifies(); len(ids) != 1 || ids[0].Intents != discordgo.IntentsGuilds|discordgo.IntentsGuildMembers {
			t.Fatalf("identifies = %+v", ids)
		}
		srv.RemoveMember(guildID, userID)
		if got := next(t, seen); got != "remove "+guildID+" "+userID {
			t.Fatalf("after RemoveMember: %q, want GUILD_MEMBER_REMOVE", got)
		}
		srv.RemoveMember(guildID, userID) // already gone: Discord says it once
		srv.RemoveMember("200000000000000077", userID)
		srv.RestoreMember(guildID, userID)
		if got := next(t, seen); got != "add "+guildID+" "+userID {
			t.Fatalf("after RestoreMember: %q, want only GUILD_MEMBER_ADD", got)
		}
	})
	t.Run("WithoutIntent", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, Config{PrivilegedIntentsAllowed: true})
		dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
		seen := memberEvents(dg)
		open(t, srv, dg)
		if got := next(t, seen); got != "guild "+guildID {
			t.Fatalf("first event %q, want the GUILD_CREATE", got)
		}
		srv.RemoveMember(guildID, userID)
		srv.RestoreMember(guildID, userID)
		srv.RemoveMember(guildID, userID)
		// Events arrive in order: a later GUILD_CREATE comes after anything
		// RemoveMember would have sent.
		srv.AddGuild(Guild{ID: "200000000000000009", Name: "Later"})
		if got := next(t, seen); got != "guild 200000000000000009" {
			t.Fatalf("a session without the intent heard %q", got)
		}
		if _, err := dg.GuildMember(guildID, userID); err == nil {
			t.Fatal("a removed member is still found")
		}
	})
}
