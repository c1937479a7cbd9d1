package discordtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestDocumentedLimitsAreRefused: limits Discord documents but the OpenAPI
// document leaves out are refused as Discord refuses them, with 50035 and
// the errors object naming the field.
func TestDocumentedLimitsAreRefused(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	button := func(id string) discordgo.MessageComponent {
		return discordgo.Button{Label: "b", CustomID: id, Style: discordgo.PrimaryButton}
	}
	row := func(c ...discordgo.MessageComponent) discordgo.MessageComponent {
		return discordgo.ActionsRow{Components: c}
	}
	long := strings.Repeat("é", 4000)
	cases := []struct {
		name string
		msg  *discordgo.MessageSend
		want string
	}{
		{"EmbedTotal", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: long}, {Description: long[:2*2001]}}}, `"embeds":{"_errors"`},
		{"EmptyFieldValue", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{{Name: "n", Value: ""}}}}}, "BASE_TYPE_REQUIRED"},
		{"SixRows", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(button("a")), row(button("b")), row(button("c")), row(button("d")), row(button("e")), row(button("f"))}}, `"components":{"_errors"`},
		{"DuplicateCustomID", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(button("a"), button("a"))}}, "COMPONENT_CUSTOM_ID_DUPLICATED"},
		{"SelectNotAlone", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(button("a"), discordgo.SelectMenu{CustomID: "s", Options: []discordgo.SelectMenuOption{{Label: "l", Value: "v"}}})}}, "COMPONENT_LAYOUT_WIDTH_EXCEEDED"},
		{"DuplicateOptionValue", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(discordgo.SelectMenu{CustomID: "s", Options: []discordgo.SelectMenuOption{{Label: "l", Value: "v"}, {Label: "m", Value: "v"}}})}}, "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED"},
		{"EphemeralInChannel", &discordgo.MessageSend{Content: "x", Flags: discordgo.MessageFlagsEphemeral}, "MESSAGE_FLAGS_INVALID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.msg.AllowedMentions = noMentions()
			_, err := dg.ChannelMessageSendComplex(chanID, tc.msg)
			var re *discordgo.RESTError
			if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 || !strings.Contains(string(re.ResponseBody), tc.want) {
				t.Fatalf("err = %v, want 50035 with %s", err, tc.want)
			}
			if v := srv.TakeViolations(); len(v) != 1 {
				t.Fatalf("violations = %+v", v)
			}
		})
	}
	// At the limits exactly, all goes through.
	ok := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("é", 4000)}, {Description: strings.Repeat("é", 2000)}}, AllowedMentions: noMentions()}
	if _, err := dg.ChannelMessageSendComplex(chanID, ok); err != nil {
		t.Fatal(err)
	}
}
