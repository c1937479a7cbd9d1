package bot_test

import (
	"context"
	"database/sql"
	"net/url"
	"time"

	"rallybot/store"
)

// What the bot keeps that no command shows (a reminder's or an alert's
// state, a series' rallies, the DMs of a burst) is read straight from its
// database file, as an operator would with sqlite3: the store has no API
// that only tests would call.

// sql opens the bot's database read-only alongside it (WAL lets both in).
func (h *harness) sql() *sql.DB {
	h.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(h.dbPath)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// reminders lists a rally's channel reminders, soonest first.
func (h *harness) reminders(rallyID int64) ([]store.Reminder, error) {
	rows, err := h.sql().QueryContext(context.Background(), `
		SELECT json_extract(args, '$.offset_s'), due_at, state, COALESCE(message_id, ''), attempts
		FROM channel_posts WHERE rally_id = ? AND kind = 'reminder' ORDER BY due_at`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Reminder
	for rows.Next() {
		var r store.Reminder
		var off, due int64
		if err := rows.Scan(&off, &due, &r.State, &r.MessageID, &r.Attempts); err != nil {
			return nil, err
		}
		r.Offset, r.DueAt = time.Duration(off)*time.Second, time.Unix(due, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// staffingAlertState is the state of a rally's staffing alert ("" if none)
// and the message it was posted as.
func (h *harness) staffingAlertState(rallyID int64) (state store.ReminderState, messageID string, err error) {
	err = h.sql().QueryRowContext(context.Background(), `SELECT state, COALESCE(message_id, '') FROM channel_posts WHERE key = 'staffing:' || ?`, rallyID).
		Scan(&state, &messageID)
	if err == sql.ErrNoRows {
		return "", "", nil
	}
	return state, messageID, err
}

// seriesRallies returns every occurrence of a series, in order.
func (h *harness) seriesRallies(db *store.DB, seriesID int64) ([]store.Rally, error) {
	rows, err := h.sql().QueryContext(context.Background(), `SELECT id FROM rallies WHERE series_id = ? ORDER BY series_index`, seriesID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []store.Rally
	for _, id := range ids {
		r, err := db.RallyByID(context.Background(), id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
