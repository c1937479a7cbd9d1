package commands

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
)

// The handlers' and jobs' short names for the Discord seam (discord.go).

func (a *App) post(ctx context.Context, channelID string, m discord.Message, nonce string) (*discordgo.Message, error) {
	return a.discord.Post(ctx, channelID, m, nonce)
}

func (a *App) editMessage(ctx context.Context, channelID, messageID string, embeds []*discordgo.MessageEmbed, components []discordgo.MessageComponent) error {
	return a.discord.EditMessage(ctx, channelID, messageID, embeds, components)
}

// memberLang is the language of the member's last seen locale.
func (a *App) memberLang(ctx context.Context, guildID, userID string) Lang {
	locale, err := a.db.MemberLocale(ctx, guildID, userID)
	if err != nil {
		a.log.Warn("could not read a member's locale", "err", err)
	}
	return langOf(locale)
}

// findOwnMessage returns the id of the bot's recent message in the channel
// that matches, or "" when there is none or the channel cannot be read.
func (a *App) findOwnMessage(ctx context.Context, channelID, floorID string, match func(*discordgo.Message) bool) string {
	id, err := a.discord.FindOwnMessage(ctx, channelID, floorID, match)
	if err != nil {
		a.log.Debug("could not look for an earlier send", "channel", channelID, "err", err)
	}
	return id
}
