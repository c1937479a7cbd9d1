package bot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// specCommands is SPEC.md's command table: every command path and its options.
var specCommands = map[string][]string{
	"chapter list":       nil,
	"chapter add":        {"name", "timezone", "channel", "lead_role"},
	"chapter setup":      {"chapter", "channel", "lead_role", "timezone"},
	"chapter remove":     {"chapter"},
	"rally create":       {"chapter", "title", "when", "location", "details", "capacity", "duration"},
	"rally list":         {"chapter"},
	"rally info":         {"rally"},
	"rally edit":         {"rally", "title", "when", "location", "details", "capacity"},
	"rally cancel":       {"rally", "reason"},
	"rally attendees":    {"rally"},
	"rsvp":               {"rally", "status"},
	"myrsvps":            nil,
	"summary now":        {"days"},
	"summary export":     {"days"},
	"rally calendar":     {"rally"},
	"setup coordinators": {"channel", "role"},
	"privacy forget-me":  nil,
}

// registered flattens the commands the bot registered into path → options.
func registered(cmds []*discordgo.ApplicationCommand) map[string]map[string]*discordgo.ApplicationCommandOption {
	out := map[string]map[string]*discordgo.ApplicationCommandOption{}
	for _, c := range cmds {
		leaf := func(path string, opts []*discordgo.ApplicationCommandOption) {
			m := map[string]*discordgo.ApplicationCommandOption{}
			for _, o := range opts {
				m[o.Name] = o
			}
			out[path] = m
		}
		hasSub := false
		for _, o := range c.Options {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand {
				hasSub = true
				leaf(c.Name+" "+o.Name, o.Options)
			}
		}
		if !hasSub {
			leaf(c.Name, c.Options)
		}
	}
	return out
}

func TestStartup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)

	t.Run("IdentifiesWithTokenAndNoPrivilegedIntents", func(t *testing.T) {
		ids := h.fake.Identifies()
		if len(ids) != 1 {
			t.Fatalf("%d identifies, want 1", len(ids))
		}
		if strings.TrimPrefix(ids[0].Token, "Bot ") != token {
			t.Errorf("identified with another token")
		}
		if ids[0].Intents != discordgo.IntentsGuilds {
			t.Errorf("intents = %d, want Guilds (%d) only", ids[0].Intents, discordgo.IntentsGuilds)
		}
	})

	t.Run("RegistersEverySpecCommandInTheGuild", func(t *testing.T) {
		if n := len(h.fake.Commands("")); n != 0 {
			t.Errorf("%d global commands with DISCORD_GUILD_ID set, want 0", n)
		}
		got := registered(h.fake.Commands(guildID))
		for path, opts := range specCommands {
			have, ok := got[path]
			if !ok {
				t.Errorf("/%s not registered", path)
				continue
			}
			for _, o := range opts {
				if have[o] == nil {
					t.Errorf("/%s has no option %q", path, o)
				}
			}
		}
		for _, path := range []string{"chapter setup", "rally create", "rally info", "rsvp"} {
			for name, o := range got[path] {
				if (name == "chapter" || name == "rally") && !o.Autocomplete {
					t.Errorf("/%s %s is not autocompleted", path, name)
				}
			}
		}
		// The bodies were validated against Discord's OpenAPI spec by the fake;
		// any violation fails the test at cleanup.
		if n := h.fake.CountRequests("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"); n != 1 {
			t.Errorf("%d bulk overwrites, want 1", n)
		}
	})

	t.Run("ChapterListHasSevenChaptersWithinDeadline", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "chapter list")
		mustContain(t, r, false, "Seattle", "America/Los_Angeles", "Chicago", "America/Chicago", "Los Angeles",
			"New York City", "America/New_York", "Oakland", "San Bernardino", "Washington DC", "Chapters (7)")
		t.Logf("/chapter list answered in %v", r.Latency)
	})

	t.Run("RestartKeepsEverythingAndSeedsOnce", func(t *testing.T) {
		h.setupChapter("Seattle", seattleChannel, seattleLead)
		h.cmd(admin, seattleChannel, "chapter remove", discordtest.Str("chapter", "Oakland"))
		h.restart()
		r := h.cmd(volunteer, seattleChannel, "chapter list")
		mustContain(t, r, false, "Chapters (6)", "<#"+seattleChannel+">", "<@&"+seattleLead+">")
		if strings.Contains(r.Text(), "Oakland") {
			t.Errorf("removed chapter came back after restart: %q", r.Text())
		}
		if n := strings.Count(h.logs.String(), "seeded default chapters"); n != 2 {
			// one for each guild, on the first start only
			t.Errorf("seeded %d times, want 2 (two guilds, once each)", n)
		}
	})

	t.Run("InviteLinkLogged", func(t *testing.T) {
		if !strings.Contains(h.logs.String(), "oauth2/authorize?client_id=") || !strings.Contains(h.logs.String(), "applications.commands") {
			t.Errorf("no invite link in the log")
		}
	})
}

func TestGlobalRegistrationWithoutGuildID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := map[string]bool{"chapter": true, "rally": true, "rsvp": true, "myrsvps": true, "summary": true, "setup": true, "privacy": true, "action": true, "help": true, "notify": true, "checkin": true}
	if n := len(h.fake.Commands("")); n != len(want) {
		t.Fatalf("%d global commands, want %d", n, len(want))
	}
	if n := len(h.fake.Commands(guildID)); n != 0 {
		t.Fatalf("%d guild commands, want 0", n)
	}
}

func TestChapterCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)

	t.Run("SetupByAdmin", func(t *testing.T) {
		r := h.cmd(admin, seattleChannel, "chapter setup", discordtest.Str("chapter", "seattle"),
			discordtest.ChannelOpt("channel", seattleChannel), discordtest.RoleOpt("lead_role", seattleLead))
		mustContain(t, r, true, "Seattle", "<#"+seattleChannel+">", "<@&"+seattleLead+">")
	})
	t.Run("ErrSetupByNonAdminChangesNothing", func(t *testing.T) {
		before := h.cmd(volunteer, seattleChannel, "chapter list").Text()
		r := h.cmd(lead, seattleChannel, "chapter setup", discordtest.Str("chapter", "Seattle"),
			discordtest.ChannelOpt("channel", chicagoChannel))
		mustContain(t, r, true, "Only server admins", "Manage Server")
		if after := h.cmd(volunteer, seattleChannel, "chapter list").Text(); after != before {
			t.Errorf("a refused setup changed the chapters:\n%s\n→\n%s", before, after)
		}
	})

	bad := []struct {
		name string
		m    discordtest.Member
		path string
		opts []discordtest.Option
		want string
	}{
		{"ErrUnknownTimeZone", admin, "chapter add", []discordtest.Option{discordtest.Str("name", "Portland"), discordtest.Str("timezone", "America/Portland")}, "not a time zone"},
		{"ErrDuplicateName", admin, "chapter add", []discordtest.Option{discordtest.Str("name", "chicago"), discordtest.Str("timezone", "America/Chicago")}, "already exists"},
		{"ErrTooLongName", admin, "chapter add", []discordtest.Option{discordtest.Str("name", strings.Repeat("x", 51)), discordtest.Str("timezone", "UTC")}, "too long"},
		{"ErrAddByNonAdmin", volunteer, "chapter add", []discordtest.Option{discordtest.Str("name", "Portland"), discordtest.Str("timezone", "America/Los_Angeles")}, "Only server admins"},
		{"ErrRemoveByNonAdmin", lead, "chapter remove", []discordtest.Option{discordtest.Str("chapter", "Chicago")}, "Only server admins"},
		{"ErrRemoveUnknown", admin, "chapter remove", []discordtest.Option{discordtest.Str("chapter", "Atlantis")}, "no chapter called"},
		{"ErrForgedChannel", admin, "chapter setup", []discordtest.Option{discordtest.Str("chapter", "Chicago"), discordtest.Str("channel", "999")}, "pick a channel"},
		{"ErrSetupNothing", admin, "chapter setup", []discordtest.Option{discordtest.Str("chapter", "Chicago")}, "Nothing to change"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			before := h.cmd(volunteer, seattleChannel, "chapter list").Text()
			r := h.cmd(c.m, seattleChannel, c.path, c.opts...)
			mustContain(t, r, true, c.want)
			if after := h.cmd(volunteer, seattleChannel, "chapter list").Text(); after != before {
				t.Errorf("refused command changed the chapters")
			}
		})
	}

	t.Run("AddAndRemove", func(t *testing.T) {
		r := h.cmd(admin, seattleChannel, "chapter add", discordtest.Str("name", "Portland"), discordtest.Str("timezone", "america/los_angeles"),
			discordtest.ChannelOpt("channel", seattleChannel))
		mustContain(t, r, true, "Added chapter **Portland**", "America/Los_Angeles", "lead_role")
		mustContain(t, h.cmd(volunteer, seattleChannel, "chapter list"), false, "Portland", "Chapters (8)")
		mustContain(t, h.cmd(admin, seattleChannel, "chapter remove", discordtest.Str("chapter", "Portland")), true, "Removed chapter **Portland**")
	})

	t.Run("Autocomplete", func(t *testing.T) {
		inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: admin}
		choices, err := h.fake.Autocomplete(h.ctx(), inv, "chapter setup", discordtest.Option{Name: "chapter", Type: discordgo.ApplicationCommandOptionString, Value: "sea", Focused: true})
		if err != nil || len(choices) != 1 || choices[0].Name != "Seattle" {
			t.Fatalf("chapter choices for \"sea\" = %v, %v", choices, err)
		}
		choices, err = h.fake.Autocomplete(h.ctx(), inv, "chapter add", discordtest.Str("name", "X"),
			discordtest.Option{Name: "timezone", Type: discordgo.ApplicationCommandOptionString, Value: "chic", Focused: true})
		if err != nil || len(choices) == 0 || choices[0].Value != "America/Chicago" {
			t.Fatalf("timezone choices for \"chic\" = %v, %v", choices, err)
		}
	})
}

// TestGatewayDropReconnects: after the gateway drops, the bot resumes, answers
// commands again, and neither re-registers nor re-seeds.
func TestGatewayDropReconnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.fake.DropGateway(4000)
	// Interactions sent while the bot reconnects may go to the dropped socket;
	// the bot must answer again once it is back.
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: volunteer}
	eventually(t, 15*time.Second, "the bot answers again after the drop", func() bool {
		r, err := h.fake.Command(h.ctx(), inv, "chapter list")
		return err == nil && strings.Contains(r.Text(), "Chapters (7)")
	})
	if n := h.fake.CountRequests("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"); n != 1 {
		t.Errorf("%d registrations after a reconnect, want 1", n)
	}
	if n := strings.Count(h.logs.String(), "seeded default chapters"); n != 2 {
		t.Errorf("seeded %d times, want 2 (once per guild)", n)
	}
}

// TestFirstCommandBeforeGuildCreate: a member's command can reach the bot
// before discordgo has handled its guild's GUILD_CREATE (in a goroutine of
// its own). Here the GUILD_CREATE never comes at all, the limit of that race:
// the command must still find the guild's default chapters.
func TestFirstCommandBeforeGuildCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "ALLOWED_GUILDS", "*") // commands registered globally, so the guild has them
	const unannounced = "200000000000000003"
	r, err := h.fake.Command(h.ctx(), discordtest.Invocation{GuildID: unannounced, ChannelID: "300000000000000031", Member: volunteer}, "chapter list")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r, false, "Chapters (7)", "Seattle")
}

// TestDeferredReplyKeepsVisibility: a reply slower than the defer deadline
// (here every reply) is deferred with its route's visibility; a refusal of a
// public command still reaches only the member.
func TestDeferredReplyKeepsVisibility(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, func(h *harness) { h.deferAfter = time.Nanosecond }, "DISCORD_GUILD_ID", guildID)
	deferred := func(t *testing.T, r *discordtest.Reply) {
		t.Helper()
		if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("reply type %v, want a deferred reply", r.Type)
		}
	}

	t.Run("PublicList", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "chapter list")
		deferred(t, r)
		mustContain(t, r, false, "Chapters (7)")
	})

	t.Run("EphemeralCommand", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "myrsvps")
		deferred(t, r)
		if !r.Ephemeral {
			t.Errorf("/myrsvps deferred in public: %q", r.Text())
		}
	})

	t.Run("RefusalOfPublicCommandStaysPrivate", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "rally info", discordtest.Str("rally", "999"))
		deferred(t, r)
		if r.Data != nil && strings.Contains(r.Text(), "No such rally") {
			t.Fatalf("the refusal is shown in the channel: %q (ephemeral %v)", r.Text(), r.Ephemeral)
		}
		eventually(t, 5*time.Second, "the refusal goes as an ephemeral follow-up", func() bool {
			for _, q := range h.fake.Requests() {
				if q.Method == "POST" && strings.HasPrefix(q.Path, "/webhooks/") && strings.Contains(string(q.Body), "No such rally") {
					var body struct{ Flags int }
					return json.Unmarshal(q.Body, &body) == nil && body.Flags&int(discordgo.MessageFlagsEphemeral) != 0
				}
			}
			return false
		})
	})
}

// A passing Discord outage at start-up (a 502 on the token check and on the
// command registration) is retried by the one Discord seam, not fatal.
func TestStartupRetriesPassingOutage(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, func(h *harness) {
		h.fake.FailNext("GET", "/users/@me", 2, 502)
		h.fake.FailNext("PUT", "/applications/{application_id}/commands", 1, 503)
	})
	if n := h.fake.CountRequests("GET", "/users/@me"); n < 3 {
		t.Errorf("%d token checks, want the two failures and a success", n)
	}
	if n := h.fake.CountRequests("PUT", "/applications/{application_id}/commands"); n != 2 {
		t.Errorf("%d registrations, want the failure and one success", n)
	}
	if n := len(h.fake.Commands("")); n == 0 {
		t.Fatal("no commands registered after the retried registration")
	}
	if r := h.cmd(member(1), seattleChannel, "chapter list"); r.Ephemeral {
		t.Errorf("/chapter list answered ephemerally after a retried start-up")
	}
}
