package discord

import "github.com/bwmarrin/discordgo"

// Reply is the answer to one interaction as the bot sends it: the message,
// or the autocomplete choices, with any files and the follow-ups that did
// not fit in one message.
type Reply struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Ephemeral  bool
	Choices    []*discordgo.ApplicationCommandOptionChoice
	// Files are attachments uploaded with the reply.
	Files []File
	// Followups are further messages, for what does not fit in one.
	Followups []*Reply
	// Update, on a button's reply, edits the message the button is on in
	// place of a new message (a DM's buttons show the choice made).
	Update bool
}

// File is an attachment of a reply. Its bytes are kept, not a reader, so a
// retried send carries the whole file again.
type File struct {
	Name, ContentType string
	Data              []byte
}

// NoMentions is the allowed_mentions of every message the bot sends: user
// text never pings anyone.
func NoMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Callback is the interaction response that sends r at once.
func Callback(i *discordgo.Interaction, r *Reply) *discordgo.InteractionResponse {
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: r.Choices},
		}
	}
	data := &discordgo.InteractionResponseData{
		Content:         r.Content,
		Embeds:          nonNilEmbeds(r.Embeds),
		Components:      nonNilComponents(r.Components),
		AllowedMentions: NoMentions(),
		Files:           Uploads(r.Files),
	}
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if r.Update && i.Type == discordgo.InteractionMessageComponent {
		typ = discordgo.InteractionResponseUpdateMessage
	} else if r.Ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: typ, Data: data}
}
