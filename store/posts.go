package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The outbox: every message owed to a Discord channel is a row of
// channel_posts, owed in the transaction that makes it owed (so a crash
// after the commit cannot lose it), with the nonce it is sent with fixed
// then (so a retry cannot post it twice), and begun_at set before the first
// send (so an attempt after a crash looks for the message first). A kind
// says what the post is; its key makes owing it idempotent; args are the
// kind's typed arguments.

// PostKind says what a message owed to a channel is.
type PostKind string

// Kinds of channel post.
const (
	// PostActionAsk asks a chapter's lead role to set the place of its
	// rally of a day of action.
	PostActionAsk PostKind = "action_ask"
	// PostActionCancel tells a chapter the day of action is off.
	PostActionCancel PostKind = "action_cancel"
	// PostRallyCancel tells a rally's channel it is cancelled.
	PostRallyCancel PostKind = "rally_cancel"
	// PostSeriesCancel tells a series' channel the rest of it is cancelled.
	PostSeriesCancel PostKind = "series_cancel"
	// PostRallyChange tells a rally's channel its time or place changed.
	PostRallyChange PostKind = "rally_change"
	// PostAnnounce is a rally's announcement: at /rally create, or when a
	// series' earlier occurrences are over.
	PostAnnounce PostKind = "announce"
	// PostReminder is a rally's reminder at an offset before its start.
	PostReminder PostKind = "reminder"
	// PostStaffing tells a chapter a rally is short of a role minimum.
	PostStaffing PostKind = "staffing"
	// PostNote tells the coordinators of a problem (a channel the bot
	// cannot post in), once.
	PostNote PostKind = "note"
	// PostSummary is one message of a guild's scheduled summary.
	PostSummary PostKind = "summary"
)

// OfAction reports whether posts of the kind belong to a day of action.
func (k PostKind) OfAction() bool { return k == PostActionAsk || k == PostActionCancel }

// Notice words a post a rally owes its channel, given the post's id: the
// message, and the marker in it (naming the id) by which a send whose outcome
// was lost is found in the channel.
type Notice func(postID int64) (body, marker string)

// PostArgs are the typed arguments of the kinds that have any.
type PostArgs struct {
	// OffsetS is a reminder's offset before the start, in seconds.
	OffsetS int64 `json:"offset_s,omitempty"`
	// Languages is, for a staffing alert, how many kinds of interpretation
	// members going need.
	Languages int `json:"languages,omitempty"`
	// Arm: an announcement that, once sent, arms its rally's reminders.
	Arm bool `json:"arm,omitempty"`
	// Slot, Part and Parts place a summary's message: its run, and which
	// of how many messages it is (from 0).
	Slot  int64 `json:"slot,omitempty"`
	Part  int   `json:"part,omitempty"`
	Parts int   `json:"parts,omitempty"`
	// MessageID is the message an operation on a DM acts on (in the
	// post's channel).
	MessageID string `json:"message_id,omitempty"`
	// Lang is the language ("en", "es") a DM was written in, for an
	// operation that words it again.
	Lang string `json:"lang,omitempty"`
}

// Offset is a reminder's offset before its rally's start.
func (a PostArgs) Offset() time.Duration { return time.Duration(a.OffsetS) * time.Second }

// ChannelPost is a message owed to a channel, as stored. Its State is one of
// the reminder states (pending, sent, failed, dropped).
type ChannelPost struct {
	ID      int64
	Kind    PostKind
	Key     string
	GuildID string
	Rally   Rally  // zero for a post of no rally (a note, a summary)
	Action  Action // the day of action of an action's post; zero otherwise
	// ChannelID is where it goes; "" for the kind's place, decided when it
	// is sent.
	ChannelID string
	RoleID    string
	// Body and Marker are the message as worded when it was owed; "" for
	// the kinds worded when sent.
	Body      string
	Marker    string
	Args      PostArgs
	State     ReminderState
	Nonce     string
	Attempts  int
	DueAt     time.Time
	BegunAt   time.Time // zero until a send was begun
	MessageID string
	UpdatedAt time.Time
}

// Owed is a post to owe.
type Owed struct {
	Kind      PostKind
	Key       string
	GuildID   string
	RallyID   int64
	ActionID  int64
	ChannelID string
	RoleID    string
	Body      string
	Marker    string
	Args      PostArgs
	DueAt     time.Time
	// Rearm owes it again if it is owed already (a re-timed rally's
	// reminder): pending from DueAt, with a new nonce, not begun. Otherwise
	// owing what is owed already changes nothing.
	Rearm bool
}

// owe records a post, once per key; it returns the row's id and whether it
// was written now.
func owe(ctx context.Context, tx *Tx, o Owed) (id int64, fresh bool, err error) {
	args, err := json.Marshal(o.Args)
	if err != nil {
		return 0, false, err
	}
	conflict := `DO NOTHING`
	if o.Rearm {
		conflict = `DO UPDATE SET due_at = excluded.due_at, state = 'pending', nonce = excluded.nonce, attempts = 0,
			begun_at = NULL, message_id = NULL, args = excluded.args, updated_at = excluded.updated_at`
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO channel_posts (kind, key, guild_id, rally_id, action_id, channel_id, role_id, body, marker, args, nonce, due_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) `+conflict,
		o.Kind, o.Key, o.GuildID, nullID(o.RallyID), nullID(o.ActionID), o.ChannelID, o.RoleID, o.Body, o.Marker, string(args),
		NewNonce(), o.DueAt.Unix(), tx.now.Unix())
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	tx.owed = true
	err = tx.QueryRowContext(ctx, `SELECT id FROM channel_posts WHERE key = ?`, o.Key).Scan(&id)
	return id, true, err
}

func nullID(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// owePost records a notice a rally owes its channel, worded by words once
// its id is known, due at once.
func owePost(ctx context.Context, tx *Tx, rallyID int64, kind PostKind, channelID string, words Notice) error {
	var guildID string
	if err := tx.QueryRowContext(ctx, `SELECT guild_id FROM rallies WHERE id = ?`, rallyID).Scan(&guildID); err != nil {
		return err
	}
	id, _, err := owe(ctx, tx, Owed{Kind: kind, Key: string(kind) + ":" + NewNonce(), GuildID: guildID, RallyID: rallyID,
		ChannelID: channelID, DueAt: tx.now})
	if err != nil {
		return err
	}
	body, marker := words(id)
	_, err = tx.ExecContext(ctx, `UPDATE channel_posts SET body = ?, marker = ? WHERE id = ?`, body, marker, id)
	return err
}

const postColumns = `p.id, p.kind, p.key, p.guild_id, COALESCE(p.rally_id, 0), COALESCE(p.action_id, 0), p.channel_id, p.role_id,
	p.body, p.marker, p.args, p.state, p.nonce, p.attempts, p.due_at, COALESCE(p.begun_at, 0), COALESCE(p.message_id, ''), p.updated_at`

// posts reads the posts a query selects (postColumns FROM channel_posts p),
// with their rallies and actions, as of one moment.
func (db *DB) posts(ctx context.Context, _ rowsQueryer, query string, args ...any) ([]ChannelPost, error) {
	q, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer q.Rollback()
	rows, err := q.QueryContext(ctx, `SELECT `+postColumns+` FROM channel_posts p `+query, args...)
	if err != nil {
		return nil, err
	}
	var out []ChannelPost
	for rows.Next() {
		var p ChannelPost
		var rallyID, actionID, due, begun, updated int64
		var args string
		if err := rows.Scan(&p.ID, &p.Kind, &p.Key, &p.GuildID, &rallyID, &actionID, &p.ChannelID, &p.RoleID, &p.Body, &p.Marker,
			&args, &p.State, &p.Nonce, &p.Attempts, &due, &begun, &p.MessageID, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(args), &p.Args); err != nil {
			rows.Close()
			return nil, err
		}
		p.Rally.ID, p.Action.ID = rallyID, actionID
		p.DueAt, p.UpdatedAt = time.Unix(due, 0).UTC(), time.Unix(updated, 0).UTC()
		if begun != 0 {
			p.BegunAt = time.Unix(begun, 0).UTC()
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Their rallies in one query, whatever the number of posts: the ids go
	// in as one JSON array.
	var ids []int64
	for _, p := range out {
		if p.Rally.ID != 0 {
			ids = append(ids, p.Rally.ID)
		}
	}
	if len(ids) > 0 {
		list, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		rallies, err := scanRallies(q.QueryContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id IN (SELECT value FROM json_each(?))`, string(list)))
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]Rally, len(rallies))
		for _, r := range rallies {
			byID[r.ID] = r
		}
		for i := range out {
			if r, ok := byID[out[i].Rally.ID]; ok {
				out[i].Rally = r
			}
		}
	}
	for i := range out {
		p := &out[i]
		if p.Action.ID != 0 {
			a, err := actionByID(ctx, q, p.GuildID, p.Action.ID)
			if err != nil {
				return nil, err
			}
			p.Action = a
		}
	}
	return out, nil
}

// dueChannelPosts selects pending posts due at ?1, oldest first, up to ?2.
// It walks the partial index of pending posts, so its cost does not grow
// with the history of sent ones.
const dueChannelPosts = `WHERE p.state = 'pending' AND p.due_at <= ?1 ORDER BY p.due_at, p.id LIMIT ?2`

const dueChannelPostsQuery = `SELECT ` + postColumns + ` FROM channel_posts p ` + dueChannelPosts

// DueChannelPosts returns up to max pending posts whose (re)try time has
// come, oldest first.
func (db *DB) DueChannelPosts(ctx context.Context, now time.Time, max int) (_ []ChannelPost, err error) {
	defer wrap(&err, "due channel posts")
	return db.posts(ctx, db.read, dueChannelPosts, now.Unix(), max)
}

// ChannelPostByID returns one post; ok is false when there is none (its
// rally was deleted).
func (db *DB) ChannelPostByID(ctx context.Context, id int64) (p ChannelPost, ok bool, err error) {
	defer wrap(&err, "channel post")
	ps, err := db.posts(ctx, db.read, `WHERE p.id = ?`, id)
	if err != nil || len(ps) == 0 {
		return p, false, err
	}
	return ps[0], true, nil
}

// ActionPosts returns every post of an action of the kind, by chapter name.
func (db *DB) ActionPosts(ctx context.Context, actionID int64, kind PostKind) (_ []ChannelPost, err error) {
	defer wrap(&err, "action posts")
	return db.posts(ctx, db.read, `JOIN rallies r ON r.id = p.rally_id JOIN chapters c ON c.id = r.chapter_id
		WHERE p.action_id = ? AND p.kind = ? ORDER BY c.name COLLATE NOCASE`, actionID, kind)
}

// PendingRallyPosts returns the pending notices the rallies owe their
// channels and support channels (not those of a day of action, nor their
// announcements and reminders), oldest first: for the command that owed
// them to send at once.
func (db *DB) PendingRallyPosts(ctx context.Context, rallyIDs ...int64) (_ []ChannelPost, err error) {
	defer wrap(&err, "pending rally posts")
	var out []ChannelPost
	for _, id := range rallyIDs {
		posts, err := db.posts(ctx, db.read, `WHERE p.rally_id = ? AND p.kind IN (?, ?, ?, ?, ?, ?) AND p.state = 'pending' ORDER BY p.id`,
			id, PostRallyCancel, PostSeriesCancel, PostRallyChange, PostReportAsk, PostSafeHelp, PostSafeLate)
		if err != nil {
			return nil, err
		}
		out = append(out, posts...)
	}
	return out, nil
}

// LastRallyPost returns the rally's latest post of the kind, whatever its
// state; ok is false when none.
func (db *DB) LastRallyPost(ctx context.Context, rallyID int64, kind PostKind) (p ChannelPost, ok bool, err error) {
	defer wrap(&err, "last rally post")
	ps, err := db.posts(ctx, db.read, `WHERE p.rally_id = ? AND p.kind = ? ORDER BY p.id DESC LIMIT 1`, rallyID, kind)
	if err != nil || len(ps) == 0 {
		return p, false, err
	}
	return ps[0], true, nil
}

// PostOf returns the post of the key, whatever its state; ok is false when
// none.
func (db *DB) PostOf(ctx context.Context, key string) (p ChannelPost, ok bool, err error) {
	defer wrap(&err, "post")
	ps, err := db.posts(ctx, db.read, `WHERE p.key = ?`, key)
	if err != nil || len(ps) == 0 {
		return p, false, err
	}
	return ps[0], true, nil
}

// BeginChannelPost records that a send of the post is about to be made. It
// returns the post's state, and whether an earlier send was begun (it may
// have reached the channel: look for it before sending again). Only a
// pending post is to be sent.
func (db *DB) BeginChannelPost(ctx context.Context, p ChannelPost) (state ReminderState, resumed bool, err error) {
	defer wrap(&err, "begin channel post")
	err = db.update(ctx, func(tx *Tx) error {
		var begun sql.NullInt64
		var nonce string
		err := tx.QueryRowContext(ctx, `SELECT state, begun_at, nonce FROM channel_posts WHERE id = ?`, p.ID).Scan(&state, &begun, &nonce)
		if errors.Is(err, sql.ErrNoRows) {
			state = ReminderDropped // its rally was deleted
			return nil
		}
		if err != nil || state != ReminderPending {
			return err
		}
		if nonce != p.Nonce {
			state = ReminderDropped // re-armed since it was read: the new arming is another send
			return nil
		}
		resumed = begun.Valid
		if resumed {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE channel_posts SET begun_at = ?, updated_at = ? WHERE id = ?`, tx.now.Unix(), tx.now.Unix(), p.ID)
		return err
	})
	return state, resumed, err
}

// ChannelPostOutcome is how an attempt at a channel post ended.
type ChannelPostOutcome struct {
	Post      ChannelPost
	State     ReminderState // sent, failed or dropped
	MessageID string        // when sent
}

// FinishChannelPost moves a pending post to its final state (sent with its
// message, failed or dropped). A post no longer pending, or re-armed since
// it was read, is left alone; ok says whether it was moved.
func (db *DB) FinishChannelPost(ctx context.Context, o ChannelPostOutcome) (ok bool, err error) {
	defer wrap(&err, "finish channel post")
	err = db.update(ctx, func(tx *Tx) error {
		ok, err = finishPost(ctx, tx, o)
		return err
	})
	return ok, err
}

func finishPost(ctx context.Context, tx *Tx, o ChannelPostOutcome) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE channel_posts SET state = ?, message_id = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND state = 'pending' AND nonce = ?`,
		o.State, nullIfEmpty(o.MessageID), tx.now.Unix(), o.Post.ID, o.Post.Nonce)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RetryChannelPost leaves a post pending, to be tried again at next with the
// same nonce, one attempt more.
func (db *DB) RetryChannelPost(ctx context.Context, p ChannelPost, next time.Time) (err error) {
	defer wrap(&err, "retry channel post")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET attempts = attempts + 1, due_at = ?, updated_at = ?
			WHERE id = ? AND state = 'pending' AND nonce = ?`,
			next.Unix(), tx.now.Unix(), p.ID, p.Nonce)
		return err
	})
}

// SnoozeChannelPost leaves a post pending until next without counting an
// attempt: it is not its time yet (a series' earlier rally is not over).
func (db *DB) SnoozeChannelPost(ctx context.Context, p ChannelPost, next time.Time) (err error) {
	defer wrap(&err, "snooze channel post")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET due_at = ?, updated_at = ?
			WHERE id = ? AND state = 'pending' AND nonce = ?`,
			next.Unix(), tx.now.Unix(), p.ID, p.Nonce)
		return err
	})
}

// DeleteChannelPost forgets a post (a coordinators' note that could not be
// told, so the next occurrence tells it again).
func (db *DB) DeleteChannelPost(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "delete channel post")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE id = ?`, id)
		return err
	})
}

// dropRallyPosts drops the pending posts of the kinds a rally owes.
func dropRallyPosts(ctx context.Context, tx *Tx, rallyID int64, kinds ...PostKind) error {
	q := `UPDATE channel_posts SET state = 'dropped', updated_at = ? WHERE rally_id = ? AND state = 'pending'`
	args := []any{tx.now.Unix(), rallyID}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// OweNote owes the coordinators of a guild a note of a problem, once until
// ForgetNote: the note's key is remembered (notices) and its post owed in
// one transaction. fresh is false when it was noted already, or the guild
// has no coordinator channel to tell (then nothing is remembered, and the
// next occurrence tries again).
func (db *DB) OweNote(ctx context.Context, guildID, key, body string) (id int64, fresh bool, err error) {
	defer wrap(&err, "owe note")
	err = db.update(ctx, func(tx *Tx) error {
		var channel string
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(coordinator_channel_id, '') FROM guilds WHERE id = ?`, guildID).Scan(&channel)
		if errors.Is(err, sql.ErrNoRows) || err == nil && channel == "" {
			return nil
		}
		if err != nil {
			return err
		}
		db.notes.add(noteKey{guildID, key})
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (guild_id, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			guildID, key, tx.now.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		id, fresh, err = owe(ctx, tx, Owed{Kind: PostNote, Key: "note:" + guildID + ":" + key + ":" + NewNonce(), GuildID: guildID,
			Body: body, Marker: key, DueAt: tx.now})
		return err
	})
	return id, fresh, err
}

// NoteOnce records a notice for a guild and reports whether it is new, so a
// failure is told to the coordinators once, not on every sweep.
func (db *DB) NoteOnce(ctx context.Context, guildID, key string) (fresh bool, err error) {
	defer wrap(&err, "note once")
	err = db.update(ctx, func(tx *Tx) error {
		db.notes.add(noteKey{guildID, key})
		res, err := tx.ExecContext(ctx, `INSERT INTO notices (guild_id, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			guildID, key, tx.now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		return nil
	})
	return fresh, err
}

// ForgetNote removes a notice, so the same problem is told again if it comes
// back (the channel was fixed, then broke again), or if telling it failed.
// With no such notice (the usual case: a post to a working channel) it
// reads and writes nothing (noteCache).
func (db *DB) ForgetNote(ctx context.Context, guildID, key string) (err error) {
	defer wrap(&err, "forget note")
	k := noteKey{guildID, key}
	if !db.notes.has(k) {
		return nil
	}
	db.notes.cleared.Add(1)
	err = db.update(ctx, func(tx *Tx) error {
		db.notes.drop(k)
		_, err := tx.ExecContext(ctx, `DELETE FROM notices WHERE guild_id = ? AND key = ?`, guildID, key)
		return err
	})
	if err != nil {
		db.notes.add(k) // the row may still be there
	}
	return err
}

func postKey(kind PostKind, ids ...int64) string {
	parts := []string{string(kind)}
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ":")
}
