// Package discord is rallybot's adapter to Discord's REST API: the one
// client, its one reading of Discord's errors, the retries, posts with a
// nonce Discord enforces, the search for a message the bot sent before a
// crash, and the pacer that keeps the bot under Discord's global limit. It
// knows nothing of rallies: commands decides what to send, this decides how.
package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Client is the one place rallybot talks to Discord's REST API: channel
// posts, edits, DMs, the search for an earlier send, and the replies to
// interactions. It holds the one retry policy and the one reading of
// Discord's errors, so a job, a handler and the gateway adapter cannot
// disagree about what is worth retrying.
type Client struct {
	session *discordgo.Session
	// dmChannels caches each member's DM channel (user id → channel id): it
	// never changes, and opening it again is a call per DM.
	dmChannels sync.Map
	// attempts is how many times a retryable call is made in all; backoff is
	// the wait before the second, growing with the square of the attempt.
	attempts int
	backoff  time.Duration
}

// New wraps a session whose REST client (and, for the bot, gateway) is
// already configured. The bot and the commands share the one Client, and so
// its one cache of DM channels.
func New(session *discordgo.Session) *Client {
	return &Client{session: session, attempts: 4, backoff: 100 * time.Millisecond}
}

// Failure is what a Discord error means for the caller.
type Failure int

const (
	// Transient is Discord's or the network's passing trouble (5xx, 429, a
	// lost connection): the same call may succeed later.
	Transient Failure = iota + 1
	// Gone is a missing channel or message, or a place the bot may not post:
	// retrying will not help until someone changes the server.
	Gone
	// Rejected is a refusal of the request itself (another 4xx): sent again,
	// it would be refused again.
	Rejected
)

// Classify says what a REST error means; 0 for nil or a cancelled context.
func Classify(err error) Failure {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return Transient
	}
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) {
		return Transient // no answer at all: a network error or a timeout
	}
	switch Code(err) {
	case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownMessage, discordgo.ErrCodeMissingPermissions,
		discordgo.ErrCodeMissingAccess, discordgo.ErrCodeCannotSendMessagesInVoiceChannel:
		return Gone
	}
	status := 0
	if rest.Response != nil {
		status = rest.Response.StatusCode
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return Transient
	case status == http.StatusForbidden || status == http.StatusNotFound:
		return Gone
	}
	return Rejected
}

// Retryable reports whether the same call may succeed later.
func Retryable(err error) bool { return Classify(err) == Transient }

// IsGone reports whether the channel or message is gone or forbidden.
func IsGone(err error) bool { return Classify(err) == Gone }

// Code returns Discord's JSON error code of a REST error, or 0.
func Code(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil {
		return rest.Message.Code
	}
	return 0
}

// Unauthorized reports whether Discord rejected the token (401): nothing
// the bot sends will work until the token is replaced.
func Unauthorized(err error) bool {
	var rest *discordgo.RESTError
	return errors.Is(err, discordgo.ErrUnauthorized) ||
		(errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusUnauthorized)
}

// retry makes call until it succeeds, fails for a reason other than a
// transient one, the attempts run out or ctx ends. Only a call that cannot
// take effect twice may be retried: a post with an enforced nonce, an edit,
// an interaction callback (Discord refuses a second one).
func (d *Client) retry(ctx context.Context, call func() error) error {
	var err error
	for attempt := 0; attempt < d.attempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(ctx.Err(), err)
			case <-time.After(time.Duration(attempt*attempt) * d.backoff):
			}
		}
		if err = call(); err == nil || !Retryable(err) {
			return err
		}
	}
	return err
}

// Message is a channel message as the bot sends it. discordgo's
// MessageSend has no nonce fields, and a nonce with enforce_nonce is what
// lets Discord drop a second copy of a send that was retried.
type Message struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
	// Files are uploaded with the message (files[n] parts of a multipart
	// body), as a member sees any attachment.
	Files []File `json:"-"`
}

// Post sends a message to a channel exactly once: with a nonce Discord
// enforces, it is retried after a server error or a lost response; without
// one it is tried once, since a retry could post twice.
func (d *Client) Post(ctx context.Context, channelID string, m Message, nonce string) (*discordgo.Message, error) {
	if m.AllowedMentions == nil {
		m.AllowedMentions = NoMentions()
	}
	if nonce != "" {
		m.Nonce, m.EnforceNonce = nonce, true
	}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	var body []byte
	send := func() (err error) {
		body, err = d.session.RequestWithBucketID(http.MethodPost, endpoint, m, endpoint, discordgo.WithContext(ctx))
		return err
	}
	if len(m.Files) > 0 {
		contentType, payload, err := discordgo.MultipartBodyWithJSON(m, Uploads(m.Files))
		if err != nil {
			return nil, fmt.Errorf("message with files: %w", err)
		}
		send = func() (err error) {
			body, err = d.session.RequestRaw(http.MethodPost, endpoint, contentType, payload, endpoint, 0, discordgo.WithContext(ctx))
			return err
		}
	}
	var err error
	if nonce == "" {
		err = send()
	} else {
		err = d.retry(ctx, send)
	}
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return &msg, nil
}

// EditMessage replaces a message's embeds and components, with mentions off:
// an edit without allowed_mentions would be re-parsed with Discord's defaults.
// (discordgo's MessageEdit would also put its untagged ID and Channel fields
// in the body.) It is not retried here: the refresher schedules the next
// edit, which renders the counts as they are then.
func (d *Client) EditMessage(ctx context.Context, channelID, messageID string, embeds []*discordgo.MessageEmbed, components []discordgo.MessageComponent) error {
	body := struct {
		Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
		Components      []discordgo.MessageComponent      `json:"components"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	}{embeds, components, NoMentions()}
	_, err := d.session.RequestWithBucketID(http.MethodPatch, discordgo.EndpointChannelMessage(channelID, messageID), body,
		discordgo.EndpointChannelMessage(channelID, ""), discordgo.WithContext(ctx))
	return err
}

// EditContent replaces a message's text, with mentions off (an edit is not
// a new ping). It is tried as an edit is: the same twice is once.
func (d *Client) EditContent(ctx context.Context, channelID, messageID, content string) error {
	body := struct {
		Content         string                            `json:"content"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	}{content, NoMentions()}
	return d.retry(ctx, func() error {
		_, err := d.session.RequestWithBucketID(http.MethodPatch, discordgo.EndpointChannelMessage(channelID, messageID), body,
			discordgo.EndpointChannelMessage(channelID, ""), discordgo.WithContext(ctx))
		return err
	})
}

// IsMember asks whether the user is still in the guild: false, with no
// error, when Discord answers Unknown Member (10007: they left, were kicked
// or banned). Reading twice is reading once, so it is retried.
func (d *Client) IsMember(ctx context.Context, guildID, userID string) (bool, error) {
	err := d.retry(ctx, func() error {
		_, err := d.session.GuildMember(guildID, userID, discordgo.WithContext(ctx))
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case Code(err) == discordgo.ErrCodeUnknownMember:
		return false, nil
	}
	return false, err
}

// ForgetDMChannel drops the member's DM channel from memory: after
// forget-me nothing in the process links them to it.
func (d *Client) ForgetDMChannel(userID string) { d.dmChannels.Delete(userID) }

// DeleteMessage deletes one of the bot's messages; deleting twice is
// deleting once, so a 5xx is retried.
func (d *Client) DeleteMessage(ctx context.Context, channelID, messageID string) error {
	return d.retry(ctx, func() error {
		return d.session.ChannelMessageDelete(channelID, messageID, discordgo.WithContext(ctx))
	})
}

// DMMessage sends a direct message to a member with the given nonce, so a
// resumed send of the same DM is dropped by Discord. A member who does not
// take DMs from the server fails with ClosedDMs.
func (d *Client) DMMessage(ctx context.Context, userID string, m Message, nonce string) (*discordgo.Message, error) {
	channelID, err := d.DMChannel(ctx, userID)
	if err != nil {
		return nil, err
	}
	return d.Post(ctx, channelID, m, nonce)
}

// DMChannel returns the member's DM channel with the bot, held in memory
// or opened (Discord answers with the one there is, so opening twice is
// opening once).
func (d *Client) DMChannel(ctx context.Context, userID string) (string, error) {
	if channelID, ok := d.dmChannels.Load(userID); ok {
		return channelID.(string), nil
	}
	var ch *discordgo.Channel
	if err := d.retry(ctx, func() (err error) {
		ch, err = d.session.UserChannelCreate(userID, discordgo.WithContext(ctx))
		return err
	}); err != nil {
		return "", err
	}
	d.dmChannels.Store(userID, ch.ID)
	return ch.ID, nil
}

// ClosedDMs reports whether a DM failed because the member does not take DMs
// (Discord 50007): sending it again would fail the same way.
func ClosedDMs(err error) bool {
	return Code(err) == discordgo.ErrCodeCannotSendMessagesToThisUser
}

// FindOwnMessage looks through the channel's recent messages for one the bot
// posted that matches, and returns its id or "". It is the fallback for a
// send resumed after Discord's nonce window may have passed; it needs the
// Read Message History permission, and without it the send goes ahead with
// its nonce.
//
// With floorID (a message the one sought cannot be older than, e.g. the
// rally's announcement for its reminder) it pages back with before= until it
// passes that message, so a busy channel cannot hide the earlier send; with
// "" it reads the last page only.
func (d *Client) FindOwnMessage(ctx context.Context, channelID, floorID string, match func(*discordgo.Message) bool) (string, error) {
	self := ""
	if d.session.State != nil && d.session.State.User != nil {
		self = d.session.State.User.ID
	}
	floor, _ := strconv.ParseInt(floorID, 10, 64)
	before := ""
	for page := 0; page < scanPages; page++ {
		var msgs []*discordgo.Message
		if err := d.retry(ctx, func() (err error) {
			msgs, err = d.session.ChannelMessages(channelID, scanLimit, before, "", "", discordgo.WithContext(ctx))
			return err
		}); err != nil {
			return "", err
		}
		passed := false
		for _, m := range msgs {
			if id, _ := strconv.ParseInt(m.ID, 10, 64); id <= floor {
				passed = true
			}
			if m.Author == nil || !m.Author.Bot || (self != "" && m.Author.ID != self) {
				continue
			}
			if match(m) {
				return m.ID, nil
			}
		}
		if floor == 0 || passed || len(msgs) < scanLimit {
			return "", nil
		}
		before = msgs[len(msgs)-1].ID
	}
	return "", nil
}

// scanLimit is how many messages one page of the search for a send whose
// outcome was never recorded reads.
const scanLimit = 100

// scanPages bounds a search paging back to its floor: 5,000 messages.
const scanPages = 50

// discordEpoch is the first millisecond of 2015, where snowflakes count from.
const discordEpoch = 1420070400000

// clockSlack is how far the bot's clock may run ahead of Discord's: a search
// floor made from the bot's time starts this much earlier.
const clockSlack = 5 * time.Minute

// FloorAt is a search floor for a send begun at t: a snowflake older than
// any message Discord stamped from t on. A send that has no earlier message
// to anchor its search pages back to the time it began.
func FloorAt(t time.Time) string {
	ms := max(t.Add(-clockSlack).UnixMilli()-discordEpoch, 1)
	return strconv.FormatInt(ms<<22, 10)
}

// Respond sends an interaction's callback. Discord accepts one callback per
// interaction, so a retry after a server error cannot answer twice.
//
// It goes around discordgo's rate limiter: interaction callbacks are exempt
// from Discord's global rate limit, but discordgo holds every request behind
// a global 429 (a burst of reminders, say), which would push the reply past
// the 3-second deadline and lose the click's answer.
func (d *Client) Respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
	return d.retry(ctx, func() error {
		if r.Data != nil {
			rewind(r.Data.Files) // a retry carries each upload whole again
		}
		return d.callback(ctx, i, r)
	})
}

// callback POSTs the interaction response with the session's HTTP client
// (and so its transport), but not through its rate limiter.
func (d *Client) callback(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error {
	contentType, body := "application/json", []byte(nil)
	var err error
	if r.Data != nil && len(r.Data.Files) > 0 {
		contentType, body, err = discordgo.MultipartBodyWithJSON(r, r.Data.Files)
	} else {
		body, err = json.Marshal(r)
	}
	if err != nil {
		return fmt.Errorf("interaction callback: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, discordgo.EndpointInteractionResponse(i.ID, i.Token), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("interaction callback: %w", err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", d.session.Token)
	req.Header.Set("User-Agent", d.session.UserAgent)
	resp, err := d.session.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 300 {
		return nil
	}
	rest := &discordgo.RESTError{Request: req, Response: resp, ResponseBody: respBody}
	var msg discordgo.APIErrorMessage
	if json.Unmarshal(respBody, &msg) == nil && (msg.Code != 0 || msg.Message != "") {
		rest.Message = &msg
	}
	return rest
}

// EditReply puts resp in the interaction's original reply (after a defer).
// An edit is the same however often it is made, so it is retried.
func (d *Client) EditReply(ctx context.Context, i *discordgo.Interaction, resp *Reply) error {
	embeds, components := nonNilEmbeds(resp.Embeds), nonNilComponents(resp.Components)
	content := resp.Content
	edit := &discordgo.WebhookEdit{Content: &content, Embeds: &embeds, Components: &components, AllowedMentions: NoMentions(),
		Files: Uploads(resp.Files)}
	return d.retry(ctx, func() error {
		rewind(edit.Files)
		_, err := d.session.InteractionResponseEdit(i, edit, discordgo.WithContext(ctx))
		return err
	})
}

// DeleteReply removes the interaction's original reply.
func (d *Client) DeleteReply(ctx context.Context, i *discordgo.Interaction) error {
	return d.retry(ctx, func() error { return d.session.InteractionResponseDelete(i, discordgo.WithContext(ctx)) })
}

// FollowUp sends one further message for an interaction, with its files. A
// follow-up has no nonce, so it is tried once: a retry could post it twice.
func (d *Client) FollowUp(ctx context.Context, i *discordgo.Interaction, f *Reply) error {
	params := &discordgo.WebhookParams{
		Content:         f.Content,
		Embeds:          f.Embeds,
		Components:      nonNilComponents(f.Components),
		AllowedMentions: NoMentions(),
		Files:           Uploads(f.Files),
	}
	if f.Ephemeral {
		params.Flags = discordgo.MessageFlagsEphemeral
	}
	_, err := d.session.FollowupMessageCreate(i, true, params, discordgo.WithContext(ctx))
	return err
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

// Uploads turns a reply's files into uploads.
func Uploads(fs []File) []*discordgo.File {
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

// CreateEvent adds a guild scheduled event. It has no nonce, so it is tried
// once: a retry could make two. (The caller looks for the event a create
// whose answer was lost made before it creates again.)
func (d *Client) CreateEvent(ctx context.Context, guildID string, p *discordgo.GuildScheduledEventParams) (*discordgo.GuildScheduledEvent, error) {
	return d.session.GuildScheduledEventCreate(guildID, p, discordgo.WithContext(ctx))
}

// OwnEvents returns the guild's scheduled events the bot created. Reading
// twice is reading once, so it is retried.
func (d *Client) OwnEvents(ctx context.Context, guildID string) ([]*discordgo.GuildScheduledEvent, error) {
	var all []*discordgo.GuildScheduledEvent
	if err := d.retry(ctx, func() (err error) {
		all, err = d.session.GuildScheduledEvents(guildID, false, discordgo.WithContext(ctx))
		return err
	}); err != nil {
		return nil, err
	}
	self := ""
	if d.session.State != nil && d.session.State.User != nil {
		self = d.session.State.User.ID
	}
	var own []*discordgo.GuildScheduledEvent
	for _, e := range all {
		if self == "" || e.CreatorID == self {
			own = append(own, e)
		}
	}
	return own, nil
}

// EditEvent changes a guild scheduled event; the same edit twice is one.
func (d *Client) EditEvent(ctx context.Context, guildID, eventID string, p *discordgo.GuildScheduledEventParams) error {
	return d.retry(ctx, func() error {
		_, err := d.session.GuildScheduledEventEdit(guildID, eventID, p, discordgo.WithContext(ctx))
		return err
	})
}

// DeleteEvent deletes a guild scheduled event.
func (d *Client) DeleteEvent(ctx context.Context, guildID, eventID string) error {
	return d.retry(ctx, func() error {
		return d.session.GuildScheduledEventDelete(guildID, eventID, discordgo.WithContext(ctx))
	})
}

// Me returns the bot's own user, which proves the token works. Reading it
// twice is reading it once, so a passing 5xx at start-up is retried.
func (d *Client) Me(ctx context.Context) (*discordgo.User, error) {
	var me *discordgo.User
	err := d.retry(ctx, func() (err error) {
		me, err = d.session.User("@me", discordgo.WithContext(ctx))
		return err
	})
	return me, err
}

// RegisterCommands replaces the application's commands (globally, or in one
// server with guildID). The overwrite is whole each time, so it is retried.
func (d *Client) RegisterCommands(ctx context.Context, appID, guildID string, defs []*discordgo.ApplicationCommand) error {
	return d.retry(ctx, func() error {
		_, err := d.session.ApplicationCommandBulkOverwrite(appID, guildID, defs, discordgo.WithContext(ctx))
		return err
	})
}

// LeaveGuild takes the bot out of a server. Leaving twice is leaving once.
func (d *Client) LeaveGuild(ctx context.Context, guildID string) error {
	return d.retry(ctx, func() error { return d.session.GuildLeave(guildID, discordgo.WithContext(ctx)) })
}

// EditComponents replaces a message's components alone: its text and embeds
// stay as they are. An edit is tried as an edit is: the same twice is once.
func (d *Client) EditComponents(ctx context.Context, channelID, messageID string, components []discordgo.MessageComponent) error {
	body := struct {
		Components      []discordgo.MessageComponent      `json:"components"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	}{components, NoMentions()}
	_, err := d.session.RequestWithBucketID(http.MethodPatch, discordgo.EndpointChannelMessage(channelID, messageID), body,
		discordgo.EndpointChannelMessage(channelID, ""), discordgo.WithContext(ctx))
	return err
}
