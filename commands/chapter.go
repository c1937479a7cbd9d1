package commands

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

const maxChapterName = 50

var announceChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}

func (a *App) chapterCommand() *Command {
	chapterOpt := func(desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "chapter",
			Description: desc, Required: true, Autocomplete: true, MaxLength: maxChapterName}
	}
	timezoneOpt := func(required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "timezone",
			Description: "IANA time zone, e.g. America/Chicago", Required: required, Autocomplete: true, MaxLength: 64}
	}
	channelOpt := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel",
		Description: "Channel where the chapter's rallies are announced", ChannelTypes: announceChannelTypes}
	leadOpt := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionRole, Name: "lead_role",
		Description: "Role whose members lead this chapter"}
	return &Command{
		Def: &discordgo.ApplicationCommand{
			Name:        "chapter",
			Description: "City chapters: list them, or (admins) add, set up and remove them",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "Chapters with their time zone, channel and lead role"},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Add a chapter (admins)",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Chapter name, e.g. Portland", Required: true, MaxLength: maxChapterName},
						timezoneOpt(true), channelOpt, leadOpt,
					}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "setup", Description: "Bind a chapter to its announcement channel and lead role (admins)",
					Options: []*discordgo.ApplicationCommandOption{
						chapterOpt("Chapter to set up"), channelOpt, leadOpt, timezoneOpt(false),
						{Type: discordgo.ApplicationCommandOptionString, Name: "rename", Description: "New name for the chapter", MaxLength: maxChapterName},
					}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Remove a chapter with no upcoming rallies (admins)",
					Options: []*discordgo.ApplicationCommandOption{chapterOpt("Chapter to remove")}},
			},
		},
		Routes: map[string]Route{
			"list":   {Everyone, a.chapterList},
			"add":    {Admin, a.chapterAdd},
			"setup":  {Admin, a.chapterSetup},
			"remove": {Admin, a.chapterRemove},
		},
		Autocomplete: a.autocompleteOptions,
	}
}

// autocompleteOptions serves every autocompleted option by its name.
func (a *App) autocompleteOptions(ctx context.Context, in *Input, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := focused.Value.(string)
	switch focused.Name {
	case "chapter":
		return a.chapterChoices(ctx, in.GuildID, typed)
	case "timezone":
		return timezoneChoices(typed), nil
	case "rally":
		return a.rallyChoices(ctx, in, typed)
	}
	return nil, nil
}

func (a *App) chapterChoices(ctx context.Context, guildID, typed string) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	chapters, err := a.db.Chapters(ctx, guildID)
	if err != nil {
		return nil, err
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, c := range chapters {
		if strings.Contains(strings.ToLower(c.Name), typed) {
			out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: c.Name, Value: c.Name})
		}
	}
	return out, nil
}

func timezoneChoices(typed string) []*discordgo.ApplicationCommandOptionChoice {
	typed = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(typed), " ", "_"))
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, z := range commonZones {
		if strings.Contains(strings.ToLower(z), typed) {
			out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
		}
	}
	return out
}

// commonZones are offered as you type; any IANA zone is accepted.
var commonZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Detroit", "America/Indiana/Indianapolis",
	"America/Boise", "America/Toronto", "America/Vancouver", "America/Edmonton", "America/Winnipeg", "America/Halifax",
	"America/Mexico_City", "America/Tijuana", "America/Guatemala", "America/El_Salvador", "America/Tegucigalpa",
	"America/Bogota", "America/Lima", "America/Caracas", "America/Santiago", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires", "Europe/London", "Europe/Dublin", "Europe/Madrid", "Europe/Paris",
	"Europe/Berlin", "Europe/Rome", "Europe/Warsaw", "Europe/Kyiv", "Europe/Istanbul", "Africa/Lagos",
	"Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Manila", "Asia/Bangkok",
	"Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "UTC",
}

// checkTimeZone returns the zone's canonical name, or an error saying how to fix it.
func checkTimeZone(name string) (string, error) {
	for _, z := range commonZones {
		if strings.EqualFold(z, name) {
			return z, nil
		}
	}
	if name == "" || strings.EqualFold(name, "local") {
		return "", invalid("`timezone`: give an IANA time zone such as `America/Chicago`; pick one from the list as you type.")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", invalid("`timezone`: %s is not a time zone I know. Use an IANA name such as `America/Chicago` or `America/Los_Angeles`; pick one from the list as you type.", echo(name))
	}
	return name, nil
}

func checkChapterName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "", invalid("`name`: a chapter needs a name, e.g. `Portland`.")
	}
	if !visible(name) {
		return "", invisibleText("name")
	}
	if n := utf8.RuneCountInString(name); n > maxChapterName {
		return "", invalid("`name`: %d characters is too long; keep it to %d.", n, maxChapterName)
	}
	return name, nil
}

// resolvedChannel checks a channel option against the channels Discord
// resolved for this interaction: an id that is not among them was not picked
// in Discord's UI.
func resolvedChannel(in *Input, name string) (string, error) {
	if !in.has(name) {
		return "", nil
	}
	id := in.id(name)
	data := in.ApplicationCommandData()
	if id == "" || data.Resolved == nil || data.Resolved.Channels[id] == nil {
		return "", invalid("`%s`: pick a channel from the list.", name)
	}
	ch := data.Resolved.Channels[id]
	for _, t := range announceChannelTypes {
		if ch.Type == t {
			return id, nil
		}
	}
	return "", invalid("`%s`: <#%s> is not a text or announcement channel; pick one where messages can be posted.", name, id)
}

func resolvedRole(in *Input, name string) (string, error) {
	if !in.has(name) {
		return "", nil
	}
	id := in.id(name)
	data := in.ApplicationCommandData()
	if id == "" || data.Resolved == nil || data.Resolved.Roles[id] == nil {
		return "", invalid("`%s`: pick a role from the list.", name)
	}
	if id == in.GuildID {
		return "", invalid("`%s`: @everyone cannot be a lead role; pick the chapter leads' role.", name)
	}
	return id, nil
}

func (a *App) chapterList(ctx context.Context, in *Input) (*Response, error) {
	chapters, err := a.db.Chapters(ctx, in.GuildID)
	if err != nil {
		return nil, err
	}
	if len(chapters) == 0 {
		return ephemeral("No chapters yet. An admin can add one with `/chapter add`."), nil
	}
	lines := make([]string, 0, len(chapters))
	for _, c := range chapters {
		channel, lead := "no channel yet (`/chapter setup`)", "no lead role"
		if c.ChannelID != "" {
			channel = "<#" + c.ChannelID + ">"
		}
		if c.LeadRoleID != "" {
			lead = "leads: <@&" + c.LeadRoleID + ">"
		}
		lines = append(lines, fmt.Sprintf("**%s** — %s · %s · %s", escape(c.Name), c.TimeZone, channel, lead))
	}
	return messagesResponse(listEmbeds(fmt.Sprintf("Chapters (%d)", len(chapters)), lines, colorScheduled), false), nil
}

func (a *App) chapterAdd(ctx context.Context, in *Input) (*Response, error) {
	name, err := checkChapterName(in.str("name"))
	if err != nil {
		return nil, err
	}
	tz, err := checkTimeZone(in.str("timezone"))
	if err != nil {
		return nil, err
	}
	channel, err := resolvedChannel(in, "channel")
	if err != nil {
		return nil, err
	}
	lead, err := resolvedRole(in, "lead_role")
	if err != nil {
		return nil, err
	}
	c, err := a.db.AddChapter(ctx, store.Chapter{GuildID: in.GuildID, Name: name, TimeZone: tz, ChannelID: channel, LeadRoleID: lead})
	if err != nil {
		return nil, err
	}
	a.log.Info("chapter added", "guild", in.GuildID, "chapter", c.ID)
	return ephemeral("Added chapter **%s** (%s).%s", escape(c.Name), c.TimeZone, setupHint(c)), nil
}

func setupHint(c store.Chapter) string {
	var missing []string
	if c.ChannelID == "" {
		missing = append(missing, "an announcement `channel`")
	}
	if c.LeadRoleID == "" {
		missing = append(missing, "a `lead_role`")
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf(" It still needs %s: run `/chapter setup chapter:%s`.", strings.Join(missing, " and "), c.Name)
}

func (a *App) chapterSetup(ctx context.Context, in *Input) (*Response, error) {
	var u store.ChapterUpdate
	if in.has("channel") {
		id, err := resolvedChannel(in, "channel")
		if err != nil {
			return nil, err
		}
		u.ChannelID = &id
	}
	if in.has("lead_role") {
		id, err := resolvedRole(in, "lead_role")
		if err != nil {
			return nil, err
		}
		u.LeadRoleID = &id
	}
	if in.has("timezone") {
		tz, err := checkTimeZone(in.str("timezone"))
		if err != nil {
			return nil, err
		}
		u.TimeZone = &tz
	}
	if in.has("rename") {
		name, err := checkChapterName(in.str("rename"))
		if err != nil {
			return nil, err
		}
		u.Name = &name
	}
	if u == (store.ChapterUpdate{}) {
		return nil, invalid("Nothing to change: give a `channel`, `lead_role`, `timezone` or `rename`.")
	}
	c, err := a.db.UpdateChapter(ctx, in.GuildID, in.str("chapter"), u)
	if err != nil {
		return nil, err
	}
	a.log.Info("chapter set up", "guild", in.GuildID, "chapter", c.ID)
	var parts []string
	if c.ChannelID != "" {
		parts = append(parts, "announces in <#"+c.ChannelID+">")
	}
	if c.LeadRoleID != "" {
		parts = append(parts, "led by <@&"+c.LeadRoleID+">")
	}
	parts = append(parts, "times in "+c.TimeZone)
	return ephemeral("**%s** %s.%s", escape(c.Name), strings.Join(parts, ", "), setupHint(c)), nil
}

func (a *App) chapterRemove(ctx context.Context, in *Input) (*Response, error) {
	c, err := a.db.RemoveChapter(ctx, in.GuildID, in.str("chapter"))
	if err != nil {
		return nil, err
	}
	a.log.Info("chapter removed", "guild", in.GuildID, "chapter", c.ID)
	return ephemeral("Removed chapter **%s**. Its past rallies stay in the history.", escape(c.Name)), nil
}
