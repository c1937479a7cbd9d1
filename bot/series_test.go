package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
	"rallybot/store"
)

// seriesAnnouncements returns the announcements of the rally in the channel
// (reminders, whose footers differ, are not counted).
func (h *harness) seriesAnnouncements(channel string, rallyID int64) []*discordgo.Message {
	return filter(h.fake.Messages(channel), embedWith("", fmt.Sprintf("Rally #%d · RSVP below", rallyID)))
}

// seriesCreate has the Seattle lead create a series and returns its rallies.
func (h *harness) seriesCreate(db *store.DB, when, repeat string, n int64, extra ...discordtest.Option) ([]store.Rally, *discordtest.Reply) {
	h.t.Helper()
	id, r := h.rallyCreate(lead, seattleChannel, createOpts(append([]discordtest.Option{
		discordtest.Str("title", "Tenants' assembly"), discordtest.Str("when", when),
		discordtest.Str("repeat", repeat), discordtest.Int("occurrences", n),
	}, extra...)...)...)
	first, err := db.RallyByID(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	rallies, err := h.seriesRallies(db, first.Series.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(rallies) != int(n) {
		h.t.Fatalf("%d rallies in the series, want %d", len(rallies), n)
	}
	return rallies, r
}

func TestRecurringWeeklyAcrossDST(t *testing.T) {
	t.Parallel()
	// A week and a half before the clocks fall back (Sun Nov 1, 2026).
	h := newHarnessWith(t, func(h *harness) { h.clock.Set(time.Date(2026, 10, 20, 19, 0, 0, 0, time.UTC)) }, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	db := h.schedDB()
	seattle := mustZone(t, "America/Los_Angeles")

	rallies, reply := h.seriesCreate(db, "2026-10-21 18:00", "weekly", 4)
	mustContain(t, reply, true, "weekly series of 4 rallies", "announced when the one before it ends", "6:00 PM (PST)")

	t.Run("SameLocalTimeAcrossTheChange", func(t *testing.T) {
		wantZones := []string{"PDT", "PDT", "PST", "PST"}
		for i, r := range rallies {
			local := r.StartsAt.In(seattle)
			if local.Hour() != 18 || local.Minute() != 0 || local.Weekday() != time.Wednesday {
				t.Errorf("occurrence %d at %v, want Wednesday 18:00 local", i+1, local)
			}
			if zone, _ := local.Zone(); zone != wantZones[i] {
				t.Errorf("occurrence %d in %s, want %s", i+1, zone, wantZones[i])
			}
			if r.Series.Index != i+1 || r.Series.Count != 4 || r.Series.Repeat != store.RepeatWeekly {
				t.Errorf("occurrence %d: series place %+v", i+1, r.Series)
			}
		}
		// The instants differ by a week and an hour across the change.
		if got := rallies[2].StartsAt.Sub(rallies[1].StartsAt); got != 7*24*time.Hour+time.Hour {
			t.Errorf("Oct 28 → Nov 4 is %v apart, want 169h", got)
		}
	})

	t.Run("OnlyTheFirstIsAnnounced", func(t *testing.T) {
		if n := len(h.fake.Messages(seattleChannel)); n != 1 {
			t.Fatalf("%d messages in the channel, want the first announcement only", n)
		}
		if got := messageText(h.fake.Messages(seattleChannel)[0]); !strings.Contains(got, "1 of 4 in a weekly series") {
			t.Errorf("announcement lacks its place in the series:\n%s", got)
		}
		if n := len(h.fake.ScheduledEvents(guildID)); n != 1 {
			t.Errorf("%d scheduled events, want 1", n)
		}
		if states := h.schedStates(db, rallies[1].ID); len(states) != 0 {
			t.Errorf("the second occurrence has reminders before it is announced: %+v", states)
		}
		list := h.cmd(volunteer, coordChannel, "rally list")
		mustContain(t, list, false, "1 of 4 in a weekly series", "2 of 4 in a weekly series", "4 of 4 in a weekly series")
		info := h.cmd(volunteer, coordChannel, "rally info", discordtest.Str("rally", strconv.FormatInt(rallies[2].ID, 10)))
		mustContain(t, info, false, "3 of 4 in a weekly series", "Wed Nov 4, 2026 6:00 PM")
	})

	t.Run("NextAnnouncedOnceAfterTheFirstEnds", func(t *testing.T) {
		h.clock.Set(rallies[0].StartsAt.Add(time.Hour)) // under way
		h.runJobs()
		if n := len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)); n != 0 {
			t.Fatalf("the second was announced while the first was under way")
		}
		h.clock.Set(rallies[0].EndsAt.Add(time.Minute))
		h.runJobs()
		h.runJobs()
		anns := h.seriesAnnouncements(seattleChannel, rallies[1].ID)
		if len(anns) != 1 {
			t.Fatalf("%d announcements of the second, want 1", len(anns))
		}
		text := messageText(anns[0])
		for _, want := range []string{"Wed Oct 28, 2026 6:00 PM", "PDT", "2 of 4 in a weekly series"} {
			if !strings.Contains(text, want) {
				t.Errorf("announcement lacks %q:\n%s", want, text)
			}
		}
		if n := len(h.seriesAnnouncements(seattleChannel, rallies[2].ID)); n != 0 {
			t.Errorf("the third was announced too")
		}
		states := h.schedStates(db, rallies[1].ID)
		if states[24*time.Hour].State != store.ReminderPending || states[2*time.Hour].State != store.ReminderPending {
			t.Errorf("the announced rally's reminders are not armed: %+v", states)
		}
		if e := h.fake.ScheduledEvents(guildID); len(e) != 2 || !e[1].ScheduledStartTime.Equal(rallies[1].StartsAt) {
			t.Errorf("scheduled events %+v, want the second mirrored", e)
		}
		r, _ := db.RallyByID(context.Background(), rallies[1].ID)
		if r.MessageID != anns[0].ID {
			t.Errorf("recorded announcement %q, want %q", r.MessageID, anns[0].ID)
		}

		h.restart()
		h.runJobs()
		if n := len(h.seriesAnnouncements(seattleChannel, rallies[1].ID)); n != 1 {
			t.Errorf("%d announcements of the second after a restart, want 1", n)
		}
	})

	t.Run("RetriedAcrossARestartWithOneNonce", func(t *testing.T) {
		// Discord fails every try of the sweep's send of the third; the bot
		// restarts before the retry.
		h.fake.FailNext(http.MethodPost, messagesRoute, 4, http.StatusInternalServerError)
		h.clock.Set(rallies[1].EndsAt.Add(time.Minute))
		h.runJobs()
		if n := len(h.seriesAnnouncements(seattleChannel, rallies[2].ID)); n != 0 {
			t.Fatalf("announced through a failing Discord")
		}
		h.restart()
		h.clock.Add(5 * time.Minute)
		h.runJobs()
		h.runJobs()
		anns := h.seriesAnnouncements(seattleChannel, rallies[2].ID)
		if len(anns) != 1 {
			t.Fatalf("%d announcements of the third, want 1", len(anns))
		}
		if text := messageText(anns[0]); !strings.Contains(text, "Wed Nov 4, 2026 6:00 PM") || !strings.Contains(text, "PST") {
			t.Errorf("third announcement not at 18:00 PST:\n%s", text)
		}
		bodies, statuses := h.schedPosts(seattleChannel, fmt.Sprintf("Rally #%d · RSVP below", rallies[2].ID))
		if len(bodies) < 2 {
			t.Fatalf("%d sends of the third, want the failed ones and the one that went through", len(bodies))
		}
		for i, b := range bodies {
			if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
				t.Errorf("send %d (status %d): nonce %v, enforce %v; want %v enforced", i, statuses[i], b["nonce"], b["enforce_nonce"], bodies[0]["nonce"])
			}
		}
	})
}

func TestRecurringCancelAndOddDates(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	seattle := mustZone(t, "America/Los_Angeles")

	t.Run("CancelSeriesCancelsTheRest", func(t *testing.T) {
		rallies, _ := h.seriesCreate(db, "2026-11-25 18:00", "every_2_weeks", 3)
		if got := rallies[1].StartsAt.In(seattle); got.Day() != 9 || got.Month() != time.December || got.Hour() != 18 {
			t.Errorf("second occurrence %v, want Dec 9 18:00", got)
		}
		before := len(h.fake.Messages(seattleChannel))
		r := h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies[0].ID, 10)),
			discordtest.Str("reason", "Hall closed"), discordtest.Bool("series", true))
		mustContain(t, r, true, "Cancelled the rest of the series", "3 rallies")
		msgs := h.fake.Messages(seattleChannel)
		if len(msgs) != before+1 {
			t.Fatalf("%d messages posted on cancel, want one notice", len(msgs)-before)
		}
		if text := msgs[len(msgs)-1].Content; !strings.Contains(text, "series") || !strings.Contains(text, "3 remaining rallies") || !strings.Contains(text, "Hall closed") {
			t.Errorf("notice %q", text)
		}
		ann := h.seriesAnnouncements(seattleChannel, rallies[0].ID)[0]
		eventually(t, 5*time.Second, "the announcement shows the cancellation", func() bool {
			m := h.fake.Message(seattleChannel, ann.ID)
			return m != nil && strings.Contains(messageText(m), "CANCELLED")
		})
		for _, o := range rallies {
			got, _ := db.RallyByID(context.Background(), o.ID)
			if !got.Cancelled() {
				t.Errorf("#%d not cancelled", o.ID)
			}
		}
		h.clock.Set(rallies[0].EndsAt.Add(time.Minute))
		h.runJobs()
		h.clock.Set(rallies[1].EndsAt.Add(time.Minute))
		h.runJobs()
		for _, o := range rallies[1:] {
			if n := len(h.seriesAnnouncements(seattleChannel, o.ID)); n != 0 {
				t.Errorf("cancelled #%d was announced", o.ID)
			}
		}
		h.clock.Set(start)
	})

	t.Run("CancelFromTheMiddleLeavesTheEarlierOnes", func(t *testing.T) {
		rallies, _ := h.seriesCreate(db, "2026-11-26 18:00", "weekly", 3)
		r := h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies[1].ID, 10)), discordtest.Bool("series", true))
		mustContain(t, r, true, "2 rallies")
		first, _ := db.RallyByID(context.Background(), rallies[0].ID)
		if first.Cancelled() {
			t.Errorf("the first occurrence was cancelled too")
		}
	})

	t.Run("ErrNotInSeries", func(t *testing.T) {
		id, _ := h.createRally()
		r := h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", id), discordtest.Bool("series", true))
		mustContain(t, r, true, "not part of a series")
	})

	t.Run("MonthlyOnThe31st", func(t *testing.T) {
		rallies, reply := h.seriesCreate(db, "2026-12-31 18:00", "monthly", 3)
		mustContain(t, reply, true, "February 2027 has no 31st", "the 28th")
		days := []int{31, 31, 28}
		for i, o := range rallies {
			if got := o.StartsAt.In(seattle); got.Day() != days[i] || got.Hour() != 18 {
				t.Errorf("occurrence %d at %v, want day %d 18:00", i+1, got, days[i])
			}
		}
	})

	t.Run("SkippedHourMovesForwardAndIsSaid", func(t *testing.T) {
		// Clocks jump from 02:00 to 03:00 on Sun Mar 14, 2027.
		rallies, reply := h.seriesCreate(db, "2027-01-14 02:30", "monthly", 3)
		mustContain(t, reply, true, "2:30 AM does not exist on Mar 14, 2027", "starts at 3:30 AM PDT")
		if got := rallies[2].StartsAt.In(seattle); got.Hour() != 3 || got.Minute() != 30 {
			t.Errorf("occurrence in the gap at %v, want 03:30 PDT", got)
		}
	})

	t.Run("ErrOccurrencesWithoutRepeat", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Int("occurrences", 3))...)
		mustContain(t, r, true, "`occurrences` needs `repeat`")
		r = h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("repeat", "weekly"))...)
		mustContain(t, r, true, "`repeat` needs `occurrences`")
	})
}

// TestRecurringCancelTellsAttendees: cancelling the rest of a series cancels
// each rally as a single cancel does: each member going, maybe or
// waitlisted on any of them is DMed once per rally, each announced rally's
// scheduled event is cancelled, and the channel gets one notice for all.
func TestRecurringCancelTellsAttendees(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	rallies, _ := h.seriesCreate(db, "2026-11-25 18:00", "weekly", 3, discordtest.Str("title", "Rent clinic"), discordtest.Int("capacity", 1))
	ann := h.seriesAnnouncements(seattleChannel, rallies[0].ID)[0]
	going, maybe, waiting, later := member(1), member(2), member(3), member(4)
	h.click(going, seattleChannel, ann.ID, fmt.Sprintf("rsvp:going:%d", rallies[0].ID))
	h.click(maybe, seattleChannel, ann.ID, fmt.Sprintf("rsvp:maybe:%d", rallies[0].ID))
	mustContain(t, h.click(waiting, seattleChannel, ann.ID, fmt.Sprintf("rsvp:going:%d", rallies[0].ID)), true, "waitlist")
	// A later occurrence takes RSVPs by /rsvp before it is announced.
	h.cmd(later, seattleChannel, "rsvp", discordtest.Str("rally", strconv.FormatInt(rallies[1].ID, 10)), discordtest.Str("status", "going"))
	if e := eventNamed(h, "Rent clinic"); e == nil || e.Status != discordgo.GuildScheduledEventStatusScheduled {
		t.Fatalf("scheduled event before the cancel: %+v", e)
	}
	before := len(h.fake.Messages(seattleChannel))

	r := h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies[0].ID, 10)),
		discordtest.Str("reason", "Hall closed"), discordtest.Bool("series", true))
	mustContain(t, r, true, "3 rallies")
	h.runJobs()
	h.restart()
	h.runJobs()
	h.runJobs()

	t.Run("OneNoticeInTheChannel", func(t *testing.T) {
		var notices []string
		for _, m := range h.fake.Messages(seattleChannel)[before:] {
			if strings.Contains(m.Content, "cancelled") {
				notices = append(notices, m.Content)
			}
		}
		if len(notices) != 1 || !strings.Contains(notices[0], "3 remaining rallies") {
			t.Errorf("cancel notices in the channel %q, want one for the series", notices)
		}
	})
	t.Run("EventCancelled", func(t *testing.T) {
		if e := eventNamed(h, "Rent clinic"); e == nil || e.Status != discordgo.GuildScheduledEventStatusCanceled {
			t.Errorf("scheduled event after the cancel: %+v", e)
		}
	})
	t.Run("EachAttendeeDMedOncePerRally", func(t *testing.T) {
		for _, m := range []discordtest.Member{going, maybe, waiting, later} {
			got := h.noticeDMs(m, "has been cancelled")
			if len(got) != 1 {
				t.Errorf("member %s got %d cancel DMs, want 1", m.UserID, len(got))
				continue
			}
			for _, want := range []string{"Rent clinic", "Hall closed", "PST"} {
				if !strings.Contains(got[0].Content, want) {
					t.Errorf("member %s: cancel DM %q lacks %q", m.UserID, got[0].Content, want)
				}
			}
		}
		if got := h.noticeDMs(later, "has been cancelled"); len(got) == 1 && !strings.Contains(got[0].Content, schedStamp(rallies[1].StartsAt, "F")) {
			t.Errorf("the later occurrence's DM %q is not of its own date", got[0].Content)
		}
	})
}

// TestRecurringPrivatePlace: each occurrence of a series with a private
// place is announced as any private rally is: the post says when the place
// will be shared and never shows it, the first and the next (announced when
// the first ends) each get a scheduled event that hides it too, and the
// place reaches those going to the next one by DM at its reveal time.
func TestRecurringPrivatePlace(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	db := h.schedDB()
	const secret = "Basement of the parish hall"
	const hidden = "shared with those going, 2h before the start"
	rallies, _ := h.seriesCreate(db, "2026-11-25 18:00", "weekly", 2,
		discordtest.Str("location", secret), discordtest.Bool("private_location", true))
	hides := func(t *testing.T, what, text string) {
		t.Helper()
		if strings.Contains(text, secret) || !strings.Contains(text, hidden) {
			t.Errorf("%s shows the place or not when it is shared:\n%s", what, text)
		}
	}

	t.Run("FirstAnnouncedHidingThePlace", func(t *testing.T) {
		anns := h.seriesAnnouncements(seattleChannel, rallies[0].ID)
		if len(anns) != 1 {
			t.Fatalf("%d announcements of the first, want 1", len(anns))
		}
		hides(t, "the first announcement", messageText(anns[0]))
		e := h.fake.ScheduledEvents(guildID)
		if len(e) != 1 {
			t.Fatalf("%d scheduled events, want the first mirrored", len(e))
		}
		hides(t, "the first scheduled event", e[0].EntityMetadata.Location)
	})

	h.clock.Set(rallies[0].EndsAt.Add(time.Minute))
	h.runJobs()
	h.runJobs()
	var ann *discordgo.Message
	t.Run("NextAnnouncedHidingThePlace", func(t *testing.T) {
		anns := h.seriesAnnouncements(seattleChannel, rallies[1].ID)
		if len(anns) != 1 {
			t.Fatalf("%d announcements of the next, want 1", len(anns))
		}
		ann = anns[0]
		hides(t, "the next announcement", messageText(ann))
		e := h.fake.ScheduledEvents(guildID)
		if len(e) != 2 || !e[1].ScheduledStartTime.Equal(rallies[1].StartsAt) {
			t.Fatalf("scheduled events %+v, want the next mirrored", e)
		}
		hides(t, "the next scheduled event", e[1].EntityMetadata.Location)
		rid := strconv.FormatInt(rallies[1].ID, 10)
		mustContain(t, h.cmd(lead, seattleChannel, "rally info", discordtest.Str("rally", rid)), true, secret)
	})
	t.Run("RevealedToThoseGoingOnce", func(t *testing.T) {
		if ann == nil {
			t.Skip("no announcement to RSVP on")
		}
		going := member(1)
		mustContain(t, h.click(going, seattleChannel, ann.ID, fmt.Sprintf("rsvp:going:%d", rallies[1].ID)), true, "DM it to you 2h before")
		h.clock.Set(rallies[1].StartsAt.Add(-2 * time.Hour))
		h.runJobs()
		h.runJobs()
		// Once by the reveal; the 2 h reminder after it names the place too.
		if got := h.noticeDMs(going, "The meeting place for"); len(got) != 1 {
			t.Errorf("the member going got the reveal %d times, want 1", len(got))
		}
	})
	t.Run("NeverInTheChannelOrTheLog", func(t *testing.T) {
		for _, msg := range h.fake.Messages(seattleChannel) {
			if strings.Contains(messageText(msg), secret) {
				t.Errorf("a channel message shows the place: %s", messageText(msg))
			}
		}
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("the log shows the place")
		}
	})
}
