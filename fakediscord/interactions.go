package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Member is the invoking guild member. Permissions are the member's computed
// permissions in the channel, sent as a decimal string like Discord does.
type Member struct {
	UserID      string
	Roles       []string
	Permissions int64
	// Locale is the language of the member's client, sent as the
	// interaction's locale; "" sends en-US.
	Locale string
}

// Invocation says where and by whom an interaction is triggered. An empty
// GuildID means a DM with the bot.
type Invocation struct {
	GuildID, ChannelID string
	Member             Member
}

// Option is a command option as the user filled it in. Values are not
// checked against the command definition so tests can forge them.
type Option struct {
	Name    string
	Type    discordgo.ApplicationCommandOptionType
	Value   any
	Focused bool
}

// Str is a string option.
func Str(name, v string) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

// Int is an integer option.
func Int(name string, v int64) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
}

// ChannelOpt is a channel option; resolved data comes from the guild state.
func ChannelOpt(name, id string) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: id}
}

// RoleOpt is a role option; resolved data comes from the guild state.
func RoleOpt(name, id string) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionRole, Value: id}
}

// UserOpt is a user option.
func UserOpt(name, id string) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionUser, Value: id}
}

// Bool is a boolean option.
func Bool(name string, v bool) Option {
	return Option{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// Reply is the bot's answer to an interaction.
type Reply struct {
	Type discordgo.InteractionResponseType
	// Data is the callback's data; for a deferred reply (type 5) it is the
	// message as edited by the later PATCH of @original (or the first followup).
	Data      *discordgo.InteractionResponseData
	Ephemeral bool
	// Latency is from sending INTERACTION_CREATE to receiving the callback.
	Latency time.Duration
	// Followups are messages POSTed to the interaction webhook before the
	// call returned (best effort: later ones are missed).
	Followups []*discordgo.Message
	// Files are the files uploaded with the reply.
	Files []File
	// MessageID is the reply message's id (to click its buttons), "" if none.
	MessageID string
}

// Text joins content and every embed's visible text, for substring asserts.
func (r *Reply) Text() string {
	if r == nil || r.Data == nil {
		return ""
	}
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(r.Data.Content)
	for _, e := range r.Data.Embeds {
		if e == nil {
			continue
		}
		add(e.Title)
		add(e.Description)
		for _, f := range e.Fields {
			if f != nil {
				add(f.Name)
				add(f.Value)
			}
		}
		if e.Footer != nil {
			add(e.Footer.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// interaction is the fake's record of one INTERACTION_CREATE; mutable fields
// are guarded by Server.mu.
type interaction struct {
	id, token, channelID, guildID string
	kind                          discordgo.InteractionType
	user                          map[string]any
	clicked                       *storedMsg
	done                          chan struct{} // closed on the first callback, on time or late
	resolved                      chan struct{} // closed when a deferred reply gets its content

	sent        time.Time
	acked, late bool
	latency     time.Duration
	cbType      discordgo.InteractionResponseType
	cbData      map[string]any
	cbBody      []byte // the callback's JSON body, as sent
	ephemeral   bool
	original    *storedMsg
	isResolved  bool
	followups   []*storedMsg
}

func (ix *interaction) ownMsgs() []*storedMsg {
	out := append([]*storedMsg(nil), ix.followups...)
	if ix.original != nil {
		out = append(out, ix.original)
	}
	return out
}

func (ix *interaction) resolveLocked() {
	if !ix.isResolved {
		ix.isResolved = true
		close(ix.resolved)
	}
}

// Command invokes a registered slash command. path is "name", "name sub" or
// "name group sub".
func (s *Server) Command(ctx context.Context, inv Invocation, path string, opts ...Option) (*Reply, error) {
	data, err := s.commandData(inv, path, opts, false)
	if err != nil {
		return nil, err
	}
	return s.interact(ctx, inv, discordgo.InteractionApplicationCommand, data, nil)
}

// Autocomplete sends an autocomplete interaction; exactly one option must be
// Focused. It returns the choices of the type 8 callback.
func (s *Server) Autocomplete(ctx context.Context, inv Invocation, path string, opts ...Option) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	focused := 0
	for _, o := range opts {
		if o.Focused {
			focused++
		}
	}
	if focused != 1 {
		return nil, fmt.Errorf("discordtest: autocomplete needs exactly one focused option, got %d", focused)
	}
	data, err := s.commandData(inv, path, opts, true)
	if err != nil {
		return nil, err
	}
	r, err := s.interact(ctx, inv, discordgo.InteractionApplicationCommandAutocomplete, data, nil)
	if err != nil {
		return nil, err
	}
	if r.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
		return nil, fmt.Errorf("discordtest: autocomplete answered with callback type %d, want 8", r.Type)
	}
	if r.Data == nil {
		return nil, nil
	}
	return r.Data.Choices, nil
}

// Click presses the button customID on a stored message in inv.ChannelID.
func (s *Server) Click(ctx context.Context, inv Invocation, messageID, customID string) (*Reply, error) {
	return s.click(ctx, inv, messageID, customID, true)
}

// ForgedClick sends a button interaction with a custom_id that need not be on
// the message: what a bot sees from a message an older version made, or from
// a tampered client.
func (s *Server) ForgedClick(ctx context.Context, inv Invocation, messageID, customID string) (*Reply, error) {
	return s.click(ctx, inv, messageID, customID, false)
}

// ForgedModal submits a modal the bot never opened: what a tampered client
// can send. Its one text input holds value.
func (s *Server) ForgedModal(ctx context.Context, inv Invocation, customID, value string) (*Reply, error) {
	data := map[string]any{"custom_id": customID, "components": []any{map[string]any{
		"type": discordgo.ActionsRowComponent, "components": []any{map[string]any{
			"type": discordgo.TextInputComponent, "custom_id": "text", "value": value}}}}}
	return s.interact(ctx, inv, discordgo.InteractionModalSubmit, data, nil)
}

// Select picks values in the string select menu customID on a stored message
// (ephemeral ones included) in inv.ChannelID. Each value must be one of the
// menu's options, as Discord's client allows no other.
func (s *Server) Select(ctx context.Context, inv Invocation, messageID, customID string, values ...string) (*Reply, error) {
	return s.component(ctx, inv, messageID, customID, true, discordgo.SelectMenuComponent, values)
}

func (s *Server) click(ctx context.Context, inv Invocation, messageID, customID string, mustExist bool) (*Reply, error) {
	return s.component(ctx, inv, messageID, customID, mustExist, discordgo.ButtonComponent, nil)
}

func (s *Server) component(ctx context.Context, inv Invocation, messageID, customID string, mustExist bool, kind discordgo.ComponentType, values []string) (*Reply, error) {
	s.mu.Lock()
	m := s.findMsgLocked(inv.ChannelID, messageID)
	if m == nil {
		// Ephemeral messages live only with their interaction.
		m = s.ephemeralMsgLocked(inv.Member.UserID, inv.ChannelID, messageID)
	}
	var found bool
	var offered []string
	if m != nil {
		found = hasCustomID(m.raw["components"], customID)
		offered = optionValues(m.raw["components"], customID)
	}
	s.mu.Unlock()
	if m == nil {
		return nil, fmt.Errorf("discordtest: no message %s in channel %s", messageID, inv.ChannelID)
	}
	if !found && mustExist {
		return nil, fmt.Errorf("discordtest: message %s has no component with custom_id %q", messageID, customID)
	}
	data := map[string]any{"custom_id": customID, "component_type": kind}
	if kind == discordgo.SelectMenuComponent {
		for _, v := range values {
			if !contains(offered, v) {
				return nil, fmt.Errorf("discordtest: menu %q on message %s offers %v, not %q", customID, messageID, offered, v)
			}
		}
		data["values"] = values
	}
	return s.interact(ctx, inv, discordgo.InteractionMessageComponent, data, m)
}

// optionValues returns the option values of the select menu customID.
func optionValues(v any, id string) []string {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if out := optionValues(e, id); out != nil {
				return out
			}
		}
	case map[string]any:
		if x["custom_id"] == id {
			out := []string{}
			opts, _ := x["options"].([]any)
			for _, o := range opts {
				if om, ok := o.(map[string]any); ok {
					out = append(out, fmt.Sprint(om["value"]))
				}
			}
			return out
		}
		return optionValues(x["components"], id)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func hasCustomID(v any, id string) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if hasCustomID(e, id) {
				return true
			}
		}
	case map[string]any:
		if x["custom_id"] == id {
			return true
		}
		return hasCustomID(x["components"], id) || hasCustomID(x["accessory"], id)
	}
	return false
}

// commandData builds the interaction's data object, checking the path and
// option names against the registered definition as Discord's client would.
func (s *Server) commandData(inv Invocation, path string, opts []Option, autocomplete bool) (map[string]any, error) {
	words := strings.Fields(path)
	if len(words) == 0 {
		return nil, errors.New("discordtest: empty command path")
	}
	scopes := []string{""}
	if inv.GuildID != "" {
		scopes = []string{inv.GuildID, ""}
	}
	var cmd *discordgo.ApplicationCommand
	for _, gid := range scopes {
		for _, c := range s.Commands(gid) {
			if c.Name == words[0] && (c.Type == 0 || c.Type == discordgo.ChatApplicationCommand) {
				cmd = c
				break
			}
		}
		if cmd != nil {
			break
		}
	}
	if cmd == nil {
		return nil, fmt.Errorf("discordtest: command %q is not registered (guild %q or global)", words[0], inv.GuildID)
	}
	defs := cmd.Options
	var chain []map[string]any
	for _, w := range words[1:] {
		var def *discordgo.ApplicationCommandOption
		for _, d := range defs {
			if d.Name == w && (d.Type == discordgo.ApplicationCommandOptionSubCommand || d.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
				def = d
			}
		}
		if def == nil {
			return nil, fmt.Errorf("discordtest: %q has no subcommand (group) %q", strings.Join(words, " "), w)
		}
		chain = append(chain, map[string]any{"name": def.Name, "type": def.Type})
		defs = def.Options
	}
	for _, d := range defs {
		if d.Type == discordgo.ApplicationCommandOptionSubCommand || d.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			return nil, fmt.Errorf("discordtest: %q needs a subcommand; Discord cannot invoke a command with subcommands directly", path)
		}
	}
	resolved := map[string]map[string]any{}
	leaf := []any{}
	for _, o := range opts {
		var def *discordgo.ApplicationCommandOption
		for _, d := range defs {
			if d.Name == o.Name {
				def = d
			}
		}
		if def == nil {
			return nil, fmt.Errorf("discordtest: %q has no option %q", path, o.Name)
		}
		t := o.Type
		if t == 0 {
			t = def.Type
		}
		opt := map[string]any{"name": o.Name, "type": t, "value": o.Value}
		if autocomplete && o.Focused {
			opt["focused"] = true
			// Discord sends what the user has typed so far, always as a string.
			opt["value"] = fmt.Sprint(o.Value)
		}
		leaf = append(leaf, opt)
		if id, ok := o.Value.(string); ok {
			s.resolve(resolved, inv.GuildID, t, id)
		}
	}
	options := leaf
	for i := len(chain) - 1; i >= 0; i-- {
		chain[i]["options"] = options
		options = []any{chain[i]}
	}
	data := map[string]any{"id": cmd.ID, "name": cmd.Name, "type": discordgo.ChatApplicationCommand, "options": options}
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	return data, nil
}

// resolve adds Discord's "resolved" entries for id-valued options that exist
// in the guild state; forged ids simply get none, as a deleted object would.
func (s *Server) resolve(res map[string]map[string]any, guildID string, t discordgo.ApplicationCommandOptionType, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	put := func(kind string, v map[string]any) {
		if res[kind] == nil {
			res[kind] = map[string]any{}
		}
		res[kind][id] = v
	}
	switch t {
	case discordgo.ApplicationCommandOptionChannel:
		if cs, ok := s.channels[id]; ok && cs.guildID == guildID {
			put("channels", map[string]any{"id": id, "name": cs.name, "type": cs.typ, "permissions": itoa(allPermissions)})
		}
	case discordgo.ApplicationCommandOptionRole, discordgo.ApplicationCommandOptionMentionable:
		if gs, ok := s.guildByID[guildID]; ok {
			for i, r := range gs.g.Roles {
				if r.ID == id {
					put("roles", roleJSON(r, i+1))
					return
				}
			}
		}
		if t == discordgo.ApplicationCommandOptionMentionable {
			put("users", userJSON(id))
		}
	case discordgo.ApplicationCommandOptionUser:
		put("users", userJSON(id))
		if guildID != "" {
			put("members", map[string]any{"roles": []any{}, "joined_at": time.Now().UTC().Format(time.RFC3339), "permissions": itoa(0)})
		}
	}
}

// interact sends INTERACTION_CREATE and waits for the callback (and, for a
// deferred reply, for its content).
func (s *Server) interact(ctx context.Context, inv Invocation, kind discordgo.InteractionType, data map[string]any, clicked *storedMsg) (*Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	conn, err := s.currentConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("discordtest: no gateway session to deliver the interaction: %w", err)
	}
	ix := &interaction{
		token: "aW50ZXJhY3Rpb246" + randomHex(40), channelID: inv.ChannelID, guildID: inv.GuildID,
		kind: kind, clicked: clicked, done: make(chan struct{}), resolved: make(chan struct{}),
	}
	user := userJSON(inv.Member.UserID)
	locale := inv.Member.Locale
	if locale == "" {
		locale = "en-US"
	}
	ix.user = user
	payload := map[string]any{
		"application_id": s.cfg.AppID, "type": kind, "data": data, "token": ix.token,
		"version": 1, "app_permissions": itoa(s.cfg.AppPermissions), "locale": locale,
		"entitlements": []any{}, "attachment_size_limit": 10485760,
	}
	s.mu.Lock()
	ix.id = s.newIDLocked()
	payload["id"] = ix.id
	chType := discordgo.ChannelTypeGuildText
	chName := ""
	if cs, ok := s.channels[inv.ChannelID]; ok {
		chType, chName = cs.typ, cs.name
	}
	if inv.GuildID != "" {
		joined := time.Now().Add(-24 * time.Hour).UTC()
		if gs, ok := s.guildByID[inv.GuildID]; ok {
			joined = gs.joinedAt
		}
		roles := inv.Member.Roles
		if roles == nil {
			roles = []string{}
		}
		payload["guild_id"] = inv.GuildID
		payload["guild_locale"] = "en-US"
		payload["guild"] = map[string]any{"id": inv.GuildID, "locale": "en-US", "features": []any{}}
		payload["member"] = map[string]any{
			"user": user, "roles": roles, "permissions": itoa(inv.Member.Permissions),
			"joined_at": joined.Format(time.RFC3339Nano), "nick": nil, "avatar": nil,
			"deaf": false, "mute": false, "flags": 0, "pending": false, "premium_since": nil,
		}
		payload["context"] = 0
		payload["authorizing_integration_owners"] = map[string]any{"0": inv.GuildID}
		payload["channel"] = map[string]any{"id": inv.ChannelID, "type": chType, "name": chName, "guild_id": inv.GuildID}
	} else {
		payload["user"] = user
		payload["context"] = 1
		payload["authorizing_integration_owners"] = map[string]any{"0": "0"}
		payload["channel"] = map[string]any{"id": inv.ChannelID, "type": discordgo.ChannelTypeDM}
	}
	payload["channel_id"] = inv.ChannelID
	var clickedJSON json.RawMessage
	if clicked != nil {
		clickedJSON = clicked.encoded()
	}
	s.ixByID[ix.id] = ix
	s.ixByToken[ix.token] = ix
	ix.sent = time.Now()
	s.mu.Unlock()

	d, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("discordtest: encoding INTERACTION_CREATE: %w", err)
	}
	if clickedJSON != nil {
		// The clicked message goes in as made once for all its clicks: the
		// payload is an object, so it ends in '}'.
		const key = `,"message":`
		withMsg := make([]byte, 0, len(d)+len(key)+len(clickedJSON))
		withMsg = append(append(append(append(withMsg, d[:len(d)-1]...), key...), clickedJSON...), '}')
		d = withMsg
	}
	if err := conn.dispatch("INTERACTION_CREATE", json.RawMessage(d)); err != nil {
		return nil, fmt.Errorf("discordtest: sending INTERACTION_CREATE: %w", err)
	}
	select {
	case <-ix.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("discordtest: no callback for interaction %s (%s): %w", ix.id, describe(kind, data), ctx.Err())
	}
	s.mu.Lock()
	late, lat, t := ix.late, ix.latency, ix.cbType
	again := s.redeliver > 0
	if again {
		s.redeliver--
	}
	s.mu.Unlock()
	if again {
		if c, err := s.currentConn(ctx); err == nil {
			_ = c.dispatch("INTERACTION_CREATE", json.RawMessage(d))
		}
	}
	if late {
		return nil, fmt.Errorf("discordtest: callback for %s came after %v, past the %v deadline (Discord answers 10062 Unknown interaction)", describe(kind, data), lat.Round(time.Millisecond), s.cfg.InteractionDeadline)
	}
	if t == discordgo.InteractionResponseDeferredChannelMessageWithSource {
		wctx, wcancel := context.WithTimeout(context.Background(), maxWait)
		defer wcancel()
		select {
		case <-ix.resolved:
		case <-ctx.Done():
			return nil, fmt.Errorf("discordtest: deferred reply to %s never edited @original: %w", describe(kind, data), ctx.Err())
		case <-wctx.Done():
			return nil, fmt.Errorf("discordtest: deferred reply to %s never edited @original: %w", describe(kind, data), wctx.Err())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Reply{Type: ix.cbType, Ephemeral: ix.ephemeral, Latency: ix.latency}
	if ix.original != nil {
		r.MessageID = ix.original.id
	}
	switch {
	case ix.cbType == discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if ix.original != nil && !ix.original.deleted {
			r.Data = responseData(ix.original.raw)
		}
	case ix.cbData != nil:
		r.Data = s.replyDataLocked(ix.cbBody, ix.cbData)
	}
	if ix.original != nil {
		r.Files = append([]File(nil), ix.original.files...)
		r.MessageID = ix.original.id
	}
	for _, m := range ix.followups {
		r.Followups = append(r.Followups, toMessage(m.raw))
	}
	return r, nil
}

func describe(kind discordgo.InteractionType, data map[string]any) string {
	if kind == discordgo.InteractionMessageComponent {
		return fmt.Sprintf("button %v", data["custom_id"])
	}
	return fmt.Sprintf("/%v", data["name"])
}

// replyDataLocked is responseData of a callback's data, decoded once per
// distinct body: a storm of clicks is answered with the same reply again and
// again. Each caller gets a struct of its own; what it points to is shared,
// and read only.
func (s *Server) replyDataLocked(body []byte, data map[string]any) *discordgo.InteractionResponseData {
	key := string(body)
	d, ok := s.replies[key]
	if !ok {
		if d = responseData(data); d == nil {
			return nil
		}
		if s.replies == nil || len(s.replies) >= maxReplies {
			s.replies = map[string]*discordgo.InteractionResponseData{}
		}
		s.replies[key] = d
	}
	c := *d
	return &c
}

// maxReplies bounds the decoded replies a Server keeps.
const maxReplies = 1024

// responseData converts a message-shaped map; discordgo.Message is used as an
// intermediate because only it can decode interface-typed components.
func responseData(m map[string]any) *discordgo.InteractionResponseData {
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	var msg discordgo.Message
	_ = json.Unmarshal(b, &msg)
	var rest struct {
		TTS             bool                                        `json:"tts"`
		AllowedMentions *discordgo.MessageAllowedMentions           `json:"allowed_mentions"`
		Choices         []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
		CustomID        string                                      `json:"custom_id"`
		Title           string                                      `json:"title"`
	}
	_ = json.Unmarshal(b, &rest)
	return &discordgo.InteractionResponseData{
		TTS: rest.TTS, Content: msg.Content, Components: msg.Components, Embeds: msg.Embeds,
		AllowedMentions: rest.AllowedMentions, Flags: msg.Flags, Choices: rest.Choices,
		CustomID: rest.CustomID, Title: rest.Title,
	}
}

// ---- REST side ----

func (s *Server) interactionCallback(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.ixByID[c.params["interaction_id"]]
	if ix == nil || ix.token != c.params["interaction_token"] {
		return http.StatusNotFound, codeError(10062)
	}
	if ix.acked {
		s.answeredTwice++
		return http.StatusBadRequest, codeError(40060)
	}
	lat := time.Since(ix.sent)
	if lat > s.cfg.InteractionDeadline {
		if !ix.late {
			ix.late, ix.latency = true, lat
			close(ix.done)
		}
		return http.StatusNotFound, codeError(10062)
	}
	t := discordgo.InteractionResponseType(numInt(c.json["type"]))
	data, _ := c.json["data"].(map[string]any)
	if reason := callbackMismatch(ix.kind, t); reason != "" {
		s.violations = append(s.violations, Violation{Method: c.r.Method, Path: c.path, Reason: reason, Body: c.body})
		return http.StatusBadRequest, apiError(50035, "Invalid Form Body")
	}
	ix.acked, ix.latency, ix.cbType, ix.cbData, ix.cbBody = true, lat, t, data, c.body
	flags := numInt(data["flags"])
	ix.ephemeral = flags&int64(discordgo.MessageFlagsEphemeral) != 0
	switch t {
	case discordgo.InteractionResponseChannelMessageWithSource:
		ix.original = s.newIxMsgLocked(ix, data, ix.ephemeral)
		s.attachLocked(ix.original, c.files)
	case discordgo.InteractionResponseDeferredChannelMessageWithSource:
		ix.original = s.newIxMsgLocked(ix, map[string]any{"flags": flags | int64(discordgo.MessageFlagsLoading)}, ix.ephemeral)
	case discordgo.InteractionResponseDeferredMessageUpdate:
		ix.original = ix.clicked
	case discordgo.InteractionResponseUpdateMessage:
		ix.original = ix.clicked
		s.editLocked(ix.clicked, data)
		s.attachLocked(ix.clicked, c.files)
	}
	close(ix.done)
	return http.StatusNoContent, nil
}

// callbackMismatch reports callback types Discord refuses for the kind of
// interaction.
func callbackMismatch(kind discordgo.InteractionType, t discordgo.InteractionResponseType) string {
	switch t {
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseDeferredChannelMessageWithSource, discordgo.InteractionResponseModal:
		if kind == discordgo.InteractionApplicationCommandAutocomplete {
			return fmt.Sprintf("callback type %d is not valid for autocomplete", t)
		}
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		if kind != discordgo.InteractionMessageComponent && kind != discordgo.InteractionModalSubmit {
			return fmt.Sprintf("callback type %d is only valid for component interactions", t)
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if kind != discordgo.InteractionApplicationCommandAutocomplete {
			return "callback type 8 is only valid for autocomplete interactions"
		}
	default:
		return fmt.Sprintf("unsupported callback type %d", t)
	}
	return ""
}

// newIxMsgLocked creates a message authored through the interaction webhook;
// ephemeral ones are visible only to the invoker, so they stay out of the
// channel's history.
func (s *Server) newIxMsgLocked(ix *interaction, body map[string]any, ephemeral bool) *storedMsg {
	cs, ok := s.channels[ix.channelID]
	if !ok {
		cs = &channelState{id: ix.channelID, guildID: ix.guildID}
		if ix.guildID == "" {
			cs.recipient = fmt.Sprint(ix.user["id"])
		}
		s.channels[ix.channelID] = cs
	}
	typ := 0
	if ix.kind == discordgo.InteractionApplicationCommand {
		typ = int(discordgo.MessageTypeChatInputCommand)
	}
	n := len(cs.msgs)
	m := s.newMsgLocked(cs, body, typ)
	m.raw["webhook_id"] = s.cfg.AppID
	m.raw["application_id"] = s.cfg.AppID
	m.raw["interaction_metadata"] = map[string]any{"id": ix.id, "type": ix.kind, "user": ix.user}
	m.enc = nil
	if ephemeral {
		cs.msgs = cs.msgs[:n]
	}
	return m
}

// webhookIxLocked resolves the interaction behind /webhooks/{app}/{token}.
func (s *Server) webhookIxLocked(c *call) (*interaction, int, any) {
	ix := s.ixByToken[c.params["webhook_token"]]
	if c.params["webhook_id"] != s.cfg.AppID || ix == nil || time.Since(ix.sent) > interactionTokenTTL || !ix.acked {
		return nil, http.StatusNotFound, codeError(10015)
	}
	return ix, 0, nil
}

func (s *Server) webhookMsgLocked(c *call) (*interaction, *storedMsg, int, any) {
	ix, st, body := s.webhookIxLocked(c)
	if ix == nil {
		return nil, nil, st, body
	}
	id := c.params["message_id"]
	if id == "" { // the @original route has no message_id
		if ix.original == nil || ix.original.deleted {
			return nil, nil, http.StatusNotFound, codeError(10008)
		}
		return ix, ix.original, 0, nil
	}
	for _, m := range ix.ownMsgs() {
		if m.id == id && !m.deleted {
			return ix, m, 0, nil
		}
	}
	return nil, nil, http.StatusNotFound, codeError(10008)
}

func (s *Server) webhookExecute(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, st, body := s.webhookIxLocked(c)
	if ix == nil {
		return st, body
	}
	// The first followup after a defer replaces the "thinking" message.
	if ix.cbType == discordgo.InteractionResponseDeferredChannelMessageWithSource && !ix.isResolved && ix.original != nil {
		s.attachLocked(ix.original, c.files)
		s.fillDeferredLocked(ix, c.json)
		return http.StatusOK, rawCopy(ix.original.raw)
	}
	ephemeral := numInt(c.json["flags"])&int64(discordgo.MessageFlagsEphemeral) != 0
	m := s.newIxMsgLocked(ix, c.json, ephemeral)
	s.attachLocked(m, c.files)
	ix.followups = append(ix.followups, m)
	return http.StatusOK, rawCopy(m.raw)
}

func (s *Server) fillDeferredLocked(ix *interaction, body map[string]any) {
	flags := numInt(ix.original.raw["flags"]) &^ int64(discordgo.MessageFlagsLoading)
	s.editLocked(ix.original, body)
	ix.original.raw["flags"] = flags
	ix.original.enc = nil
	ix.resolveLocked()
}

func (s *Server) webhookGet(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, st, body := s.webhookMsgLocked(c)
	if m == nil {
		return st, body
	}
	return http.StatusOK, rawCopy(m.raw)
}

func (s *Server) webhookEdit(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, m, st, body := s.webhookMsgLocked(c)
	if m == nil {
		return st, body
	}
	s.attachLocked(m, c.files)
	if m == ix.original && ix.cbType == discordgo.InteractionResponseDeferredChannelMessageWithSource && !ix.isResolved {
		s.fillDeferredLocked(ix, c.json)
	} else {
		s.editLocked(m, c.json)
	}
	return http.StatusOK, rawCopy(m.raw)
}

func (s *Server) webhookDelete(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, m, st, body := s.webhookMsgLocked(c)
	if m == nil {
		return st, body
	}
	m.deleted = true
	if m == ix.original {
		ix.resolveLocked()
	}
	return http.StatusNoContent, nil
}
