package store

import (
	"context"
	"time"
)

// OweStaffingAlerts owes, once per rally, the alert of each rally that
// starts within window of now and is short of a minimum or of an interpreter
// for each kind of interpretation members going need. A rally edited (or
// left) into shortfall inside the window is found by the next sweep: the
// window is checked at every sweep, not armed once. It returns how many
// alerts it owed.
func (db *DB) OweStaffingAlerts(ctx context.Context, now time.Time, window time.Duration) (owed int, err error) {
	defer wrap(&err, "owe staffing alerts")
	// Read first: most sweeps find nothing, and need no write transaction.
	var any bool
	if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (`+dueStaffing+`)`, now.Unix(), now.Add(window).Unix()).Scan(&any); err != nil || !any {
		return 0, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, dueStaffing, now.Unix(), now.Add(window).Unix())
		if err != nil {
			return err
		}
		type due struct {
			id        int64
			guild     string
			languages int
		}
		var all []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.guild, &d.languages); err != nil {
				rows.Close()
				return err
			}
			all = append(all, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range all {
			if _, fresh, err := owe(ctx, tx, Owed{Kind: PostStaffing, Key: postKey(PostStaffing, d.id), GuildID: d.guild, RallyID: d.id,
				Args: PostArgs{Languages: d.languages}, DueAt: tx.now}); err != nil {
				return err
			} else if fresh {
				owed++
			}
		}
		return nil
	})
	return owed, err
}

// dueStaffing selects the rallies owed a staffing alert not yet owed: ?1 is
// now, ?2 the end of the window.
const dueStaffing = `
		SELECT r.id, r.guild_id, ` + interpretationKinds + `
		FROM rallies r
		WHERE (r.id IN (SELECT rally_id FROM rally_roles WHERE filled < needed) OR r.id IN (` + shortOfInterpreters + `))
			AND r.status = 'scheduled' AND r.starts_at > ?1 AND r.starts_at <= ?2
			AND NOT EXISTS (SELECT 1 FROM channel_posts p WHERE p.key = 'staffing:' || r.id)
		ORDER BY r.starts_at, r.id`

// interpretationKinds is a column of rallies r: how many kinds of
// interpretation its members going need.
const interpretationKinds = `(SELECT COUNT(DISTINCT need) FROM rsvp_needs
	WHERE rally_id = r.id AND need IN ('asl', 'spanish', 'other_interpretation'))`

// shortOfInterpreters selects the rallies with fewer interpreters signed up
// than kinds of interpretation their members going need. rsvp_needs holds
// only members going at rallies not yet purged: a small table.
const shortOfInterpreters = `
	SELECT n.rally_id FROM rsvp_needs n
	WHERE n.need IN ('asl', 'spanish', 'other_interpretation')
	GROUP BY n.rally_id
	HAVING COUNT(DISTINCT n.need) > COALESCE(
		(SELECT filled FROM rally_roles x WHERE x.rally_id = n.rally_id AND x.role = 'interpreter'), 0)`
