package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Role is a safety role a rally can need people for.
type Role string

// The safety roles, in the order they are shown.
const (
	Marshal       Role = "marshal"
	Medic         Role = "medic"
	LegalObserver Role = "legal_observer"
	Interpreter   Role = "interpreter"
)

// Roles lists every safety role, in the order they are shown.
var Roles = [...]Role{Marshal, Medic, LegalObserver, Interpreter}

// MaxRoleNeeded is the largest minimum a rally can set for one role.
const MaxRoleNeeded = 50

// Valid reports whether r is one of the safety roles.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// RoleCount is how many a rally needs of one role and how many hold it.
type RoleCount struct {
	Role   Role
	Filled int
	Needed int
}

// Short is how many more the role needs (0 when met).
func (c RoleCount) Short() int { return max(c.Needed-c.Filled, 0) }

// Staffing is a rally's roles that are needed or held, in Roles order.
type Staffing []RoleCount

// Of returns the count for one role (zero if the rally has none).
func (s Staffing) Of(role Role) RoleCount {
	for _, c := range s {
		if c.Role == role {
			return c
		}
	}
	return RoleCount{Role: role}
}

// Filled is how many members hold a role at the rally.
func (s Staffing) Filled() int {
	n := 0
	for _, c := range s {
		n += c.Filled
	}
	return n
}

// Needed reports whether the rally sets any minimum.
func (s Staffing) Needed() bool {
	for _, c := range s {
		if c.Needed > 0 {
			return true
		}
	}
	return false
}

// Short returns the roles still below their minimum.
func (s Staffing) Short() []RoleCount {
	var out []RoleCount
	for _, c := range s {
		if c.Short() > 0 {
			out = append(out, c)
		}
	}
	return out
}

// GoingTotal is everyone going: those with a seat and those holding a role
// (who hold a seat outside the capacity).
func (r Rally) GoingTotal() int { return r.Going + r.Staffing.Filled() }

// OverCapacity reports whether more hold a seat than the capacity allows (it
// was lowered below the going count; nobody is moved).
func (r Rally) OverCapacity() bool { return r.Capacity > 0 && r.Going > r.Capacity }

// staffingColumn is one column of rallyColumns: "role:filled:needed,…".
const staffingColumn = `COALESCE((SELECT group_concat(n.role || ':' || n.filled || ':' || n.needed) FROM rally_roles n WHERE n.rally_id = r.id), '')`

// parseStaffing reads staffingColumn. Roles neither needed nor held are left out.
func parseStaffing(s string) Staffing {
	if s == "" {
		return nil // most rallies: read for every rally of a list or a summary
	}
	var byRole [len(Roles)]RoleCount
	var seen [len(Roles)]bool
	for part := range strings.SplitSeq(s, ",") {
		role, rest, ok1 := strings.Cut(part, ":")
		f, n, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			continue
		}
		for i, r := range Roles {
			if string(r) == role {
				filled, _ := strconv.Atoi(f)
				needed, _ := strconv.Atoi(n)
				byRole[i], seen[i] = RoleCount{Role: r, Filled: filled, Needed: needed}, true
			}
		}
	}
	var out Staffing
	for i, c := range byRole {
		if seen[i] && (c.Needed > 0 || c.Filled > 0) {
			out = append(out, c)
		}
	}
	return out
}

// RoleNeeds are minimums to set, by role; a role not in the map is left as it is.
type RoleNeeds map[Role]int

func setRoleNeeds(ctx context.Context, tx *Tx, rallyID int64, needs RoleNeeds) error {
	for role, n := range needs {
		if !role.Valid() || n < 0 || n > MaxRoleNeeded {
			return &RoleError{Kind: RoleInvalid, Role: role}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO rally_roles (rally_id, role, needed) VALUES (?, ?, ?)
			ON CONFLICT (rally_id, role) DO UPDATE SET needed = excluded.needed`, rallyID, string(role), n); err != nil {
			return err
		}
	}
	return nil
}

// RoleErrorKind says why a role sign-up was refused.
type RoleErrorKind int

// Why a role sign-up can be refused.
const (
	RoleInvalid   RoleErrorKind = iota + 1 // not a safety role, or a minimum out of range
	RoleNotNeeded                          // the rally sets no minimum for it
	RoleFull                               // every place was taken (perhaps a moment ago)
	RoleRallyOver                          // the rally was cancelled or has started
	RoleNotHeld                            // leaving a role the member does not hold
)

// RoleError is a refused role change. It carries no sentence: the caller
// words it for the member.
type RoleError struct {
	Kind  RoleErrorKind
	Role  Role
	Rally Rally // as read in the refusing transaction, when found
}

func (e *RoleError) Error() string {
	return "role " + string(e.Role) + ": refused (" + strconv.Itoa(int(e.Kind)) + ")"
}

// RoleResult says where a member stands after a role change.
type RoleResult struct {
	Rally    Rally    // with its counts after the change
	Role     Role     // the role now held ("" after leaving)
	Previous Role     // the role held before ("" if none)
	Promoted []string // members moved off the waitlist by the seat it freed
	// Requested: the rally has approval and the role was asked for, not
	// taken; Role is the role asked for.
	Requested bool
}

// MemberRole returns the role the member holds at the rally, or "".
func (db *DB) MemberRole(ctx context.Context, rallyID int64, userID string) (_ Role, err error) {
	defer wrap(&err, "member role")
	return memberRole(ctx, db.read, rallyID, userID)
}

func memberRole(ctx context.Context, q queryer, rallyID int64, userID string) (Role, error) {
	var role string
	err := q.QueryRowContext(ctx, `SELECT role FROM role_signups WHERE rally_id = ? AND user_id = ?`, rallyID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return Role(role), err
}

// TakeRole signs the member up for a role, in one transaction: two members
// racing for the last place cannot both get it. A role counts as going and
// holds a seat outside the capacity, so a seat (or a waitlist place or a
// maybe) the member had is given up, and the seat goes to the waitlist.
func (db *DB) TakeRole(ctx context.Context, guildID string, rallyID int64, userID string, role Role) (_ RoleResult, err error) {
	defer wrap(&err, "take role")
	var res RoleResult
	if !role.Valid() {
		return res, &RoleError{Kind: RoleInvalid, Role: role}
	}
	err = db.update(ctx, func(tx *Tx) error {
		r, err := rallyByID(ctx, tx, guildID, rallyID)
		if err != nil {
			return err
		}
		if r.Cancelled() || r.Started(tx.now) {
			return &RoleError{Kind: RoleRallyOver, Role: role, Rally: r}
		}
		if removed, err := removedFrom(ctx, tx, rallyID, userID); err != nil || removed {
			if err == nil {
				err = &RemovedError{Title: r.Title, ChapterName: r.ChapterName}
			}
			return err
		}
		if res.Previous, err = memberRole(ctx, tx, rallyID, userID); err != nil {
			return err
		}
		res.Rally, res.Role = r, role
		if res.Previous == role {
			return nil
		}
		c := r.Staffing.Of(role)
		switch {
		case c.Needed == 0:
			return &RoleError{Kind: RoleNotNeeded, Role: role, Rally: r}
		case c.Filled >= c.Needed:
			return &RoleError{Kind: RoleFull, Role: role, Rally: r}
		}
		if r.Approval && res.Previous == "" {
			// Not yet let in: a role on a rally with approval is asked for,
			// like a seat (privacy.go). Those already going take it at once.
			st, err := memberStanding(ctx, tx, rallyID, userID)
			if err != nil {
				return err
			}
			if st.Status != Going && st.Status != Waitlist {
				res.Requested = true
				_, err = requestSeat(ctx, tx, r, userID, st.Status, role)
				return err
			}
		}
		// A member going with a seat who takes a role is still going: the
		// needs the seat's deletion takes are put back with the role.
		needs, err := memberNeeds(ctx, tx, rallyID, userID)
		if err != nil {
			return err
		}
		var confirmed sql.NullInt64
		if res.Promoted, confirmed, err = giveUpRSVP(ctx, tx, rallyID, userID); err != nil {
			return err
		}
		// A "Still going" given before the sign-up still stands.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO role_signups (rally_id, user_id, role, updated_at, confirmed_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (rally_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at,
				confirmed_at = COALESCE(confirmed_at, excluded.confirmed_at)`,
			rallyID, userID, string(role), tx.now.Unix(), confirmed); err != nil {
			return err
		}
		if err := insertNeeds(ctx, tx, rallyID, userID, needs); err != nil {
			return err
		}
		if res.Previous != "" {
			if err := addFilled(ctx, tx, rallyID, res.Previous, -1); err != nil {
				return err
			}
		}
		if err := addFilled(ctx, tx, rallyID, role, 1); err != nil {
			return err
		}
		res.Rally, err = rallyByID(ctx, tx, guildID, rallyID)
		return err
	})
	return res, err
}

// giveUpRSVP deletes the member's RSVP row, if any, and gives a seat it held
// to the waitlist. It returns who was promoted and when the member had
// confirmed, if they had.
func giveUpRSVP(ctx context.Context, tx *Tx, rallyID int64, userID string) ([]string, sql.NullInt64, error) {
	var status string
	var confirmed sql.NullInt64
	err := tx.QueryRowContext(ctx, `DELETE FROM rsvps WHERE rally_id = ? AND user_id = ? RETURNING status, confirmed_at`,
		rallyID, userID).Scan(&status, &confirmed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, confirmed, nil
	}
	if err != nil {
		return nil, confirmed, err
	}
	var promoted []string
	if status == string(Going) {
		if promoted, err = fillSeats(ctx, tx, rallyID); err != nil {
			return nil, confirmed, err
		}
	}
	_, err = recount(ctx, tx, rallyID)
	return promoted, confirmed, err
}

func addFilled(ctx context.Context, tx *Tx, rallyID int64, role Role, delta int) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO rally_roles (rally_id, role, filled) VALUES (?1, ?2, MAX(?3, 0))
		ON CONFLICT (rally_id, role) DO UPDATE SET filled = MAX(filled + ?3, 0)`, rallyID, string(role), delta)
	return err
}

// LeaveRole gives up the member's role at the rally ("Can't go", or a change
// to maybe); the place is free for the next volunteer.
func (db *DB) LeaveRole(ctx context.Context, guildID string, rallyID int64, userID string) (_ RoleResult, err error) {
	defer wrap(&err, "leave role")
	var res RoleResult
	err = db.update(ctx, func(tx *Tx) error {
		r, err := rallyByID(ctx, tx, guildID, rallyID)
		if err != nil {
			return err
		}
		if r.Cancelled() || r.Started(tx.now) {
			return &RoleError{Kind: RoleRallyOver, Rally: r}
		}
		if res.Previous, err = dropSignup(ctx, tx, rallyID, userID); err != nil {
			return err
		}
		if res.Previous == "" {
			return &RoleError{Kind: RoleNotHeld, Rally: r}
		}
		if err := dropIdleLocale(ctx, tx, guildID, userID); err != nil {
			return err
		}
		res.Rally, err = rallyByID(ctx, tx, guildID, rallyID)
		return err
	})
	return res, err
}

func dropSignup(ctx context.Context, tx *Tx, rallyID int64, userID string) (Role, error) {
	var role string
	err := tx.QueryRowContext(ctx, `DELETE FROM role_signups WHERE rally_id = ? AND user_id = ? RETURNING role`, rallyID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return Role(role), addFilled(ctx, tx, rallyID, Role(role), -1)
}

// RoleHolders returns who holds each role at the rally, first to sign up first.
func (db *DB) RoleHolders(ctx context.Context, rallyID int64) (_ map[Role][]string, err error) {
	defer wrap(&err, "role holders")
	rows, err := db.read.QueryContext(ctx,
		`SELECT user_id, role FROM role_signups WHERE rally_id = ? ORDER BY updated_at, user_id`, rallyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Role][]string{}
	for rows.Next() {
		var u, role string
		if err := rows.Scan(&u, &role); err != nil {
			return nil, err
		}
		out[Role(role)] = append(out[Role(role)], u)
	}
	return out, rows.Err()
}
