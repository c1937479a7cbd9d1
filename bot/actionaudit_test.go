package bot_test

import (
	"strconv"
	"strings"
	"testing"

	"rallybot/discordtest"
)

// A day of action whose every rally was cancelled one by one, with
// /rally cancel, is no upcoming action: /action list no longer shows it,
// with no chapter left under its title.
func TestActionListDropsActionWhoseRalliesAreAllCancelled(t *testing.T) {
	t.Parallel()
	h := actHarness(t)
	db := h.schedDB()
	id, _ := h.actCreate(discordtest.Str("chapters", "Seattle, Chicago"))
	other, _ := h.actCreate(discordtest.Str("title", "Spring action"), discordtest.Str("chapters", "Seattle"))
	rallies := actRallies(t, db, id)
	mustContain(t, h.cmd(lead, seattleChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies["Seattle"].ID, 10))), true, "Cancelled")
	mustContain(t, h.cmd(volunteer, seattleChannel, "action list"), false, "Holiday weekend action", "Chicago")
	mustContain(t, h.cmd(chiLead, chicagoChannel, "rally cancel", discordtest.Str("rally", strconv.FormatInt(rallies["Chicago"].ID, 10))), true, "Cancelled")
	list := h.cmd(volunteer, seattleChannel, "action list").Text()
	if strings.Contains(list, "Holiday weekend action") {
		t.Errorf("an action with every rally cancelled is still listed as upcoming: %q", list)
	}
	mustContain(t, h.cmd(volunteer, seattleChannel, "action list"), false, "Spring action", "#"+strconv.FormatInt(other, 10))
}
