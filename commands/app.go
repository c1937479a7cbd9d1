// Package commands is what rallybot does: the slash commands, buttons and
// autocomplete, each with its definition, who may use it and its handler, and
// the scheduled jobs (reminders, summaries, retention). Every sentence a
// member reads is written here. It talks to Discord through the discord
// package's one Client and knows nothing of the gateway.
package commands

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/robfig/cron/v3"

	"rallybot/discord"
	"rallybot/store"
)

// Config holds the settings the commands and jobs need.
type Config struct {
	ReminderOffsets []time.Duration
	RetentionDays   int
	SummarySchedule cron.Schedule // for /summary now's "since" and the scheduled run's slot
	// EditInterval is the least time between two edits of one announcement.
	EditInterval time.Duration
	// StaffingAlert is how long before its start a rally short of a role
	// minimum is told to its chapter (0: never).
	StaffingAlert time.Duration
	// ScheduledEvents mirrors announced rallies as Discord scheduled events.
	ScheduledEvents bool
	// LocationReveal is how long before its start a private place goes by
	// DM to those going.
	LocationReveal time.Duration
	// AllowedGuilds are the only servers served; empty: every server.
	AllowedGuilds []string
	// SafeHomeAfter is how long after a rally's end its unanswered
	// safe-home checks are listed in the support channel.
	SafeHomeAfter time.Duration
	// SummaryChart attaches a chart of going per chapter to the summary.
	SummaryChart bool
	// Metrics, when set, count interactions, scheduled sends and Discord's
	// errors for METRICS_ADDR.
	Metrics *Metrics
}

// App holds the route table and what the handlers share.
type App struct {
	db      *store.DB
	discord *discord.Client
	log     *slog.Logger
	now     func() time.Time
	cfg     Config

	routes    []*Command
	byName    map[string]*Command
	buttons   []buttonRoute
	refresher *refresher
	outbox    *outbox
	jobs      jobs
	zones     zoneCache
	whens     whenCache // rendered rally times for click replies (clickpath.go)
	menus     menuCache // needs menus with nothing picked (clickpath.go)
	// kinds is the table of the kinds of channel post (outbox.go).
	kinds map[store.PostKind]postKind
	// privacy, wal and background are deletion's (privacy.go): its job
	// locks, the log cleaner, and the work a reply starts and Close waits for.
	privacy          privacyJobs
	wal              *walCleaner
	background       sync.WaitGroup
	backgroundCtx    context.Context
	backgroundCancel context.CancelFunc
}

// Handler handles one command, subcommand or button and returns its reply.
type Handler func(ctx context.Context, in *Input) (*Response, error)

// AutocompleteHandler returns the choices for the focused option.
type AutocompleteHandler func(ctx context.Context, in *Input, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error)

// Route is one subcommand or button: who may use it, what it does and who
// sees the answer. authorize checks Access before Handle runs.
type Route struct {
	Access Access
	Handle Handler
	// Public answers are seen by the whole channel; every other route, every
	// button and every refusal answers the member alone. It is declared here,
	// not read from the reply, because a reply deferred past Discord's
	// 3-second deadline keeps the visibility of the defer.
	Public bool
	// PrivateFor, on a public route, picks the askers it answers alone
	// (a lead, who may see more): decided from who asks, before anything is
	// deferred (EphemeralFor).
	PrivateFor func(ctx context.Context, in *Input) bool
	// AlsoInServers takes a Recipient route's button in a server channel
	// too: a menu offered both in a DM and in a reply in the channel,
	// acting for the clicker alone wherever it is.
	AlsoInServers bool
}

// Command is one top-level slash command: its definition and its routes,
// keyed by subcommand name ("" when it has none). The same table feeds the
// registration and the dispatch, so neither can exist without the other.
type Command struct {
	Def          *discordgo.ApplicationCommand
	Routes       map[string]Route
	Autocomplete AutocompleteHandler
	// InDMs also offers the command in a DM with the bot, where it acts
	// for the member in every server (/privacy forget-me).
	InDMs bool
}

// buttonRoute routes a component by its custom_id; the pattern's named groups
// reach the handler as Input.Params.
type buttonRoute struct {
	pattern *regexp.Regexp
	Route
}

// Response is a handler's reply. The bot turns it into an interaction
// response; nothing in it can ping anyone but AllowUsers.
type Response = discord.Reply

// File is an attachment of a reply.
type File = discord.File

// Input is one interaction as the handlers see it.
type Input struct {
	*discordgo.Interaction
	Now     time.Time
	Path    string // "rally create"
	Options map[string]*discordgo.ApplicationCommandInteractionDataOption
	Params  map[string]string // a button's custom_id, by the pattern's group names
	// Lang is what the reply is written in: the interaction's locale.
	Lang Lang

	// What authorize loaded to check the route's Access, so the handler
	// reads it once: the rally of a RallyLead route, the chapter of a
	// ChapterLead route, the guild of a Coordinator route.
	Rally   store.Rally
	Chapter store.Chapter
	Guild   store.Guild
}

// Discord is the client the commands send through: the bot replies through
// the same one, so there is one DM-channel cache and one retry policy.
func (a *App) Discord() *discord.Client { return a.discord }

// New builds the route table.
func New(db *store.DB, dc *discord.Client, log *slog.Logger, now func() time.Time, cfg Config) *App {
	if cfg.EditInterval == 0 {
		cfg.EditInterval = time.Second
	}
	if cfg.SafeHomeAfter == 0 {
		cfg.SafeHomeAfter = 4 * time.Hour
	}
	a := &App{db: db, discord: dc, log: log, now: now, cfg: cfg, byName: map[string]*Command{}, kinds: postKinds()}
	a.refresher = newRefresher(cfg.EditInterval, a.refreshAnnouncement, log)
	a.wal = newWALCleaner(db, log)
	a.backgroundCtx, a.backgroundCancel = context.WithCancel(context.Background())
	// What a transaction owes Discord is sent as soon as it commits.
	a.outbox = newOutbox()
	a.outbox.start(func(ctx context.Context) error { return a.drainPosts(ctx, a.now()) },
		func(ctx context.Context) error { return a.drainDMs(ctx, a.now()) }, log)
	if db != nil {
		db.OnOwed(a.outbox.kick)
	}
	a.routes = []*Command{
		a.chapterCommand(),
		a.rallyCommand(),
		a.rsvpCommand(),
		a.myRSVPsCommand(),
		a.summaryCommand(),
		a.setupCommand(),
		a.privacyCommand(),
		a.helpCommand(),
		a.actionCommand(),
		a.notifyCommand(),
		a.checkinCommand(),
	}
	for _, c := range a.routes {
		guildOnly(c.Def)
		adminByDefault(c)
		if c.InDMs {
			*c.Def.Contexts = append(*c.Def.Contexts, discordgo.InteractionContextBotDM)
		}
		localizeCommand(c.Def)
		a.byName[c.Def.Name] = c
	}
	a.buttons = []buttonRoute{
		{pattern: rsvpCustomID{}.pattern(), Route: Route{Access: Everyone, Handle: a.rsvpButton}},
		{pattern: calendarCustomID{}.pattern(), Route: Route{Access: Everyone, Handle: a.myCalendarButton}},
		{pattern: checkinCustomID{}.pattern(), Route: Route{Access: Everyone, Handle: answersInDM(a.checkinButton)}},
		{pattern: confirmCustomID{}.pattern(), Route: Route{Access: Recipient, Handle: answersInDM(a.confirmButton)}},
		{pattern: requestCustomID{}.pattern(), Route: Route{Access: RallyLead, Handle: a.answerButton}},
		{pattern: safeHomeCustomID{}.pattern(), Route: Route{Access: Recipient, Handle: answersInDM(a.safeHomeButton)}},
	}
	a.buttons = append(a.buttons, a.roleButtonRoutes()...)
	a.buttons = append(a.buttons, a.needsRoutes()...)
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

// Close stops the drainer (what it was sending stays owed), flushes pending
// announcement edits and stops their timers, and stops the background work
// of deletions.
func (a *App) Close() {
	a.outbox.close()
	a.refresher.close()
	a.backgroundCancel()
	a.background.Wait()
	a.wal.close()
}

// SeedGuild gives a newly seen guild its default chapters, once.
func (a *App) SeedGuild(ctx context.Context, guildID string) error {
	if !a.GuildAllowed(guildID) {
		return &NotAllowedError{GuildID: guildID}
	}
	seeded, err := a.db.SeedGuild(ctx, guildID)
	if err == nil && seeded {
		a.log.Info("seeded default chapters", "guild", guildID, "chapters", len(store.DefaultChapters))
	}
	return err
}

// GuildAllowed reports whether the bot serves the guild: with ALLOWED_GUILDS
// set, a server outside it gets nothing stored and nothing answered but a
// refusal, so a stranger who adds the bot cannot put their members in the
// coalition's database.
func (a *App) GuildAllowed(guildID string) bool {
	return len(a.cfg.AllowedGuilds) == 0 || slices.Contains(a.cfg.AllowedGuilds, guildID)
}

// NotAllowedError is SeedGuild's refusal of a guild outside AllowedGuilds.
type NotAllowedError struct{ GuildID string }

func (e *NotAllowedError) Error() string { return "server " + e.GuildID + " is not in ALLOWED_GUILDS" }

// interactionLog is an interaction's logger, built when something is
// logged: most clicks log nothing, and slog's With formats its attributes
// at once (2.5 KB a click).
type interactionLog struct {
	base *slog.Logger
	args []any
	l    *slog.Logger
}

func (l *interactionLog) with(args ...any) {
	l.args, l.l = append(l.args, args...), nil
}

func (l *interactionLog) logger() *slog.Logger {
	if l.l == nil {
		l.l = l.base.With(l.args...)
	}
	return l.l
}

// Handle routes one interaction to its handler and returns the reply. It never
// panics: a panic is logged and answered like any internal error.
func (a *App) Handle(ctx context.Context, i *discordgo.Interaction) (resp *Response) {
	in := &Input{Interaction: i, Now: a.now(), Lang: langOf(string(i.Locale))}
	log := &interactionLog{base: a.log, args: []any{"interaction", i.ID, "type", i.Type.String()}}
	outcome := "refused" // until the handler has answered
	defer func() {
		if p := recover(); p != nil {
			log.logger().Error("handler panicked", "panic", p, "stack", string(debug.Stack()))
			resp, outcome = &Response{Content: "⚠️ " + in.Lang.T(internalMessage), Ephemeral: true}, "error"
		}
		a.cfg.Metrics.Interaction(InteractionKind(i.Type), outcome)
	}()
	inDM := i.GuildID == "" || i.Member == nil || i.Member.User == nil
	if inDM && (i.User == nil || i.Type != discordgo.InteractionMessageComponent && !a.offeredInDMs(i)) {
		return ephemeral(in.Lang.T("only_in_server"))
	}
	if !inDM && !a.GuildAllowed(i.GuildID) {
		log.logger().Warn("interaction from a server not in ALLOWED_GUILDS", "guild", i.GuildID)
		return ephemeral(in.Lang.T("guild_not_allowed"))
	}
	if i.Locale != "" && !inDM && i.Type != discordgo.InteractionApplicationCommandAutocomplete {
		// DMs, which answer no interaction, follow the last locale seen. It
		// is recorded after the handler, so an RSVP made by this very
		// interaction counts, and only for members with an RSVP or a role.
		defer func() {
			if err := a.db.SetMemberLocale(context.WithoutCancel(ctx), i.GuildID, i.Member.User.ID, string(i.Locale)); err != nil {
				log.logger().Warn("could not record the member's locale", "err", err)
			}
		}()
	}
	var route Route
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		data := i.ApplicationCommandData()
		cmd := a.byName[data.Name]
		if cmd == nil {
			log.logger().Warn("unknown command", "command", data.Name)
			return ephemeral(in.Lang.T("unknown_command"))
		}
		var sub string
		in.Path, sub, in.Options = flatten(data)
		log.with("command", in.Path)
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			outcome = "ok"
			return a.autocomplete(ctx, cmd, in, log.logger())
		}
		route = cmd.Routes[sub]
		if route.Handle == nil {
			log.logger().Warn("unknown subcommand")
			return ephemeral(in.Lang.T("unknown_command"))
		}
		if err := checkOptionTypes(leafDefinitions(cmd.Def, data), in.Options); err != nil {
			return errorReply(log.logger(), in.Lang, err)
		}
	case discordgo.InteractionMessageComponent:
		id := i.MessageComponentData().CustomID
		for _, b := range a.buttons {
			if m := b.pattern.FindStringSubmatch(id); m != nil {
				in.Params, route = namedGroups(b.pattern, m), b.Route
				break
			}
		}
		if route.Handle == nil {
			log.logger().Warn("button with an unknown custom_id", "custom_id", customIDForLog(id))
			return ephemeral(in.Lang.T("button_invalid"))
		}
		log.with("custom_id", customIDForLog(id))
		if inDM && route.Access != Recipient {
			return ephemeral(in.Lang.T("only_in_server"))
		}
		if !inDM && route.Access == Recipient && !route.AlsoInServers {
			// A DM's button acts on the rally its custom_id names, in
			// whichever server: pressed anywhere but a DM it was forged.
			log.logger().Warn("a DM's button pressed in a server", "guild", i.GuildID)
			return ephemeral(in.Lang.T("button_dm_only"))
		}
	case discordgo.InteractionModalSubmit:
		// The bot opens no form: one submitted was forged.
		log.logger().Warn("a form the bot never opened was submitted")
		return ephemeral(in.Lang.T("form_invalid"))
	default:
		return nil
	}
	if err := a.authorize(ctx, route.Access, in); err != nil {
		if unknownRallyButton(i, err) {
			log.logger().Warn("button for an unknown rally", "guild", i.GuildID)
			return ephemeral(in.Lang.T("button_invalid"))
		}
		return errorReply(log.logger(), in.Lang, err)
	}
	resp, err := route.Handle(ctx, in)
	if unknownRallyButton(i, err) {
		log.logger().Warn("button for an unknown rally", "guild", i.GuildID)
		return ephemeral(in.Lang.T("button_invalid"))
	}
	if err != nil {
		if userError(err) == nil {
			outcome = "error"
		}
		return errorReply(log.logger(), in.Lang, err)
	}
	outcome = "ok"
	return resp
}

// unknownRallyButton reports whether err is a button's rally that does not
// exist (forged, or purged since): told as a button that is no longer
// valid, not as a command's option to pick again.
func unknownRallyButton(i *discordgo.Interaction, err error) bool {
	return i.Type == discordgo.InteractionMessageComponent && errors.Is(err, store.ErrNoSuchRally)
}

// offeredInDMs reports whether the interaction is a command offered in a
// DM with the bot.
func (a *App) offeredInDMs(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return false
	}
	cmd := a.byName[i.ApplicationCommandData().Name]
	return cmd != nil && cmd.InDMs
}

// Ephemeral reports whether the interaction's answer is seen only by the
// member, from its route's declared visibility alone: it is asked before the
// handler has answered. Only a slash command can be public.
func (a *App) Ephemeral(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return true
	}
	data := i.ApplicationCommandData()
	cmd := a.byName[data.Name]
	if cmd == nil {
		return true
	}
	_, sub, _ := flatten(data)
	return !cmd.Routes[sub].Public
}

// EphemeralFor is Ephemeral for this asker: a public route answers those
// its PrivateFor picks alone. The bot asks it before deferring, so an answer
// meant for one member is never deferred in public.
func (a *App) EphemeralFor(ctx context.Context, i *discordgo.Interaction) bool {
	if a.Ephemeral(i) {
		return true
	}
	data := i.ApplicationCommandData()
	path, sub, opts := flatten(data)
	route := a.byName[data.Name].Routes[sub]
	if route.PrivateFor == nil {
		return false
	}
	in := &Input{Interaction: i, Now: a.now(), Path: path, Options: opts, Lang: langOf(string(i.Locale))}
	return route.PrivateFor(ctx, in)
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

// ephemeral is a reply only the member sees.
func ephemeral(text string) *Response {
	return &Response{Content: text, Ephemeral: true}
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

// namedGroups maps a pattern's named groups to what they matched.
func namedGroups(p *regexp.Regexp, match []string) map[string]string {
	out := make(map[string]string, len(match))
	for i, name := range p.SubexpNames() {
		if name != "" {
			out[name] = match[i]
		}
	}
	return out
}

// has reports whether the option was given.
// bool reads a boolean option; false when absent.
func (in *Input) bool(name string) bool {
	if o, ok := in.Options[name]; ok {
		b, _ := o.Value.(bool)
		return b
	}
	return false
}

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
		return 0, true, invalid("err_whole_number", "Option", name)
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

func (in *Input) userID() string {
	if in.Member == nil || in.Member.User == nil {
		return in.User.ID // a click in a DM
	}
	return in.Member.User.ID
}

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

// DoneReply is what a deferred interaction shows when its handler had
// nothing to say, in the interaction's language.
func DoneReply(i *discordgo.Interaction, ephemeral bool) *Response {
	return &Response{Content: langOf(string(i.Locale)).T("done"), Ephemeral: ephemeral}
}

// WithheldReply is what a public deferred placeholder shows when the answer
// meant for the member alone cannot be sent without showing it to all.
func WithheldReply(i *discordgo.Interaction) *Response {
	return &Response{Content: langOf(string(i.Locale)).T("reply_withheld")}
}

// customIDForLog is a button's custom id as logged: a member's id in it (a
// lead's Approve / Decline carries the member's) is left out, as is any
// other snowflake a forged id may carry; rally ids and words stay.
func customIDForLog(id string) string {
	return truncate(snowflakeRun.ReplaceAllString(id, "…"), 100)
}

var snowflakeRun = regexp.MustCompile(`[0-9]{15,}`)
