package commands

import "github.com/bwmarrin/discordgo"

// manageServer is the permission an admin-only command asks of its caller
// by default.
var manageServer int64 = discordgo.PermissionManageGuild

// adminByDefault makes a command every route of which is admin-only hidden
// by Discord from members without Manage Server (default_member_permissions,
// which discordgo sends as a string of digits, as Discord documents it). A
// server can still grant it to others in its integration settings, so the
// handler checks all the same.
func adminByDefault(c *Command) {
	if len(c.Routes) == 0 {
		return
	}
	for _, r := range c.Routes {
		if r.Access != Admin {
			return
		}
	}
	p := manageServer
	c.Def.DefaultMemberPermissions = &p
}
