package bot_test

import (
	"testing"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// TestForgedOptionTypes: Discord sends each option with the type its
// definition declares; a forged interaction need not. A boolean sent as the
// string "true" (or a number) is refused with a sentence naming the option,
// in the member's language, and changes nothing: read as false, it would
// make a private place public or a high-risk rally ordinary.
func TestForgedOptionTypes(t *testing.T) {
	t.Parallel()
	h := rallyHarness(t)
	id, _ := h.createRally(discordtest.Str("title", "Quiet vigil"), discordtest.Bool("private_location", true), discordtest.Bool("high_risk", true))
	forgedBool := func(name string, v any) discordtest.Option {
		return discordtest.Option{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
	}
	kept := func(t *testing.T) {
		t.Helper()
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE id = ? AND private_location = 1 AND high_risk = 1`, id); n != 1 {
			t.Errorf("the forged option changed the rally: private and high-risk no more")
		}
	}
	for _, c := range []struct {
		name string
		opt  discordtest.Option
	}{
		{"StringTrue", forgedBool("private_location", "true")},
		{"Number", forgedBool("private_location", 1)},
		{"HighRiskString", forgedBool("high_risk", "yes")},
	} {
		t.Run("ErrEdit"+c.name, func(t *testing.T) {
			r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id), c.opt)
			mustContain(t, r, true, "`"+c.opt.Name+"`", "true or false")
			kept(t)
		})
	}
	t.Run("ErrEditSpanish", func(t *testing.T) {
		es := lead
		es.Locale = "es-419"
		r := h.cmd(es, seattleChannel, "rally edit", discordtest.Str("rally", id), forgedBool("private_location", "false"))
		mustContain(t, r, true, "`private_location`", "verdadero o falso")
		kept(t)
	})
	t.Run("ErrCreateNotHighRisk", func(t *testing.T) {
		before := h.privacyCount(`SELECT COUNT(*) FROM rallies`)
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Forged"), forgedBool("high_risk", "true"))...)
		mustContain(t, r, true, "`high_risk`", "true or false")
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies`); n != before {
			t.Errorf("a rally was made from a forged option: %d rallies, want %d", n, before)
		}
	})
	t.Run("ErrStringAsNumber", func(t *testing.T) {
		r := h.cmd(lead, seattleChannel, "rally edit", discordtest.Str("rally", id),
			discordtest.Option{Name: "title", Type: discordgo.ApplicationCommandOptionString, Value: 12})
		mustContain(t, r, true, "`title`", "text")
		if n := h.privacyCount(`SELECT COUNT(*) FROM rallies WHERE id = ? AND title = 'Quiet vigil'`, id); n != 1 {
			t.Errorf("the title changed")
		}
	})
}
