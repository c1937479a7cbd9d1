package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/discordtest"
)

// TestSessionLeavesRetriesToTheSeam: a 502 comes back to the caller at once.
// discordgo's own 502 retry would resend a message or follow-up that carries
// no nonce, and Discord may have stored the first; discord.Client decides
// what is safe to resend.
func TestSessionLeavesRetriesToTheSeam(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t, discordtest.Config{Token: "502.test.token"})
	session, err := NewSession(Config{Token: "502.test.token", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext("POST", "/channels/{channel_id}/messages", 1, 502)
	_, err = session.ChannelMessageSendComplex("910000000000000001", &discordgo.MessageSend{
		Content: "a", AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	})
	var re *discordgo.RESTError
	if err == nil || !strings.Contains(err.Error(), "502") || errors.As(err, &re) && re.Response.StatusCode != 502 {
		t.Fatalf("err = %v, want the 502 itself, not a resend", err)
	}
	if discord.Classify(err) != discord.Transient {
		t.Errorf("Classify(%v) = %v, want Transient so the seam retries it", err, discord.Classify(err))
	}
}

// TestSessionPacerKnowsTheApplication: the pacer spares the application's
// own interaction webhooks, so it must learn the id from READY; before it,
// it knows none and paces every webhook.
func TestSessionPacerKnowsTheApplication(t *testing.T) {
	t.Parallel()
	const app = "100000000000000077"
	fake := discordtest.New(t, discordtest.Config{Token: "app.test.token", AppID: app})
	session, err := NewSession(Config{Token: "app.test.token", APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	session.LogLevel = -1 // nothing: Close's heartbeat error is noise here
	if got := applicationID(session); got != "" {
		t.Fatalf("application before READY = %q, want none", got)
	}
	if err := session.Open(); err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	if got := applicationID(session); got != app {
		t.Errorf("application after READY = %q, want %q", got, app)
	}
}
