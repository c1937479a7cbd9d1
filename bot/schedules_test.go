package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
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

const messagesRoute = "/channels/{channel_id}/messages"

// schedZones are the zones of the default chapters, for writing `when`.
var schedZones = map[string]string{
	"Seattle": "America/Los_Angeles", "Chicago": "America/Chicago", "Los Angeles": "America/Los_Angeles",
	"New York City": "America/New_York", "Oakland": "America/Los_Angeles", "San Bernardino": "America/Los_Angeles",
	"Washington DC": "America/New_York",
}

// schedWhen writes t as the chapter's local `when`.
func schedWhen(t testing.TB, chapter string, at time.Time) string {
	t.Helper()
	loc, err := time.LoadLocation(schedZones[chapter])
	if err != nil {
		t.Fatal(err)
	}
	return at.In(loc).Format("2006-01-02 15:04")
}

// schedRally has an admin create a rally in the chapter starting at (whole
// minutes) and returns its id.
func (h *harness) schedRally(chapter, channel, title string, at time.Time, extra ...discordtest.Option) int64 {
	h.t.Helper()
	id, _ := h.rallyCreate(admin, channel, createOpts(append([]discordtest.Option{
		discordtest.Str("chapter", chapter), discordtest.Str("title", title),
		discordtest.Str("when", schedWhen(h.t, chapter, at)), discordtest.Str("location", "City Hall steps"),
	}, extra...)...)...)
	return id
}

// schedSetupCoordinators points the daily summary at coordChannel.
func (h *harness) schedSetupCoordinators() {
	h.t.Helper()
	r := h.cmd(admin, coordChannel, "setup coordinators", discordtest.ChannelOpt("channel", coordChannel), discordtest.RoleOpt("role", coordRole))
	mustContain(h.t, r, true, "<#"+coordChannel+">")
}

// schedReminders returns the reminders posted in the channel for the rally.
func (h *harness) schedReminders(channel string, rallyID int64) []*discordgo.Message {
	return filter(h.fake.Messages(channel), embedWith("Reminder: ", fmt.Sprintf("Rally #%d · ", rallyID)))
}

// schedSummaries returns the scheduled summaries posted in the coordinator channel.
func (h *harness) schedSummaries() []*discordgo.Message {
	return filter(h.fake.Messages(coordChannel), embedWith("", "Daily summary · "))
}

// schedPosts returns the bodies of the message POSTs to the channel whose
// body contains marker, with their statuses.
func (h *harness) schedPosts(channel, marker string) (bodies []map[string]any, statuses []int) {
	for _, r := range h.fake.Requests() {
		if r.Method != http.MethodPost || r.Route != messagesRoute || r.Path != "/channels/"+channel+"/messages" || !bytes.Contains(r.Body, []byte(marker)) {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			h.t.Fatalf("message body: %v", err)
		}
		bodies, statuses = append(bodies, body), append(statuses, r.Status)
	}
	return bodies, statuses
}

// schedDB opens the bot's database alongside it (SQLite in WAL mode lets both in).
func (h *harness) schedDB() *store.DB {
	h.t.Helper()
	db, err := store.Open(context.Background(), h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	db.Now = h.clock.Now
	h.t.Cleanup(func() { db.Close() })
	return db
}

// schedStates returns the rally's reminder states by offset.
func (h *harness) schedStates(db *store.DB, rallyID int64) map[time.Duration]store.Reminder {
	h.t.Helper()
	rs, err := h.reminders(rallyID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[time.Duration]store.Reminder{}
	for _, r := range rs {
		out[r.Offset] = r
	}
	return out
}

// schedLogged reports whether one line of the bot's log has every part.
func (h *harness) schedLogged(parts ...string) bool {
	for _, l := range strings.Split(h.logs.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

func schedStamp(t time.Time, style string) string {
	return fmt.Sprintf("<t:%d:%s>", t.Unix(), style)
}

// TestReminders runs the reminder sweep on cron every second of real time,
// against the fake clock: what is due comes from the database.
func TestReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_CRON", "@every 1s")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.schedSetupCoordinators()
	db := h.schedDB()

	startA := start.Add(30 * time.Hour)
	a := h.schedRally("Seattle", seattleChannel, "Housing justice march", startA)
	markerA := fmt.Sprintf("Rally #%d · reminder", a)

	t.Run("PostedOnceAtDueTime", func(t *testing.T) {
		h.clock.Set(startA.Add(-24*time.Hour - time.Minute))
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, a)); n != 0 {
			t.Fatalf("%d reminders a minute before the 24h reminder is due, want 0", n)
		}
		h.clock.Set(startA.Add(-24 * time.Hour))
		// No tick: cron's sweep (every second) finds it.
		eventually(t, 5*time.Second, "the 24h reminder posted by the cron sweep", func() bool {
			return len(h.schedReminders(seattleChannel, a)) == 1
		})
		h.runJobs()
		h.runJobs()
		got := h.schedReminders(seattleChannel, a)
		if len(got) != 1 {
			t.Fatalf("%d reminders after more sweeps, want 1", len(got))
		}
		text := messageText(got[0])
		for _, want := range []string{"Reminder: Housing justice march", schedStamp(startA, "F"), schedStamp(startA, "R"),
			"City Hall steps", "0 going", "0 maybe", "Seattle", "reminder 24h before"} {
			if !strings.Contains(text, want) {
				t.Errorf("reminder lacks %q:\n%s", want, text)
			}
		}
		if st := h.schedStates(db, a)[24*time.Hour]; st.State != store.ReminderSent || st.MessageID != got[0].ID {
			t.Errorf("24h reminder stored as %+v, want sent with message %s", st, got[0].ID)
		}
	})

	t.Run("HasRSVPButtonsAndEnforcedNonce", func(t *testing.T) {
		bodies, statuses := h.schedPosts(seattleChannel, markerA)
		if len(bodies) != 1 || statuses[0] != http.StatusOK {
			t.Fatalf("%d reminder POSTs (%v), want 1", len(bodies), statuses)
		}
		body := bodies[0]
		nonce, _ := body["nonce"].(string)
		if nonce == "" || len(nonce) > 25 || body["enforce_nonce"] != true {
			t.Errorf("nonce %q, enforce_nonce %v; want a nonce of at most 25 characters, enforced", nonce, body["enforce_nonce"])
		}
		am, _ := body["allowed_mentions"].(map[string]any)
		if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
			t.Errorf("allowed_mentions = %v, want parse: []", body["allowed_mentions"])
		}
		msg := h.schedReminders(seattleChannel, a)[0]
		var ids []string
		for _, c := range msg.Components {
			if row, ok := c.(*discordgo.ActionsRow); ok {
				for _, b := range row.Components {
					if btn, ok := b.(*discordgo.Button); ok && !btn.Disabled {
						ids = append(ids, btn.CustomID)
					}
				}
			}
		}
		want := fmt.Sprintf("rsvp:going:%d rsvp:maybe:%d rsvp:not_going:%d", a, a, a)
		if strings.Join(ids, " ") != want {
			t.Fatalf("buttons %v, want %s", ids, want)
		}
		// The buttons work like the announcement's.
		r := h.click(volunteer, seattleChannel, msg.ID, fmt.Sprintf("rsvp:going:%d", a))
		mustContain(t, r, true, "going")
	})

	t.Run("RestartDoesNotPostAgain", func(t *testing.T) {
		h.restart() // the start-up sweep runs at once
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, a)); n != 1 {
			t.Fatalf("%d reminders after a restart, want 1", n)
		}
		if bodies, _ := h.schedPosts(seattleChannel, markerA); len(bodies) != 1 {
			t.Fatalf("%d reminder POSTs after a restart, want 1", len(bodies))
		}
	})

	t.Run("SecondOffsetAtItsTime", func(t *testing.T) {
		h.clock.Set(startA.Add(-2 * time.Hour))
		h.runJobs()
		got := h.schedReminders(seattleChannel, a)
		if len(got) != 2 || !strings.Contains(messageText(got[1]), "reminder 2h before") || !strings.Contains(messageText(got[1]), "1 going") {
			t.Fatalf("%d reminders at the 2h mark, want the second with 1 going", len(got))
		}
	})

	t.Run("ArrivesOnceAfterTwo500s", func(t *testing.T) {
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "Tenant union meeting", at)
		h.fake.FailNext(http.MethodPost, messagesRoute, 2, http.StatusInternalServerError)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		eventually(t, 5*time.Second, "the reminder", func() bool { return len(h.schedReminders(seattleChannel, id)) >= 1 })
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
			t.Fatalf("%d reminders, want exactly 1", n)
		}
		bodies, statuses := h.schedPosts(seattleChannel, fmt.Sprintf("Rally #%d · reminder", id))
		if fmt.Sprint(statuses) != "[500 500 200]" {
			t.Fatalf("POST statuses %v, want [500 500 200]", statuses)
		}
		for _, b := range bodies {
			if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
				t.Errorf("retries must reuse the nonce, enforced: %v then %v", bodies[0]["nonce"], b["nonce"])
			}
		}
	})

	t.Run("ArrivesOnceWhenErrorsOutlastASweep", func(t *testing.T) {
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "Know your rights training", at)
		h.fake.FailNext(http.MethodPost, messagesRoute, 4, http.StatusServiceUnavailable)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		h.runJobs() // backing off: not tried again yet
		if n := len(h.schedReminders(seattleChannel, id)); n != 0 {
			t.Fatalf("%d reminders while Discord fails, want 0", n)
		}
		if st := h.schedStates(db, id)[24*time.Hour]; st.State != store.ReminderPending || st.Attempts != 1 {
			t.Fatalf("after a failed sweep: %+v, want pending after 1 attempt", st)
		}
		h.clock.Add(31 * time.Second)
		h.runJobs()
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
			t.Fatalf("%d reminders after the back-off, want 1", n)
		}
		bodies, statuses := h.schedPosts(seattleChannel, fmt.Sprintf("Rally #%d · reminder", id))
		if fmt.Sprint(statuses) != "[503 503 503 503 200]" {
			t.Fatalf("POST statuses %v, want four 503s then 200", statuses)
		}
		for _, b := range bodies {
			if b["nonce"] != bodies[0]["nonce"] {
				t.Errorf("a later sweep must reuse the nonce: %v then %v", bodies[0]["nonce"], b["nonce"])
			}
		}
	})

	t.Run("ArrivesOnceWhenRateLimited", func(t *testing.T) {
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "Phone bank", at)
		h.fake.FailNext(http.MethodPost, messagesRoute, 1, http.StatusTooManyRequests)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
			t.Fatalf("%d reminders, want 1", n)
		}
		if _, statuses := h.schedPosts(seattleChannel, fmt.Sprintf("Rally #%d · reminder", id)); fmt.Sprint(statuses) != "[429 200]" {
			t.Fatalf("POST statuses %v, want [429 200] (retried after retry_after)", statuses)
		}
	})

	t.Run("ForbiddenChannelFailsAndTellsCoordinatorsOnce", func(t *testing.T) {
		h.setupChapter("Chicago", chicagoChannel, chicagoLead)
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Chicago", chicagoChannel, "Sanctuary city vigil", at)
		h.fake.FailChannel(chicagoChannel, http.StatusForbidden, 50013)
		notices := func() int {
			n := 0
			for _, m := range h.fake.Messages(coordChannel) {
				if strings.Contains(m.Content, "<#"+chicagoChannel+">") {
					n++
				}
			}
			return n
		}
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		eventually(t, 5*time.Second, "the coordinators told", func() bool { return notices() == 1 })
		if st := h.schedStates(db, id)[24*time.Hour]; st.State != store.ReminderFailed {
			t.Fatalf("24h reminder %+v, want failed", st)
		}
		_, before := h.schedPosts(chicagoChannel, fmt.Sprintf("Rally #%d · reminder", id))
		h.runJobs()
		h.runJobs()
		if _, after := h.schedPosts(chicagoChannel, fmt.Sprintf("Rally #%d · reminder", id)); len(after) != len(before) {
			t.Errorf("a failed reminder was tried again: %d POSTs, then %d", len(before), len(after))
		}
		// The next reminder fails too, but the coordinators already know.
		h.clock.Set(at.Add(-2 * time.Hour))
		h.runJobs()
		if st := h.schedStates(db, id)[2*time.Hour]; st.State != store.ReminderFailed {
			t.Fatalf("2h reminder %+v, want failed", st)
		}
		if n := notices(); n != 1 {
			t.Fatalf("%d notices in the coordinator channel, want 1", n)
		}
		for _, m := range h.fake.Messages(coordChannel) {
			if strings.Contains(m.Content, "<#"+chicagoChannel+">") && !strings.Contains(m.Content, "Sanctuary city vigil") {
				t.Errorf("notice does not name the rally: %q", m.Content)
			}
		}
	})

	t.Run("EditedTimeRearms", func(t *testing.T) {
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "School board testimony", at)
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
			t.Fatalf("%d reminders at the first 24h mark, want 1", n)
		}
		moved := at.Add(24 * time.Hour)
		r := h.cmd(admin, seattleChannel, "rally edit", discordtest.Str("rally", strconv.FormatInt(id, 10)),
			discordtest.Str("when", schedWhen(t, "Seattle", moved)))
		mustContain(t, r, true, "Updated")
		h.clock.Set(at.Add(-2 * time.Hour)) // the old 2h mark
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 1 {
			t.Fatalf("%d reminders at the old 2h mark, want still 1", n)
		}
		h.clock.Set(moved.Add(-24 * time.Hour))
		h.runJobs()
		got := h.schedReminders(seattleChannel, id)
		if len(got) != 2 || !strings.Contains(got[1].Content, schedStamp(moved, "R")) {
			t.Fatalf("%d reminders at the new 24h mark, want 2, the last for the new time", len(got))
		}
	})

	t.Run("CancelDrops", func(t *testing.T) {
		at := h.clock.Now().Truncate(time.Minute).Add(30 * time.Hour)
		id := h.schedRally("Seattle", seattleChannel, "Picket at the depot", at)
		r := h.cmd(admin, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(id, 10)))
		mustContain(t, r, true, "Cancelled")
		h.clock.Set(at.Add(-24 * time.Hour))
		h.runJobs()
		h.clock.Set(at.Add(-2 * time.Hour))
		h.runJobs()
		if n := len(h.schedReminders(seattleChannel, id)); n != 0 {
			t.Fatalf("%d reminders for a cancelled rally, want 0", n)
		}
		for off, st := range h.schedStates(db, id) {
			if st.State != store.ReminderDropped {
				t.Errorf("%v reminder %s, want dropped", off, st.State)
			}
		}
	})
}

// TestRemindersMissedWhileDown stops the bot across reminder times and starts
// it later: the start-up sweep posts what is still useful and drops the rest.
func TestRemindersMissedWhileDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	late := h.schedRally("Seattle", seattleChannel, "Late but useful", start.Add(50*time.Hour))   // 24h mark at +26h
	begun := h.schedRally("Seattle", seattleChannel, "Began while down", start.Add(26*time.Hour)) // both marks passed
	both := h.schedRally("Seattle", seattleChannel, "Two marks missed", start.Add(28*time.Hour))  // 24h and 2h marks passed
	h.stop()
	h.clock.Set(start.Add(27 * time.Hour))
	h.start()
	db := h.schedDB()

	t.Run("PostedOnStart", func(t *testing.T) {
		got := h.schedReminders(seattleChannel, late)
		if len(got) != 1 || !strings.Contains(messageText(got[0]), "reminder 24h before") {
			t.Fatalf("%d reminders for the rally still ahead, want its 24h one, posted at start", len(got))
		}
	})
	t.Run("DroppedIfRallyBegan", func(t *testing.T) {
		if n := len(h.schedReminders(seattleChannel, begun)); n != 0 {
			t.Fatalf("%d reminders for a rally that began while the bot was down, want 0", n)
		}
		for off, st := range h.schedStates(db, begun) {
			if st.State != store.ReminderDropped {
				t.Errorf("%v reminder %s, want dropped", off, st.State)
			}
		}
		if !h.schedLogged("dropped a reminder missed while the bot was down: the rally has begun", fmt.Sprintf(" rally=%d ", begun)) {
			t.Errorf("no log line for the dropped reminder")
		}
	})
	t.Run("OnlyTheLatestOfSeveralMissed", func(t *testing.T) {
		got := h.schedReminders(seattleChannel, both)
		if len(got) != 1 || !strings.Contains(messageText(got[0]), "reminder 2h before") {
			t.Fatalf("%d reminders for a rally with two missed marks, want only the 2h one", len(got))
		}
		if st := h.schedStates(db, both)[24*time.Hour]; st.State != store.ReminderDropped {
			t.Errorf("superseded 24h reminder %s, want dropped", st.State)
		}
	})
}

// TestReminderResumedAfterCrash leaves reminders as a process that died
// between recording the intent and recording the send would: the nonce is
// stored, the message reached Discord, the reminder is still pending.
func TestReminderResumedAfterCrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	at := start.Add(30 * time.Hour)
	inWindow := h.schedRally("Seattle", seattleChannel, "Crash inside the nonce window", at)
	outWindow := h.schedRally("Seattle", seattleChannel, "Crash outside the nonce window", at)
	h.stop()
	h.clock.Set(at.Add(-24 * time.Hour))

	db, err := store.Open(context.Background(), h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = h.clock.Now
	due, err := db.DueChannelPosts(context.Background(), h.clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	begin := func(id int64) string {
		for _, d := range due {
			if d.Kind == store.PostReminder && d.Rally.ID == id && d.Args.Offset() == 24*time.Hour {
				state, resumed, err := db.BeginChannelPost(context.Background(), d)
				if err != nil || state != store.ReminderPending || resumed {
					t.Fatalf("begin: %v %v %v", state, resumed, err)
				}
				return d.Nonce
			}
		}
		t.Fatalf("rally %d has no 24h reminder due in %+v", id, due)
		return ""
	}
	nonce := begin(inWindow)
	begin(outWindow)
	db.Close()
	// What the dead process had sent: one message with the nonce, and one
	// whose nonce Discord no longer remembers (so without one).
	post := func(body map[string]any) string {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, h.fake.URL()+"/api/v10/channels/"+seattleChannel+"/messages", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bot "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("post: %v %v", resp, err)
		}
		defer resp.Body.Close()
		var m discordgo.Message
		json.NewDecoder(resp.Body).Decode(&m)
		return m.ID
	}
	noMentions := map[string]any{"parse": []any{}}
	inID := post(map[string]any{"content": "⏰ first copy", "allowed_mentions": noMentions, "nonce": nonce, "enforce_nonce": true})
	outID := post(map[string]any{
		"content":          "⏰ **Crash outside the nonce window** starts " + schedStamp(at, "R") + ".",
		"embeds":           []any{map[string]any{"title": "Reminder: Crash outside the nonce window", "footer": map[string]any{"text": fmt.Sprintf("Rally #%d · reminder 24h before the start · RSVP below; only the chapter's leads see who is coming.", outWindow)}}},
		"allowed_mentions": noMentions,
	})
	h.start()
	db = h.schedDB()

	t.Run("InsideNonceWindowDiscordDropsTheCopy", func(t *testing.T) {
		bodies, _ := h.schedPosts(seattleChannel, nonce)
		if len(bodies) != 2 {
			t.Fatalf("%d POSTs with the nonce, want 2 (the dead process's and the resumed one)", len(bodies))
		}
		n := 0
		for _, m := range h.fake.Messages(seattleChannel) {
			if m.ID == inID || strings.Contains(m.Content, "Crash inside") {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d copies of the reminder in the channel, want 1", n)
		}
		if st := h.schedStates(db, inWindow)[24*time.Hour]; st.State != store.ReminderSent || st.MessageID != inID {
			t.Fatalf("reminder %+v, want sent as message %s", st, inID)
		}
	})
	t.Run("OutsideNonceWindowFoundInTheChannel", func(t *testing.T) {
		if bodies, _ := h.schedPosts(seattleChannel, fmt.Sprintf("Rally #%d · reminder", outWindow)); len(bodies) != 1 {
			t.Fatalf("%d POSTs of the reminder, want only the dead process's", len(bodies))
		}
		if st := h.schedStates(db, outWindow)[24*time.Hour]; st.State != store.ReminderSent || st.MessageID != outID {
			t.Fatalf("reminder %+v, want sent as message %s", st, outID)
		}
	})
}

// summaryRally is a rally of the seven-chapter summary test.
type summaryRally struct {
	chapter, title string
	at             time.Time
	capacity       int64
	id             int64
}

// TestDailySummary: a guild with seven chapters gets its turnout summary in
// the coordinator channel once per scheduled run, with changes since the last.
func TestDailySummary(t *testing.T) {
	t.Parallel()
	// Reminders an hour ahead stay out of the way of the summaries.
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "1h")
	channels := map[string]string{"Seattle": seattleChannel, "Chicago": chicagoChannel}
	for i, name := range []string{"Los Angeles", "New York City", "Oakland", "San Bernardino", "Washington DC"} {
		id := fmt.Sprintf("3000000000000001%02d", i)
		h.fake.AddChannel(guildID, discordtest.Channel{ID: id, Name: strings.ToLower(strings.ReplaceAll(name, " ", "-"))})
		channels[name] = id
	}
	for name, ch := range channels {
		h.setupChapter(name, ch, seattleLead)
	}
	h.schedSetupCoordinators()

	day := func(d, hour, min int) time.Time { return time.Date(2026, 11, d, hour, min, 0, 0, time.UTC) }
	rallies := map[string]*summaryRally{
		"sea":    {chapter: "Seattle", title: "Seattle march", at: day(25, 18, 0), capacity: 2},
		"vigil":  {chapter: "Seattle", title: "Seattle vigil", at: day(28, 2, 0)},
		"chi":    {chapter: "Chicago", title: "Chicago rally", at: day(26, 18, 0)},
		"la":     {chapter: "Los Angeles", title: "LA teach in", at: day(27, 20, 0)},
		"nyc":    {chapter: "New York City", title: "NYC picket", at: day(28, 14, 0)},
		"oak":    {chapter: "Oakland", title: "Oakland march", at: day(29, 19, 0)},
		"dc":     {chapter: "Washington DC", title: "DC vigil", at: day(30, 22, 0)},
		"far":    {chapter: "Seattle", title: "Seattle far ahead", at: time.Date(2026, 12, 10, 18, 0, 0, 0, time.UTC)},
		"called": {chapter: "Chicago", title: "Chicago called off", at: day(27, 18, 0)},
	}
	for _, r := range rallies {
		var extra []discordtest.Option
		if r.capacity > 0 {
			extra = append(extra, discordtest.Int("capacity", r.capacity))
		}
		r.id = h.schedRally(r.chapter, channels[r.chapter], r.title, r.at, extra...)
	}
	h.cmd(admin, chicagoChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies["called"].id, 10)))
	rsvp := func(m discordtest.Member, key, status string) {
		t.Helper()
		r := h.cmd(m, channels[rallies[key].chapter], "rsvp", discordtest.Str("rally", strconv.FormatInt(rallies[key].id, 10)), discordtest.Str("status", status))
		if !r.Ephemeral || strings.Contains(r.Text(), "⚠️") {
			t.Fatalf("rsvp: %q", r.Text())
		}
	}
	for _, v := range []struct {
		m      int
		key    string
		status string
	}{
		{1, "sea", "going"}, {2, "sea", "going"}, {3, "sea", "going"}, {4, "sea", "maybe"}, {1, "vigil", "maybe"},
		{5, "chi", "going"}, {6, "chi", "going"}, {7, "nyc", "going"}, {8, "nyc", "maybe"}, {9, "dc", "going"},
	} {
		rsvp(member(v.m), v.key, v.status)
	}
	line := func(key, counts string) string {
		r := rallies[key]
		loc, _ := time.LoadLocation(schedZones[r.chapter])
		return fmt.Sprintf("• #%d %s — %s · <t:%d:f>: %s", r.id, r.title, r.at.In(loc).Format("Mon Jan 2 3:04 PM MST"), r.at.Unix(), counts)
	}
	// 08:00:30 in New York, the default SUMMARY_CRON's time.
	firstRun := time.Date(2026, 11, 24, 13, 0, 30, 0, time.UTC)

	t.Run("ReachesCoordinatorChannelWithCounts", func(t *testing.T) {
		h.clock.Set(firstRun)
		h.runJobs()
		got := h.schedSummaries()
		if len(got) != 1 {
			t.Fatalf("%d summaries, want 1", len(got))
		}
		text := messageText(got[0])
		for _, want := range []string{
			"Turnout, next 7 days",
			"**Seattle**\n" + line("sea", "2 going, 1 maybe, 1 waitlisted · capacity 2") + "\n" + line("vigil", "0 going, 1 maybe"),
			"**Chicago**\n" + line("chi", "2 going, 0 maybe") + "\n",
			"**Los Angeles**\n" + line("la", "0 going, 0 maybe") + "\n",
			"**New York City**\n" + line("nyc", "1 going, 1 maybe") + "\n",
			"**Oakland**\n" + line("oak", "0 going, 0 maybe") + "\n",
			"**No rallies in this window:** San Bernardino\n",
			"**Washington DC**\n" + line("dc", "1 going, 0 maybe") + "\n",
			"**All chapters:** 7 rallies · 6 going · 3 maybe · 1 waitlisted\n",
			"Daily summary · Tue Nov 24, 2026 8:00 AM EST",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("summary lacks %q:\n%s", want, text)
			}
		}
		for _, not := range []string{"since last summary", "new since", "Seattle far ahead", "Chicago called off", "<@"} {
			if strings.Contains(text, not) {
				t.Errorf("summary has %q:\n%s", not, text)
			}
		}
		for i := 1; i <= 9; i++ {
			if strings.Contains(text, member(i).UserID) {
				t.Errorf("summary names a member: counts only")
			}
		}
	})

	t.Run("OncePerRunEvenAcrossRestart", func(t *testing.T) {
		h.runJobs()
		h.clock.Add(20 * time.Minute)
		h.runJobs()
		h.restart()
		h.runJobs()
		if n := len(h.schedSummaries()); n != 1 {
			t.Fatalf("%d summaries for one scheduled run, want 1", n)
		}
	})

	t.Run("SkippedWithoutCoordinatorChannel", func(t *testing.T) {
		if n := len(h.fake.Messages(otherChannel)); n != 0 {
			t.Errorf("%d messages in the other guild, which set no coordinator channel", n)
		}
		if !h.schedLogged("level=DEBUG", "no coordinator channel; summary skipped", "guild="+otherID) {
			t.Errorf("no debug line for the skipped guild")
		}
	})

	t.Run("NextRunShowsChanges", func(t *testing.T) {
		h.clock.Set(time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC))
		rsvp(member(1), "sea", "not_going") // member 3 moves up: waitlist -1
		rsvp(member(10), "chi", "going")
		rsvp(member(11), "chi", "going") // +2 going
		rsvp(member(8), "nyc", "going")  // maybe → going
		rallies["new"] = &summaryRally{chapter: "Oakland", title: "Oakland vigil", at: day(28, 3, 0)}
		rallies["new"].id = h.schedRally("Oakland", channels["Oakland"], "Oakland vigil", rallies["new"].at)
		rsvp(member(12), "new", "going")

		h.clock.Set(firstRun.Add(24 * time.Hour))
		h.runJobs()
		got := h.schedSummaries()
		if len(got) != 2 {
			t.Fatalf("%d summaries after the second day's run, want 2", len(got))
		}
		text := messageText(got[1])
		for _, want := range []string{
			line("sea", "2 going, 1 maybe, 0 waitlisted (-1 since last summary) · capacity 2"),
			line("vigil", "0 going, 1 maybe") + "\n",
			line("chi", "4 going (+2 since last summary), 0 maybe") + "\n",
			line("nyc", "2 going (+1 since last summary), 0 maybe (-1 since last summary)") + "\n",
			line("new", "1 going, 0 maybe · new since the last summary"),
			line("oak", "0 going, 0 maybe") + "\n",
			"**All chapters:** 8 rallies · 10 going (+4 since last summary) · 2 maybe (-1 since last summary) · 0 waitlisted (-1 since last summary)",
			"Daily summary · Wed Nov 25, 2026 8:00 AM EST",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("second summary lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("SummaryNowRefusedToPlainMember", func(t *testing.T) {
		r := h.cmd(volunteer, seattleChannel, "summary now")
		mustContain(t, r, true, "Only coordinators", "<@&"+coordRole+">")
		if strings.Contains(r.Text(), "going") {
			t.Errorf("a refused member saw counts: %q", r.Text())
		}
	})

	t.Run("SummaryNowForCoordinatorAndAdmin", func(t *testing.T) {
		r := h.cmd(coord, coordChannel, "summary now")
		mustContain(t, r, true, "Turnout, next 7 days", "**All chapters:** 8 rallies · 10 going")
		r = h.cmd(admin, coordChannel, "summary now", discordtest.Int("days", 30))
		mustContain(t, r, true, "Turnout, next 30 days", "Seattle far ahead", "**All chapters:** 9 rallies")
	})
}

// TestSummarySplitsLongMessages: a summary too long for one message arrives
// in several, with every rally in exactly one of them.
func TestSummarySplitsLongMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID, "REMINDER_OFFSETS", "1h")
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.schedSetupCoordinators()
	var titles []string
	for i := 0; i < 40; i++ {
		title := fmt.Sprintf("Rally %02d ", i) + strings.Repeat("for housing health care and dignity ", 3)
		title = strings.TrimSpace(title[:100])
		titles = append(titles, title)
		h.schedRally("Seattle", seattleChannel, title, start.Add(time.Duration(30+i)*time.Hour))
	}
	h.clock.Set(time.Date(2026, 11, 24, 13, 0, 30, 0, time.UTC))
	h.runJobs()
	got := h.schedSummaries()
	if len(got) < 2 {
		t.Fatalf("%d summary messages, want it split over several", len(got))
	}
	var all strings.Builder
	for i, m := range got {
		size := 0
		if len(m.Embeds) > 10 {
			t.Errorf("message %d has %d embeds; Discord allows 10", i, len(m.Embeds))
		}
		for _, e := range m.Embeds {
			if n := len([]rune(e.Description)); n > 4096 {
				t.Errorf("message %d has a description of %d characters; Discord allows 4096", i, n)
			}
			size += len([]rune(e.Title)) + len([]rune(e.Description))
			if e.Footer != nil {
				size += len([]rune(e.Footer.Text))
			}
		}
		if size > 6000 {
			t.Errorf("message %d is %d characters of embeds; Discord allows 6000", i, size)
		}
		if text := messageText(m); !strings.Contains(text, fmt.Sprintf("message %d of %d", i+1, len(got))) {
			t.Errorf("message %d is not marked as %d of %d", i, i+1, len(got))
		}
		all.WriteString(messageText(m))
	}
	for _, title := range titles {
		if n := strings.Count(all.String(), title+" — "); n != 1 {
			t.Errorf("%q appears %d times across the messages, want 1", title, n)
		}
	}
	if !strings.Contains(got[len(got)-1].Embeds[len(got[len(got)-1].Embeds)-1].Description, "**All chapters:** 40 rallies") {
		t.Errorf("the totals are not at the end")
	}
}

// TestRetentionAndForgetMe: RSVPs go away when a member asks, and after the
// retention period; the counts stay.
func TestRetentionAndForgetMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "DISCORD_GUILD_ID", guildID)
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	h.setupChapter("Chicago", chicagoChannel, chicagoLead)
	db := h.schedDB()
	ctx := context.Background()
	rsvp := func(m discordtest.Member, ch string, id int64, status string) string {
		t.Helper()
		return h.cmd(m, ch, "rsvp", discordtest.Str("rally", strconv.FormatInt(id, 10)), discordtest.Str("status", status)).Text()
	}

	t.Run("ForgetMeRemovesMemberFromEveryRally", func(t *testing.T) {
		full := h.schedRally("Seattle", seattleChannel, "One seat left", start.Add(48*time.Hour), discordtest.Int("capacity", 1))
		other := h.schedRally("Seattle", seattleChannel, "Banner making", start.Add(72*time.Hour))
		chi := h.schedRally("Chicago", chicagoChannel, "Chicago teach in", start.Add(96*time.Hour))
		rsvp(volunteer, seattleChannel, full, "going")
		if txt := rsvp(member(1), seattleChannel, full, "going"); !strings.Contains(txt, "waitlist") {
			t.Fatalf("second member not waitlisted: %q", txt)
		}
		rsvp(volunteer, seattleChannel, other, "maybe")
		rsvp(volunteer, chicagoChannel, chi, "going")

		r := h.cmd(volunteer, seattleChannel, "privacy forget-me")
		mustContain(t, r, true, "Deleted your 3 RSVPs")
		mustContain(t, h.cmd(volunteer, seattleChannel, "myrsvps"), true, "no upcoming RSVPs")
		for _, id := range []int64{full, other, chi} {
			att, err := db.RallyAttendees(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range append(append(att.Going, att.Maybe...), att.Waitlist...) {
				if u == volunteer.UserID {
					t.Errorf("rally %d still has the forgotten member", id)
				}
			}
		}
		got, _ := db.Rally(ctx, guildID, full)
		if got.Going != 1 || got.Waitlist != 0 {
			t.Errorf("freed seat: going %d waitlist %d, want the waitlisted member promoted", got.Going, got.Waitlist)
		}
		eventually(t, 5*time.Second, "the promoted member told by DM", func() bool { return len(h.fake.DMs(member(1).UserID)) == 1 })
		mustContain(t, h.cmd(volunteer, seattleChannel, "privacy forget-me"), true, "nothing to delete")
	})

	t.Run("RetentionDeletesOldRSVPsKeepsCounts", func(t *testing.T) {
		old := h.schedRally("Seattle", seattleChannel, "Old rally", start.Add(30*time.Hour))
		recent := h.schedRally("Seattle", seattleChannel, "Recent rally", start.Add(20*24*time.Hour))
		for i := 20; i < 23; i++ {
			rsvp(member(i), seattleChannel, old, "going")
			rsvp(member(i), seattleChannel, recent, "going")
		}
		rsvp(member(23), seattleChannel, old, "maybe")
		// Old ended (2h after its start) 30 days and a minute ago; recent ended 12 days ago.
		h.clock.Set(start.Add(32*time.Hour + 30*24*time.Hour + time.Minute))
		h.runJobs()
		att, _ := db.RallyAttendees(ctx, old)
		if n := len(att.Going) + len(att.Maybe); n != 0 {
			t.Errorf("%d RSVPs kept past retention, want 0", n)
		}
		r, _ := db.Rally(ctx, guildID, old)
		if r.Going != 3 || r.Maybe != 1 {
			t.Errorf("counts after the purge: %d going %d maybe, want 3 and 1 kept", r.Going, r.Maybe)
		}
		if att, _ := db.RallyAttendees(ctx, recent); len(att.Going) != 3 {
			t.Errorf("recent rally has %d RSVPs, want 3 kept", len(att.Going))
		}
		if !strings.Contains(h.logs.String(), "deleted RSVPs past retention") {
			t.Errorf("no log line for the purge")
		}
	})
}
