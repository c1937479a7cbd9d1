package store_test

import (
	"testing"

	"rallybot/store"
)

// A click from a member holding a safety role is answered from the click's
// own read: SetRSVP reports the role and writes nothing, whatever the
// status (the role is given up by LeaveRole); after LeaveRole, it is an
// ordinary RSVP again.
func TestSetRSVPReportsHeldRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.staffedRally(t, 0, store.RoleNeeds{store.Marshal: 1})
	if _, err := f.db.TakeRole(ctx(), "g1", r.ID, "u1", store.Marshal); err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.RSVPStatus{store.Going, store.Maybe, store.NotGoing} {
		res, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Role != store.Marshal || res.Rally.ID != r.ID || res.Rally.Title != r.Title {
			t.Errorf("%s: role %q, rally %d %q; want the marshal role and the rally", s, res.Role, res.Rally.ID, res.Rally.Title)
		}
		if res.Status != store.NotGoing || res.Previous != store.NotGoing {
			t.Errorf("%s: status %s from %s, want no RSVP row either side", s, res.Status, res.Previous)
		}
	}
	got, err := f.db.RallyByID(ctx(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Going != 0 || got.Maybe != 0 || got.Staffing.Of(store.Marshal).Filled != 1 {
		t.Errorf("counts going %d maybe %d marshals %d; want the role alone", got.Going, got.Maybe, got.Staffing.Of(store.Marshal).Filled)
	}
	if _, err := f.db.LeaveRole(ctx(), "g1", r.ID, "u1"); err != nil {
		t.Fatal(err)
	}
	res, err := f.db.SetRSVP(ctx(), "g1", r.ID, "u1", store.Maybe)
	if err != nil || res.Role != "" || res.Status != store.Maybe {
		t.Errorf("after leaving the role: %+v, %v; want maybe", res, err)
	}
}
