package commands

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// A DM's buttons ("Still going" / "Can't make it", "Home safe?", a check-in)
// answer in the DM itself: the message is updated with the choice shown
// under it and its buttons disabled, the pressed one kept in its colour, so
// the member sees what they said and cannot say it twice by mistake. An
// answer that asks again (a maybe's "Are you going?") shows its own
// buttons. A refusal answers the member alone and leaves the DM as it was.

// answersInDM wraps a button's handler: pressed in a DM, its answer updates
// the DM.
func answersInDM(h Handler) Handler {
	return func(ctx context.Context, in *Input) (*Response, error) {
		resp, err := h(ctx, in)
		if err != nil || resp == nil || in.GuildID != "" || in.Message == nil || in.Type != discordgo.InteractionMessageComponent {
			return resp, err
		}
		return dmUpdate(in, resp), nil
	}
}

// dmUpdate is resp as an update of the DM clicked: the DM's text with the
// answer under it, and the DM's buttons disabled unless the answer has its
// own.
func dmUpdate(in *Input, resp *Response) *Response {
	content := in.Message.Content
	if resp.Content != "" {
		content = truncate(content+"\n\n"+resp.Content, 2000)
	}
	components := resp.Components
	if components == nil {
		components = disabledButtons(in.Message.Components, in.MessageComponentData().CustomID)
	}
	return &Response{Update: true, Content: content, Embeds: in.Message.Embeds, Components: components, Followups: resp.Followups}
}

// disabledButtons is a message's buttons, every one disabled: the one
// pressed keeps its style, the others turn grey.
func disabledButtons(rows []discordgo.MessageComponent, pressed string) []discordgo.MessageComponent {
	return buttonsLeftOpen(rows, pressed, "")
}

// buttonsLeftOpen is disabledButtons but for the button open, left as it
// was: "I'm home safe" leaves "I need help" to press later.
func buttonsLeftOpen(rows []discordgo.MessageComponent, pressed, open string) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, len(rows))
	for _, c := range rows {
		row, ok := asRow(c)
		if !ok {
			continue
		}
		var buttons []discordgo.MessageComponent
		for _, b := range row.Components {
			button, ok := asButton(b)
			if !ok {
				continue
			}
			if open != "" && button.CustomID == open {
				buttons = append(buttons, button)
				continue
			}
			button.Disabled = true
			if button.CustomID != pressed {
				button.Style = discordgo.SecondaryButton
			}
			buttons = append(buttons, button)
		}
		if len(buttons) > 0 {
			out = append(out, discordgo.ActionsRow{Components: buttons})
		}
	}
	return out
}

func asRow(c discordgo.MessageComponent) (discordgo.ActionsRow, bool) {
	switch r := c.(type) {
	case discordgo.ActionsRow:
		return r, true
	case *discordgo.ActionsRow:
		return *r, r != nil
	}
	return discordgo.ActionsRow{}, false
}

func asButton(c discordgo.MessageComponent) (discordgo.Button, bool) {
	switch b := c.(type) {
	case discordgo.Button:
		return b, true
	case *discordgo.Button:
		return *b, b != nil
	}
	return discordgo.Button{}, false
}
