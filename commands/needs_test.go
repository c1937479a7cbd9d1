package commands

import (
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
