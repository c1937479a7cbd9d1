package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// After the action (SPEC "After the action"): the safe-home check of those
// who came, the leads' report, and the posts both owe. Each stage of a
// rally's aftermath is marked done in the transaction that owes its
// messages (as member DMs and channel posts), so it happens once.

// Kinds of channel post after a rally.
const (
	// PostReportAsk asks a chapter's leads to report on the rally that ended.
	PostReportAsk PostKind = "report_ask"
	// PostSafeHelp tells the support channel a member pressed "I need help".
	PostSafeHelp PostKind = "safe_help"
	// PostSafeLate lists in the support channel those who did not answer.
	PostSafeLate PostKind = "safe_late"
)

// PingsRole reports whether a post of the kind pings the role it was owed
// with (a rally's own notices ping nobody).
func (k PostKind) PingsRole() bool {
	return k == PostActionAsk || k == PostReportAsk || k == PostSafeHelp || k == PostSafeLate
}

// DMSafeHome is the "Home safe?" DM, sent when the rally ends.
const DMSafeHome DMKind = "safe_home"

// SafeHomeKeep is how long after a rally's end its safe-home rows are kept.
const SafeHomeKeep = 24 * time.Hour

// ReportWindow is how long after its end a rally's report may be changed.
const ReportWindow = 7 * 24 * time.Hour

// endedWindow is how late a rally's end is still handled: an end missed for
// longer while the bot was down is not asked about any more.
const endedWindow = 24 * time.Hour

// ChapterSupport is a chapter's safe-home default and its support team.
type ChapterSupport struct {
	SafeHome         bool
	SupportChannelID string
	SupportRoleID    string
}

// ChapterSupportUpdate changes what is not nil.
type ChapterSupportUpdate struct {
	SafeHome         *bool
	SupportChannelID *string
	SupportRoleID    *string
}

// IsZero reports whether the update changes nothing.
func (u ChapterSupportUpdate) IsZero() bool {
	return u.SafeHome == nil && u.SupportChannelID == nil && u.SupportRoleID == nil
}

// ChapterSupport returns a chapter's safe-home settings (zero if never set).
func (db *DB) ChapterSupport(ctx context.Context, chapterID int64) (s ChapterSupport, err error) {
	defer wrap(&err, "chapter support")
	err = db.read.QueryRowContext(ctx, `SELECT safe_home, support_channel_id, support_role_id FROM chapter_support WHERE chapter_id = ?`,
		chapterID).Scan(&s.SafeHome, &s.SupportChannelID, &s.SupportRoleID)
	if errors.Is(err, sql.ErrNoRows) {
		return ChapterSupport{}, nil
	}
	return s, err
}

// SetChapterSupport changes a chapter's safe-home settings and returns them.
func (db *DB) SetChapterSupport(ctx context.Context, chapterID int64, u ChapterSupportUpdate) (s ChapterSupport, err error) {
	defer wrap(&err, "set chapter support")
	err = db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chapter_support (chapter_id) VALUES (?) ON CONFLICT DO NOTHING`, chapterID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chapter_support SET safe_home = COALESCE(?, safe_home),
			support_channel_id = COALESCE(?, support_channel_id), support_role_id = COALESCE(?, support_role_id) WHERE chapter_id = ?`,
			u.SafeHome, u.SupportChannelID, u.SupportRoleID, chapterID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT safe_home, support_channel_id, support_role_id FROM chapter_support WHERE chapter_id = ?`,
			chapterID).Scan(&s.SafeHome, &s.SupportChannelID, &s.SupportRoleID)
	})
	return s, err
}

// setSafeHome records whether a rally checks on its members after it.
func setSafeHome(ctx context.Context, tx *Tx, rallyID int64, on bool) error {
	if !on {
		_, err := tx.ExecContext(ctx, `UPDATE rally_after SET safe_home = 0 WHERE rally_id = ?`, rallyID)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO rally_after (rally_id, safe_home) VALUES (?, 1)
		ON CONFLICT DO UPDATE SET safe_home = 1`, rallyID)
	return err
}

// SetSafeHome turns a rally's safe-home check on or off.
func (db *DB) SetSafeHome(ctx context.Context, rallyID int64, on bool) (err error) {
	defer wrap(&err, "set safe home")
	return db.update(ctx, func(tx *Tx) error { return setSafeHome(ctx, tx, rallyID, on) })
}

// RallyAfter is what a rally keeps of its aftermath.
type RallyAfter struct {
	SafeHome   bool
	Reported   bool
	Crowd      int
	Highlights string
	ReportedAt time.Time
}

// RallyAfter returns a rally's aftermath (zero when it has none).
func (db *DB) RallyAfter(ctx context.Context, rallyID int64) (_ RallyAfter, err error) {
	defer wrap(&err, "rally after")
	m, err := db.RalliesAfter(ctx, []int64{rallyID})
	return m[rallyID], err
}

// RalliesAfter returns the aftermath of each of the rallies that has one.
func (db *DB) RalliesAfter(ctx context.Context, rallyIDs []int64) (_ map[int64]RallyAfter, err error) {
	defer wrap(&err, "rallies after")
	out := make(map[int64]RallyAfter, len(rallyIDs))
	for _, id := range rallyIDs {
		var a RallyAfter
		var crowd, at sql.NullInt64
		err := db.read.QueryRowContext(ctx, `SELECT safe_home, crowd, highlights, reported_at FROM rally_after WHERE rally_id = ?`, id).
			Scan(&a.SafeHome, &crowd, &a.Highlights, &at)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		a.Reported, a.Crowd = crowd.Valid, int(crowd.Int64)
		if at.Valid {
			a.ReportedAt = time.Unix(at.Int64, 0).UTC()
		}
		out[id] = a
	}
	return out, nil
}

// Errors of a report.
var (
	ErrNotEnded      = &Error{Code: EConflict, Desc: "rally not ended"}
	ErrReportClosed  = &Error{Code: EConflict, Desc: "report window closed"}
	ErrNotSafeHome   = &Error{Code: ENotFound, Desc: "no safe-home check"}
	ErrAlreadyAnswer = &Error{Code: EConflict, Desc: "already answered"}
)

// Report records the leads' report of a rally that ended at most
// ReportWindow ago; highlights nil keeps those of an earlier report. It
// returns the highlights as stored, and fresh is false when it replaced an
// earlier report.
func (db *DB) Report(ctx context.Context, guildID string, rallyID int64, crowd int, highlights *string) (r Rally, stored string, fresh bool, err error) {
	defer wrap(&err, "report")
	err = db.update(ctx, func(tx *Tx) error {
		var err error
		if r, err = rallyByID(ctx, tx, guildID, rallyID); err != nil {
			return err
		}
		switch {
		case r.Cancelled():
			return &RallyStateError{Change: ChangeEdit, Title: r.Title, Err: ErrRallyCancelled}
		case tx.now.Before(r.EndsAt):
			return ErrNotEnded
		case tx.now.After(r.EndsAt.Add(ReportWindow)):
			return ErrReportClosed
		}
		var before sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT crowd, highlights FROM rally_after WHERE rally_id = ?`, rallyID).Scan(&before, &stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		fresh = !before.Valid
		if highlights != nil {
			stored = *highlights
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO rally_after (rally_id, crowd, highlights, reported_at) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT DO UPDATE SET crowd = ?2, highlights = ?3, reported_at = ?4`, rallyID, crowd, stored, tx.now.Unix())
		return err
	})
	return r, stored, fresh, err
}

// EndedWork is what ending rallies owe, worded by the caller once the
// rally is known.
type EndedWork struct {
	// ReportAsk words the report prompt to the rally's channel; nil: none.
	ReportAsk func(r Rally) Notice
}

// EndRallies handles every announced, scheduled rally that ended after
// now-endedWindow and at or before now and was not handled yet: in one
// transaction per rally it owes the report prompt (pinging the lead role)
// and, for a safe-home rally, a safe-home row and DM to each member who
// checked in or held a role and has not turned the check off. It returns
// the rallies handled.
func (db *DB) EndRallies(ctx context.Context, now time.Time, w EndedWork) (ended []Rally, err error) {
	defer wrap(&err, "end rallies")
	ids, err := queryIDs(ctx, db.read, `SELECT r.id FROM rallies r LEFT JOIN rally_after a ON a.rally_id = r.id
		WHERE r.status = 'scheduled' AND r.message_id IS NOT NULL AND r.ends_at <= ? AND r.ends_at > ? AND a.ended_at IS NULL
		ORDER BY r.ends_at, r.id`, now.Unix(), now.Add(-endedWindow).Unix())
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		err := db.update(ctx, func(tx *Tx) error {
			var done sql.NullInt64
			var safe bool
			err := tx.QueryRowContext(ctx, `SELECT ended_at, safe_home FROM rally_after WHERE rally_id = ?`, id).Scan(&done, &safe)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if done.Valid {
				return nil // handled meanwhile
			}
			r, err := scanRally(tx.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, id))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO rally_after (rally_id, ended_at) VALUES (?1, ?2)
				ON CONFLICT DO UPDATE SET ended_at = ?2`, id, tx.now.Unix()); err != nil {
				return err
			}
			if safe {
				if _, err := tx.ExecContext(ctx, `
					INSERT INTO safe_home (rally_id, user_id)
					SELECT ?1, user_id FROM checkins WHERE rally_id = ?1
					UNION SELECT ?1, user_id FROM role_signups WHERE rally_id = ?1
					EXCEPT SELECT ?1, user_id FROM safe_home_optout WHERE guild_id = ?2`, id, r.GuildID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `
					INSERT INTO member_dms (rally_id, kind, user_id, nonce, created_at, updated_at)
					SELECT rally_id, ?2, user_id, lower(hex(randomblob(10))), ?3, ?3 FROM safe_home WHERE rally_id = ?1
					ON CONFLICT DO NOTHING`, id, DMSafeHome, tx.now.Unix()); err != nil {
					return err
				}
				tx.owed = true
			}
			if w.ReportAsk != nil && r.ChannelID != "" {
				if err := owePostWithRole(ctx, tx, id, PostReportAsk, r.ChannelID, r.ChapterLeadRoleID, w.ReportAsk(r)); err != nil {
					return err
				}
			}
			ended = append(ended, r)
			return nil
		})
		if err != nil {
			return ended, err
		}
	}
	return ended, nil
}

// owePostWithRole is owePost for a post that pings a role (its id in the
// row, so the send allows that one mention).
func owePostWithRole(ctx context.Context, tx *Tx, rallyID int64, kind PostKind, channelID, roleID string, words Notice) error {
	if err := owePost(ctx, tx, rallyID, kind, channelID, words); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE channel_posts SET role_id = ? WHERE id = (SELECT MAX(id) FROM channel_posts WHERE rally_id = ?)`,
		roleID, rallyID)
	return err
}

// SafeHomeAnswer is what a member said to "Home safe?".
type SafeHomeAnswer string

// Answers to "Home safe?".
const (
	AnswerSafe SafeHomeAnswer = "safe"
	AnswerHelp SafeHomeAnswer = "help"
)

// SafeHomeHelp words the call for help of a member for the support channel.
type SafeHomeHelp func(r Rally, support ChapterSupport, userID string) Notice

// AnswerSafeHome records a member's answer to the rally's "Home safe?". A
// call for help owes, in the same transaction, its post to the chapter's
// support channel (help words it). It returns the answer recorded before
// (a call for help is never taken back by a later "safe"; a "safe" may be
// followed by a call for help). ErrNotSafeHome: the member was not asked,
// or the rows are gone.
func (db *DB) AnswerSafeHome(ctx context.Context, rallyID int64, userID string, answer SafeHomeAnswer, help SafeHomeHelp) (r Rally, before SafeHomeAnswer, err error) {
	defer wrap(&err, "answer safe home")
	err = db.update(ctx, func(tx *Tx) error {
		var prior sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT answer FROM safe_home WHERE rally_id = ? AND user_id = ?`, rallyID, userID).Scan(&prior)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotSafeHome
		}
		if err != nil {
			return err
		}
		before = SafeHomeAnswer(prior.String)
		if r, err = scanRally(tx.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, rallyID)); err != nil {
			return err
		}
		if before == AnswerHelp || before == answer {
			return ErrAlreadyAnswer
		}
		if _, err := tx.ExecContext(ctx, `UPDATE safe_home SET answer = ?, answered_at = ? WHERE rally_id = ? AND user_id = ?`,
			answer, tx.now.Unix(), rallyID, userID); err != nil {
			return err
		}
		if answer != AnswerHelp {
			return nil
		}
		return oweSafeHelp(ctx, tx, r, userID, help)
	})
	return r, before, err
}

// RetractSafeHomeHelp takes back a member's call for help that could not
// reach the support channel: their answer is again what it was before, so
// they may call again and, unanswered, are listed late.
func (db *DB) RetractSafeHomeHelp(ctx context.Context, rallyID int64, userID string, before SafeHomeAnswer) (err error) {
	defer wrap(&err, "retract safe home help")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE safe_home SET answer = NULLIF(?, ''), answered_at = CASE WHEN ? = '' THEN NULL ELSE answered_at END
			WHERE rally_id = ? AND user_id = ? AND answer = ?`, string(before), string(before), rallyID, userID, string(AnswerHelp))
		return err
	})
}

// AnswerSafeHomeUnrecorded takes an answer to "Home safe?" from a high-risk
// rally that has ended: it keeps no record of whom it asked (its rows went
// with every other member id at its end), so the answer is taken as it
// comes, within SafeHomeKeep of the end, and not recorded; a call for help
// owes its post as AnswerSafeHome's does. The caller takes it only from the
// member's DM with the bot, where the button is the bot's own message to
// them. ErrNotSafeHome: not such a rally, or past the day.
func (db *DB) AnswerSafeHomeUnrecorded(ctx context.Context, rallyID int64, userID string, answer SafeHomeAnswer, help SafeHomeHelp) (r Rally, err error) {
	defer wrap(&err, "answer safe home unrecorded")
	err = db.update(ctx, func(tx *Tx) error {
		var purged sql.NullInt64
		var safe bool
		err := tx.QueryRowContext(ctx, `SELECT r.rsvps_purged_at, COALESCE(a.safe_home, 0) FROM rallies r
			LEFT JOIN rally_after a ON a.rally_id = r.id WHERE r.id = ?`, rallyID).Scan(&purged, &safe)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotSafeHome
		}
		if err != nil {
			return err
		}
		if r, err = scanRally(tx.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, rallyID)); err != nil {
			return err
		}
		if !r.HighRisk || !safe || !purged.Valid || !tx.now.Before(r.EndsAt.Add(SafeHomeKeep)) {
			return ErrNotSafeHome
		}
		if answer != AnswerHelp {
			return nil
		}
		return oweSafeHelp(ctx, tx, r, userID, help)
	})
	return r, err
}

// oweSafeHelp owes, in tx, a member's call for help to the support channel
// of the rally's chapter; none without one (the caller tells the member
// whom to reach instead).
func oweSafeHelp(ctx context.Context, tx *Tx, r Rally, userID string, help SafeHomeHelp) error {
	var s ChapterSupport
	err := tx.QueryRowContext(ctx, `SELECT safe_home, support_channel_id, support_role_id FROM chapter_support WHERE chapter_id = ?`,
		r.ChapterID).Scan(&s.SafeHome, &s.SupportChannelID, &s.SupportRoleID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if s.SupportChannelID == "" {
		return nil
	}
	return owePostWithRole(ctx, tx, r.ID, PostSafeHelp, s.SupportChannelID, s.SupportRoleID, help(r, s, userID))
}

// SafeHomeLate words one post of the list of members who did not answer,
// for the support channel: userIDs are the post's, total the whole list's
// (a long list goes in several posts).
type SafeHomeLate func(r Rally, support ChapterSupport, userIDs []string, total int) Notice

// lateChunk is how many members one post lists, to stay within a message.
const lateChunk = 50

// ListUnanswered handles each safe-home rally whose end was at least after
// ago and whose unanswered members were not listed yet: in one transaction
// it owes the support channel the list of those who did not answer (none
// if all did) and marks it done. It returns the rallies handled.
func (db *DB) ListUnanswered(ctx context.Context, now time.Time, after time.Duration, words SafeHomeLate) (rallies []int64, err error) {
	defer wrap(&err, "list unanswered")
	ids, err := queryIDs(ctx, db.read, `SELECT a.rally_id FROM rally_after a JOIN rallies r ON r.id = a.rally_id
		WHERE a.safe_home = 1 AND a.ended_at IS NOT NULL AND a.late_at IS NULL AND r.ends_at <= ?`, now.Add(-after).Unix())
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		err := db.update(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE rally_after SET late_at = ? WHERE rally_id = ? AND late_at IS NULL`, tx.now.Unix(), id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			r, err := scanRally(tx.QueryRowContext(ctx, `SELECT `+rallyColumns+rallyFrom+`WHERE r.id = ?`, id))
			if err != nil {
				return err
			}
			var s ChapterSupport
			err = tx.QueryRowContext(ctx, `SELECT safe_home, support_channel_id, support_role_id FROM chapter_support WHERE chapter_id = ?`,
				r.ChapterID).Scan(&s.SafeHome, &s.SupportChannelID, &s.SupportRoleID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT user_id FROM safe_home WHERE rally_id = ? AND answer IS NULL ORDER BY user_id`, id)
			if err != nil {
				return err
			}
			var users []string
			for rows.Next() {
				var u string
				if err := rows.Scan(&u); err != nil {
					rows.Close()
					return err
				}
				users = append(users, u)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			rallies = append(rallies, id)
			if s.SupportChannelID == "" {
				return nil
			}
			for i := 0; i < len(users); i += lateChunk {
				chunk := users[i:min(i+lateChunk, len(users))]
				if err := owePostWithRole(ctx, tx, id, PostSafeLate, s.SupportChannelID, s.SupportRoleID, words(r, s, chunk, len(users))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rallies, err
		}
	}
	return rallies, nil
}

// PurgeSafeHome deletes, for each rally that ended at least SafeHomeKeep
// before now, every row naming a member its safe-home check made: the
// answers, the DMs' records, and the support channel's posts (whose text
// mentions them). The DMs themselves stay on Discord (pressed, they say the
// check is closed), their deletion owed for later, by channel and message
// only: at retention, or at once when their member asks to be forgotten
// (DMDeletionsNow). It returns how many rallies it cleared.
func (db *DB) PurgeSafeHome(ctx context.Context, now time.Time) (n int, err error) {
	defer wrap(&err, "purge safe home")
	err = db.update(ctx, func(tx *Tx) error {
		ids, err := queryIDs(ctx, tx, `SELECT a.rally_id FROM rally_after a JOIN rallies r ON r.id = a.rally_id
			WHERE a.ended_at IS NOT NULL AND a.purged_at IS NULL AND r.ends_at <= ?`, now.Add(-SafeHomeKeep).Unix())
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := oweDMDeletions(ctx, tx, `rally_id = ? AND kind = '`+string(DMSafeHome)+`'`, []any{id}, keptDMDeletion); err != nil {
				return err
			}
			for _, q := range []string{
				`DELETE FROM safe_home WHERE rally_id = ?1`,
				`DELETE FROM member_dms WHERE rally_id = ?1 AND kind = '` + string(DMSafeHome) + `'`,
				`DELETE FROM channel_posts WHERE rally_id = ?1 AND kind IN ('` + string(PostSafeHelp) + `', '` + string(PostSafeLate) + `')`,
				`UPDATE rally_after SET purged_at = ?2, late_at = COALESCE(late_at, ?2) WHERE rally_id = ?1`,
			} {
				if _, err := tx.ExecContext(ctx, q, id, tx.now.Unix()); err != nil {
					return err
				}
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// PurgeHighRiskHelp deletes the support channel's posts of high-risk
// rallies that are sent (or never to be): their calls for help come after
// the end, when every other member id of the rally is gone, and once
// Discord has them the database keeps none. Those still to be sent stay.
// It returns how many it deleted.
func (db *DB) PurgeHighRiskHelp(ctx context.Context) (n int, err error) {
	defer wrap(&err, "purge high-risk help")
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM channel_posts WHERE kind IN (?, ?) AND state <> 'pending'
			AND rally_id IN (SELECT id FROM rallies WHERE high_risk = 1)`, PostSafeHelp, PostSafeLate)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		n = int(k)
		return err
	})
	return n, err
}

// SafeHomeRows counts a rally's safe-home rows, for tests and logs.
func (db *DB) SafeHomeRows(ctx context.Context, rallyID int64) (n int, err error) {
	defer wrap(&err, "safe home rows")
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM safe_home WHERE rally_id = ?1) +
		(SELECT COUNT(*) FROM member_dms WHERE rally_id = ?1 AND kind = '`+string(DMSafeHome)+`') +
		(SELECT COUNT(*) FROM channel_posts WHERE rally_id = ?1 AND kind IN ('`+string(PostSafeHelp)+`', '`+string(PostSafeLate)+`'))`,
		rallyID).Scan(&n)
	return n, err
}

// SetSafeHomeDMs turns a member's safe-home DM in a server on or off.
func (db *DB) SetSafeHomeDMs(ctx context.Context, guildID, userID string, on bool) (err error) {
	defer wrap(&err, "set safe home dms")
	return db.update(ctx, func(tx *Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `DELETE FROM safe_home_optout WHERE guild_id = ? AND user_id = ?`, guildID, userID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO safe_home_optout (guild_id, user_id, updated_at) VALUES (?, ?, ?)
				ON CONFLICT DO UPDATE SET updated_at = excluded.updated_at`, guildID, userID, tx.now.Unix())
		}
		return err
	})
}

// SummaryFile is a file a summary run attaches to one of its parts.
type SummaryFile struct {
	Part              int
	Name, ContentType string
	Data              []byte
}

// SaveSummaryFiles stores the files a run attaches, replacing any an
// earlier attempt stored, unless the run is owed already (then the files
// stored before its parts stay).
func (db *DB) SaveSummaryFiles(ctx context.Context, guildID string, scheduledFor time.Time, files []SummaryFile) (err error) {
	defer wrap(&err, "save summary files")
	return db.update(ctx, func(tx *Tx) error {
		var stored bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM summary_runs WHERE guild_id = ? AND scheduled_for = ?)`,
			guildID, scheduledFor.Unix()).Scan(&stored); err != nil || stored {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM summary_files WHERE guild_id = ? AND scheduled_for = ?`, guildID, scheduledFor.Unix()); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO summary_files (guild_id, scheduled_for, part, name, content_type, data) VALUES (?, ?, ?, ?, ?, ?)`,
				guildID, scheduledFor.Unix(), f.Part, f.Name, f.ContentType, f.Data); err != nil {
				return err
			}
		}
		return nil
	})
}

// SummaryFiles returns the files of one part of a run.
func (db *DB) SummaryFiles(ctx context.Context, guildID string, scheduledFor time.Time, part int) (_ []SummaryFile, err error) {
	defer wrap(&err, "summary files")
	rows, err := db.read.QueryContext(ctx, `SELECT part, name, content_type, data FROM summary_files
		WHERE guild_id = ? AND scheduled_for = ? AND part = ? ORDER BY name`, guildID, scheduledFor.Unix(), part)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SummaryFile
	for rows.Next() {
		var f SummaryFile
		if err := rows.Scan(&f.Part, &f.Name, &f.ContentType, &f.Data); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// DropSummaryFiles deletes the files of a finished run.
func (db *DB) DropSummaryFiles(ctx context.Context, guildID string, scheduledFor time.Time) (err error) {
	defer wrap(&err, "drop summary files")
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM summary_files WHERE guild_id = ? AND scheduled_for = ?`, guildID, scheduledFor.Unix())
		return err
	})
}

// RecapRow is one chapter's rally of a day of action, as its recap shows it.
type RecapRow struct {
	Rally Rally
	After RallyAfter
}

// ActionRecap returns each rally of the action with its report.
func (db *DB) ActionRecap(ctx context.Context, actionID int64) (_ []RecapRow, err error) {
	defer wrap(&err, "action recap")
	rallies, err := db.ActionRallies(ctx, actionID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rallies))
	for i, r := range rallies {
		ids[i] = r.ID
	}
	after, err := db.RalliesAfter(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RecapRow, len(rallies))
	for i, r := range rallies {
		out[i] = RecapRow{Rally: r, After: after[r.ID]}
	}
	return out, nil
}

// ActionsEnded returns the actions of a guild with a rally that ended after
// from and at or before to: the days of action a morning summary recaps.
func (db *DB) ActionsEnded(ctx context.Context, guildID string, from, to time.Time) (_ []int64, err error) {
	defer wrap(&err, "actions ended")
	return queryIDs(ctx, db.read, `SELECT DISTINCT r.action_id FROM rallies r
		WHERE r.guild_id = ? AND r.action_id IS NOT NULL AND r.status = 'scheduled' AND r.ends_at > ? AND r.ends_at <= ?
		ORDER BY r.action_id`, guildID, from.Unix(), to.Unix())
}
