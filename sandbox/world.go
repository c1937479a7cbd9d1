package sandbox

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"rallybot/fakediscord"
)

// The sandbox's one server. Ids are fixed so a kept DATABASE_PATH finds its
// chapters bound to the same channels on the next start.
const (
	// GuildID is the sandbox server's id, for DISCORD_GUILD_ID.
	GuildID = "900000000000000001"
	// Token is the bot token the fake accepts; it opens nothing else.
	Token = "sandbox.not-a-real-token"

	coordinatorsChannel = "910000000000000008"
	generalChannel      = "910000000000000009"
	coordinatorRole     = "920000000000000008"
)

// chapter is one of the seven the bot seeds, with its channel and lead role.
type chapter struct {
	Name, ChannelID, ChannelName, RoleID string
}

var chapters = func() []chapter {
	names := []struct{ name, slug string }{
		{"Seattle", "seattle"}, {"Chicago", "chicago"}, {"Los Angeles", "los-angeles"},
		{"New York City", "new-york-city"}, {"Oakland", "oakland"},
		{"San Bernardino", "san-bernardino"}, {"Washington DC", "washington-dc"},
	}
	out := make([]chapter, len(names))
	for i, n := range names {
		out[i] = chapter{Name: n.name, ChannelName: n.slug,
			ChannelID: fmt.Sprintf("9100000000000000%02d", i+1), RoleID: fmt.Sprintf("9200000000000000%02d", i+1)}
	}
	return out
}()

// member is someone the page can act as. Member.Locale is their Discord
// client's language: a Spanish one gets the bot's Spanish replies and sees
// Discord's timestamps in Spanish.
type member struct {
	Key, Name, Role string
	fakediscord.Member
}

// spanishLocale is the Discord locale of the sandbox's Spanish speakers.
const spanishLocale = "es-419"

// spanish reports whether the member reads Discord in Spanish.
func (m member) spanish() bool { return strings.HasPrefix(m.Locale, "es") }

const viewer = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionUseSlashCommands

// members: the admin first (the one who binds the chapters), a lead per
// chapter, a coordinator, volunteers.
var members = func() []member {
	out := []member{{Key: "admin", Name: "Avery", Role: "admin (Manage Server)",
		Member: fakediscord.Member{UserID: "930000000000000001", Permissions: viewer | discordgo.PermissionManageGuild}}}
	leads := []string{"Sky", "Cam", "Lupe", "Nia", "Oli", "Sam", "Wes"}
	for i, c := range chapters {
		m := member{Key: "lead-" + c.ChannelName, Name: leads[i], Role: c.Name + " lead",
			Member: fakediscord.Member{UserID: fmt.Sprintf("9300000000000001%02d", i+1), Roles: []string{c.RoleID}, Permissions: viewer}}
		if c.Name == "Los Angeles" {
			m.Role, m.Locale = c.Name+" lead, Discord in Spanish (es-419)", spanishLocale
		}
		out = append(out, m)
	}
	out = append(out, member{Key: "coordinator", Name: "Casey", Role: "coordinator",
		Member: fakediscord.Member{UserID: "930000000000000201", Roles: []string{coordinatorRole}, Permissions: viewer}})
	for i, n := range []string{"Robin", "Jordan", "Priya", "Mateo"} {
		m := member{Key: fmt.Sprintf("volunteer-%d", i+1), Name: n, Role: "volunteer",
			Member: fakediscord.Member{UserID: fmt.Sprintf("9300000000000003%02d", i+1), Permissions: viewer}}
		if n == "Mateo" {
			m.Role, m.Locale = "volunteer, Discord in Spanish (es-419)", spanishLocale
		}
		out = append(out, m)
	}
	return out
}()

func memberByKey(key string) (member, bool) {
	for _, m := range members {
		if m.Key == key {
			return m, true
		}
	}
	return member{}, false
}

func memberByID(id string) (member, bool) {
	for _, m := range members {
		if m.UserID == id {
			return m, true
		}
	}
	return member{}, false
}

func guild() fakediscord.Guild {
	g := fakediscord.Guild{ID: GuildID, Name: "Rally coalition (sandbox)", OwnerID: members[0].UserID,
		Roles: []fakediscord.Role{{ID: GuildID, Name: "@everyone", Permissions: viewer}}}
	for _, c := range chapters {
		g.Channels = append(g.Channels, fakediscord.Channel{ID: c.ChannelID, Name: c.ChannelName})
		g.Roles = append(g.Roles, fakediscord.Role{ID: c.RoleID, Name: c.Name + " leads"})
	}
	g.Channels = append(g.Channels,
		fakediscord.Channel{ID: coordinatorsChannel, Name: "coordinators"},
		fakediscord.Channel{ID: generalChannel, Name: "general"})
	g.Roles = append(g.Roles, fakediscord.Role{ID: coordinatorRole, Name: "Coordinators"})
	return g
}
