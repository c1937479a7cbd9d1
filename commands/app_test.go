package commands

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// newTestApp builds the handlers over a real SQLite file. Its session has no
// network: these cases must be answered without calling Discord.
func newTestApp(t *testing.T) *App {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "rallybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := func() time.Time { return time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC) }
	db.Now = now
	if _, err := db.SeedGuild(context.Background(), "200000000000000001"); err != nil {
		t.Fatal(err)
	}
	s, _ := discordgo.New("Bot test")
	s.Client = nil // any REST call would panic, and Handle would report it as an internal error
	a := New(db, discord.New(s), slog.New(slog.NewTextHandler(io.Discard, nil)), now, Config{ReminderOffsets: []time.Duration{time.Hour}})
	t.Cleanup(a.Close)
	return a
}

func loadInteraction(t *testing.T, name string) *discordgo.Interaction {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(raw, &i); err != nil {
		t.Fatal(err)
	}
	return &i
}

// TestHandleCapturedPayloads runs the router on interaction payloads as
// Discord sends them (testdata/*.json).
func TestHandleCapturedPayloads(t *testing.T) {
	a := newTestApp(t)
	for _, c := range []struct {
		file, want string
	}{
		{"command_in_dm.json", "works inside a server"},
		{"button_unknown_custom_id.json", "This button is no longer valid."},
		{"rally_create_by_member.json", "Only server admins can manage Seattle rallies"},
	} {
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			resp := a.Handle(context.Background(), loadInteraction(t, c.file))
			if resp == nil || !resp.Ephemeral || !strings.Contains(resp.Content, c.want) {
				t.Fatalf("got %+v, want an ephemeral reply containing %q", resp, c.want)
			}
		})
	}
	rallies, err := a.db.UpcomingRallies(context.Background(), a.now(), store.RallyFilter{GuildID: "200000000000000001"})
	if err != nil || len(rallies) != 0 {
		t.Fatalf("refused payloads stored %d rallies (%v)", len(rallies), err)
	}
}

// TestEphemeral: the visibility a deferred reply takes, before the handler
// has answered.
func TestEphemeral(t *testing.T) {
	a := newTestApp(t)
	cmd := func(name string, sub ...string) *discordgo.Interaction {
		data := discordgo.ApplicationCommandInteractionData{Name: name}
		if len(sub) > 0 {
			data.Options = []*discordgo.ApplicationCommandInteractionDataOption{{Name: sub[0], Type: discordgo.ApplicationCommandOptionSubCommand}}
		}
		return &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, Data: data}
	}
	for _, c := range []struct {
		name string
		i    *discordgo.Interaction
		want bool
	}{
		{"ChapterList", cmd("chapter", "list"), false},
		{"RallyList", cmd("rally", "list"), false},
		{"RallyInfo", cmd("rally", "info"), false},
		{"RallyCreate", cmd("rally", "create"), true},
		{"RallyAttendees", cmd("rally", "attendees"), true},
		{"RSVP", cmd("rsvp"), true},
		{"MyRSVPs", cmd("myrsvps"), true},
		{"Button", &discordgo.Interaction{Type: discordgo.InteractionMessageComponent, Data: discordgo.MessageComponentInteractionData{CustomID: "rsvp:going:1"}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := a.Ephemeral(c.i); got != c.want {
				t.Errorf("Ephemeral = %v, want %v", got, c.want)
			}
		})
	}
}

const testGuild = "200000000000000001"

// testMember is who sends a built interaction.
type testMember struct {
	id    string
	roles []string
	perms int64
}

// Members of the test guild: leadRole leads Seattle once a test sets it up,
// coordRole is the coordinators' role.
const (
	leadRole  = "400000000000000011"
	coordRole = "400000000000000022"
)

var (
	member      = testMember{id: "500000000000000010"}
	admin       = testMember{id: "500000000000000020", perms: discordgo.PermissionManageGuild}
	seattleLead = testMember{id: "500000000000000030", roles: []string{leadRole}}
	coordinator = testMember{id: "500000000000000040", roles: []string{coordRole}}
)

func (m testMember) build() *discordgo.Member {
	return &discordgo.Member{User: &discordgo.User{ID: m.id}, Roles: m.roles, Permissions: m.perms}
}

func opt(name string, value any) *discordgo.ApplicationCommandInteractionDataOption {
	t := discordgo.ApplicationCommandOptionString
	if _, ok := value.(float64); ok {
		t = discordgo.ApplicationCommandOptionInteger
	}
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: t, Value: value}
}

// slash builds a command interaction as Discord sends it; sub "" is a
// command without subcommands.
func slash(m testMember, name, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	data := discordgo.ApplicationCommandInteractionData{ID: "1200000000000000002", Name: name, Options: opts}
	if sub != "" {
		data.Options = []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}}
	}
	return &discordgo.Interaction{ID: "1300000000000000009", Type: discordgo.InteractionApplicationCommand,
		GuildID: testGuild, ChannelID: "300000000000000001", Member: m.build(), Data: data}
}

// button builds a click on a component with the custom_id, forged or not.
func button(m testMember, customID string) *discordgo.Interaction {
	return &discordgo.Interaction{ID: "1300000000000000010", Type: discordgo.InteractionMessageComponent,
		GuildID: testGuild, ChannelID: "300000000000000001", Member: m.build(),
		Data: discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: discordgo.ButtonComponent}}
}

// TestPublicCommandsDeferPublicly: a command whose reply everyone sees must
// also defer publicly, or a slow answer turns private.
func TestPublicCommandsDeferPublicly(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{"chapter list", "rally list", "rally info", "action list"} {
		parts := strings.Fields(path)
		i := &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, Data: discordgo.ApplicationCommandInteractionData{
			Name:    parts[0],
			Options: []*discordgo.ApplicationCommandInteractionDataOption{{Name: parts[1], Type: discordgo.ApplicationCommandOptionSubCommand}},
		}}
		if a.Ephemeral(i) {
			t.Errorf("/%s would defer as ephemeral; its answer is public", path)
		}
	}
}

// TestPublicRoutes: only the lists and the rally card answer the channel;
// what a member does or is refused stays between them and the bot.
func TestPublicRoutes(t *testing.T) {
	a := newTestApp(t)
	var public []string
	for _, c := range a.routes {
		for sub, r := range c.Routes {
			if r.Public {
				public = append(public, strings.TrimSpace(c.Def.Name+" "+sub))
			}
		}
	}
	slices.Sort(public)
	if want := []string{"action list", "chapter list", "rally info", "rally list"}; !slices.Equal(public, want) {
		t.Errorf("public routes = %q, want %q", public, want)
	}
	for _, path := range public {
		if last := path[strings.LastIndex(path, " ")+1:]; last != "list" && last != "info" {
			t.Errorf("/%s is public but is neither a list nor an info card", path)
		}
	}
	t.Run("Buttons", func(t *testing.T) {
		for _, b := range a.buttons {
			if b.Public {
				t.Errorf("button route %s is public", b.pattern)
			}
		}
		if !a.Ephemeral(button(member, "rsvp:going:1")) {
			t.Error("an RSVP click would defer publicly")
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		if !a.Ephemeral(slash(member, "nosuch", "list")) {
			t.Error("an unknown command would defer publicly")
		}
	})
	t.Run("RefusalOfPublicCommand", func(t *testing.T) {
		i := slash(member, "rally", "info", opt("rally", "999"))
		if a.Ephemeral(i) {
			t.Fatal("/rally info would defer as ephemeral")
		}
		resp := a.Handle(context.Background(), i)
		if resp == nil || !resp.Ephemeral {
			t.Fatalf("refusal of /rally info = %+v, want it ephemeral", resp)
		}
	})
}

// TestCustomIDForLog: a member's id in a custom id (Approve / Decline
// carry the requester's) never reaches the log; the rally and the kind do.
func TestCustomIDForLog(t *testing.T) {
	member := "412345678901234567"
	approve := requestCustomID{}.build(true, 42, member)
	got := customIDForLog(approve)
	if strings.Contains(got, member) || !strings.Contains(got, "42") {
		t.Fatalf("logged %q for %q", got, approve)
	}
	if got := customIDForLog(rsvpCustomID{}.build("going", 7)); got != "rsvp:going:7" {
		t.Fatalf("logged %q for an RSVP button", got)
	}
	if got := customIDForLog("forged:" + member + member); strings.Contains(got, "4123456789") {
		t.Fatalf("logged %q for a forged id", got)
	}
}

// TestMemberCacheForgets: a burst's "still in the server" answer is used
// for memberCacheTTL and no longer; "gone" forgets it at once.
func TestMemberCacheForgets(t *testing.T) {
	var c memberCache
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c.remember("g1/u1", now)
	c.remember("g1/u2", now)
	c.forget("g1/u1")
	if c.fresh("g1/u1", now) || !c.fresh("g1/u2", now) {
		t.Fatalf("after forget(g1/u1): %v", c.here)
	}
	if c.fresh("g1/u2", now.Add(memberCacheTTL)) {
		t.Fatalf("an answer %v old is still used", memberCacheTTL)
	}
}
