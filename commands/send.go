package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// outMessage is a channel message as the bot sends it. discordgo's
// MessageSend has no nonce fields, and a nonce with enforce_nonce is what
// lets Discord drop a second copy of a send that was retried.
type outMessage struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
}

// sendAttempts is how many times a send is tried on a 5xx before giving up
// for now (429s are waited out by discordgo and do not count).
const sendAttempts = 4

// post sends a message to a channel exactly once: with a nonce Discord
// enforces, it is safe to retry after a server error or a lost response.
func (a *App) post(ctx context.Context, channelID string, m outMessage, nonce string) (*discordgo.Message, error) {
	if m.AllowedMentions == nil {
		m.AllowedMentions = NoMentions()
	}
	if nonce != "" {
		m.Nonce, m.EnforceNonce = nonce, true
	}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	var lastErr error
	for attempt := 0; attempt < sendAttempts; attempt++ {
		if attempt > 0 {
			if nonce == "" {
				break // without a nonce a retry could post twice
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 100 * time.Millisecond):
			}
		}
		body, err := a.discord.RequestWithBucketID(http.MethodPost, endpoint, m, endpoint, discordgo.WithContext(ctx))
		if err == nil {
			var msg discordgo.Message
			if err := json.Unmarshal(body, &msg); err != nil {
				return nil, fmt.Errorf("decode message: %w", err)
			}
			return &msg, nil
		}
		lastErr = err
		if !retryable(err) {
			return nil, err
		}
	}
	return nil, lastErr
}

// retryable reports whether a REST error is Discord's or the network's
// passing trouble rather than a refusal.
func retryable(err error) bool {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		return rest.Response != nil && rest.Response.StatusCode >= 500
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	return !errors.Is(err, context.Canceled)
}

// discordCode returns Discord's JSON error code of a REST error, or 0.
func discordCode(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil {
		return rest.Message.Code
	}
	return 0
}

// gone reports whether the error says the channel or message is missing or
// the bot may not post there: retrying will not help.
func gone(err error) bool {
	switch discordCode(err) {
	case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownMessage, discordgo.ErrCodeMissingPermissions,
		discordgo.ErrCodeMissingAccess, discordgo.ErrCodeCannotSendMessagesInVoiceChannel:
		return true
	}
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil &&
		(rest.Response.StatusCode == http.StatusForbidden || rest.Response.StatusCode == http.StatusNotFound)
}

// editMessage replaces a message's embeds and components, with mentions off:
// an edit without allowed_mentions would be re-parsed with Discord's defaults.
// (discordgo's MessageEdit would also put its untagged ID and Channel fields
// in the body.)
func (a *App) editMessage(ctx context.Context, channelID, messageID string, embeds []*discordgo.MessageEmbed, components []discordgo.MessageComponent) error {
	body := struct {
		Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
		Components      []discordgo.MessageComponent      `json:"components"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	}{embeds, components, NoMentions()}
	_, err := a.discord.RequestWithBucketID(http.MethodPatch, discordgo.EndpointChannelMessage(channelID, messageID), body,
		discordgo.EndpointChannelMessage(channelID, ""), discordgo.WithContext(ctx))
	return err
}

// dm sends a direct message to a member.
func (a *App) dm(ctx context.Context, userID, content string) error {
	ch, err := a.discord.UserChannelCreate(userID, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	_, err = a.discord.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{
		Content:         content,
		AllowedMentions: NoMentions(),
	}, discordgo.WithContext(ctx))
	return err
}
