package discordtest

import (
	"strings"
	"testing"
	"time"

	"rallybot/fakediscord"
)

func TestStartWithoutTest(t *testing.T) {
	t.Parallel()
	if _, err := loadSpec("/nonexistent/openapi.json"); err == nil {
		t.Fatal("loading an unreadable spec path succeeded")
	}
	srv, err := fakediscord.Start(Config{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %q, want 127.0.0.1", srv.URL())
	}
	srv.Close()
	select {
	case <-srv.Changed():
	default:
		t.Error("Changed is not closed after Close")
	}
}

func TestWatchEphemeralsAndChanges(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	startBot(t, srv, false)
	if ch := srv.Channels(guildID); len(ch) != 1 || ch[0].Name != "general" {
		t.Fatalf("channels = %+v", ch)
	}
	changed := srv.Changed()
	inv := Invocation{GuildID: guildID, ChannelID: chanID, Member: member}
	if _, err := srv.Command(ctx(t), inv, "myrsvps"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed not closed by the bot's callback")
	}
	eph := srv.Ephemerals(userID, chanID)
	if len(eph) != 1 || eph[0].Content != "none yet" {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if other := srv.Ephemerals("999", chanID); len(other) != 0 {
		t.Fatalf("another member sees %d ephemeral messages", len(other))
	}
	if _, err := srv.Select(ctx(t), inv, eph[0].ID, "nope", "a"); err == nil {
		t.Fatal("select on a missing custom_id succeeded")
	}
	// Another member's client never has the message: even a tampered one
	// cannot press or pick on it.
	other := inv
	other.Member.UserID = "999"
	if _, err := srv.ForgedClick(ctx(t), other, eph[0].ID, "nope"); err == nil || !strings.Contains(err.Error(), "no message") {
		t.Errorf("another member clicked on the ephemeral reply: %v", err)
	}
	if _, err := srv.ForgedSelect(ctx(t), other, eph[0].ID, "nope", "a"); err == nil || !strings.Contains(err.Error(), "no message") {
		t.Errorf("another member picked on the ephemeral reply: %v", err)
	}
}
