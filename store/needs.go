package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
)

// Need is something a member going says they need to take part. A need is
// stored only while its member is going (a seat or a safety role): the
// triggers of migration 0030 delete it on every way out of going. It is
// shown only as counts, never with who.
type Need string

// The needs a member can name, in the order they are shown.
const (
	NeedASL                 Need = "asl"
	NeedSpanish             Need = "spanish"
	NeedOtherInterpretation Need = "other_interpretation"
	NeedWheelchair          Need = "wheelchair"
	NeedSeating             Need = "seating"
	NeedChildcare           Need = "childcare"
	NeedRide                Need = "ride"
)

// Needs lists every need, in the order they are shown.
var Needs = [...]Need{NeedASL, NeedSpanish, NeedOtherInterpretation, NeedWheelchair, NeedSeating, NeedChildcare, NeedRide}

// Valid reports whether n is one of Needs.
func (n Need) Valid() bool { return slices.Contains(Needs[:], n) }

// Interpretation reports whether n asks for an interpreter.
func (n Need) Interpretation() bool {
	return n == NeedASL || n == NeedSpanish || n == NeedOtherInterpretation
}

// NeedCounts is how many members going need each thing; never who.
type NeedCounts map[Need]int

// Total is the number of needs named (a member naming two counts twice).
func (c NeedCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Interpretation is how many needs of interpretation were named.
func (c NeedCounts) Interpretation() int {
	return c[NeedASL] + c[NeedSpanish] + c[NeedOtherInterpretation]
}

// Languages is how many kinds of interpretation members going need (ASL,
// Spanish, other): each needs an interpreter of its own.
func (c NeedCounts) Languages() int {
	n := 0
	for _, need := range Needs {
		if need.Interpretation() && c[need] > 0 {
			n++
		}
	}
	return n
}

// Add adds o's counts to c.
func (c NeedCounts) Add(o NeedCounts) {
	for k, v := range o {
		c[k] += v
	}
}

// ChangeNeeds is a change of needs, refused once the rally is cancelled or
// has started.
const ChangeNeeds RallyChange = "needs"

// Refusals of a change of needs.
var (
	ErrNotGoing = &Error{Code: EConflict, Desc: "not going"}
	ErrBadNeed  = &Error{Code: EInvalid, Desc: "not a need"}
)

// NeedsResult is a member's needs at a rally after a change.
type NeedsResult struct {
	Rally Rally
	Needs []Need // in Needs order
}

// SetNeeds replaces the member's needs at the rally with needs (none clears
// them). The member must be going (a seat or a role) and the rally neither
// cancelled nor started; a refusal changes nothing.
func (db *DB) SetNeeds(ctx context.Context, guildID string, rallyID int64, userID string, needs []Need) (res NeedsResult, err error) {
	defer wrap(&err, "set needs")
	for _, n := range needs {
		if !n.Valid() {
			return res, ErrBadNeed
		}
	}
	err = db.update(ctx, func(tx *Tx) error {
		r, err := rallyByID(ctx, tx, guildID, rallyID)
		if err != nil {
			return err
		}
		res.Rally = r
		if r.Cancelled() {
			return &RallyStateError{Change: ChangeNeeds, Title: r.Title, Err: ErrRallyCancelled}
		}
		if r.Started(tx.now) {
			return &RallyStateError{Change: ChangeNeeds, Title: r.Title, Err: ErrRallyStarted}
		}
		var going bool
		if err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM rsvps WHERE rally_id = ?1 AND user_id = ?2 AND status = 'going')
				OR EXISTS (SELECT 1 FROM role_signups WHERE rally_id = ?1 AND user_id = ?2)`, rallyID, userID).Scan(&going); err != nil {
			return err
		}
		if !going {
			return ErrNotGoing
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rsvp_needs WHERE rally_id = ? AND user_id = ?`, rallyID, userID); err != nil {
			return err
		}
		res.Needs = nil
		for _, n := range Needs {
			if slices.Contains(needs, n) {
				res.Needs = append(res.Needs, n)
			}
		}
		return insertNeeds(ctx, tx, rallyID, userID, res.Needs)
	})
	return res, err
}

// MemberNeeds returns the member's needs at the rally, in Needs order.
func (db *DB) MemberNeeds(ctx context.Context, rallyID int64, userID string) (_ []Need, err error) {
	defer wrap(&err, "member needs")
	return memberNeeds(ctx, db.read, rallyID, userID)
}

// insertNeeds adds needs (already valid) to the member's at the rally.
func insertNeeds(ctx context.Context, tx *Tx, rallyID int64, userID string, needs []Need) error {
	for _, n := range needs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO rsvp_needs (rally_id, user_id, need) VALUES (?, ?, ?)`,
			rallyID, userID, string(n)); err != nil {
			return err
		}
	}
	return nil
}

func memberNeeds(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, rallyID int64, userID string) ([]Need, error) {
	rows, err := q.QueryContext(ctx, `SELECT need FROM rsvp_needs WHERE rally_id = ? AND user_id = ?`, rallyID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []Need
	for rows.Next() {
		var n Need
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		got = append(got, n)
	}
	var out []Need
	for _, n := range Needs {
		if slices.Contains(got, n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// RallyNeeds returns, for each of the rallies that has any, how many of its
// members going need each thing. Counts only: no member id leaves here.
func (db *DB) RallyNeeds(ctx context.Context, rallyIDs ...int64) (_ map[int64]NeedCounts, err error) {
	defer wrap(&err, "rally needs")
	out := map[int64]NeedCounts{}
	if len(rallyIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(rallyIDs)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `
		SELECT rally_id, need, COUNT(*) FROM rsvp_needs
		WHERE rally_id IN (SELECT value FROM json_each(?)) GROUP BY rally_id, need`, string(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n Need
		var count int
		if err := rows.Scan(&id, &n, &count); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = NeedCounts{}
		}
		out[id][n] = count
	}
	return out, rows.Err()
}
