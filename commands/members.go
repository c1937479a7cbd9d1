package commands

import "context"

// MemberLeft is the gateway's word (GUILD_MEMBER_REMOVE, with MEMBER_EVENTS
// on) that a member left the server, was kicked or was banned: they are
// taken off its rallies at once, as a membership check answered Unknown
// Member would, rather than at the next DM. Nothing is sent to them. A
// server the bot does not serve is ignored.
func (a *App) MemberLeft(ctx context.Context, guildID, userID string) {
	if guildID == "" || userID == "" || !a.GuildAllowed(guildID) {
		return
	}
	a.memberGone(ctx, guildID, userID)
}
