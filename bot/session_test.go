package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"rallybot/commands"
	"rallybot/discordtest"
)

// TestSessionLeavesRetriesToTheSeam: a 502 comes back to the caller at once.
// discordgo's own 502 retry would resend a message or follow-up that carries
// no nonce, and Discord may have stored the first; commands.Discord decides
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
	if commands.Classify(err) != commands.Transient {
		t.Errorf("Classify(%v) = %v, want Transient so the seam retries it", err, commands.Classify(err))
	}
}
