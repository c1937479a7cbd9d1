package commands

import "github.com/bwmarrin/discordgo"

// publicCommands answer in the channel for everyone to see; every other
// command, button and refusal answers only the member. A route's visibility
// must be known before its handler finishes: a reply deferred past Discord's
// 3-second deadline keeps the visibility of the defer.
var publicCommands = map[string]bool{
	"chapter list": true,
	"rally list":   true,
	"rally info":   true,
	"action list":  true,
}

// Ephemeral reports whether the interaction's answer is seen only by the
// member, judged from its command path alone.
func (a *App) Ephemeral(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return true
	}
	path, _, _ := flatten(i.ApplicationCommandData())
	return !publicCommands[path]
}
