package commands

import "github.com/bwmarrin/discordgo"

// Discord's client sends each option as its definition declares it: a
// boolean as true or false, a number as a number. A forged
// interaction need not, and a handler reading a boolean sent as "true"
// would read false (a private place made public, a high-risk rally made
// ordinary). So every command's options are checked here against the same
// definition that was registered, before anyone is authorized or anything
// is read; the handlers still check lengths, ranges and choices, with
// their own sentences.

// leafDefinitions is the definitions of the options the interaction's
// subcommand (or command) takes.
func leafDefinitions(def *discordgo.ApplicationCommand, data discordgo.ApplicationCommandInteractionData) []*discordgo.ApplicationCommandOption {
	defs, options := def.Options, data.Options
	for len(options) == 1 && (options[0].Type == discordgo.ApplicationCommandOptionSubCommand ||
		options[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		var next []*discordgo.ApplicationCommandOption
		for _, d := range defs {
			if d.Name == options[0].Name {
				next = d.Options
			}
		}
		defs, options = next, options[0].Options
	}
	return defs
}

// checkOptionTypes refuses an option whose value is not of its defined
// type. Options the
// definition does not name are left to the handlers, which never read them.
func checkOptionTypes(defs []*discordgo.ApplicationCommandOption, opts map[string]*discordgo.ApplicationCommandInteractionDataOption) error {
	for _, d := range defs {
		o, ok := opts[d.Name]
		if !ok {
			continue
		}
		switch d.Type {
		case discordgo.ApplicationCommandOptionBoolean:
			if _, ok := o.Value.(bool); !ok {
				return invalid("err_option_bool", "Option", d.Name)
			}
		case discordgo.ApplicationCommandOptionInteger:
			if f, ok := o.Value.(float64); !ok || f != float64(int64(f)) {
				return invalid("err_whole_number", "Option", d.Name)
			}
		case discordgo.ApplicationCommandOptionString:
			if _, ok := o.Value.(string); !ok {
				return invalid("err_option_text", "Option", d.Name)
			}
		}
	}
	return nil
}
