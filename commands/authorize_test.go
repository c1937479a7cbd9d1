package commands

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// TestRouteAccess pins who may use each route: dropping or loosening a rule
// fails here.
func TestRouteAccess(t *testing.T) {
	a := newTestApp(t)
	want := map[string]Access{
		"chapter list": Everyone, "chapter add": Admin, "chapter setup": Admin, "chapter remove": Admin,
		"rally create": ChapterLead, "rally list": Everyone, "rally info": Everyone,
		"rally edit": RallyLead, "rally cancel": RallyLead, "rally attendees": RallyLead, "rally remove": RallyLead,
		"rsvp": Everyone, "myrsvps": Everyone, "summary now": Coordinator, "summary export": Coordinator,
		"rally calendar": Everyone, "setup coordinators": Admin, "privacy forget-me": Everyone, "help": Everyone,
		"action create": Coordinator, "action status": Coordinator, "action list": Everyone, "action cancel": Coordinator,
		"notify": Everyone, "checkin": Everyone,
		"rally report": RallyLead, "action recap": Coordinator,
	}
	got := map[string]Access{}
	for _, c := range a.routes {
		for sub, r := range c.Routes {
			got[strings.TrimSpace(c.Def.Name+" "+sub)] = r.Access
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("route access = %v\nwant %v", got, want)
	}
	// The RSVP buttons, the calendar button, check-in, the volunteer button
	// and its role menu; the day-before DM's confirm buttons, the "Home
	// safe?" DM's answer and the Going reply's needs menu (which a Going
	// from that DM offers in the DM) in a DM; a request's Approve / Decline
	// are for the rally's leads.
	if len(a.buttons) != 9 {
		t.Fatalf("%d button routes, want 9", len(a.buttons))
	}
	for _, b := range a.buttons {
		if s := b.pattern.String(); s == (confirmCustomID{}).pattern().String() || s == (safeHomeCustomID{}).pattern().String() ||
			s == (needsCustomID{}).pattern().String() {
			if b.Access != Recipient {
				t.Errorf("button route %s: access %v, want recipient", b.pattern, b.Access)
			}
			continue
		}
		if b.pattern.String() == (requestCustomID{}).pattern().String() {
			if b.Access != RallyLead {
				t.Errorf("button route %s: access %v, want rally lead", b.pattern, b.Access)
			}
			continue
		}
		if b.Access != Everyone {
			t.Errorf("button route %s: access %v, want everyone", b.pattern, b.Access)
		}
	}
}

// seattleRally gives Seattle a lead role and a channel and schedules a rally there.
func seattleRally(t *testing.T, a *App) store.Rally {
	t.Helper()
	ctx := context.Background()
	if _, err := a.db.UpdateChapter(ctx, testGuild, "Seattle", store.ChapterUpdate{LeadRoleID: ptr(leadRole), ChannelID: ptr("300000000000000001")}); err != nil {
		t.Fatal(err)
	}
	ch, err := a.db.ChapterByName(ctx, testGuild, "Seattle")
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.db.CreateRally(ctx, store.NewRally{GuildID: testGuild, ChapterID: ch.ID, Title: "March", Location: "Westlake",
		StartsAt: a.now().Add(48 * time.Hour), Duration: 2 * time.Hour, TimeZone: ch.TimeZone}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// TestAuthorize checks each rule for members with and without the role, and
// that what it loaded reaches the handler.
func TestAuthorize(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	r := seattleRally(t, a)
	if err := a.db.SetCoordinators(ctx, store.Guild{ID: testGuild, CoordinatorChannelID: "300000000000000002", CoordinatorRoleID: coordRole}); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(r.ID)
	for _, c := range []struct {
		name   string
		access Access
		in     *Input
		want   string // "" lets the member through
	}{
		{"EveryoneMember", Everyone, input(slash(member, "rally", "list")), ""},
		{"AdminAdmin", Admin, input(slash(admin, "chapter", "add")), ""},
		{"ErrAdminMember", Admin, input(slash(seattleLead, "chapter", "add")), "Only server admins (Manage Server permission) can do that. Ask an admin to run `/chapter add`."},
		{"CoordinatorCoordinator", Coordinator, input(slash(coordinator, "summary", "now")), ""},
		{"CoordinatorAdmin", Coordinator, input(slash(admin, "summary", "now")), ""},
		{"ErrCoordinatorMember", Coordinator, input(slash(seattleLead, "summary", "now")), "Only coordinators (<@&" + coordRole + ">) and server admins can use `/summary now`. Ask a coordinator to run it."},
		{"RallyLeadLead", RallyLead, input(slash(seattleLead, "rally", "cancel", opt("rally", id))), ""},
		{"RallyLeadAdmin", RallyLead, input(slash(admin, "rally", "cancel", opt("rally", id))), ""},
		{"ErrRallyLeadMember", RallyLead, input(slash(coordinator, "rally", "cancel", opt("rally", id))), "Only Seattle leads (<@&" + leadRole + ">) or server admins can do that."},
		{"ErrRallyLeadNoSuchRally", RallyLead, input(slash(seattleLead, "rally", "cancel", opt("rally", "999"))), "No such rally."},
		{"ChapterLeadLead", ChapterLead, input(slash(seattleLead, "rally", "create", opt("chapter", "seattle"))), ""},
		{"ErrChapterLeadOtherChapter", ChapterLead, input(slash(seattleLead, "rally", "create", opt("chapter", "Chicago"))), "Only server admins can manage Chicago rallies until an admin sets its lead role with `/chapter setup`."},
		{"ErrChapterLeadNoSuchChapter", ChapterLead, input(slash(admin, "rally", "create", opt("chapter", "Atlantis"))), `There is no chapter called "Atlantis" here.`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := a.authorize(ctx, c.access, c.in)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := userError(err)
			if e == nil || !strings.HasPrefix(e.Message, c.want) {
				t.Fatalf("got %v, want a refusal starting %q", err, c.want)
			}
		})
	}
	t.Run("LoadedForTheHandler", func(t *testing.T) {
		in := input(slash(seattleLead, "rally", "edit", opt("rally", id)))
		if err := a.authorize(ctx, RallyLead, in); err != nil || in.Rally.ID != r.ID || in.Rally.Title != "March" {
			t.Fatalf("rally loaded = %+v, %v", in.Rally, err)
		}
		in = input(slash(seattleLead, "rally", "create", opt("chapter", "SEATTLE")))
		if err := a.authorize(ctx, ChapterLead, in); err != nil || in.Chapter.Name != "Seattle" {
			t.Fatalf("chapter loaded = %+v, %v", in.Chapter, err)
		}
		in = input(slash(coordinator, "summary", "now"))
		if err := a.authorize(ctx, Coordinator, in); err != nil || in.Guild.CoordinatorRoleID != coordRole {
			t.Fatalf("guild loaded = %+v, %v", in.Guild, err)
		}
	})
}

// input is what Handle makes of an interaction before authorize runs.
func input(i *discordgo.Interaction) *Input {
	data := i.ApplicationCommandData()
	in := &Input{Interaction: i}
	in.Path, _, in.Options = flatten(data)
	return in
}

// TestForgedRequestsRefused sends, through Handle, requests Discord's UI would
// not offer a member: authorize refuses them before the handler runs, and
// nothing changes.
func TestForgedRequestsRefused(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	r := seattleRally(t, a)
	id := fmt.Sprint(r.ID)
	for _, c := range []struct {
		name string
		i    *discordgo.Interaction
		want string
	}{
		{"RallyCancelByMember", slash(member, "rally", "cancel", opt("rally", id)), "Only Seattle leads (<@&" + leadRole + ">) or server admins can do that."},
		{"RallyEditByMember", slash(member, "rally", "edit", opt("rally", id), opt("title", "Hijacked")), "Only Seattle leads"},
		{"AttendeesByMember", slash(member, "rally", "attendees", opt("rally", id)), "Only Seattle leads"},
		{"ChapterRemoveByLead", slash(seattleLead, "chapter", "remove", opt("chapter", "Chicago")), "Only server admins (Manage Server permission) can do that. Ask an admin to run `/chapter remove`."},
		{"SetupByLead", slash(seattleLead, "setup", "coordinators", opt("channel", "300000000000000001")), "Ask an admin to run `/setup coordinators`."},
		{"SummaryByMember", slash(member, "summary", "now"), "Only server admins can use `/summary now` until an admin names a coordinator role with `/setup coordinators`."},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := a.Handle(ctx, c.i)
			if resp == nil || !resp.Ephemeral || !strings.Contains(resp.Content, c.want) {
				t.Fatalf("got %+v, want an ephemeral refusal with %q", resp, c.want)
			}
		})
	}
	got, err := a.db.Rally(ctx, testGuild, r.ID)
	if err != nil || got.Cancelled() || got.Title != "March" {
		t.Fatalf("after forged requests the rally is %+v (%v)", got, err)
	}
	if _, err := a.db.ChapterByName(ctx, testGuild, "Chicago"); err != nil {
		t.Fatalf("Chicago after a forged remove: %v", err)
	}

	// A button route for leads, as a later feature would add one: the same
	// rule guards a forged click.
	var ran []int64
	a.buttons = append(a.buttons, buttonRoute{pattern: regexp.MustCompile(`^test:(?P<rally>[0-9]+)$`), Route: Route{Access: RallyLead,
		Handle: func(ctx context.Context, in *Input) (*Response, error) {
			ran = append(ran, in.Rally.ID)
			return ephemeral("done"), nil
		}}})
	t.Run("LeadButtonByMember", func(t *testing.T) {
		resp := a.Handle(ctx, button(member, "test:"+id))
		if resp == nil || !strings.Contains(resp.Content, "Only Seattle leads") || len(ran) != 0 {
			t.Fatalf("got %+v, handler ran for %v; want a refusal and no run", resp, ran)
		}
	})
	t.Run("LeadButtonOtherGuildRally", func(t *testing.T) {
		resp := a.Handle(ctx, button(seattleLead, "test:999"))
		if resp == nil || resp.Content != "This button is no longer valid." || len(ran) != 0 {
			t.Fatalf("got %+v, handler ran for %v", resp, ran)
		}
	})
	t.Run("LeadButtonByLead", func(t *testing.T) {
		resp := a.Handle(ctx, button(seattleLead, "test:"+id))
		if resp == nil || resp.Content != "done" || len(ran) != 1 || ran[0] != r.ID {
			t.Fatalf("got %+v, handler ran for %v; want it run once with the rally loaded", resp, ran)
		}
	})
}

// TestRSVPCustomID: what build writes, the route's pattern reads back by
// name; anything else is not an RSVP button.
func TestRSVPCustomID(t *testing.T) {
	var id rsvpCustomID
	p := id.pattern()
	for _, s := range []store.RSVPStatus{store.Going, store.Maybe, store.NotGoing} {
		built := id.build(s, 1234567890123)
		m := p.FindStringSubmatch(built)
		if m == nil {
			t.Fatalf("%q does not match its own pattern", built)
		}
		if g := namedGroups(p, m); g["status"] != string(s) || g["rally"] != "1234567890123" {
			t.Errorf("%q read back as %v", built, g)
		}
	}
	for _, forged := range []string{"rsvp:waitlist:1", "rsvp:going:0", "rsvp:going:-1", "rsvp:going:1:x", "rsvp:going:12345678901234567890", "RSVP:going:1"} {
		if p.MatchString(forged) {
			t.Errorf("pattern accepts %q", forged)
		}
	}
}

// TestPermits: the rule authorize and /help share. An unset role grants
// nobody, and a click in a DM (no member) passes only Recipient and Everyone.
func TestPermits(t *testing.T) {
	seattle := grants{coordinatorRole: coordRole, leadRoles: []string{"", leadRole}}
	unset := grants{leadRoles: []string{""}}
	dm := &Input{Interaction: &discordgo.Interaction{User: &discordgo.User{ID: member.id}}}
	for _, c := range []struct {
		name   string
		in     *Input
		access Access
		g      grants
		want   bool
	}{
		{"EveryoneMember", &Input{Interaction: slash(member, "help", "")}, Everyone, grants{}, true},
		{"RecipientInDM", dm, Recipient, grants{}, true},
		{"EveryoneInDM", dm, Everyone, grants{}, true},
		{"AdminAdmin", &Input{Interaction: slash(admin, "help", "")}, Admin, grants{}, true},
		{"ErrAdminCoordinator", &Input{Interaction: slash(coordinator, "help", "")}, Admin, seattle, false},
		{"CoordinatorCoordinator", &Input{Interaction: slash(coordinator, "help", "")}, Coordinator, seattle, true},
		{"CoordinatorAdmin", &Input{Interaction: slash(admin, "help", "")}, Coordinator, grants{}, true},
		{"ErrCoordinatorUnset", &Input{Interaction: slash(member, "help", "")}, Coordinator, unset, false},
		{"ErrCoordinatorLead", &Input{Interaction: slash(seattleLead, "help", "")}, Coordinator, seattle, false},
		{"RallyLeadLead", &Input{Interaction: slash(seattleLead, "help", "")}, RallyLead, seattle, true},
		{"ChapterLeadLead", &Input{Interaction: slash(seattleLead, "help", "")}, ChapterLead, seattle, true},
		{"ErrLeadUnset", &Input{Interaction: slash(member, "help", "")}, ChapterLead, unset, false},
		{"ErrLeadCoordinator", &Input{Interaction: slash(coordinator, "help", "")}, RallyLead, seattle, false},
		{"ErrUnknownAccess", &Input{Interaction: slash(member, "help", "")}, Access(99), seattle, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := permits(c.in, c.access, c.g); got != c.want {
				t.Errorf("permits(%v) = %v, want %v", c.access, got, c.want)
			}
		})
	}
}
