// Package commands is what rallybot does: the slash commands, buttons and
// autocomplete, each with its definition, permission check and handler, and
// the scheduled jobs (reminders, summaries, retention). It talks to Discord's
// REST API through a discordgo session but knows nothing of the gateway.
package commands

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/robfig/cron/v3"

	"rallybot/store"
)

// Config holds the settings the commands and jobs need.
type Config struct {
	ReminderOffsets []time.Duration
	RetentionDays   int
	SummarySchedule cron.Schedule // for /summary now's "since" and the scheduled run's slot
	// EditInterval is the least time between two edits of one announcement.
	EditInterval time.Duration
}

// App holds the route table and what the handlers share.
type App struct {
	db      *store.DB
	discord *discordgo.Session
	log     *slog.Logger
	now     func() time.Time
	cfg     Config

	routes    []*Command
	byName    map[string]*Command
	buttons   []buttonRoute
	refresher *refresher
	jobs      jobs
}

// Handler handles one command, subcommand or button and returns its reply.
type Handler func(ctx context.Context, in *Input) (*Response, error)

// AutocompleteHandler returns the choices for the focused option.
type AutocompleteHandler func(ctx context.Context, in *Input, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error)

// Command is one top-level slash command: its definition and its handlers,
// keyed by subcommand name ("" when it has none). The same table feeds the
// registration and the dispatch, so neither can exist without the other.
type Command struct {
	Def          *discordgo.ApplicationCommand
	Handlers     map[string]Handler
	Autocomplete AutocompleteHandler
}

type buttonRoute struct {
	pattern *regexp.Regexp
	handle  Handler
}

// Response is a handler's reply. The bot turns it into an interaction
// response; nothing in it can ping anyone but AllowUsers.
type Response struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Ephemeral  bool
	Choices    []*discordgo.ApplicationCommandOptionChoice
	// Followups are further messages, for what does not fit in one.
	Followups []*Response
}

// Input is one interaction as the handlers see it.
type Input struct {
	*discordgo.Interaction
	Now     time.Time
	Path    string // "rally create"
	Options map[string]*discordgo.ApplicationCommandInteractionDataOption
	Match   []string // a button's custom_id pattern groups
}

// New builds the route table.
func New(db *store.DB, discord *discordgo.Session, log *slog.Logger, now func() time.Time, cfg Config) *App {
	if cfg.EditInterval == 0 {
		cfg.EditInterval = time.Second
	}
	a := &App{db: db, discord: discord, log: log, now: now, cfg: cfg, byName: map[string]*Command{}}
	a.refresher = newRefresher(cfg.EditInterval, a.refreshAnnouncement, log)
	a.routes = []*Command{
		a.chapterCommand(),
		a.rallyCommand(),
		a.rsvpCommand(),
		a.myRSVPsCommand(),
		a.summaryCommand(),
		a.setupCommand(),
		a.privacyCommand(),
		a.actionCommand(),
	}
	for _, c := range a.routes {
		guildOnly(c.Def)
		a.byName[c.Def.Name] = c
	}
	a.buttons = []buttonRoute{
		{regexp.MustCompile(`^rsvp:(going|maybe|not_going):([1-9][0-9]{0,18})$`), a.rsvpButton},
	}
	return a
}

// guildOnly keeps a command out of DMs: everything here belongs to a server.
func guildOnly(def *discordgo.ApplicationCommand) {
	def.Contexts = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	def.IntegrationTypes = &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
}

// Definitions returns every command to register.
func (a *App) Definitions() []*discordgo.ApplicationCommand {
	defs := make([]*discordgo.ApplicationCommand, len(a.routes))
	for i, c := range a.routes {
		defs[i] = c.Def
	}
	return defs
}

// Close flushes pending announcement edits and stops their timers.
func (a *App) Close() { a.refresher.close() }

// SeedGuild gives a newly seen guild its default chapters, once.
func (a *App) SeedGuild(ctx context.Context, guildID string) error {
	seeded, err := a.db.SeedGuild(ctx, guildID)
	if err == nil && seeded {
		a.log.Info("seeded default chapters", "guild", guildID, "chapters", len(store.DefaultChapters))
	}
	return err
}

// Handle routes one interaction to its handler and returns the reply. It never
// panics: a panic is logged and answered like any internal error.
func (a *App) Handle(ctx context.Context, i *discordgo.Interaction) (resp *Response) {
	in := &Input{Interaction: i, Now: a.now()}
	log := a.log.With("interaction", i.ID, "type", i.Type.String())
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", p, "stack", string(debug.Stack()))
			resp = errorResponse(fmt.Errorf("panic: %v", p))
		}
	}()
	if i.GuildID == "" || i.Member == nil || i.Member.User == nil {
		return ephemeral("rallybot works inside a server. Use its commands in your organizing server's channels.")
	}
	var h Handler
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		data := i.ApplicationCommandData()
		cmd := a.byName[data.Name]
		if cmd == nil {
			log.Warn("unknown command", "command", data.Name)
			return ephemeral("This command is not known any more. Discord may still be updating its list; try again in a minute.")
		}
		var sub string
		in.Path, sub, in.Options = flatten(data)
		log = log.With("command", in.Path)
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			return a.autocomplete(ctx, cmd, in, log)
		}
		h = cmd.Handlers[sub]
		if h == nil {
			log.Warn("unknown subcommand")
			return ephemeral("This command is not known any more. Discord may still be updating its list; try again in a minute.")
		}
	case discordgo.InteractionMessageComponent:
		id := i.MessageComponentData().CustomID
		for _, b := range a.buttons {
			if m := b.pattern.FindStringSubmatch(id); m != nil {
				in.Match, h = m, b.handle
				break
			}
		}
		if h == nil {
			log.Warn("button with an unknown custom_id", "custom_id", truncate(id, 100))
			return ephemeral("This button is no longer valid.")
		}
		log = log.With("custom_id", id)
	default:
		return nil
	}
	resp, err := h(ctx, in)
	if err != nil {
		if store.ErrorCode(err) == store.EInternal {
			log.Error("handler failed", "err", err)
		} else {
			// The reason can quote what the member typed: log only its kind.
			log.Debug("refused", "code", store.ErrorCode(err))
		}
		return errorResponse(err)
	}
	return resp
}

func (a *App) autocomplete(ctx context.Context, cmd *Command, in *Input, log *slog.Logger) *Response {
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for _, o := range in.Options {
		if o.Focused {
			focused = o
		}
	}
	if cmd.Autocomplete == nil || focused == nil {
		return &Response{Choices: []*discordgo.ApplicationCommandOptionChoice{}}
	}
	choices, err := cmd.Autocomplete(ctx, in, focused)
	if err != nil {
		log.Error("autocomplete failed", "err", err)
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	if len(choices) > 25 {
		choices = choices[:25]
	}
	return &Response{Choices: choices}
}

// flatten walks subcommand groups and subcommands down to the leaf options.
func flatten(data discordgo.ApplicationCommandInteractionData) (path, sub string, opts map[string]*discordgo.ApplicationCommandInteractionDataOption) {
	parts := []string{data.Name}
	options := data.Options
	var subParts []string
	for len(options) == 1 && (options[0].Type == discordgo.ApplicationCommandOptionSubCommand ||
		options[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		parts = append(parts, options[0].Name)
		subParts = append(subParts, options[0].Name)
		options = options[0].Options
	}
	opts = make(map[string]*discordgo.ApplicationCommandInteractionDataOption, len(options))
	for _, o := range options {
		opts[o.Name] = o
	}
	return strings.Join(parts, " "), strings.Join(subParts, " "), opts
}

func ephemeral(format string, args ...any) *Response {
	return &Response{Content: fmt.Sprintf(format, args...), Ephemeral: true}
}

func errorResponse(err error) *Response {
	return &Response{Content: "⚠️ " + store.ErrorMessage(err), Ephemeral: true}
}

func invalid(format string, args ...any) error { return store.Errorf(store.EInvalid, format, args...) }

func forbidden(format string, args ...any) error {
	return store.Errorf(store.EForbidden, format, args...)
}

// str returns a string option, trimmed; "" when absent.
func (in *Input) str(name string) string {
	if o, ok := in.Options[name]; ok {
		if s, ok := o.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// has reports whether the option was given.
func (in *Input) has(name string) bool { _, ok := in.Options[name]; return ok }

// int returns an integer option. Discord sends numbers as JSON numbers; a
// forged payload may send anything, so anything else is an error.
func (in *Input) int(name string) (int64, bool, error) {
	o, ok := in.Options[name]
	if !ok {
		return 0, false, nil
	}
	f, isNum := o.Value.(float64)
	if !isNum || f != float64(int64(f)) {
		return 0, true, invalid("`%s` must be a whole number.", name)
	}
	return int64(f), true, nil
}

// id returns a channel, role or user option's id.
func (in *Input) id(name string) string {
	s := in.str(name)
	if !isSnowflake(s) {
		return ""
	}
	return s
}

func (in *Input) userID() string { return in.Member.User.ID }

// isAdmin reports whether the member may configure the server (Manage Server
// or Administrator), from the permissions Discord computed for this interaction.
func (in *Input) isAdmin() bool {
	p := in.Member.Permissions
	return p&discordgo.PermissionAdministrator != 0 || p&discordgo.PermissionManageGuild != 0
}

func (in *Input) hasRole(roleID string) bool {
	if roleID == "" {
		return false
	}
	for _, r := range in.Member.Roles {
		if r == roleID {
			return true
		}
	}
	return false
}

func isSnowflake(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
