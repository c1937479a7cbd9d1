package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// TestAdminCommandsAskForManageServer: every admin-only top-level command is
// registered with default_member_permissions Manage Server, sent as the
// string of digits Discord documents ("32"), and the fake, which checks the
// rest of the body against Discord's OpenAPI file, accepts it; the handler
// still refuses a member without the permission.
func TestAdminCommandsAskForManageServer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Fatalf("registration broke Discord's spec: %v", v)
	}
	var put []byte
	for _, r := range h.fake.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Route, "/commands") {
			put = r.Body
		}
	}
	var sent []map[string]any
	if err := json.Unmarshal(put, &sent); err != nil {
		t.Fatalf("registration body: %v", err)
	}
	admin := map[string]bool{}
	for _, c := range sent {
		if p, ok := c["default_member_permissions"]; ok {
			if p != "32" {
				t.Errorf("/%s: default_member_permissions = %#v, want the digit string \"32\" (Manage Server)", c["name"], p)
			}
			admin[c["name"].(string)] = true
		}
	}
	if !admin["setup"] {
		t.Error("/setup does not ask for Manage Server")
	}
	for _, name := range []string{"chapter", "rally", "rsvp", "summary", "action", "help"} {
		if admin[name] {
			t.Errorf("/%s asks for Manage Server, but members use it", name)
		}
	}
	for _, c := range h.fake.Commands(guildID) {
		if c.Name == "setup" && (c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != discordgo.PermissionManageGuild) {
			t.Errorf("the fake stored /setup with %v", c.DefaultMemberPermissions)
		}
	}
	mustContain(t, h.cmd(volunteer, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel)), true, "Manage Server")
}
