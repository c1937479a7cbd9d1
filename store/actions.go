package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Action is a day of action: one call to action held by several chapters on
// the same day, each chapter's part a rally linked to it.
type Action struct {
	ID           int64
	GuildID      string
	Title        string
	Date         string      // YYYY-MM-DD
	Time         string      // HH:MM in each chapter's own zone
	Status       RallyStatus // RallyScheduled or RallyCancelled
	CancelReason string
}

// Cancelled reports whether the action was called off.
func (a Action) Cancelled() bool { return a.Status == RallyCancelled }

// Errors of actions; commands turns them into sentences.
var (
	ErrNoSuchAction          = errors.New("no such action")
	ErrActionCancelled       = errors.New("action already cancelled")
	ErrActionOver            = errors.New("action already over")
	ErrRallyAlreadyAnnounced = errors.New("rally already announced")
)

// ActionExistsError is returned by CreateAction when the guild already has
// this action (same title, date and time): a retried create finds it.
type ActionExistsError struct{ Action Action }

func (e *ActionExistsError) Error() string {
	return fmt.Sprintf("action #%d already exists", e.Action.ID)
}

// ChaptersChangedError is returned by CreateAction when chapters were removed
// or lost their channel between the caller's check and the transaction.
type ChaptersChangedError struct{ Names []string }

func (e *ChaptersChangedError) Error() string {
	return "chapters removed or without a channel: " + strings.Join(e.Names, ", ")
}

// NewAction is what /action create stores.
type NewAction struct {
	GuildID  string
	Title    string
	Date     string
	Time     string
	Location string // what a rally shows until its place is set
	Details  string
	Capacity int
	Duration time.Duration
	Needs    RoleNeeds // safety role minimums, the same for every rally
	Approval bool      // every rally's Going asks its leads (privacy.go)
	Rallies  []NewActionRally
	// FirstRetry is when the reminder sweep may take over a lead ping the
	// creating command has not posted: the command posts first.
	FirstRetry time.Time
}

// NewActionRally is one chapter's part of a new action.
type NewActionRally struct {
	Chapter  Chapter
	StartsAt time.Time
	HighRisk bool
	SafeHome bool // checks on those who came when it ends (after.go)
}

const actionColumns = `a.id, a.guild_id, a.title, a.local_date, a.local_time, a.status, a.cancel_reason`

func scanAction(row interface{ Scan(...any) error }, extra ...any) (Action, error) {
	var a Action
	err := row.Scan(append([]any{&a.ID, &a.GuildID, &a.Title, &a.Date, &a.Time, &a.Status, &a.CancelReason}, extra...)...)
	return a, err
}

// CreateAction stores the action, one rally per chapter (unannounced, no
// reminders armed) and one pending lead ping per chapter channel, all in one
// transaction: either every chapter gets its rally or none does.
func (db *DB) CreateAction(ctx context.Context, n NewAction) (_ Action, _ []Rally, err error) {
	defer wrap(&err, "create action")
	var act Action
	var rallies []Rally
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO actions (guild_id, title, local_date, local_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			n.GuildID, n.Title, n.Date, n.Time, tx.now.Unix(), tx.now.Unix())
		if isUniqueViolation(err) {
			existing, err := scanAction(tx.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions a
				WHERE a.guild_id = ? AND a.title = ? COLLATE NOCASE AND a.local_date = ? AND a.local_time = ? AND a.status = 'scheduled'`,
				n.GuildID, n.Title, n.Date, n.Time))
			if err != nil {
				return err
			}
			return &ActionExistsError{Action: existing}
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		var changed []string
		for _, nr := range n.Rallies {
			var channel, role string
			err := tx.QueryRowContext(ctx, `SELECT COALESCE(channel_id, ''), COALESCE(lead_role_id, '') FROM chapters
				WHERE id = ? AND guild_id = ? AND removed_at IS NULL`, nr.Chapter.ID, n.GuildID).Scan(&channel, &role)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && channel == "") {
				changed = append(changed, nr.Chapter.Name)
				continue
			}
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `
				INSERT INTO rallies (guild_id, chapter_id, title, location, details, starts_at, ends_at, timezone, capacity, action_id, created_at, updated_at, approval)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				n.GuildID, nr.Chapter.ID, n.Title, n.Location, n.Details, nr.StartsAt.Unix(), nr.StartsAt.Add(n.Duration).Unix(),
				nr.Chapter.TimeZone, nullIfZero(n.Capacity), id, tx.now.Unix(), tx.now.Unix(), n.Approval)
			if err != nil {
				return err
			}
			rallyID, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if err := setHighRisk(ctx, tx, rallyID, nr.HighRisk); err != nil {
				return err
			}
			if err := setRoleNeeds(ctx, tx, rallyID, n.Needs); err != nil {
				return err
			}
			if err := setSafeHome(ctx, tx, rallyID, nr.SafeHome); err != nil {
				return err
			}
			if _, _, err := owe(ctx, tx, Owed{Kind: PostActionAsk, Key: postKey(PostActionAsk, id, rallyID), GuildID: n.GuildID,
				RallyID: rallyID, ActionID: id, ChannelID: channel, RoleID: role, DueAt: n.FirstRetry}); err != nil {
				return err
			}
		}
		if len(changed) > 0 {
			return &ChaptersChangedError{Names: changed}
		}
		act, err = actionByID(ctx, tx, n.GuildID, id)
		if err != nil {
			return err
		}
		rallies, err = actionRallies(ctx, tx, id)
		return err
	})
	return act, rallies, err
}

type rowsQueryer interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func actionByID(ctx context.Context, q queryer, guildID string, id int64) (Action, error) {
	a, err := scanAction(q.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions a WHERE a.id = ? AND a.guild_id = ?`, id, guildID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNoSuchAction
	}
	return a, err
}

func actionRallies(ctx context.Context, q rowsQueryer, actionID int64) ([]Rally, error) {
	return scanRallies(q.QueryContext(ctx,
		`SELECT `+rallyColumns+rallyFrom+`WHERE r.action_id = ? ORDER BY c.name COLLATE NOCASE, r.id`, actionID))
}

// Action returns one action of the guild; one of another guild is
// ErrNoSuchAction, like one that does not exist.
func (db *DB) Action(ctx context.Context, guildID string, id int64) (_ Action, err error) {
	defer wrap(&err, "action")
	return actionByID(ctx, db.read, guildID, id)
}

// ActionRallies returns the rallies of an action, by chapter name.
func (db *DB) ActionRallies(ctx context.Context, actionID int64) (_ []Rally, err error) {
	defer wrap(&err, "action rallies")
	return actionRallies(ctx, db.read, actionID)
}

// UpcomingActions lists the scheduled actions of a guild with a rally that
// is not cancelled and has not ended at now, soonest first (an action whose
// rallies were all cancelled one by one is no longer upcoming); search, if set, is matched against the
// title and the date.
func (db *DB) UpcomingActions(ctx context.Context, guildID string, now time.Time, search string, max int) (_ []Action, err error) {
	defer wrap(&err, "upcoming actions")
	rows, err := db.read.QueryContext(ctx, `SELECT `+actionColumns+` FROM actions a
		WHERE a.guild_id = ? AND a.status = 'scheduled'
			AND EXISTS (SELECT 1 FROM rallies r WHERE r.action_id = a.id AND r.status != 'cancelled' AND r.ends_at > ?)
		ORDER BY a.local_date, a.local_time, a.id`, guildID, now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	needle := strings.ToLower(strings.TrimSpace(search))
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		if needle != "" && !strings.Contains(strings.ToLower(a.Title+" "+a.Date), needle) {
			continue
		}
		out = append(out, a)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out, rows.Err()
}

// ActionsOfRallies returns the action of each given rally that has one.
func (db *DB) ActionsOfRallies(ctx context.Context, rallyIDs []int64) (_ map[int64]Action, err error) {
	defer wrap(&err, "actions of rallies")
	out := map[int64]Action{}
	if len(rallyIDs) == 0 {
		return out, nil
	}
	// One query for the lot: a summary asks for a thousand rallies, and a
	// query each was two fifths of its time.
	ids, err := json.Marshal(rallyIDs)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+actionColumns+`, r.id FROM rallies r JOIN actions a ON a.id = r.action_id
		WHERE r.id IN (SELECT value FROM json_each(?))`, string(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		a, err := scanAction(rows, &id)
		if err != nil {
			return nil, err
		}
		out[id] = a
	}
	return out, rows.Err()
}

// AnnounceRally records the announcement of a rally that was waiting for
// its place and arms its reminders, which wait for the announcement. It
// returns ErrRallyAlreadyAnnounced if another announcement got there first.
func (db *DB) AnnounceRally(ctx context.Context, rallyID int64, channelID, messageID string, reminderOffsets []time.Duration) (err error) {
	defer wrap(&err, "announce rally")
	return db.update(ctx, func(tx *Tx) error {
		var start int64
		err := tx.QueryRowContext(ctx, `SELECT starts_at FROM rallies WHERE id = ? AND message_id IS NULL AND status = 'scheduled'`,
			rallyID).Scan(&start)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrRallyAlreadyAnnounced
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rallies SET channel_id = ?, message_id = ?, updated_at = ? WHERE id = ?`,
			channelID, messageID, tx.now.Unix(), rallyID); err != nil {
			return err
		}
		// The lead set the place: the request to do so is moot if still unsent.
		if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = 'dropped', updated_at = ?
			WHERE rally_id = ? AND kind = 'action_ask' AND state = 'pending'`, tx.now.Unix(), rallyID); err != nil {
			return err
		}
		if err := oweEvent(ctx, tx, rallyID); err != nil {
			return err
		}
		return armReminders(ctx, tx, rallyID, time.Unix(start, 0).UTC(), reminderOffsets)
	})
}

// DisarmUnannounced drops the pending reminders of a rally still waiting for
// its place (re-timing it arms them): it is reminded of once announced.
func (db *DB) DisarmUnannounced(ctx context.Context, rallyID int64) (err error) {
	defer wrap(&err, "disarm unannounced")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = 'dropped', updated_at = ?
			WHERE rally_id = ? AND kind = 'reminder' AND state = 'pending'
				AND EXISTS (SELECT 1 FROM rallies WHERE id = ? AND message_id IS NULL)`, tx.now.Unix(), rallyID, rallyID)
		return err
	})
}

// CancelAction cancels the action and each of its rallies not yet over, once:
// their reminders and unsent lead pings are dropped, each member going,
// maybe or waitlisted is owed the notice of it, and one pending cancellation
// post is recorded per rally whose chapter was told of it. It returns the
// rallies it cancelled.
func (db *DB) CancelAction(ctx context.Context, guildID string, id int64, reason string) (_ Action, _ []Rally, err error) {
	defer wrap(&err, "cancel action")
	var act Action
	var cancelled []Rally
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		if act, err = actionByID(ctx, tx, guildID, id); err != nil {
			return err
		}
		if act.Cancelled() {
			return ErrActionCancelled
		}
		rallies, err := actionRallies(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, r := range rallies {
			if r.Cancelled() || !tx.now.Before(r.EndsAt) {
				continue
			}
			cancelled = append(cancelled, r)
		}
		if len(cancelled) == 0 {
			return ErrActionOver
		}
		if _, err := tx.ExecContext(ctx, `UPDATE actions SET status = 'cancelled', cancel_reason = ?, updated_at = ? WHERE id = ?`,
			reason, tx.now.Unix(), id); err != nil {
			return err
		}
		for i, r := range cancelled {
			// As /rally cancel would: the members' notices are owed in
			// this transaction, and calendars see a new revision.
			if err := markCancelled(ctx, tx, r.ID, reason); err != nil {
				return err
			}
			// Tell the channel that heard of the rally: where it was
			// announced, else where its lead was asked for a place. An ask
			// never sent is dropped, and then nobody there needs telling.
			var askChannel string
			var askState ReminderState
			err := tx.QueryRowContext(ctx, `SELECT channel_id, state FROM channel_posts WHERE rally_id = ? AND kind = 'action_ask'`, r.ID).
				Scan(&askChannel, &askState)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = 'dropped', updated_at = ?
				WHERE rally_id = ? AND kind = 'action_ask' AND state = 'pending'`, tx.now.Unix(), r.ID); err != nil {
				return err
			}
			channel := r.ChannelID
			if channel == "" && askState == ReminderSent {
				channel = askChannel
			}
			if channel != "" {
				if _, _, err := owe(ctx, tx, Owed{Kind: PostActionCancel, Key: postKey(PostActionCancel, id, r.ID), GuildID: r.GuildID,
					RallyID: r.ID, ActionID: id, ChannelID: channel, DueAt: tx.now}); err != nil {
					return err
				}
			}
			cancelled[i].Status, cancelled[i].CancelReason = RallyCancelled, reason
		}
		act.Status, act.CancelReason = RallyCancelled, reason
		return nil
	})
	return act, cancelled, err
}
