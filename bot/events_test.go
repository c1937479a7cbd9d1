package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

const (
	eventsRoute = "/guilds/{guild_id}/scheduled-events"
	eventRoute  = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
)

func eventNamed(h *harness, name string) *discordgo.GuildScheduledEvent {
	for _, e := range h.fake.ScheduledEvents(guildID) {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func TestScheduledEvents(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "RETENTION_DAYS", "1")
	id, _ := h.createRally(discordtest.Str("title", "Mirror me"), discordtest.Str("duration", "90m"))

	t.Run("CreatedOnAnnounce", func(t *testing.T) {
		e := eventNamed(h, "Mirror me")
		if e == nil {
			t.Fatalf("no scheduled event; events: %+v", h.fake.ScheduledEvents(guildID))
		}
		wantStart := time.Date(2026, 11, 28, 22, 30, 0, 0, time.UTC)
		if e.EntityType != discordgo.GuildScheduledEventEntityTypeExternal || e.PrivacyLevel != discordgo.GuildScheduledEventPrivacyLevelGuildOnly ||
			e.Status != discordgo.GuildScheduledEventStatusScheduled {
			t.Errorf("entity_type %d, privacy %d, status %d", e.EntityType, e.PrivacyLevel, e.Status)
		}
		if !e.ScheduledStartTime.Equal(wantStart) || e.ScheduledEndTime == nil || !e.ScheduledEndTime.Equal(wantStart.Add(90*time.Minute)) {
			t.Errorf("times %v – %v, want %v + 90m", e.ScheduledStartTime, e.ScheduledEndTime, wantStart)
		}
		if e.EntityMetadata.Location != "Westlake Park" {
			t.Errorf("location %q", e.EntityMetadata.Location)
		}
	})

	t.Run("UpdatedOnEdit", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Mirror me, moved"),
			discordtest.Str("when", "2026-11-28 16:00"), discordtest.Str("location", "Occidental Park"))
		mustContain(t, r, true, "Updated")
		if n := len(h.fake.ScheduledEvents(guildID)); n != 1 {
			t.Fatalf("%d events after an edit, want the same one", n)
		}
		e := eventNamed(h, "Mirror me, moved")
		if e == nil {
			t.Fatalf("event not renamed: %+v", h.fake.ScheduledEvents(guildID)[0])
		}
		if want := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC); !e.ScheduledStartTime.Equal(want) || !e.ScheduledEndTime.Equal(want.Add(90*time.Minute)) {
			t.Errorf("start %v end %v, want %v and 90m later", e.ScheduledStartTime, e.ScheduledEndTime, want)
		}
		if e.EntityMetadata.Location != "Occidental Park" {
			t.Errorf("location %q", e.EntityMetadata.Location)
		}
	})

	t.Run("CancelledOnCancel", func(t *testing.T) {
		other, _ := h.createRally(discordtest.Str("title", "Called off"))
		h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", other))
		e := eventNamed(h, "Called off")
		if e == nil || e.Status != discordgo.GuildScheduledEventStatusCanceled {
			t.Fatalf("event after cancel: %+v", e)
		}
	})

	t.Run("MissingManageEventsToldOnce", func(t *testing.T) {
		h.fake.DenyManageEvents(guildID)
		posts := len(h.fake.Messages(seattleChannel))
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "No events here"))...)
		mustContain(t, r, true, "Scheduled", "Manage Events")
		if n := len(h.fake.Messages(seattleChannel)); n != posts+1 {
			t.Errorf("the announcement was not posted (%d new messages)", n-posts)
		}
		r = h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Still no events"))...)
		mustContain(t, r, true, "Scheduled")
		if strings.Contains(r.Text(), "Manage Events") {
			t.Errorf("told a second time: %q", r.Text())
		}
		quiet := rallyIDPattern.FindStringSubmatch(r.Text())[1]
		r = h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", quiet), discordtest.Str("details", "bring water"))
		mustContain(t, r, true, "Updated")
		if strings.Contains(r.Text(), "Manage Events") {
			t.Errorf("told again on edit: %q", r.Text())
		}

		// Granted later: the next edit adds the missing event.
		h.fake.AllowManageEvents(guildID)
		h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", quiet), discordtest.Str("details", "bring more water"))
		if eventNamed(h, "Still no events") == nil {
			t.Errorf("no event after the permission came back")
		}
	})

	t.Run("DeletedByRetention", func(t *testing.T) {
		before := h.fake.CountRequests("DELETE", eventRoute)
		h.clock.Set(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
		h.runJobs()
		if eventNamed(h, "Mirror me, moved") != nil || eventNamed(h, "Still no events") != nil {
			t.Errorf("past rallies' events are still there: %+v", h.fake.ScheduledEvents(guildID))
		}
		deletes := h.fake.CountRequests("DELETE", eventRoute) - before
		if deletes != 2 {
			t.Errorf("%d DELETEs, want 2", deletes)
		}
		h.runJobs()
		if again := h.fake.CountRequests("DELETE", eventRoute) - before; again != deletes {
			t.Errorf("retention deleted again: %d DELETEs", again)
		}
	})
}

func TestScheduledEventsOff(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t, "SCHEDULED_EVENTS", "off")
	id, _ := h.createRally()
	h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), discordtest.Str("title", "Renamed"))
	h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id))
	for _, m := range []string{"POST", "PATCH"} {
		route := eventsRoute
		if m == "PATCH" {
			route = eventRoute
		}
		if n := h.fake.CountRequests(m, route); n != 0 {
			t.Errorf("%d %s requests with SCHEDULED_EVENTS=off", n, m)
		}
	}
}

// TestScheduledEventExactlyOnce: a rally's scheduled event is owed in the
// transaction that announces the rally, so it exists exactly once whatever
// happens to the create, which carries no nonce: the bot killed while
// Discord made the event but before its answer arrived (the next attempt
// finds the event by the rally named in its description and adopts it),
// killed before Discord made it, or Discord failing it. Later edits and the
// cancel reach the event that was stored.
func TestScheduledEventExactlyOnce(t *testing.T) {
	t.Parallel()
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: lead}
	// exactlyOne checks the guild has one event, the one stored for rally
	// #1, made by one create, and that edits and the cancel reach it.
	exactlyOne := func(t *testing.T, h *harness) {
		t.Helper()
		events := h.fake.ScheduledEvents(guildID)
		if len(events) != 1 {
			t.Fatalf("%d scheduled events, want 1: %+v", len(events), events)
		}
		c, err := h.schedDB().CalendarRally(context.Background(), guildID, 1)
		if err != nil || c.EventID != events[0].ID {
			t.Fatalf("stored event %q (%v), want %q", c.EventID, err, events[0].ID)
		}
		if !strings.HasPrefix(events[0].Description, "Rally #1\n") {
			t.Errorf("description %q does not name the rally first", events[0].Description)
		}

		mustContain(t, h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", "1"), discordtest.Str("title", "Held, renamed")), true, "Updated")
		if e := eventNamed(h, "Held, renamed"); e == nil || e.ID != events[0].ID {
			t.Errorf("the edit did not reach the stored event: %+v", h.fake.ScheduledEvents(guildID))
		}
		mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", "1")), true, "Cancelled")
		if e := eventNamed(h, "Held, renamed"); e == nil || e.Status != discordgo.GuildScheduledEventStatusCanceled {
			t.Errorf("the cancel did not reach the stored event: %+v", e)
		}
		if n := len(h.fake.ScheduledEvents(guildID)); n != 1 {
			t.Errorf("%d scheduled events after the edit and the cancel, want 1", n)
		}
		if v := h.fake.TakeViolations(); len(v) > 0 {
			t.Errorf("requests Discord's spec refuses: %+v", v)
		}
	}

	t.Run("CrashAfterDiscordMadeIt", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		h.crashOnceSent("POST", eventsRoute, "Discord makes the event", h.inBackground(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Held"))...),
			func() bool { return len(h.fake.ScheduledEvents(guildID)) == 1 })

		h.clock.Add(3 * time.Minute)
		h.start() // the sweep at start finds the event and adopts it
		h.runJobs()
		h.restart()
		h.runJobs()
		if n := h.fake.CountRequests("POST", eventsRoute); n != 1 {
			t.Errorf("%d creates, want the one before the crash", n)
		}
		if h.fake.CountRequests("GET", eventsRoute) == 0 {
			t.Errorf("the resumed create did not look for the event first")
		}
		exactlyOne(t, h)
	})

	t.Run("CrashBeforeDiscordMadeIt", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		h.fake.FailNext("POST", eventsRoute, 1000, 503) // the create never lands
		go h.fake.Command(h.ctx(), inv, "rally create", createOpts(discordtest.Str("title", "Held"))...)
		eventually(t, 10*time.Second, "the bot tries to make the event", func() bool { return h.fake.CountRequests("POST", eventsRoute) > 0 })
		h.crash(h.snapshot())
		h.fake.FailNext("POST", eventsRoute, 0, 503)
		if n := len(h.fake.ScheduledEvents(guildID)); n != 0 {
			t.Fatalf("%d events while Discord fails", n)
		}

		h.clock.Add(3 * time.Minute)
		h.start() // the sweep at start makes it
		h.runJobs()
		h.restart()
		h.runJobs()
		exactlyOne(t, h)
	})

	t.Run("DiscordFailsTheCreate", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		h.fake.FailNext("POST", eventsRoute, 1, 500)
		mustContain(t, h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Held"))...), true, "Scheduled")
		if n := len(h.fake.ScheduledEvents(guildID)); n != 0 {
			t.Fatalf("%d events after a failed create", n)
		}
		h.runJobs() // backing off: not tried again yet
		h.clock.Add(time.Minute)
		h.runJobs()
		h.runJobs()
		if n := h.fake.CountRequests("POST", eventsRoute); n != 2 {
			t.Errorf("%d creates, want the failed one and one more", n)
		}
		exactlyOne(t, h)
	})
}
