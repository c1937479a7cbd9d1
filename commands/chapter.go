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
	languageOpt := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "language",
		Description: "Language of the chapter's posts: English, Spanish or both",
		Choices: []*discordgo.ApplicationCommandOptionChoice{
			{Name: "English", Value: PostEnglish},
			{Name: "Español", Value: PostSpanish},
			{Name: "English + Español", Value: PostBilingual},
		}}
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
					Options: append([]*discordgo.ApplicationCommandOption{
						chapterOpt("Chapter to set up"), channelOpt, leadOpt, timezoneOpt(false),
						{Type: discordgo.ApplicationCommandOptionString, Name: "rename", Description: "New name for the chapter", MaxLength: maxChapterName},
						languageOpt, chapterHighRiskOption(),
					}, chapterSupportOptions()...)},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Remove a chapter with no upcoming rallies (admins)",
					Options: []*discordgo.ApplicationCommandOption{chapterOpt("Chapter to remove")}},
			},
		},
		Routes: map[string]Route{
			"list":   {Access: Everyone, Handle: a.chapterList, Public: true},
			"add":    {Access: Admin, Handle: a.chapterAdd},
			"setup":  {Access: Admin, Handle: a.chapterSetup},
			"remove": {Access: Admin, Handle: a.chapterRemove},
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
		if in.Path == "rally report" {
			return a.endedRallyChoices(ctx, in, typed)
		}
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
		return "", invalid("err_timezone_missing")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", invalid("err_timezone_unknown", "Zone", echo(name))
	}
	return name, nil
}

func checkChapterName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "", invalid("err_chapter_name_missing")
	}
	if !visible(name) {
		return "", invisibleText("name")
	}
	if hidesText(name) {
		return "", invalid("err_text_format_chars", "Option", "name")
	}
	if n := utf8.RuneCountInString(name); n > maxChapterName {
		return "", invalid("err_chapter_name_long", "Count", n, "Max", maxChapterName)
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
		return "", invalid("err_pick_channel", "Option", name)
	}
	ch := data.Resolved.Channels[id]
	for _, t := range announceChannelTypes {
		if ch.Type == t {
			return id, nil
		}
	}
	return "", invalid("err_channel_type", "Option", name, "Channel", "<#"+id+">")
}

func resolvedRole(in *Input, name string) (string, error) {
	if !in.has(name) {
		return "", nil
	}
	id := in.id(name)
	data := in.ApplicationCommandData()
	if id == "" || data.Resolved == nil || data.Resolved.Roles[id] == nil {
		return "", invalid("err_pick_role", "Option", name)
	}
	if id == in.GuildID {
		return "", invalid("err_everyone_role", "Option", name)
	}
	return id, nil
}

func (a *App) chapterList(ctx context.Context, in *Input) (*Response, error) {
	chapters, err := a.db.Chapters(ctx, in.GuildID)
	if err != nil {
		return nil, err
	}
	if len(chapters) == 0 {
		return ephemeral(in.Lang.T("chapters_none")), nil
	}
	lines := make([]string, 0, len(chapters))
	for _, c := range chapters {
		channel, lead := in.Lang.T("chapter_no_channel"), in.Lang.T("chapter_no_lead")
		if c.ChannelID != "" {
			channel = "<#" + c.ChannelID + ">"
		}
		if c.LeadRoleID != "" {
			lead = in.Lang.T("chapter_leads", "Role", "<@&"+c.LeadRoleID+">")
		}
		line := fmt.Sprintf("**%s** — %s · %s · %s", escape(c.Name), c.TimeZone, channel, lead)
		if c.Language != PostEnglish {
			line += " · " + in.Lang.T("language_"+c.Language)
		}
		lines = append(lines, line)
	}
	return messagesResponse(listEmbeds(in.Lang.T("chapters_title", "Count", len(chapters)), lines, colorScheduled), false), nil
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
	if err := a.supportApart(ctx, in, name, &channel, nil); err != nil {
		return nil, err
	}
	c, err := a.db.AddChapter(ctx, store.Chapter{GuildID: in.GuildID, Name: name, TimeZone: tz, ChannelID: channel, LeadRoleID: lead})
	if err != nil {
		return nil, err
	}
	a.log.Info("chapter added", "guild", in.GuildID, "chapter", c.ID)
	return ephemeral(in.Lang.T("chapter_added", "Name", escape(c.Name), "Zone", c.TimeZone) + setupHint(in.Lang, c)), nil
}

func setupHint(l Lang, c store.Chapter) string {
	var id string
	switch {
	case c.ChannelID == "" && c.LeadRoleID == "":
		id = "setup_hint_both"
	case c.ChannelID == "":
		id = "setup_hint_channel"
	case c.LeadRoleID == "":
		id = "setup_hint_lead"
	default:
		return ""
	}
	return l.T(id, "Name", c.Name)
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
	if in.has("language") {
		lang := in.str("language")
		switch lang {
		case PostEnglish, PostSpanish, PostBilingual:
		default:
			return nil, invalid("err_language_option", "Choices", choiceNames(PostEnglish, PostSpanish, PostBilingual))
		}
		u.Language = &lang
	}
	if in.has("high_risk") {
		on, err := readOnOff(in, "high_risk")
		if err != nil {
			return nil, err
		}
		u.HighRisk = &on
	}
	support, err := a.chapterSupportUpdate(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := a.supportApart(ctx, in, in.str("chapter"), u.ChannelID, support.SupportChannelID); err != nil {
		return nil, err
	}
	if u == (store.ChapterUpdate{}) && support.IsZero() {
		return nil, invalid("err_setup_nothing")
	}
	var c store.Chapter
	if u == (store.ChapterUpdate{}) {
		c, err = a.db.ChapterByName(ctx, in.GuildID, in.str("chapter"))
	} else {
		c, err = a.db.UpdateChapter(ctx, in.GuildID, in.str("chapter"), u)
	}
	if err != nil {
		return nil, err
	}
	var supportParts []string
	if !support.IsZero() {
		s, err := a.db.SetChapterSupport(ctx, c.ID, support)
		if err != nil {
			return nil, err
		}
		supportParts = supportSetupParts(in.Lang, s)
	}
	a.log.Info("chapter set up", "guild", in.GuildID, "chapter", c.ID)
	var parts []string
	if c.ChannelID != "" {
		parts = append(parts, in.Lang.T("setup_announces_in", "Channel", "<#"+c.ChannelID+">"))
	}
	if c.LeadRoleID != "" {
		parts = append(parts, in.Lang.T("setup_led_by", "Role", "<@&"+c.LeadRoleID+">"))
	}
	parts = append(parts, in.Lang.T("setup_times_in", "Zone", c.TimeZone))
	if in.has("language") || c.Language != PostEnglish {
		parts = append(parts, in.Lang.T("setup_posts_in", "Language", in.Lang.T("language_"+c.Language)))
	}
	if in.has("high_risk") || c.HighRisk {
		parts = append(parts, in.Lang.T(map[bool]string{true: "setup_high_risk_on", false: "setup_high_risk_off"}[c.HighRisk]))
	}
	parts = append(parts, supportParts...)
	return ephemeral(fmt.Sprintf("**%s** %s.", escape(c.Name), strings.Join(parts, ", ")) + setupHint(in.Lang, c)), nil
}

func (a *App) chapterRemove(ctx context.Context, in *Input) (*Response, error) {
	c, err := a.db.RemoveChapter(ctx, in.GuildID, in.str("chapter"))
	if err != nil {
		return nil, err
	}
	a.log.Info("chapter removed", "guild", in.GuildID, "chapter", c.ID)
	return ephemeral(in.Lang.T("chapter_removed", "Name", escape(c.Name))), nil
}
