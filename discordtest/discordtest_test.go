package discordtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

const (
	testToken = "test-token"
	guildID   = "200000000000000001"
	chanID    = "200000000000000002"
	roleID    = "200000000000000003"
	userID    = "300000000000000001"
	// defaultAppID is the fake's application id when Config.AppID is unset.
	defaultAppID = "100000000000000001"
)

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	s := New(t, cfg)
	s.AddGuild(Guild{ID: guildID, Name: "Rally", OwnerID: userID,
		Channels: []Channel{{ID: chanID, Name: "general"}},
		Roles:    []Role{{ID: roleID, Name: "organiser", Permissions: 8}},
	})
	return s
}

// newSession builds a session the way the bot does: real discordgo, HTTP
// rewritten to the fake.
func newSession(t *testing.T, srv *Server, token string, intents discordgo.Intent) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = &http.Client{Transport: toFake{origin}, Timeout: 10 * time.Second}
	dg.Identify.Intents = intents
	// Without reconnects the session can simply be abandoned when the server
	// closes; dg.Close() would cost a hard-coded 1s sleep per test.
	dg.ShouldReconnectOnError = false
	return dg
}

// toFake sends discordgo's requests for https://discord.com to the fake.
type toFake struct{ origin *url.URL }

func (f toFake) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "discord.com" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = f.origin.Scheme, f.origin.Host, f.origin.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

// specFound tells whether New checks bodies against the OpenAPI spec.
func specFound(t *testing.T) bool {
	t.Helper()
	spec, err := Spec()
	if err != nil {
		t.Fatal(err)
	}
	return spec != nil
}

func open(t *testing.T, srv *Server, dg *discordgo.Session) {
	t.Helper()
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitReady(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

func TestReadyAndGuildCreate(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	guilds := make(chan *discordgo.GuildCreate, 4)
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { guilds <- g })
	open(t, srv, dg)
	select {
	case g := <-guilds:
		if g.ID != guildID || g.Name != "Rally" || len(g.Channels) != 1 || g.Channels[0].ID != chanID {
			t.Fatalf("GUILD_CREATE = %+v", g.Guild)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no GUILD_CREATE")
	}
	if dg.State.User == nil || dg.State.User.ID != defaultAppID || !dg.State.User.Bot {
		t.Fatalf("READY user = %+v", dg.State.User)
	}
	ids := srv.Identifies()
	if len(ids) != 1 || ids[0].Token != "Bot "+testToken || ids[0].Intents != discordgo.IntentsGuilds {
		t.Fatalf("identifies = %+v", ids)
	}
	// A guild added while connected is announced at once.
	srv.AddGuild(Guild{ID: "200000000000000009", Name: "Later"})
	select {
	case g := <-guilds:
		if g.ID != "200000000000000009" {
			t.Fatalf("second GUILD_CREATE = %s", g.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no GUILD_CREATE for AddGuild")
	}
	me, err := dg.User("@me")
	if err != nil || me.ID != defaultAppID {
		t.Fatalf("GET /users/@me = %+v, %v", me, err)
	}
}

func wantClose(t *testing.T, err error, code int) {
	t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("Open error = %v, want close %d", err, code)
	}
}

func TestBadTokenGets4004(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, "wrong", discordgo.IntentsGuilds)
	wantClose(t, dg.Open(), 4004)
}

func TestPrivilegedIntentGets4014(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds|discordgo.IntentMessageContent)
	wantClose(t, dg.Open(), 4014)

	allowed := newServer(t, Config{PrivilegedIntentsAllowed: true})
	dg2 := newSession(t, allowed, testToken, discordgo.IntentsGuilds|discordgo.IntentMessageContent)
	open(t, allowed, dg2)
}

func TestRESTNeedsBotAuthorization(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, "wrong", discordgo.IntentsGuilds)
	_, err := dg.User("@me")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want 401", err)
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "Authorization") {
		t.Fatalf("violations = %+v", v)
	}
}

func commands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{
		{
			Name: "chapter", Description: "Chapters",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List chapters"},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Add a chapter",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name", Required: true, Autocomplete: true},
						{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "Channel"},
						{Type: discordgo.ApplicationCommandOptionRole, Name: "role", Description: "Role"},
					}},
			},
		},
		{Name: "myrsvps", Description: "Your RSVPs"},
	}
}

func TestBulkOverwriteCommands(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	got, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, guildID, commands())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID == "" || got[0].Name != "chapter" {
		t.Fatalf("overwrite returned %+v", got)
	}
	again, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, guildID, commands())
	if err != nil || again[0].ID != got[0].ID {
		t.Fatalf("ids not stable across overwrites: %v %v", again, err)
	}
	if n := srv.CountRequests("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"); n != 2 {
		t.Fatalf("PUT count = %d", n)
	}
	if c := srv.Commands(guildID); len(c) != 2 || len(c[0].Options) != 2 {
		t.Fatalf("stored = %+v", c)
	}
	if c := srv.Commands(""); len(c) != 0 {
		t.Fatalf("global = %+v", c)
	}
}

func TestSendAndEdit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	m, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{
		Content: "hello", AllowedMentions: noMentions(),
		Embeds: []*discordgo.MessageEmbed{{Title: "T", Description: "D"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.ChannelID != chanID || m.Author.ID != defaultAppID || m.Content != "hello" {
		t.Fatalf("created %+v", m)
	}
	content := "edited"
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: chanID, Content: &content, AllowedMentions: noMentions()}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(chanID)
	if len(msgs) != 1 || msgs[0].Content != "edited" || len(msgs[0].Embeds) != 1 || msgs[0].EditedTimestamp == nil {
		t.Fatalf("messages = %+v", msgs)
	}
	if srv.Edits(chanID, m.ID) != 1 {
		t.Fatalf("edits = %d", srv.Edits(chanID, m.ID))
	}
	if err := dg.ChannelMessageDelete(chanID, m.ID); err != nil {
		t.Fatal(err)
	}
	if srv.Message(chanID, m.ID) != nil {
		t.Fatal("message survived delete")
	}
	_, err = dg.ChannelMessageSendComplex("999", &discordgo.MessageSend{Content: "x", AllowedMentions: noMentions()})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 10003 {
		t.Fatalf("unknown channel err = %v", err)
	}
}

func TestInvalidBodiesAreViolations(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	_, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: strings.Repeat("x", 2001), AllowedMentions: noMentions()})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 {
		t.Fatalf("long content err = %v", err)
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "2000") {
		t.Fatalf("violations = %+v", v)
	}

	if !specFound(t) {
		t.Skip("no OpenAPI spec")
	}
	bad := map[string]any{"embeds": []any{map[string]any{"title": 5}}, "allowed_mentions": map[string]any{"parse": []string{}}}
	_, err = dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(chanID), bad, "")
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 {
		t.Fatalf("bad embed err = %v", err)
	}
	v := srv.TakeViolations()
	if len(v) != 1 || !strings.Contains(v[0].Reason, "/embeds/0/title") {
		t.Fatalf("violations = %+v", v)
	}
	if len(srv.Messages(chanID)) != 0 {
		t.Fatal("invalid message was stored")
	}
}

// TestRepeatedBodiesAreCheckedAlike: a body found valid is not checked
// again, and one found invalid is refused every time it is sent.
func TestRepeatedBodiesAreCheckedAlike(t *testing.T) {
	t.Parallel()
	if !specFound(t) {
		t.Skip("no OpenAPI spec")
	}
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	bad := map[string]any{"embeds": []any{map[string]any{"title": 7}}, "allowed_mentions": map[string]any{"parse": []string{}}}
	good := map[string]any{"content": "same", "allowed_mentions": map[string]any{"parse": []string{}}}
	for range 3 {
		var re *discordgo.RESTError
		if _, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(chanID), bad, ""); !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 {
			t.Fatalf("bad body err = %v", err)
		}
		if _, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(chanID), good, ""); err != nil {
			t.Fatalf("good body: %v", err)
		}
	}
	if v := srv.TakeViolations(); len(v) != 3 {
		t.Fatalf("violations = %d, want 3 (one per bad body): %+v", len(v), v)
	}
	if n := len(srv.Messages(chanID)); n != 3 {
		t.Fatalf("messages = %d, want 3", n)
	}
}

func TestAllowedMentionsRules(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	if _, err := dg.ChannelMessageSend(chanID, "no allowed_mentions"); err != nil {
		t.Fatal(err)
	}
	everyone := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeEveryone}}
	if _, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "hi", AllowedMentions: everyone}); err != nil {
		t.Fatal(err)
	}
	v := srv.TakeViolations()
	if len(v) != 2 || !strings.Contains(v[0].Reason, "lacks allowed_mentions") || !strings.Contains(v[1].Reason, "everyone") {
		t.Fatalf("violations = %+v", v)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	const route = "/channels/{channel_id}/messages"
	srv.FailNext("POST", route, 1, 500)
	_, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "a", AllowedMentions: noMentions()})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != 500 {
		t.Fatalf("err = %v, want 500 RESTError", err)
	}
	srv.FailNext("POST", route, 1, 429)
	start := time.Now()
	if _, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "b", AllowedMentions: noMentions()}); err != nil {
		t.Fatalf("429 not retried: %v", err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("discordgo did not wait retry_after")
	}
	srv.FailNext("POST", route, 1, 502)
	if _, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "c", AllowedMentions: noMentions()}); err != nil {
		t.Fatalf("502 not retried: %v", err)
	}
	if n := srv.CountRequests("POST", route); n != 5 {
		t.Fatalf("POST count = %d, want 5", n)
	}
	if n := len(srv.Messages(chanID)); n != 2 {
		t.Fatalf("stored %d messages, want 2", n)
	}
}

func TestEnforceNonceDedups(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	body := map[string]any{"content": "once", "nonce": "rsvp-42", "enforce_nonce": true, "allowed_mentions": map[string]any{"parse": []string{}}}
	var ids []string
	for i := 0; i < 2; i++ {
		b, err := dg.RequestWithBucketID("POST", discordgo.EndpointChannelMessages(chanID), body, "")
		if err != nil {
			t.Fatal(err)
		}
		var m discordgo.Message
		if err := discordgo.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if ids[0] != ids[1] || len(srv.Messages(chanID)) != 1 {
		t.Fatalf("ids %v, %d messages", ids, len(srv.Messages(chanID)))
	}
}

func TestDMs(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	ch, err := dg.UserChannelCreate(userID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dg.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{Content: "psst", AllowedMentions: noMentions()}); err != nil {
		t.Fatal(err)
	}
	if dms := srv.DMs(userID); len(dms) != 1 || dms[0].Content != "psst" {
		t.Fatalf("DMs = %+v", dms)
	}
	srv.FailDMs("300000000000000002")
	ch2, err := dg.UserChannelCreate("300000000000000002")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dg.ChannelMessageSendComplex(ch2.ID, &discordgo.MessageSend{Content: "psst", AllowedMentions: noMentions()})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50007 {
		t.Fatalf("err = %v, want 50007", err)
	}
	srv.FailChannel(chanID, 403, 50013)
	_, err = dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "x", AllowedMentions: noMentions()})
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50013 || re.Response.StatusCode != 403 {
		t.Fatalf("err = %v, want 403/50013", err)
	}
}

// bot is a minimal interaction handler standing in for the real bot.
func startBot(t *testing.T, srv *Server, reconnect bool) *discordgo.Session {
	t.Helper()
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	dg.ShouldReconnectOnError = reconnect
	if _, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, guildID, commands()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	dg.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		mu.Lock() // one at a time keeps the fake bot simple
		defer mu.Unlock()
		switch i.Type {
		case discordgo.InteractionApplicationCommandAutocomplete:
			_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "Berlin", Value: "berlin"}}},
			})
		case discordgo.InteractionMessageComponent:
			_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "clicked by " + i.Member.User.ID, AllowedMentions: noMentions()},
			})
		case discordgo.InteractionApplicationCommand:
			d := i.ApplicationCommandData()
			switch {
			case d.Name == "myrsvps":
				_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "none yet", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
				})
			case d.Options[0].Name == "list":
				_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
				content := "chapters:"
				_, _ = s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{
					Content: &content, AllowedMentions: noMentions(),
					Embeds: &[]*discordgo.MessageEmbed{{Title: "Berlin", Fields: []*discordgo.MessageEmbedField{{Name: "Members", Value: "3"}}}},
				})
			case d.Options[0].Name == "add":
				opts := d.Options[0].Options
				ch := d.Resolved.Channels[opts[1].Value.(string)]
				role := d.Resolved.Roles[opts[2].Value.(string)]
				_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{
						Content:         opts[0].StringValue() + " in " + ch.Name + " for " + role.Name + " by " + strconv.FormatInt(i.Member.Permissions, 10),
						AllowedMentions: noMentions(),
						Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
							discordgo.Button{Label: "Join", Style: discordgo.PrimaryButton, CustomID: "join"},
						}}},
					},
				})
			}
		}
	})
	open(t, srv, dg)
	return dg
}

// TestSchemaCoversInteractionRoutes checks that the callback and webhook
// routes are validated too, not just channel messages.
func TestSchemaCoversInteractionRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	if !specFound(t) {
		t.Skip("no OpenAPI spec")
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v10/interactions/1/tok/callback", `{"type":4,"data":{"content":5}}`},
		{"PATCH", "/api/v10/webhooks/1/tok/messages/@original", `{"embeds":"x"}`},
		{"POST", "/api/v10/webhooks/1/tok", `{"content":["x"]}`},
		{"PUT", "/api/v9/applications/1/commands", `[{"name":5}]`},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL()+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bot "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400", tc.method, tc.path, resp.StatusCode)
		}
	}
	if v := srv.TakeViolations(); len(v) != 4 {
		t.Fatalf("violations = %+v", v)
	}
	reqs := srv.Requests()
	if reqs[1].Route != "/webhooks/{webhook_id}/{webhook_token}/messages/@original" || reqs[1].Path != "/webhooks/1/tok/messages/@original" {
		t.Fatalf("route = %q path = %q", reqs[1].Route, reqs[1].Path)
	}
}

func TestUnknownRouteIs404(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	_, err := dg.GuildRoles(guildID)
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != 404 {
		t.Fatalf("err = %v", err)
	}
	// Without the OpenAPI file (a newcomer's clone) the fake knows only the
	// routes it implements, so an unknown one has no template.
	wantRoute := ""
	if specFound(t) {
		wantRoute = "/guilds/{guild_id}/roles"
	}
	if r := srv.Requests(); len(r) != 1 || r[0].Route != wantRoute || r[0].Status != 404 {
		t.Fatalf("requests = %+v, want one 404 with route %q", r, wantRoute)
	}
}
