package bot_test

import (
	"database/sql"
	"strconv"
	"testing"
	"time"
)

// TestEventSyncsOwedBeforeTheMigrationAreDoneOnce: a bot stopped while it
// owed, in the layout before migration 0085 (event_owed and its retry state
// on rallies), one rally's event an edit and another's a create whose
// answer was lost (begun, the event made on Discord but not recorded),
// starts on the new version: the migration moves both into the outbox, the
// edit is made once, and the create's event is found by its marker and
// adopted, not made again.
func TestEventSyncsOwedBeforeTheMigrationAreDoneOnce(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	edited, _ := h.createRally()
	lost, _ := h.createRally()
	if n := len(h.fake.ScheduledEvents(guildID)); n != 2 {
		t.Fatalf("%d scheduled events, want one per rally", n)
	}
	creates := h.fake.CountRequests("POST", eventsRoute)
	h.stop()

	h.execStopped(
		`ALTER TABLE rallies ADD COLUMN event_owed INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE rallies ADD COLUMN event_begun_at INTEGER`,
		`ALTER TABLE rallies ADD COLUMN event_next_try_at INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE rallies ADD COLUMN event_attempts INTEGER NOT NULL DEFAULT 0`,
		`CREATE INDEX rallies_event_owed ON rallies(event_next_try_at) WHERE event_owed > 0`,
		`UPDATE rallies SET title = 'Renamed while stopped', event_owed = 2, event_attempts = 1 WHERE id = `+edited,
		`UPDATE rallies SET event_id = NULL, event_begun_at = 1, event_owed = 1 WHERE id = `+lost,
		`DELETE FROM channel_posts WHERE kind = 'event'`,
		`DELETE FROM migrations WHERE name = '0085_event_outbox.sql'`,
	)

	h.clock.Add(time.Minute)
	h.start()
	h.runJobs()
	h.runJobs()
	if eventNamed(h, "Renamed while stopped") == nil {
		t.Errorf("the edit owed before the migration did not reach the event: %+v", h.fake.ScheduledEvents(guildID))
	}
	events := h.fake.ScheduledEvents(guildID)
	if len(events) != 2 || h.fake.CountRequests("POST", eventsRoute) != creates {
		t.Fatalf("%d events after %d more creates, want the 2 made before", len(events), h.fake.CountRequests("POST", eventsRoute)-creates)
	}
	id, _ := strconv.ParseInt(lost, 10, 64)
	c, err := h.schedDB().CalendarRally(h.ctx(), guildID, id)
	if err != nil || c.EventID == "" || c.EventID != eventNamed(h, c.Title).ID {
		t.Errorf("the lost create's event is not adopted: stored %q (%v)", c.EventID, err)
	}
	edits := h.fake.CountRequests("PATCH", eventRoute)
	h.clock.Add(time.Hour)
	h.runJobs()
	h.runJobs()
	if n := h.fake.CountRequests("PATCH", eventRoute); n != edits || edits == 0 {
		t.Errorf("%d edits of events, then %d: want the syncs made once", edits, n)
	}
	if n := h.privacyCount(`SELECT COUNT(*) FROM channel_posts WHERE kind = 'event' AND state = 'pending'`); n != 0 {
		t.Errorf("%d event syncs still owed", n)
	}
}

// execStopped runs statements, in order, on the database of the stopped
// bot: to put it back in an older layout.
func (h *harness) execStopped(stmts ...string) {
	h.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+h.dbPath+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			h.t.Fatalf("%.60s: %v", q, err)
		}
	}
}
