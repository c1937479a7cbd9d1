package bot_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// dbContents is every row of every table, as text: two equal results mean a
// command changed nothing in the database.
func (h *harness) dbContents() string {
	h.t.Helper()
	db := h.privacyRaw()
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`)
	if err != nil {
		h.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			h.t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		r, err := db.Query(fmt.Sprintf(`SELECT * FROM "%s"`, table))
		if err != nil {
			h.t.Fatal(err)
		}
		cols, err := r.Columns()
		if err != nil {
			h.t.Fatal(err)
		}
		var lines []string
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		r.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "[%s]\n%s\n", table, strings.Join(lines, "\n"))
	}
	return b.String()
}

// TestCoordinatorRefusalNamesTheCommand: a member who is not a coordinator
// running a coordinators' command (a day of action's create, status,
// cancel or recap; the summary, or its export) is told which command they
// may not use and whom to ask, not that they may not "see the summary"; in
// English and Spanish, with the coordinator role named or not yet set. The
// refusal is ephemeral and changes nothing.
func TestCoordinatorRefusalNamesTheCommand(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	S := discordtest.Str
	commands := []struct {
		path string
		opts []discordtest.Option
	}{
		{"action create", []discordtest.Option{S("title", "Day of rent strikes"), S("date", "2026-12-02"), S("time", "11:00"), S("chapters", "Seattle")}},
		{"action status", []discordtest.Option{S("action", "1")}},
		{"action cancel", []discordtest.Option{S("action", "1")}},
		{"action recap", []discordtest.Option{S("action", "1")}},
		{"summary now", nil},
		{"summary export", nil},
	}
	es := lead
	es.Locale = "es-ES"
	check := func(t *testing.T, m discordtest.Member, want ...string) {
		for _, c := range commands {
			before, posts := h.dbContents(), len(h.fake.Messages(seattleChannel))
			r := h.cmd(m, seattleChannel, c.path, c.opts...)
			mustContain(t, r, true, append([]string{"`/" + c.path + "`"}, want...)...)
			for _, wrong := range []string{"see the summary", "ver el resumen"} {
				if strings.Contains(r.Text(), wrong) {
					t.Errorf("/%s: the refusal says %q: %q", c.path, wrong, r.Text())
				}
			}
			if len(r.Files) != 0 {
				t.Errorf("/%s: a refused member got %d files", c.path, len(r.Files))
			}
			if h.dbContents() != before || len(h.fake.Messages(seattleChannel)) != posts {
				t.Errorf("/%s: a refusal changed something", c.path)
			}
		}
	}
	t.Run("ErrNoCoordinatorRoleYet", func(t *testing.T) {
		check(t, lead, "until an admin names a coordinator role", "`/setup coordinators`")
		check(t, es, "hasta que se asigne un rol de coordinación", "`/setup coordinators`")
	})
	h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole))
	r := h.cmd(coord, coordChannel, "action create", commands[0].opts...)
	mustContain(t, r, true, "Created the day of action")
	// Its request for a place goes to the channel after the reply: sent
	// first, so the channel and the database change only if a refusal does.
	eventually(t, 5*time.Second, "the request for a place posted", func() bool {
		return len(h.fake.Messages(seattleChannel)) == 1 &&
			h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE message_id IS NULL OR message_id = ''`) == 0
	})
	t.Run("ErrNotCoordinator", func(t *testing.T) {
		check(t, lead, "Only coordinators (<@&"+coordRole+">)", "Ask a coordinator")
		check(t, es, "Solo la coordinación (<@&"+coordRole+">)", "Pide a alguien de la coordinación")
	})
}

// TestSetupCoordinatorsToldOfADroppedRole: /setup coordinators run again
// without `role` (to move the summaries, say) clears the coordinator role,
// and with it its members' days of action and summaries. The admin's reply
// says so, names the commands coordinators have, and how to keep the role;
// in English and Spanish.
func TestSetupCoordinatorsToldOfADroppedRole(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	r := h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole))
	mustContain(t, r, true, "<@&"+coordRole+"> and admins can use the coordinators' commands", "`/action create`", "`/summary export`")
	if strings.Contains(r.Text(), "no longer") {
		t.Errorf("a role set for the first time is told as dropped: %q", r.Text())
	}
	mustContain(t, h.cmd(coord, coordChannel, "summary now"), true, "Turnout")

	r = h.cmd(admin, seattleChannel, "setup coordinators", discordtest.ChannelOpt("channel", seattleChannel))
	mustContain(t, r, true, "Only admins can use the coordinators' commands", "`/action status`",
		"<@&"+coordRole+"> no longer counts as coordinator", "run `/setup coordinators` again with `role`")
	mustContain(t, h.cmd(coord, coordChannel, "summary now"), true, "until an admin names a coordinator role")

	es := admin
	es.Locale = "es-419"
	h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole))
	r = h.cmd(es, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel))
	mustContain(t, r, true, "<@&"+coordRole+"> ya no cuenta como coordinación", "`/action recap`")

	r = h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel))
	if strings.Contains(r.Text(), "no longer") {
		t.Errorf("no role before, none now, yet told of a dropped one: %q", r.Text())
	}
}

// TestLeadRefusalSaysWhomToAsk: a member who does not lead the rally's
// chapter (a volunteer, a coordinator, another chapter's lead) running a
// leads' command is told which leads may, and to ask them to run that
// command; in English and Spanish. The refusal is ephemeral, carries no
// names and changes nothing.
func TestLeadRefusalSaysWhomToAsk(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, _ := h.createRally()
	mustContain(t, h.cmd(volunteer, seattleChannel, "rsvp", discordtest.Str("rally", id), discordtest.Str("status", "going")), true)
	// The announcement's count is edited after the reply: settled first,
	// so the database changes only if a refusal changes it.
	eventually(t, 5*time.Second, "the announcement edited", func() bool {
		return h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE refresh_pending != 0`) == 0
	})
	S := discordtest.Str
	commands := []struct {
		path string
		opts []discordtest.Option
	}{
		{"rally create", createOpts(S("title", "Second march"))},
		{"rally edit", []discordtest.Option{S("rally", id), S("title", "Hijacked")}},
		{"rally cancel", []discordtest.Option{S("rally", id)}},
		{"rally attendees", []discordtest.Option{S("rally", id)}},
		{"rally remove", []discordtest.Option{S("rally", id), discordtest.UserOpt("member", volunteer.UserID)}},
		{"rally report", []discordtest.Option{S("rally", id), discordtest.Int("crowd", 40)}},
	}
	es := chiLead
	es.Locale = "es-419"
	for _, m := range []struct {
		name string
		who  discordtest.Member
		want string
	}{
		{"Volunteer", volunteer, "Ask one of them to run"},
		{"Coordinator", coord, "Ask one of them to run"},
		{"OtherChaptersLead", chiLead, "Ask one of them to run"},
		{"Spanish", es, "Pide a una de esas personas que use"},
	} {
		t.Run("Err"+m.name, func(t *testing.T) {
			for _, c := range commands {
				before, posts := h.dbContents(), len(h.fake.Messages(seattleChannel))
				r := h.cmd(m.who, seattleChannel, c.path, c.opts...)
				mustContain(t, r, true, "<@&"+seattleLead+">", m.want+" `/"+c.path+"`")
				if strings.Contains(r.Text(), volunteer.UserID) {
					t.Errorf("/%s: the refusal names a member: %q", c.path, r.Text())
				}
				if h.dbContents() != before || len(h.fake.Messages(seattleChannel)) != posts {
					t.Errorf("/%s: a refusal changed something", c.path)
				}
			}
		})
	}
}
