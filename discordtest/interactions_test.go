package discordtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

var member = Member{UserID: userID, Roles: []string{roleID}, Permissions: 8}

func TestInteractionEphemeralReply(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	r, err := srv.Command(ctx(t), Invocation{GuildID: guildID, ChannelID: chanID, Member: member}, "myrsvps")
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.Ephemeral || r.Text() != "none yet" || r.Latency <= 0 {
		t.Fatalf("reply = %+v", r)
	}
	if n := len(srv.Messages(chanID)); n != 0 {
		t.Fatalf("ephemeral reply visible in channel (%d messages)", n)
	}
}

func TestInteractionDeferredThenEdit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	r, err := srv.Command(ctx(t), Invocation{GuildID: guildID, ChannelID: chanID, Member: member}, "chapter list")
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || r.Ephemeral {
		t.Fatalf("reply = %+v", r)
	}
	if want := "chapters:\nBerlin\nMembers\n3"; r.Text() != want {
		t.Fatalf("text = %q, want %q", r.Text(), want)
	}
	msgs := srv.Messages(chanID)
	if len(msgs) != 1 || msgs[0].Content != "chapters:" || msgs[0].Flags&discordgo.MessageFlagsLoading != 0 {
		t.Fatalf("channel = %+v", msgs)
	}
}

func TestInteractionOptionsResolvedAndClick(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	r, err := srv.Command(ctx(t), inv, "chapter add", Str("name", "Berlin"), ChannelOpt("channel", chanID), RoleOpt("role", roleID))
	if err != nil {
		t.Fatal(err)
	}
	if r.Text() != "Berlin in general for organiser by 8" {
		t.Fatalf("text = %q", r.Text())
	}
	msgs := srv.Messages(chanID)
	if len(msgs) != 1 || len(msgs[0].Components) != 1 {
		t.Fatalf("channel = %+v", msgs)
	}
	r, err = srv.Click(ctx(t), inv, msgs[0].ID, "join")
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != discordgo.InteractionResponseUpdateMessage {
		t.Fatalf("click reply = %+v", r)
	}
	if m := srv.Message(chanID, msgs[0].ID); m.Content != "clicked by "+userID || srv.Edits(chanID, m.ID) != 1 {
		t.Fatalf("after click: %+v", m)
	}
	if _, err := srv.Click(ctx(t), inv, msgs[0].ID, "nope"); err == nil {
		t.Fatal("click on a missing custom_id succeeded")
	}
}

func TestInteractionRejectsUnknownCommandsAndOptions(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	for _, tc := range []struct {
		path string
		opts []Option
	}{
		{"nosuch", nil},
		{"chapter", nil},
		{"chapter remove", nil},
		{"chapter add", []Option{Str("colour", "red")}},
	} {
		if _, err := srv.Command(ctx(t), inv, tc.path, tc.opts...); err == nil {
			t.Errorf("Command(%q) succeeded", tc.path)
		}
	}
	// Values are not validated: forged ids go through, unresolved.
	if _, err := srv.Command(ctx(t), inv, "myrsvps"); err != nil {
		t.Fatal(err)
	}
}

func TestAutocomplete(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	o := Str("name", "Ber")
	o.Focused = true
	choices, err := srv.Autocomplete(ctx(t), inv, "chapter add", o)
	if err != nil {
		t.Fatal(err)
	}
	if len(choices) != 1 || choices[0].Name != "Berlin" {
		t.Fatalf("choices = %+v", choices)
	}
}

func TestSecondCallbackAndDeadline(t *testing.T) {
	t.Parallel()
	// The deadline leaves a prompt answer room on a loaded machine; the late
	// one sleeps well past it.
	srv := newServer(t, Config{Token: testToken, InteractionDeadline: time.Second})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	if _, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, "", commands()); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	dg.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if i.ApplicationCommandData().Name == "chapter" {
			time.Sleep(1500 * time.Millisecond)
		}
		resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
		if err := s.InteractionRespond(i.Interaction, resp); err != nil {
			second <- err
			return
		}
		second <- s.InteractionRespond(i.Interaction, resp)
		content := "ok"
		_, _ = s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()})
	})
	open(t, srv, dg)
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	if _, err := srv.Command(ctx(t), inv, "myrsvps"); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err == nil || !strings.Contains(err.Error(), "40060") {
		t.Fatalf("second callback err = %v", err)
	}
	_, err := srv.Command(ctx(t), inv, "chapter list")
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("late callback err = %v", err)
	}
	if err := <-second; err == nil || !strings.Contains(err.Error(), "10062") {
		t.Fatalf("late callback REST err = %v", err)
	}
}

func TestDropGatewayResumes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := startBot(t, srv, true)
	// Registered after New's cleanup, so it runs first and the session does
	// not keep reconnecting to a closed server.
	t.Cleanup(func() { dg.Close() })
	resumed := make(chan struct{}, 1)
	dg.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { resumed <- struct{}{} })
	srv.DropGateway(4000)
	select {
	case <-resumed:
	case <-time.After(8 * time.Second):
		t.Fatal("no RESUMED")
	}
	if n := len(srv.Identifies()); n != 1 {
		t.Fatalf("identified %d times; RESUME expected", n)
	}
	// Interactions still reach the bot on the resumed connection.
	if _, err := srv.Command(context.Background(), Invocation{GuildID: guildID, ChannelID: chanID, Member: member}, "myrsvps"); err != nil {
		t.Fatal(err)
	}
}

func TestFollowupsAndWebhookRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	if _, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, guildID, commands()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		followup *discordgo.Message
		err      error
	}
	done := make(chan result, 1)
	dg.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "first", AllowedMentions: noMentions()},
		})
		if err != nil {
			done <- result{err: err}
			return
		}
		f, err := s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "second", AllowedMentions: noMentions()})
		if err != nil {
			done <- result{err: err}
			return
		}
		content := "second, edited"
		if _, err := s.FollowupMessageEdit(i.Interaction, f.ID, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()}); err != nil {
			done <- result{err: err}
			return
		}
		orig, err := s.InteractionResponse(i.Interaction)
		if err == nil && orig.Content != "first" {
			err = errors.New("GET @original returned " + orig.Content)
		}
		if err == nil {
			err = s.InteractionResponseDelete(i.Interaction)
		}
		done <- result{followup: f, err: err}
	})
	open(t, srv, dg)
	if _, err := srv.Command(ctx(t), Invocation{GuildID: guildID, ChannelID: chanID, Member: member}, "myrsvps"); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not finish")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	msgs := srv.Messages(chanID)
	if len(msgs) != 1 || msgs[0].ID != r.followup.ID || msgs[0].Content != "second, edited" || srv.Edits(chanID, r.followup.ID) != 1 {
		t.Fatalf("channel = %+v", msgs)
	}
}

// TestClickCarriesTheMessageAsItIsNow: the message a click carries is
// encoded once per change of the message and reused for its clicks; a click
// after an edit must carry the edit.
func TestClickCarriesTheMessageAsItIsNow(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := startBot(t, srv, false)
	var mu sync.Mutex
	var seen []string
	dg.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) {
		if i.Type == discordgo.InteractionMessageComponent && i.Message != nil {
			mu.Lock()
			seen = append(seen, i.Message.Content)
			mu.Unlock()
		}
	})
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	join := []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Join", Style: discordgo.PrimaryButton, CustomID: "join"},
	}}}
	msg, err := dg.ChannelMessageSendComplex(chanID, &discordgo.MessageSend{Content: "v1", Components: join, AllowedMentions: noMentions()})
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []string{"v2", "v3", ""} {
		// The fake bot's answer replaces the message with "clicked by …"
		// and no button; an edit by REST puts one back.
		if _, err := srv.Click(ctx(t), inv, msg.ID, "join"); err != nil {
			t.Fatal(err)
		}
		if next == "" {
			break
		}
		if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: msg.ID, Channel: chanID, Content: &next, Components: &join, AllowedMentions: noMentions()}); err != nil {
			t.Fatal(err)
		}
	}
	// The handler above runs in a goroutine of its own per event.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"v1", "v2", "v3"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("clicks carried %q, want %q", seen, want)
	}
}
