package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// The helpers here are prefixed "act" so they cannot collide with those of
// the other test files of the package.

// actChapter is a default chapter bound to its own channel and lead role.
type actChapter struct {
	name, channel, role, zone string
}

var actChapters = []actChapter{
	{"Chicago", chicagoChannel, chicagoLead, "America/Chicago"},
	{"Los Angeles", "300000000000000003", "400000000000000003", "America/Los_Angeles"},
	{"New York City", "300000000000000004", "400000000000000004", "America/New_York"},
	{"Oakland", "300000000000000005", "400000000000000005", "America/Los_Angeles"},
	{"San Bernardino", "300000000000000006", "400000000000000006", "America/Los_Angeles"},
	{"Seattle", seattleChannel, seattleLead, "America/Los_Angeles"},
	{"Washington DC", "300000000000000007", "400000000000000007", "America/New_York"},
}

func actByName(name string) actChapter {
	for _, c := range actChapters {
		if c.name == name {
			return c
		}
	}
	panic("no chapter " + name)
}

// actHarness is a bot whose guild has all seven default chapters bound to a
// channel and a lead role each, and coordinators set up.
func actHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	g := discordtest.Guild{ID: guildID, Name: "Coalition", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: coordChannel, Name: "coordinators"}},
		Roles:    []discordtest.Role{{ID: guildID, Name: "@everyone"}, {ID: coordRole, Name: "Coordinators"}}}
	for _, c := range actChapters {
		g.Channels = append(g.Channels, discordtest.Channel{ID: c.channel, Name: strings.ToLower(c.name)})
		g.Roles = append(g.Roles, discordtest.Role{ID: c.role, Name: c.name + " leads"})
	}
	h.fake.AddGuild(g)
	for _, c := range actChapters {
		h.setupChapter(c.name, c.channel, c.role)
	}
	h.schedSetupCoordinators()
	return h
}

func actCreateOpts(extra ...discordtest.Option) []discordtest.Option {
	return withDefaults([]discordtest.Option{
		discordtest.Str("title", "Holiday weekend action"),
		discordtest.Str("date", "2026-11-28"),
		discordtest.Str("time", "11:00"),
	}, []string{"title", "date", "time", "chapters", "details", "capacity", "duration"}, extra)
}

// actCreate has the coordinator create an action and returns its id.
func (h *harness) actCreate(extra ...discordtest.Option) (int64, *discordtest.Reply) {
	h.t.Helper()
	r := h.cmd(coord, coordChannel, "action create", actCreateOpts(extra...)...)
	m := rallyIDPattern.FindStringSubmatch(r.Text())
	if m == nil {
		h.t.Fatalf("action create: %q", r.Text())
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id, r
}

// actAsks returns the messages in the channel asking its leads for a place.
func (h *harness) actAsks(channel string, actionID int64) []*discordgo.Message {
	return h.actMessages(channel, fmt.Sprintf("Day of action #%d · ", actionID), " · asking for a place")
}

// actCancels returns the messages in the channel telling it the action is off.
func (h *harness) actCancels(channel string, actionID int64) []*discordgo.Message {
	return h.actMessages(channel, fmt.Sprintf("Day of action #%d · ", actionID), " · cancellation notice")
}

func (h *harness) actMessages(channel string, parts ...string) []*discordgo.Message {
	return filter(h.fake.Messages(channel), contentHas(parts...))
}

// actRallies returns the action's rallies by chapter name.
func actRallies(t *testing.T, db *store.DB, actionID int64) map[string]store.Rally {
	t.Helper()
	rallies, err := db.ActionRallies(context.Background(), actionID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Rally{}
	for _, r := range rallies {
		out[r.ChapterName] = r
	}
	return out
}

// actAnnouncement returns the announcement of a rally in the channel.
func (h *harness) actAnnouncement(channel string, rallyID int64) *discordgo.Message {
	for _, m := range h.fake.Messages(channel) {
		for _, e := range m.Embeds {
			if e.Footer != nil && strings.HasPrefix(e.Footer.Text, fmt.Sprintf("Rally #%d · RSVP", rallyID)) && !strings.HasPrefix(e.Title, "Reminder") {
				return m
			}
		}
	}
	return nil
}

func TestActionDayOfAction(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	var id int64
	var rallies map[string]store.Rally

	t.Run("CreateMakesSevenLinkedRalliesAt11Local", func(t *testing.T) {
		var r *discordtest.Reply
		id, r = h.actCreate(discordtest.Str("details", "Bring signs"), discordtest.Int("capacity", 40))
		mustContain(t, r, true, "Holiday weekend action", "7 rallies", "`/rally edit`")
		rallies = actRallies(t, db, id)
		if len(rallies) != 7 {
			t.Fatalf("%d rallies, want 7", len(rallies))
		}
		wantUTC := map[string]int{"America/Los_Angeles": 19, "America/Chicago": 17, "America/New_York": 16}
		for _, c := range actChapters {
			r, ok := rallies[c.name]
			if !ok {
				t.Fatalf("no rally for %s", c.name)
			}
			loc, _ := time.LoadLocation(c.zone)
			if got := r.StartsAt.In(loc).Format("2006-01-02 15:04"); got != "2026-11-28 11:00" {
				t.Errorf("%s starts at %s local, want 2026-11-28 11:00", c.name, got)
			}
			if r.StartsAt.Hour() != wantUTC[c.zone] {
				t.Errorf("%s starts at %s, want %d:00 UTC", c.name, r.StartsAt, wantUTC[c.zone])
			}
			if r.Location != "to be announced" || r.MessageID != "" || r.Capacity != 40 || r.Details != "Bring signs" {
				t.Errorf("%s rally = %+v, want unannounced, place to be announced, capacity 40", c.name, r)
			}
			if rs, _ := h.reminders(r.ID); len(rs) != 0 {
				t.Errorf("%s has reminders before it is announced: %+v", c.name, rs)
			}
		}
	})

	t.Run("EachChannelAskedOncePingingOnlyItsLeadRole", func(t *testing.T) {
		for _, c := range actChapters {
			msgs := h.fake.Messages(c.channel)
			if len(msgs) != 1 {
				t.Errorf("%s channel has %d messages, want the one ask", c.name, len(msgs))
				continue
			}
			text := msgs[0].Content
			for _, want := range []string{"<@&" + c.role + ">", c.name, fmt.Sprintf("/rally edit rally:%d location:", rallies[c.name].ID), "11:00 AM"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s ask lacks %q: %s", c.name, want, text)
				}
			}
			if len(msgs[0].Embeds) != 0 || len(msgs[0].Components) != 0 {
				t.Errorf("%s ask carries an announcement: nothing is announced before the place is set", c.name)
			}
			bodies, _ := h.schedPosts(c.channel, fmt.Sprintf("Day of action #%d", id))
			if len(bodies) != 1 {
				t.Fatalf("%s: %d POSTs of the ask, want 1", c.name, len(bodies))
			}
			am, _ := bodies[0]["allowed_mentions"].(map[string]any)
			if !reflect.DeepEqual(am["roles"], []any{c.role}) || !reflect.DeepEqual(am["parse"], []any{}) {
				t.Errorf("%s ask allowed_mentions = %v, want parse [] and roles [%s]", c.name, am, c.role)
			}
			if bodies[0]["nonce"] == nil || bodies[0]["enforce_nonce"] != true {
				t.Errorf("%s ask sent without an enforced nonce", c.name)
			}
		}
	})

	t.Run("SettingAPlaceAnnouncesExactlyThatChaptersRally", func(t *testing.T) {
		sea := rallies["Seattle"]
		before := map[string]int{}
		for _, c := range actChapters {
			before[c.name] = len(h.fake.Messages(c.channel))
		}
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("location", "Westlake Park"))
		mustContain(t, r, true, "announced", "/channels/"+guildID+"/"+seattleChannel+"/")
		for _, c := range actChapters {
			want := before[c.name]
			if c.name == "Seattle" {
				want++
			}
			if n := len(h.fake.Messages(c.channel)); n != want {
				t.Errorf("%s channel has %d messages, want %d", c.name, n, want)
			}
		}
		ann := h.actAnnouncement(seattleChannel, sea.ID)
		if ann == nil {
			t.Fatal("no announcement in Seattle's channel")
		}
		if text := messageText(ann); !strings.Contains(text, "Westlake Park") || !strings.Contains(text, "Sat Nov 28, 2026 11:00 AM") {
			t.Errorf("announcement:\n%s", text)
		}
		if bs := buttons(ann); len(bs) != 3 || bs[0].CustomID != fmt.Sprintf("rsvp:going:%d", sea.ID) {
			t.Errorf("buttons = %+v", bs)
		}
		rs, _ := h.reminders(sea.ID)
		if len(rs) != 2 || rs[0].State != store.ReminderPending || rs[1].State != store.ReminderPending {
			t.Errorf("Seattle reminders after the announcement = %+v, want two pending", rs)
		}
		if rs, _ := h.reminders(rallies["Oakland"].ID); len(rs) != 0 {
			t.Errorf("Oakland, still waiting, has reminders: %+v", rs)
		}
		// Chicago's lead sets Chicago's place.
		chi := rallies["Chicago"]
		r = h.cmd(chiLead, chicagoChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(chi.ID, 10)), discordtest.Str("location", "Daley Plaza"))
		mustContain(t, r, true, "announced")
		if h.actAnnouncement(chicagoChannel, chi.ID) == nil {
			t.Fatal("no announcement in Chicago's channel")
		}
	})

	t.Run("RetimingAWaitingRallyArmsNothing", func(t *testing.T) {
		oak := rallies["Oakland"]
		r := h.cmd(admin, coordChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(oak.ID, 10)), discordtest.Str("when", "2026-11-28 11:30"))
		mustContain(t, r, true, "still waiting for a place")
		for _, rm := range func() []store.Reminder { rs, _ := h.reminders(oak.ID); return rs }() {
			if rm.State == store.ReminderPending {
				t.Errorf("a waiting rally has a pending reminder: %+v", rm)
			}
		}
		h.cmd(admin, coordChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(oak.ID, 10)), discordtest.Str("when", "2026-11-28 11:00"))
	})

	t.Run("StatusCountsMatchClicksAcrossChapters", func(t *testing.T) {
		sea, chi := rallies["Seattle"], rallies["Chicago"]
		seaAnn, chiAnn := h.actAnnouncement(seattleChannel, sea.ID), h.actAnnouncement(chicagoChannel, chi.ID)
		click := func(m discordtest.Member, ch string, ann *discordgo.Message, status string, rallyID int64) {
			r := h.click(m, ch, ann.ID, fmt.Sprintf("rsvp:%s:%d", status, rallyID))
			mustContain(t, r, true, "Got it")
		}
		click(member(1), seattleChannel, seaAnn, "going", sea.ID)
		click(member(2), seattleChannel, seaAnn, "going", sea.ID)
		click(member(3), seattleChannel, seaAnn, "maybe", sea.ID)
		click(member(4), chicagoChannel, chiAnn, "going", chi.ID)
		click(member(5), chicagoChannel, chiAnn, "maybe", chi.ID)
		click(member(5), chicagoChannel, chiAnn, "going", chi.ID) // changed mind: counted once

		r := h.cmd(coord, coordChannel, "action status", discordtest.Str("action", strconv.FormatInt(id, 10)))
		mustContain(t, r, true,
			fmt.Sprintf("**Seattle** — #%d", sea.ID), "announced · 2 going · 1 maybe · 0 waitlisted",
			fmt.Sprintf("**Chicago** — #%d", chi.ID),
			"**Oakland**", "waiting for a place · 0 going",
			"**Total:** 7 chapters (2 announced, 5 waiting for a place) · 4 going · 1 maybe · 0 waitlisted")
		text := r.Text()
		if i := strings.Index(text, "**Chicago**"); i < 0 || !strings.Contains(text[i:strings.Index(text[i:], "\n")+i], "announced · 2 going · 0 maybe") {
			t.Errorf("Chicago's line does not show 2 going, 0 maybe:\n%s", text)
		}
		for _, m := range []discordtest.Member{volunteer, lead} {
			r := h.cmd(m, coordChannel, "action status", discordtest.Str("action", strconv.FormatInt(id, 10)))
			mustContain(t, r, true, "Only coordinators")
		}
	})

	t.Run("ListForEveryone", func(t *testing.T) {
		r := h.cmd(volunteer, coordChannel, "action list")
		mustContain(t, r, false, fmt.Sprintf("#%d Holiday weekend action", id), "2026-11-28 at 11:00",
			"Chicago, Los Angeles, New York City, Oakland, San Bernardino, Seattle, Washington DC",
			"2 announced, 5 waiting for a place", "4 going", "1 maybe")
	})

	t.Run("ActionAutocompletes", func(t *testing.T) {
		choices, err := h.fake.Autocomplete(h.ctx(), discordtest.Invocation{GuildID: guildID, ChannelID: coordChannel, Member: coord},
			"action status", discordtest.Option{Name: "action", Type: discordgo.ApplicationCommandOptionString, Value: "holi", Focused: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(choices) != 1 || choices[0].Value != strconv.FormatInt(id, 10) || !strings.Contains(choices[0].Name, "Holiday weekend action") {
			t.Fatalf("choices = %+v", choices)
		}
	})

	t.Run("SummaryGroupsTheAction", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "summary now")
		text := r.Text()
		for _, want := range []string{
			fmt.Sprintf(`**Day of action \#%d Holiday weekend action`, id),
			fmt.Sprintf("#%d Seattle — Sat Nov 28 11:00 AM PST · <t:%d:f>: 2 going", rallies["Seattle"].ID, rallies["Seattle"].StartsAt.Unix()),
			fmt.Sprintf("#%d Oakland — ", rallies["Oakland"].ID),
			"Action total: 7 chapters · 4 going · 1 maybe · 0 waitlisted",
			"Waiting for a place: Los Angeles, New York City, Oakland, San Bernardino, Washington DC",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("summary lacks %q:\n%s", want, text)
			}
		}
		// Each rally appears once: under the action, not again under its chapter.
		if n := strings.Count(text, fmt.Sprintf("#%d ", rallies["Seattle"].ID)); n != 1 {
			t.Errorf("Seattle's rally appears %d times in the summary", n)
		}
	})

	t.Run("CancelReachesEachChannelExactlyOnce", func(t *testing.T) {
		r := h.cmd(volunteer, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)))
		mustContain(t, r, true, "Only coordinators")
		r = h.cmd(coord, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)), discordtest.Str("reason", "Storm warning"))
		mustContain(t, r, true, "Cancelled the day of action", "7 rallies")
		again := h.cmd(admin, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)))
		mustContain(t, again, true, "already cancelled")
		h.clock.Add(5 * time.Minute)
		h.runJobs()
		for _, c := range actChapters {
			got := h.actCancels(c.channel, id)
			if len(got) != 1 {
				t.Errorf("%s channel told %d times, want once", c.name, len(got))
				continue
			}
			if !strings.Contains(got[0].Content, "Storm warning") || strings.Contains(got[0].Content, "<@&") {
				t.Errorf("%s cancel notice: %s", c.name, got[0].Content)
			}
		}
		for _, name := range []string{"Seattle", "Chicago"} {
			c := actByName(name)
			rs, _ := h.reminders(rallies[name].ID)
			for _, rm := range rs {
				if rm.State == store.ReminderPending {
					t.Errorf("%s reminder still pending after cancel: %+v", name, rm)
				}
			}
			eventually(t, 5*time.Second, name+" announcement shows the cancellation", func() bool {
				ann := h.actAnnouncement(c.channel, rallies[name].ID)
				return ann != nil && strings.Contains(messageText(ann), "CANCELLED")
			})
		}
		r = h.cmd(coord, coordChannel, "action status", discordtest.Str("action", strconv.FormatInt(id, 10)))
		mustContain(t, r, true, "Cancelled.", "Storm warning", "7 cancelled")
		if r := h.cmd(volunteer, coordChannel, "action list"); !strings.Contains(r.Text(), "No upcoming days of action") {
			t.Errorf("a cancelled action is still listed: %q", r.Text())
		}
	})
}

func TestActionRefusals(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	r := h.cmd(admin, coordChannel, "chapter add", discordtest.Str("name", "Portland"), discordtest.Str("timezone", "America/Los_Angeles"))
	mustContain(t, r, true, "Portland")

	nothingCreated := func(t *testing.T, m discordtest.Member, opts []discordtest.Option, want ...string) {
		t.Helper()
		msgs := 0
		for _, c := range actChapters {
			msgs += len(h.fake.Messages(c.channel))
		}
		r := h.cmd(m, coordChannel, "action create", opts...)
		mustContain(t, r, true, want...)
		mustContain(t, r, true) // ephemeral
		after := 0
		for _, c := range actChapters {
			after += len(h.fake.Messages(c.channel))
		}
		if after != msgs {
			t.Errorf("a refused /action create posted %d messages", after-msgs)
		}
		if l := h.cmd(volunteer, coordChannel, "action list"); !strings.Contains(l.Text(), "No upcoming days of action") {
			t.Errorf("a refused /action create made an action: %q", l.Text())
		}
		if l := h.cmd(volunteer, coordChannel, "rally list"); !strings.Contains(l.Text(), "No upcoming rallies") {
			t.Errorf("a refused /action create made rallies: %q", l.Text())
		}
	}

	cases := []struct {
		name string
		m    discordtest.Member
		opts []discordtest.Option
		want []string
	}{
		{"ErrPlainMember", volunteer, actCreateOpts(), []string{"Only coordinators", "<@&" + coordRole + ">"}},
		{"ErrLeadNotCoordinator", lead, actCreateOpts(), []string{"Only coordinators"}},
		{"ErrUnknownChapterAndChapterWithoutChannel", coord, actCreateOpts(discordtest.Str("chapters", "Seattle, Atlantis, Portland")),
			[]string{"`chapters`", "\"Atlantis\"", "Portland has no announcement channel", "Nothing was created"}},
		{"ErrDSTGapNamesTheChapters", coord, actCreateOpts(discordtest.Str("date", "2027-03-14"), discordtest.Str("time", "02:30"), discordtest.Str("chapters", "Chicago, Seattle")),
			[]string{"2:30 AM on 2027-03-14 does not exist in Chicago, Seattle", "clocks jump forward", "Nothing was created"}},
		{"ErrBadDate", coord, actCreateOpts(discordtest.Str("date", "2026-02-30")), []string{"`date`", "YYYY-MM-DD"}},
		{"ErrBadTime", coord, actCreateOpts(discordtest.Str("time", "11am")), []string{"`time`", "HH:MM"}},
		{"ErrPast", coord, actCreateOpts(discordtest.Str("date", "2026-11-20")), []string{"already passed"}},
		{"ErrEmptyChapters", coord, actCreateOpts(discordtest.Str("chapters", " , ")), []string{"`chapters`", "at least one"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { nothingCreated(t, c.m, c.opts, c.want...) })
	}

	t.Run("DSTGapInOneZoneOnly", func(t *testing.T) {
		// Phoenix keeps standard time all year: the gap is Seattle's alone.
		h.fake.AddChannel(guildID, discordtest.Channel{ID: "300000000000000008", Name: "phoenix"})
		r := h.cmd(admin, coordChannel, "chapter add", discordtest.Str("name", "Phoenix"), discordtest.Str("timezone", "America/Phoenix"),
			discordtest.ChannelOpt("channel", "300000000000000008"))
		mustContain(t, r, true, "Phoenix")
		nothingCreated(t, coord, actCreateOpts(discordtest.Str("date", "2027-03-14"), discordtest.Str("time", "02:30"), discordtest.Str("chapters", "Phoenix, Seattle")),
			"does not exist in Seattle:")
	})
}

func TestActionCreateRetriedAfter5xx(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()

	t.Run("RetriedCommandCreatesNothingTwiceAndTellsTheChapter", func(t *testing.T) {
		h.fake.FailChannel(chicagoChannel, http.StatusInternalServerError, 0)
		id, r := h.actCreate()
		mustContain(t, r, true, "7 rallies", "did not take the message for Chicago")
		if n := len(h.actAsks(chicagoChannel, id)); n != 0 {
			t.Fatalf("Chicago asked %d times while Discord fails", n)
		}
		h.fake.FailChannel(chicagoChannel, 0, 0)

		r = h.cmd(coord, coordChannel, "action create", actCreateOpts()...)
		mustContain(t, r, true, fmt.Sprintf("already exists (#%d", id), "nothing new was created")
		if n := len(actRallies(t, db, id)); n != 7 {
			t.Errorf("%d rallies after the retry, want 7", n)
		}
		if l := h.cmd(volunteer, coordChannel, "action list"); strings.Count(l.Text(), "Holiday weekend action") != 1 {
			t.Errorf("action list after a retry:\n%s", l.Text())
		}
		if l := h.cmd(volunteer, coordChannel, "rally list"); !strings.Contains(l.Text(), "Upcoming rallies (7)") {
			t.Errorf("rally list after a retry:\n%s", l.Text())
		}
		h.clock.Add(10 * time.Minute)
		h.runJobs()
		h.cmd(coord, coordChannel, "action create", actCreateOpts()...) // and once more
		for _, c := range actChapters {
			if n := len(h.actAsks(c.channel, id)); n != 1 {
				t.Errorf("%s asked %d times, want exactly once", c.name, n)
			}
		}
		bodies, statuses := h.schedPosts(chicagoChannel, fmt.Sprintf("Day of action #%d", id))
		if len(statuses) < 2 || statuses[len(statuses)-1] != http.StatusOK {
			t.Fatalf("Chicago POST statuses %v, want failures then 200", statuses)
		}
		for _, b := range bodies {
			if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
				t.Errorf("retries must reuse the nonce, enforced: %v then %v", bodies[0]["nonce"], b["nonce"])
			}
		}
	})

	t.Run("SweepTellsTheChapterOnce", func(t *testing.T) {
		opts := []discordtest.Option{discordtest.Str("title", "Vigil"), discordtest.Str("chapters", "Seattle, Oakland")}
		h.fake.FailChannel(seattleChannel, http.StatusServiceUnavailable, 0)
		id, r := h.actCreate(opts...)
		mustContain(t, r, true, "2 rallies", "did not take the message for Seattle")
		h.runJobs() // backing off: not tried yet
		h.fake.FailChannel(seattleChannel, 0, 0)
		if n := len(h.actAsks(seattleChannel, id)); n != 0 {
			t.Fatalf("Seattle asked %d times while Discord fails", n)
		}
		h.clock.Add(time.Minute)
		h.runJobs()
		h.runJobs()
		for _, name := range []string{"Seattle", "Oakland"} {
			if n := len(h.actAsks(actByName(name).channel, id)); n != 1 {
				t.Errorf("%s asked %d times, want exactly once", name, n)
			}
		}
		if n := len(h.actAsks(chicagoChannel, id)); n != 0 {
			t.Errorf("Chicago, not in the action, was asked %d times", n)
		}
		r = h.cmd(coord, coordChannel, "action create", actCreateOpts(opts...)...)
		mustContain(t, r, true, "already exists")
		if n := len(h.actAsks(seattleChannel, id)); n != 1 {
			t.Errorf("Seattle asked %d times after a retry, want once", n)
		}
	})
}

func TestActionRoleMinimums(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()

	t.Run("EveryChaptersRallyCarriesTheMinimums", func(t *testing.T) {
		id, r := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"),
			discordtest.Int("marshals", 2), discordtest.Int("medics", 1), discordtest.Int("legal_observers", 0), discordtest.Int("interpreters", 3))
		mustContain(t, r, true, "2 rallies")
		rallies := actRallies(t, db, id)
		if len(rallies) != 2 {
			t.Fatalf("%d rallies, want 2", len(rallies))
		}
		for name, rl := range rallies {
			for role, want := range map[store.Role]int{store.Marshal: 2, store.Medic: 1, store.LegalObserver: 0, store.Interpreter: 3} {
				if got := rl.Staffing.Of(role); got.Needed != want || got.Filled != 0 {
					t.Errorf("%s %s = %d/%d, want 0/%d", name, role, got.Filled, got.Needed, want)
				}
			}
		}
		sea := rallies["Seattle"]
		h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("location", "Westlake Park"))
		ann := h.actAnnouncement(seattleChannel, sea.ID)
		if ann == nil {
			t.Fatal("no announcement in Seattle's channel")
		}
		if text := messageText(ann); !strings.Contains(text, "Marshals 0/2") || !strings.Contains(text, "Medics 0/1") || !strings.Contains(text, "Interpreters 0/3") {
			t.Errorf("announcement lacks the minimums:\n%s", text)
		}
		if bs := buttons(ann); len(bs) != 4 || bs[3].CustomID != fmt.Sprintf("role:menu:%d", sea.ID) {
			t.Errorf("buttons = %+v, want Volunteer for a role fourth", bs)
		}
	})

	// Discord's client keeps a minimum within 0–50; a forged payload need not.
	outOfRange := []struct {
		name string
		opt  discordtest.Option
	}{
		{"ErrMarshalsAbove50", discordtest.Int("marshals", 51)},
		{"ErrMedicsNegative", discordtest.Int("medics", -1)},
		{"ErrLegalObserversAbove50", discordtest.Int("legal_observers", 1000)},
		{"ErrInterpretersNegative", discordtest.Int("interpreters", -5)},
	}
	for _, c := range outOfRange {
		t.Run("ActionCreate"+c.name, func(t *testing.T) {
			before := h.cmd(volunteer, coordChannel, "rally list").Text()
			msgs := 0
			for _, ch := range actChapters {
				msgs += len(h.fake.Messages(ch.channel))
			}
			r := h.cmd(coord, coordChannel, "action create", actCreateOpts(discordtest.Str("title", "Out of range "+c.name), c.opt)...)
			mustContain(t, r, true, "`"+c.opt.Name+"` must be between 0 and 50")
			after := 0
			for _, ch := range actChapters {
				after += len(h.fake.Messages(ch.channel))
			}
			if after != msgs {
				t.Errorf("a refused /action create posted %d messages", after-msgs)
			}
			if l := h.cmd(volunteer, coordChannel, "rally list").Text(); l != before {
				t.Errorf("a refused /action create changed the rallies:\n%s\n→\n%s", before, l)
			}
			if l := h.cmd(volunteer, coordChannel, "action list").Text(); strings.Contains(l, "Out of range") {
				t.Errorf("a refused /action create made an action:\n%s", l)
			}
		})
		t.Run("RallyCreate"+c.name, func(t *testing.T) {
			before := h.cmd(volunteer, coordChannel, "rally list").Text()
			msgs := len(h.fake.Messages(seattleChannel))
			r := h.cmd(lead, seattleChannel, "rally create", withDefaults([]discordtest.Option{
				discordtest.Str("chapter", "Seattle"), discordtest.Str("title", "Out of range"),
				discordtest.Str("when", "2026-11-28 14:30"), discordtest.Str("location", "Westlake Park"),
			}, []string{"chapter", "title", "when", "location"}, []discordtest.Option{c.opt})...)
			mustContain(t, r, true, "`"+c.opt.Name+"` must be between 0 and 50")
			if n := len(h.fake.Messages(seattleChannel)); n != msgs {
				t.Errorf("a refused /rally create posted %d messages", n-msgs)
			}
			if l := h.cmd(volunteer, coordChannel, "rally list").Text(); l != before {
				t.Errorf("a refused /rally create changed the rallies:\n%s\n→\n%s", before, l)
			}
		})
	}
	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Errorf("requests Discord would refuse: %+v", v)
	}
}

// actStaffed creates an action in Seattle and Chicago needing two marshals
// and one medic, announces Seattle's rally, and has one member sign up as a
// marshal and another click Going there.
func (h *harness) actStaffed(t *testing.T, db *store.DB) (int64, map[string]store.Rally) {
	t.Helper()
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"), discordtest.Int("marshals", 2), discordtest.Int("medics", 1))
	rallies := actRallies(t, db, id)
	sea := rallies["Seattle"]
	h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("location", "Westlake Park"))
	ann := h.actAnnouncement(seattleChannel, sea.ID)
	if ann == nil {
		t.Fatal("no announcement in Seattle's channel")
	}
	r := h.cmd(member(1), seattleChannel, "rsvp", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("status", "going"), discordtest.Str("role", "marshal"))
	mustContain(t, r, true, "signed up as **marshal**")
	mustContain(t, h.click(member(2), seattleChannel, ann.ID, fmt.Sprintf("rsvp:going:%d", sea.ID)), true, "Got it")
	return id, rallies
}

// actLine is the line of text that starts with prefix ("" if none).
func actLine(text, prefix string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestActionCountsRoleHolders(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, rallies := h.actStaffed(t, db)
	action := discordtest.Str("action", strconv.FormatInt(id, 10))

	t.Run("StatusCountsAMarshalAsGoing", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "action status", action)
		mustContain(t, r, true, "**Total:** 2 chapters (1 announced, 1 waiting for a place) · 2 going")
		if line := actLine(r.Text(), fmt.Sprintf("**Seattle** — #%d", rallies["Seattle"].ID)); !strings.Contains(line, " · 2 going · ") {
			t.Errorf("Seattle's line %q does not count the marshal as going", line)
		}
	})
	t.Run("StatusSaysEachRallysState", func(t *testing.T) {
		for _, m := range []struct {
			coordinator               discordtest.Member
			total, announced, waiting string
		}{
			{coord, "(1 announced, 1 waiting for a place)", " · announced · 2 going · ", " · waiting for a place · 0 going · "},
			{discordtest.Member{UserID: coord.UserID, Roles: coord.Roles, Permissions: coord.Permissions, Locale: "es-419"},
				"(1 anunciada, 1 aún sin punto de encuentro)", " · anunciada · van: 2 · ", " · aún sin punto de encuentro · van: 0 · "},
		} {
			text := h.cmd(m.coordinator, coordChannel, "action status", action).Text()
			sea := actLine(text, fmt.Sprintf("**Seattle** — #%d", rallies["Seattle"].ID))
			chi := actLine(text, fmt.Sprintf("**Chicago** — #%d", rallies["Chicago"].ID))
			if !strings.Contains(sea, m.announced) || !strings.Contains(chi, m.waiting) {
				t.Errorf("Seattle's line %q, want %q; Chicago's %q, want %q", sea, m.announced, chi, m.waiting)
			}
			if strings.Contains(sea+chi, " 1 ") {
				t.Errorf("a rally's state is counted: %q, %q", sea, chi)
			}
			if !strings.Contains(actLine(text, "**Total:**"), m.total) {
				t.Errorf("total %q, want %q", actLine(text, "**Total:**"), m.total)
			}
		}
	})
	t.Run("ListCountsAMarshalAsGoing", func(t *testing.T) {
		mustContain(t, h.cmd(volunteer, coordChannel, "action list"), false, "✅ 2 going")
	})
	t.Run("SummaryCountsAMarshalAsGoing", func(t *testing.T) {
		mustContain(t, h.cmd(coord, coordChannel, "summary now"), true, "Action total: 2 chapters · 2 going")
	})

	// Counts only: the coordinator sees how staffed each chapter is, never who.
	noNames := func(t *testing.T, text string) {
		t.Helper()
		for _, m := range []discordtest.Member{member(1), member(2)} {
			if strings.Contains(text, m.UserID) {
				t.Errorf("/action status names a member:\n%s", text)
			}
		}
	}
	t.Run("StatusShowsStaffingPerChapter", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "action status", action)
		mustContain(t, r, true,
			fmt.Sprintf("**Seattle** — #%d", rallies["Seattle"].ID), "Safety roles: Marshals 1/2 · Medics 0/1",
			fmt.Sprintf("**Chicago** — #%d", rallies["Chicago"].ID), "Safety roles: Marshals 0/2 · Medics 0/1",
			"**Safety roles, all chapters:** Marshals 1/4 · Medics 0/2")
		text := r.Text()
		sea := text[strings.Index(text, "**Seattle**"):]
		if !strings.HasPrefix(sea[strings.Index(sea, "\n")+1:], "Safety roles: Marshals 1/2 · Medics 0/1") {
			t.Errorf("Seattle's staffing is not under Seattle:\n%s", text)
		}
		if strings.Contains(text, "checked in") {
			t.Errorf("check-ins shown before any rally started:\n%s", text)
		}
		noNames(t, text)
	})
	t.Run("StatusShowsCheckInsFromTheStart", func(t *testing.T) {
		sea := rallies["Seattle"]
		h.clock.Set(sea.StartsAt.Add(10 * time.Minute))
		for _, m := range []discordtest.Member{member(1), member(2)} {
			mustContain(t, h.cmd(m, seattleChannel, "checkin", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10))), true, "Checked in")
		}
		r := h.cmd(coord, coordChannel, "action status", action)
		text := r.Text()
		if line := actLine(text, fmt.Sprintf("**Seattle** — #%d", sea.ID)); !strings.HasSuffix(line, " · 2 checked in") {
			t.Errorf("Seattle's line %q, want 2 checked in", line)
		}
		if line := actLine(text, fmt.Sprintf("**Chicago** — #%d", rallies["Chicago"].ID)); !strings.HasSuffix(line, " · 0 checked in") {
			t.Errorf("Chicago's line %q, want 0 checked in", line)
		}
		if line := actLine(text, "**Total:**"); !strings.HasSuffix(line, " · 2 checked in") {
			t.Errorf("total %q, want 2 checked in", line)
		}
		noNames(t, text)
	})
}

// A rally of an action is announced, once its place is set, as any rally is.
func TestActionPlaceSetAnnouncesAsAnyRally(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	rallies := actRallies(t, db, id)
	sea, chi := rallies["Seattle"], rallies["Chicago"]
	eventAt := func(at time.Time) *discordgo.GuildScheduledEvent {
		for _, e := range h.fake.ScheduledEvents(guildID) {
			if e.ScheduledStartTime.Equal(at) {
				return e
			}
		}
		return nil
	}
	const secret = "Warehouse 9 loading dock"

	t.Run("PrivatePlaceStaysOutOfTheChannel", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)),
			discordtest.Str("location", secret), discordtest.Bool("private_location", true))
		mustContain(t, r, true, "announced")
		ann := h.actAnnouncement(seattleChannel, sea.ID)
		if ann == nil {
			t.Fatal("no announcement in Seattle's channel")
		}
		if text := messageText(ann); !strings.Contains(text, "shared with those going, 2h before the start") {
			t.Errorf("announcement does not say when the place is shared:\n%s", text)
		}
		for _, m := range h.fake.Messages(seattleChannel) {
			if strings.Contains(messageText(m), secret) {
				t.Errorf("a channel post shows the private place:\n%s", messageText(m))
			}
		}
		if bs := buttons(ann); len(bs) != 3 || bs[0].CustomID != fmt.Sprintf("rsvp:going:%d", sea.ID) {
			t.Errorf("buttons = %+v", bs)
		}
		rs, _ := h.reminders(sea.ID)
		if len(rs) != 2 || rs[0].State != store.ReminderPending || rs[1].State != store.ReminderPending {
			t.Errorf("reminders after the announcement = %+v, want two pending", rs)
		}
		e := eventAt(sea.StartsAt)
		if e == nil {
			t.Fatalf("no scheduled event for Seattle's rally; events: %+v", h.fake.ScheduledEvents(guildID))
		}
		if e.Name != "Holiday weekend action" || e.EntityType != discordgo.GuildScheduledEventEntityTypeExternal ||
			e.ScheduledEndTime == nil || !e.ScheduledEndTime.Equal(sea.StartsAt.Add(2*time.Hour)) {
			t.Errorf("event = %+v", e)
		}
		if strings.Contains(e.EntityMetadata.Location, secret) || !strings.Contains(e.EntityMetadata.Location, "shared with those going") {
			t.Errorf("event place %q, want it hidden", e.EntityMetadata.Location)
		}
		// A member going learns the place in their reply, as at any rally.
		mustContain(t, h.click(member(1), seattleChannel, ann.ID, fmt.Sprintf("rsvp:going:%d", sea.ID)), true, "DM it to you 2h before")
	})

	t.Run("PublicPlaceMirroredForThatChapterOnly", func(t *testing.T) {
		if eventAt(chi.StartsAt) != nil {
			t.Fatal("Chicago's rally, still waiting for a place, has an event")
		}
		r := h.cmd(chiLead, chicagoChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(chi.ID, 10)), discordtest.Str("location", "Daley Plaza"))
		mustContain(t, r, true, "announced")
		e := eventAt(chi.StartsAt)
		if e == nil || e.EntityMetadata.Location != "Daley Plaza" {
			t.Fatalf("Chicago's event = %+v, want one at Daley Plaza", e)
		}
		if n := len(h.fake.ScheduledEvents(guildID)); n != 2 {
			t.Errorf("%d events, want one per announced rally (2)", n)
		}
	})

	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Errorf("requests Discord would refuse: %+v", v)
	}
}

// Cancelling an action cancels each rally as /rally cancel does: channel
// told once, reminders dropped, each member going, maybe or waitlisted told
// by DM once, the scheduled event cancelled.
func TestActionCancelTellsMembersAndEvents(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago, Oakland"), discordtest.Int("capacity", 1))
	rallies := actRallies(t, db, id)
	sea, chi := rallies["Seattle"], rallies["Chicago"]
	h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("location", "Westlake Park"))
	h.cmd(chiLead, chicagoChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(chi.ID, 10)), discordtest.Str("location", "Daley Plaza"))
	seaAnn, chiAnn := h.actAnnouncement(seattleChannel, sea.ID), h.actAnnouncement(chicagoChannel, chi.ID)
	if seaAnn == nil || chiAnn == nil {
		t.Fatal("Seattle's or Chicago's rally not announced")
	}
	going, waiting, maybe, left, chiGoing := member(1), member(2), member(3), member(4), member(5)
	h.click(going, seattleChannel, seaAnn.ID, fmt.Sprintf("rsvp:going:%d", sea.ID))
	mustContain(t, h.click(waiting, seattleChannel, seaAnn.ID, fmt.Sprintf("rsvp:going:%d", sea.ID)), true, "waitlist")
	h.click(maybe, seattleChannel, seaAnn.ID, fmt.Sprintf("rsvp:maybe:%d", sea.ID))
	h.click(left, seattleChannel, seaAnn.ID, fmt.Sprintf("rsvp:maybe:%d", sea.ID))
	h.click(left, seattleChannel, seaAnn.ID, fmt.Sprintf("rsvp:not_going:%d", sea.ID))
	h.click(chiGoing, chicagoChannel, chiAnn.ID, fmt.Sprintf("rsvp:going:%d", chi.ID))
	if n := len(h.fake.ScheduledEvents(guildID)); n != 2 {
		t.Fatalf("%d scheduled events before the cancel, want 2", n)
	}

	r := h.cmd(coord, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)), discordtest.Str("reason", "Storm warning"))
	mustContain(t, r, true, "Cancelled the day of action", "3 rallies")
	h.clock.Add(5 * time.Minute)
	h.runJobs()
	h.restart()
	h.runJobs()

	t.Run("EachMemberToldByDMOnce", func(t *testing.T) {
		for _, c := range []struct {
			m       discordtest.Member
			chapter string
		}{{going, "Seattle"}, {waiting, "Seattle"}, {maybe, "Seattle"}, {chiGoing, "Chicago"}} {
			got := h.noticeDMs(c.m, "has been cancelled")
			if len(got) != 1 {
				t.Errorf("member %s got %d cancel DMs, want 1", c.m.UserID, len(got))
				continue
			}
			if text := got[0].Content; !strings.Contains(text, "Storm warning") || !strings.Contains(text, "("+c.chapter+" chapter)") {
				t.Errorf("member %s cancel DM: %s", c.m.UserID, text)
			}
		}
		if n := len(h.fake.DMs(left.UserID)); n != 0 {
			t.Errorf("a member with no RSVP got %d DMs", n)
		}
	})
	t.Run("EachChannelToldOnce", func(t *testing.T) {
		for _, name := range []string{"Seattle", "Chicago", "Oakland"} {
			c := actByName(name)
			told := 0
			for _, m := range h.fake.Messages(c.channel) {
				if strings.Contains(m.Content, "cancelled") || strings.Contains(m.Content, "is off") {
					told++
				}
			}
			if told != 1 || len(h.actCancels(c.channel, id)) != 1 {
				t.Errorf("%s channel told %d times, want once", name, told)
			}
		}
	})
	t.Run("EventsCancelled", func(t *testing.T) {
		events := h.fake.ScheduledEvents(guildID)
		if len(events) != 2 {
			t.Fatalf("%d scheduled events after the cancel, want the 2, cancelled", len(events))
		}
		for _, e := range events {
			if e.Status != discordgo.GuildScheduledEventStatusCanceled {
				t.Errorf("event %s (%v) still %d after the action was cancelled", e.ID, e.ScheduledStartTime, e.Status)
			}
		}
	})
	t.Run("RemindersDropped", func(t *testing.T) {
		for _, rl := range []store.Rally{sea, chi} {
			rs, _ := h.reminders(rl.ID)
			for _, rm := range rs {
				if rm.State == store.ReminderPending {
					t.Errorf("rally %d reminder still pending after the cancel: %+v", rl.ID, rm)
				}
			}
		}
	})
	if v := h.fake.TakeViolations(); len(v) > 0 {
		t.Errorf("requests Discord would refuse: %+v", v)
	}
}

// Times the action's messages show carry the chapter's zone, as elsewhere,
// beside the Discord timestamp each reader sees in their own.
func TestActionTimesCarryTheChapterZone(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, r := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	rallies := actRallies(t, db, id)
	sea, chi := rallies["Seattle"], rallies["Chicago"]
	zoned := func(rl store.Rally, zone string) string {
		return fmt.Sprintf("Sat Nov 28 11:00 AM %s (<t:%d:F>)", zone, rl.StartsAt.Unix())
	}

	t.Run("CreateReply", func(t *testing.T) {
		mustContain(t, r, true, fmt.Sprintf("• Seattle: rally #%d, %s", sea.ID, zoned(sea, "PST")),
			fmt.Sprintf("• Chicago: rally #%d, %s", chi.ID, zoned(chi, "CST")))
	})
	t.Run("AnnouncedReply", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(sea.ID, 10)), discordtest.Str("location", "Westlake Park"))
		mustContain(t, r, true, "announced it for "+zoned(sea, "PST"))
	})
	t.Run("CancelPost", func(t *testing.T) {
		h.cmd(coord, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)))
		for _, c := range []struct {
			channel, want string
		}{{seattleChannel, zoned(sea, "PST")}, {chicagoChannel, zoned(chi, "CST")}} {
			got := h.actCancels(c.channel, id)
			if len(got) != 1 || !strings.Contains(got[0].Content, "'s rally on "+c.want) {
				var texts []string
				for _, m := range got {
					texts = append(texts, m.Content)
				}
				t.Errorf("cancel posts in %s: %q, want one with %q", c.channel, texts, c.want)
			}
		}
	})
}

// The line that ends each action post names its kind in the chapter's
// language, not as the store spells it.
func TestActionPostFooterInWords(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	mustContain(t, h.cmd(admin, chicagoChannel, "chapter setup", discordtest.Str("chapter", "Chicago"), discordtest.Str("language", "es")), true)
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	rallies := actRallies(t, db, id)
	h.cmd(coord, coordChannel, "action cancel", discordtest.Str("action", strconv.FormatInt(id, 10)))
	footers := func(channel string) []string {
		var out []string
		for _, m := range h.fake.Messages(channel) {
			lines := strings.Split(m.Content, "\n")
			out = append(out, lines[len(lines)-1])
		}
		return out
	}
	for _, c := range []struct {
		channel string
		want    []string
	}{
		{seattleChannel, []string{
			fmt.Sprintf("-# Day of action #%d · rally #%d · asking for a place", id, rallies["Seattle"].ID),
			fmt.Sprintf("-# Day of action #%d · rally #%d · cancellation notice", id, rallies["Seattle"].ID)}},
		{chicagoChannel, []string{
			fmt.Sprintf("-# Jornada de acción #%d · manifestación #%d · pedido de punto de encuentro", id, rallies["Chicago"].ID),
			fmt.Sprintf("-# Jornada de acción #%d · manifestación #%d · aviso de cancelación", id, rallies["Chicago"].ID)}},
	} {
		if got := footers(c.channel); !reflect.DeepEqual(got, c.want) {
			t.Errorf("footers in %s:\n%q\nwant\n%q", c.channel, got, c.want)
		}
	}
}
