package commands

import (
	"regexp"
	"testing"
)

// A count of rallies in a state reads as a number and a participle in every
// plural form: Spanish puts "de" only before a noun ("1 000 000 de
// acciones"), never before "anunciadas".
var countDe = regexp.MustCompile(`^\d+ de `)

func TestActionStateCounts(t *testing.T) {
	for _, s := range actionRallyStates {
		for _, n := range []int{1, 2, 1000000} {
			got := Spanish.T("action_state_"+s, "Count", n)
			if countDe.MatchString(got) {
				t.Errorf("action_state_%s, %d: %q", s, n, got)
			}
		}
	}
}
