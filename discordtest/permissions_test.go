package discordtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestDefaultMemberPermissionsAsDigits: Discord documents and accepts
// default_member_permissions as a string of digits, which its OpenAPI file
// types as an integer; the fake reads that one field as Discord does and
// still checks everything else against the schema.
func TestDefaultMemberPermissionsAsDigits(t *testing.T) {
	t.Parallel()
	if spec, err := Spec(); err != nil || spec == nil {
		// As the README says: without Discord's spec there is no schema to
		// check against (CI requires it, .ci/run).
		t.Skipf("Discord's OpenAPI spec not found (%v): set DISCORD_OPENAPI", err)
	}
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	bulk := discordgo.EndpointApplicationGuildCommands(defaultAppID, guildID)

	t.Run("DigitStringAccepted", func(t *testing.T) {
		cmds := commands()
		manage := int64(discordgo.PermissionManageGuild)
		cmds[1].DefaultMemberPermissions = &manage
		got, err := dg.ApplicationCommandBulkOverwrite(defaultAppID, guildID, cmds)
		if err != nil {
			t.Fatalf("bulk overwrite with default_member_permissions %q: %v", "32", err)
		}
		if v := srv.TakeViolations(); len(v) != 0 {
			t.Fatalf("violations = %+v", v)
		}
		if len(got) != 2 || got[1].DefaultMemberPermissions == nil || *got[1].DefaultMemberPermissions != manage {
			t.Fatalf("overwrite returned %+v", got[1])
		}
		reqs := srv.Requests()
		if body := string(reqs[len(reqs)-1].Body); !strings.Contains(body, `"default_member_permissions":"32"`) {
			t.Fatalf("the request did not carry the digit string: %s", body)
		}
	})

	refused := func(t *testing.T, body any, where string) {
		t.Helper()
		_, err := dg.RequestWithBucketID("PUT", bulk, body, "")
		var re *discordgo.RESTError
		if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 {
			t.Fatalf("err = %v, want 50035", err)
		}
		v := srv.TakeViolations()
		if len(v) != 1 || !strings.Contains(v[0].Reason, where) {
			t.Fatalf("violations = %+v, want one at %s", v, where)
		}
	}
	t.Run("NotDigitsRefused", func(t *testing.T) {
		for _, p := range []any{"32a", "-32", "", "0x20", " 32", true} {
			refused(t, []any{map[string]any{"name": "setup", "description": "Server settings", "default_member_permissions": p}},
				"/0/default_member_permissions")
		}
	})
	t.Run("OtherFieldsStillChecked", func(t *testing.T) {
		refused(t, []any{map[string]any{"name": "setup", "description": strings.Repeat("x", 101), "default_member_permissions": "32"}},
			"/0/description")
		refused(t, []any{map[string]any{"name": "setup", "description": "Server settings", "default_member_permissions": "32", "dm_permission": "no"}},
			"/0/dm_permission")
	})
}
