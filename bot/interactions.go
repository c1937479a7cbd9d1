package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/commands"
)

// onInteraction runs the handler and sends its reply. A handler that is still
// working after deferAfter gets the interaction acknowledged ("thinking…",
// only the member sees it) and its reply edited in when done.
func (b *bot) onInteraction(i *discordgo.Interaction) {
	if !b.begin() {
		return
	}
	defer b.inflight.Done()
	ctx, cancel := context.WithTimeout(b.ctx, handlerTimeout)
	defer cancel()

	done := make(chan *commands.Response, 1)
	go func() { done <- b.app.Handle(ctx, i) }()

	var resp *commands.Response
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		resp = <-done // autocomplete cannot be deferred
	} else {
		select {
		case resp = <-done:
		case <-time.After(deferAfter):
			b.respond(ctx, i, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
			})
			resp = <-done
			b.editReply(ctx, i, resp)
			b.followUp(ctx, i, resp)
			return
		}
	}
	if resp == nil {
		return
	}
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		b.respond(ctx, i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: resp.Choices},
		})
		return
	}
	data := &discordgo.InteractionResponseData{
		Content:         resp.Content,
		Embeds:          nonNilEmbeds(resp.Embeds),
		Components:      nonNilComponents(resp.Components),
		AllowedMentions: commands.NoMentions(),
		Files:           discordFiles(resp.Files),
	}
	if resp.Ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	b.respond(ctx, i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data})
	b.followUp(ctx, i, resp)
}

// respond sends the interaction callback, retrying a server error: Discord
// refuses a second callback for one interaction, so a retry cannot duplicate.
func (b *bot) respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if r.Data != nil {
			rewind(r.Data.Files)
		}
		if err = b.session.InteractionRespond(i, r, discordgo.WithContext(ctx)); err == nil || !serverError(err) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.log.Warn("interaction reply failed", "interaction", i.ID, "err", err)
	}
}

func (b *bot) editReply(ctx context.Context, i *discordgo.Interaction, resp *commands.Response) {
	if resp == nil {
		resp = &commands.Response{Content: "Done."}
	}
	embeds, components := nonNilEmbeds(resp.Embeds), nonNilComponents(resp.Components)
	content := resp.Content
	files := discordFiles(resp.Files)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		rewind(files)
		_, err = b.session.InteractionResponseEdit(i, &discordgo.WebhookEdit{
			Content:         &content,
			Embeds:          &embeds,
			Components:      &components,
			AllowedMentions: commands.NoMentions(),
			Files:           files,
		}, discordgo.WithContext(ctx))
		if err == nil || !serverError(err) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.log.Warn("interaction reply edit failed", "interaction", i.ID, "err", err)
	}
}

// followUp sends the messages that did not fit in the reply.
func (b *bot) followUp(ctx context.Context, i *discordgo.Interaction, resp *commands.Response) {
	if resp == nil {
		return
	}
	for _, f := range resp.Followups {
		params := &discordgo.WebhookParams{
			Content:         f.Content,
			Embeds:          f.Embeds,
			Components:      nonNilComponents(f.Components),
			AllowedMentions: commands.NoMentions(),
		}
		if f.Ephemeral {
			params.Flags = discordgo.MessageFlagsEphemeral
		}
		if _, err := b.session.FollowupMessageCreate(i, true, params, discordgo.WithContext(ctx)); err != nil {
			b.log.Warn("follow-up failed", "interaction", i.ID, "err", err)
			return
		}
	}
}

func serverError(err error) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode >= 500
}

func nonNilEmbeds(e []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	if e == nil {
		return []*discordgo.MessageEmbed{}
	}
	return e
}

func nonNilComponents(c []discordgo.MessageComponent) []discordgo.MessageComponent {
	if c == nil {
		return []discordgo.MessageComponent{}
	}
	return c
}

// discordFiles turns a reply's attachments into discordgo's uploads.
func discordFiles(fs []commands.File) []*discordgo.File {
	var out []*discordgo.File
	for _, f := range fs {
		out = append(out, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)})
	}
	return out
}

// rewind puts each upload back at its start, so a retried send carries the
// whole file again.
func rewind(files []*discordgo.File) {
	for _, f := range files {
		if s, ok := f.Reader.(io.Seeker); ok {
			s.Seek(0, io.SeekStart)
		}
	}
}
