package commands

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"rallybot/store"
)

// Every need has its label, its interpretation count (for the three kinds
// of interpretation) and its CSV header in both catalogues: the code names
// them as families (need_<key>, …), which the catalogue test cannot follow.
func TestNeedMessages(t *testing.T) {
	en, es := readCatalogue(t, English), readCatalogue(t, Spanish)
	for _, n := range store.Needs {
		ids := []string{"need_" + string(n), "csv_need_" + string(n)}
		if n.Interpretation() {
			ids = append(ids, "interp_need_"+string(n))
		}
		for _, id := range ids {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has no English message", id)
			}
			if _, ok := es[id]; !ok {
				t.Errorf("%s has no Spanish message", id)
			}
		}
		for _, l := range []Lang{English, Spanish} {
			if label := needName(l, n); len([]rune(label)) > 100 {
				t.Errorf("%s label %q is longer than a menu option takes", n, label)
			}
		}
	}
	if p := Spanish.T("needs_placeholder"); len([]rune(p)) > 150 {
		t.Errorf("placeholder %q is longer than a menu takes", p)
	}
}

func TestParseNeeds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []store.Need
		bad  string
	}{
		{in: "asl", want: []store.Need{store.NeedASL}},
		{in: " Spanish , RIDE,, spanish", want: []store.Need{store.NeedSpanish, store.NeedRide, store.NeedSpanish}},
		{in: "none", want: nil},
		{in: " None ", want: nil},
		{in: "asl, none", bad: `"none"`},
		{in: ",,", bad: `",,"`},
		{in: "seating, klingon", bad: `"klingon"`},
	} {
		got, err := parseNeeds(c.in)
		if c.bad != "" {
			var e *Error
			if !asError(err, &e) || e.Code != EInvalid || !strings.Contains(e.Message, c.bad) || !strings.Contains(e.Message, "`other_interpretation`") {
				t.Errorf("parseNeeds(%q) = %v, %v; want a refusal quoting %s and listing the keys", c.in, got, err, c.bad)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseNeeds(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func asError(err error, e **Error) bool {
	var ok bool
	*e, ok = err.(*Error)
	return ok
}

// TestEmptyNeedsMenuEncodedOnce: the menu a newly going member is offered is
// encoded once per language and rally, and is the menu needsMenu builds.
func TestEmptyNeedsMenuEncodedOnce(t *testing.T) {
	a := &App{}
	for _, l := range Langs {
		for _, rally := range []int64{1, 2} {
			want, err := json.Marshal(needsMenu(l, rally, nil)[0])
			if err != nil {
				t.Fatal(err)
			}
			first, err := json.Marshal(a.emptyNeedsMenu(l, rally))
			if err != nil {
				t.Fatal(err)
			}
			if string(first) != string(want) {
				t.Errorf("%s rally %d: menu %s, want %s", l, rally, first, want)
			}
			if again := a.emptyNeedsMenu(l, rally).(encodedComponent); &again.raw[0] != &a.emptyNeedsMenu(l, rally).(encodedComponent).raw[0] {
				t.Errorf("%s rally %d: encoded again", l, rally)
			}
		}
	}
	if len(a.menus.m) != 4 {
		t.Fatalf("%d menus kept, want 4 (two languages, two rallies)", len(a.menus.m))
	}
}
