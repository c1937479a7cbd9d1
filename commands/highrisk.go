package commands

import (
	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// High-risk actions: no scheduled event (Discord's Events tab shows the
// whole server who is Interested), no check-in (a record of presence), and
// every member id tied to the rally deleted when it ends, with the DMs sent
// for it (KeepPrivacy). The rally keeps its title, time and counts.

// highRiskOption is high_risk on /rally create, /rally edit and /action create.
func highRiskOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "high_risk",
		Description: "Keep only counts: no event, no check-in, every name deleted when it ends"}
}

// chapterHighRiskOption is /chapter setup's high_risk: the chapter's default.
func chapterHighRiskOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "high_risk",
		Description: "Make the chapter's new rallies high-risk by default",
		Choices: []*discordgo.ApplicationCommandOptionChoice{
			{Name: "on", Value: "on"}, {Name: "off", Value: "off"},
		}}
}

// highRisk is whether a new rally of the chapter is high-risk: as the
// option says, else the chapter's default.
func highRisk(in *Input, c store.Chapter) bool {
	if in.has("high_risk") {
		return in.bool("high_risk")
	}
	return c.HighRisk
}

// readOnOff reads an on / off string option; anything else (a forged value)
// is refused.
func readOnOff(in *Input, name string) (bool, error) {
	switch in.str(name) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, invalid("err_on_off", "Option", name, "Choices", choiceNames("on", "off"))
}
