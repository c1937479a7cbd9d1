package sandbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/commands"
	"rallybot/fakediscord"
)

//go:embed assets
var assets embed.FS

// dmView is the ch value of the acting member's direct messages, eventsView
// of the server's Events tab.
const (
	dmView     = "dm"
	eventsView = "events"
)

// interactionWait bounds one interaction sent from the page; the fake gives
// up sooner (its own bound) when the bot never answers.
const interactionWait = 15 * time.Second

type server struct {
	cfg     Config
	discord *fakediscord.Server
	clock   *Clock
	log     *slog.Logger
	page    *template.Template
	static  http.Handler
	done    chan struct{} // closed when Run stops serving
	// host is the page's own address (host:port) as the browser names it:
	// the only Host answered, and the only Origin whose POSTs are taken.
	host string

	advancing sync.Mutex // one clock move (and its job run) at a time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when the clock moves
	jump    string        // what the last clock move passed over, for the page
}

func newServer(cfg Config) *server {
	sub, _ := fs.Sub(assets, "assets")
	s := &server{
		cfg: cfg, discord: cfg.Discord, clock: cfg.Clock, log: cfg.Log,
		page:    template.Must(template.New("page.html").ParseFS(assets, "assets/page.html")),
		static:  http.StripPrefix("/static/", http.FileServerFS(sub)),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Another web page the operator visits must not drive the sandbox (a
	// form posted across sites) nor read it (a name of its own rebound to
	// 127.0.0.1): the page answers only its own name, and takes actions
	// only from its own page.
	if !s.ownHost(r.Host) {
		http.Error(w, "this sandbox answers only at http://"+s.host+"/", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.ownOrigin(r) {
		http.Error(w, "only the sandbox's own page may send this", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		s.servePage(w, r)
	case r.URL.Path == "/messages" && r.Method == http.MethodGet:
		s.serveMessages(w, r)
	case r.URL.Path == "/events" && r.Method == http.MethodGet:
		s.serveEvents(w, r)
	case r.URL.Path == "/autocomplete" && r.Method == http.MethodGet:
		s.serveAutocomplete(w, r)
	case r.URL.Path == "/command" && r.Method == http.MethodPost:
		s.act(w, r, s.command)
	case r.URL.Path == "/click" && r.Method == http.MethodPost:
		s.act(w, r, s.click)
	case r.URL.Path == "/clock" && r.Method == http.MethodPost:
		s.act(w, r, s.moveClock)
	case strings.HasPrefix(r.URL.Path, "/files/") && r.Method == http.MethodGet:
		s.serveFile(w, r)
	case strings.HasPrefix(r.URL.Path, "/static/") && r.Method == http.MethodGet:
		s.static.ServeHTTP(w, r)
	case r.URL.Path == "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// ownHost reports whether host (a request's Host) is the page's own address.
// 127.0.0.1 and localhost both name this machine; a name the operator did
// not give does not.
func (s *server) ownHost(host string) bool {
	if host == s.host {
		return true
	}
	h, port, err := net.SplitHostPort(s.host)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() && ip.To4() != nil {
		return host == net.JoinHostPort("localhost", port)
	}
	return false
}

// ownOrigin reports whether a POST comes from the page itself: its Origin
// (or, from a browser that sends none, its Referer) is the page's. A request
// that names neither is refused: every browser names one on a POST.
func (s *server) ownOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host == "" {
			return false
		}
		origin = ref.Scheme + "://" + ref.Host
	}
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == "http" && u.Path == "" && s.ownHost(u.Host) && u.Host == r.Host
}

// view is where the page looks from: who acts, in which channel.
type view struct {
	As      member
	Channel string // a channel id, or dmView
}

func (s *server) viewOf(r *http.Request) view {
	v := view{As: members[0], Channel: chapters[0].ChannelID}
	if m, ok := memberByKey(r.FormValue("as")); ok {
		v.As = m
	}
	ch := r.FormValue("ch")
	if ch == dmView || ch == eventsView {
		v.Channel = ch
	}
	for _, c := range s.discord.Channels(GuildID) {
		if c.ID == ch {
			v.Channel = ch
		}
	}
	return v
}

func (v view) query() string {
	return url.Values{"as": {v.As.Key}, "ch": {v.Channel}}.Encode()
}

// invocation is an interaction from m in channel ch of the sandbox server.
func (s *server) invocation(m member, ch string) fakediscord.Invocation {
	return fakediscord.Invocation{GuildID: GuildID, ChannelID: ch, Member: m.Member}
}

// where resolves the view to the channel interactions happen in: the
// member's DM channel has no guild.
func (s *server) where(v view) (fakediscord.Invocation, error) {
	if v.Channel == eventsView {
		return fakediscord.Invocation{}, errors.New("the Events tab has no buttons: open a channel")
	}
	if v.Channel != dmView {
		return s.invocation(v.As, v.Channel), nil
	}
	id := s.discord.DMChannel(v.As.UserID)
	if id == "" {
		return fakediscord.Invocation{}, errors.New("the bot has not written to you yet")
	}
	return fakediscord.Invocation{ChannelID: id, Member: v.As.Member}, nil
}

// act runs a form's action. Without the page's script the browser posts the
// form and gets the page back (post, redirect, get); the script posts it
// itself and shows the answer, and the event stream brings the changes.
func (s *server) act(w http.ResponseWriter, r *http.Request, do func(context.Context, view, *http.Request) error) {
	v := s.viewOf(r)
	started := time.Now()
	err := do(r.Context(), v, r)
	s.log.Debug("sandbox action", "path", r.URL.Path, "as", v.As.Key, "took", time.Since(started).String(), "err", err)
	if r.Header.Get("X-Sandbox-Fetch") != "" {
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	target := "/?" + v.query()
	if cmd := r.FormValue("cmd"); cmd != "" && r.URL.Path == "/command" {
		target += "&" + url.Values{"cmd": {cmd}}.Encode()
	}
	if err != nil {
		target += "&" + url.Values{"error": {err.Error()}}.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *server) click(ctx context.Context, v view, r *http.Request) error {
	inv, err := s.where(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, interactionWait)
	defer cancel()
	msg, id := r.FormValue("message"), r.FormValue("custom_id")
	if r.FormValue("kind") == "select" {
		_, err = s.discord.Select(ctx, inv, msg, id, r.Form["value"]...)
	} else {
		_, err = s.discord.Click(ctx, inv, msg, id)
	}
	return err
}

func (s *server) command(ctx context.Context, v view, r *http.Request) error {
	if v.Channel == dmView || v.Channel == eventsView {
		return errors.New("commands run in the server's channels: open one")
	}
	path, def, ok := s.findCommand(r.FormValue("cmd"))
	if !ok {
		return fmt.Errorf("no command %q", r.FormValue("cmd"))
	}
	opts, err := optionsFrom(def, r.Form, "")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, interactionWait)
	defer cancel()
	_, err = s.discord.Command(ctx, s.invocation(v.As, v.Channel), path, opts...)
	return err
}

// optionsFrom reads the form's option fields (opt-<name>) as the types the
// command declares; focused names the one being typed, for autocomplete.
func optionsFrom(defs []*discordgo.ApplicationCommandOption, form url.Values, focused string) ([]fakediscord.Option, error) {
	var out []fakediscord.Option
	for _, d := range defs {
		raw := strings.TrimSpace(form.Get("opt-" + d.Name))
		if d.Name == focused {
			out = append(out, fakediscord.Option{Name: d.Name, Type: d.Type, Value: raw, Focused: true})
			continue
		}
		if raw == "" {
			if d.Required && focused == "" {
				return nil, fmt.Errorf("%s is required", d.Name)
			}
			continue
		}
		o := fakediscord.Option{Name: d.Name, Type: d.Type, Value: raw}
		switch d.Type {
		case discordgo.ApplicationCommandOptionInteger:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				if focused != "" {
					continue
				}
				return nil, fmt.Errorf("%s: %q is not a whole number", d.Name, raw)
			}
			o.Value = n
		case discordgo.ApplicationCommandOptionNumber:
			f, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				if focused != "" {
					continue
				}
				return nil, fmt.Errorf("%s: %q is not a number", d.Name, raw)
			}
			o.Value = f
		case discordgo.ApplicationCommandOptionBoolean:
			o.Value = raw == "true"
		}
		out = append(out, o)
	}
	return out, nil
}

// findCommand finds "/rally create" among the registered commands: its path
// and the leaf's options.
func (s *server) findCommand(typed string) (string, []*discordgo.ApplicationCommandOption, bool) {
	want := strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(typed), "/")), " ")
	for _, c := range commandPaths(s.discord.Commands(GuildID)) {
		if c.Path == want {
			return c.Path, c.Options, true
		}
	}
	return "", nil, false
}

// commandPath is one invocable slash command: a command, or one of its
// subcommands.
type commandPath struct {
	Path, Description string
	Options           []*discordgo.ApplicationCommandOption
}

func commandPaths(cmds []*discordgo.ApplicationCommand) []commandPath {
	var out []commandPath
	var walk func(prefix, desc string, opts []*discordgo.ApplicationCommandOption)
	walk = func(prefix, desc string, opts []*discordgo.ApplicationCommandOption) {
		leaf := true
		for _, o := range opts {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
				leaf = false
				walk(prefix+" "+o.Name, o.Description, o.Options)
			}
		}
		if leaf {
			out = append(out, commandPath{Path: prefix, Description: desc, Options: opts})
		}
	}
	for _, c := range cmds {
		if c.Type == 0 || c.Type == discordgo.ChatApplicationCommand {
			walk(c.Name, c.Description, c.Options)
		}
	}
	return out
}

func (s *server) serveAutocomplete(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	w.Header().Set("Content-Type", "application/json")
	path, defs, ok := s.findCommand(r.FormValue("cmd"))
	focus := r.FormValue("focus")
	if !ok || v.Channel == dmView || v.Channel == eventsView {
		w.Write([]byte("[]"))
		return
	}
	opts, _ := optionsFrom(defs, r.Form, focus)
	ctx, cancel := context.WithTimeout(r.Context(), interactionWait)
	defer cancel()
	choices, err := s.discord.Autocomplete(ctx, s.invocation(v.As, v.Channel), path, opts...)
	if err != nil {
		s.log.Warn("autocomplete", "command", path, "option", focus, "err", err)
		w.Write([]byte("[]"))
		return
	}
	type choice struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	out := []choice{}
	for _, c := range choices {
		out = append(out, choice{Name: c.Name, Value: fmt.Sprint(c.Value)})
	}
	json.NewEncoder(w).Encode(out)
}

// ---- the clock ----

func (s *server) moveClock(ctx context.Context, _ view, r *http.Request) error {
	s.advancing.Lock()
	defer s.advancing.Unlock()
	now := s.clock.Now()
	var to time.Time
	switch step := r.FormValue("step"); step {
	case "1h":
		to = now.Add(time.Hour)
	case "1d":
		to = now.Add(24 * time.Hour)
	case "reminder":
		next, ok := s.nextReminder(now)
		if !ok {
			return errors.New("no reminder is coming: create a rally first")
		}
		to = next
	case "summary":
		if s.cfg.Summary == nil {
			return errors.New("the summary schedule is not known")
		}
		to = s.cfg.Summary.Next(now)
	default:
		return fmt.Errorf("unknown clock step %q", step)
	}
	// A second past the due time, so what is due at it is due.
	to = to.Add(time.Second)
	s.clock.set(to)
	s.setJump(s.skippedSummaries(now, to))
	s.notify()
	// The bot's tick loop runs every job at the time it receives and takes
	// the next value only when done: the second send waits for the first run.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for range 2 {
		select {
		case s.cfg.Tick <- to:
		case <-ctx.Done():
			return fmt.Errorf("the bot's scheduled jobs did not run: %w", ctx.Err())
		}
	}
	return nil
}

// startPattern finds a rally's start in an announcement or reminder: the
// bot writes it as a Discord timestamp.
var startPattern = regexp.MustCompile(`<t:(\d+):F>`)

// nextReminder is the earliest start-minus-offset after now over the rallies
// announced in the server's channels that are not cancelled. It reads what a
// member sees, so the sandbox needs nothing from the bot's database.
func (s *server) nextReminder(now time.Time) (time.Time, bool) {
	var best time.Time
	for _, c := range s.discord.Channels(GuildID) {
		for _, m := range s.discord.Messages(c.ID) {
			for _, e := range m.Embeds {
				if e == nil || cancelled(e) {
					continue
				}
				for _, f := range e.Fields {
					for _, match := range startPattern.FindAllStringSubmatch(f.Value+" "+e.Description, -1) {
						sec, _ := strconv.ParseInt(match[1], 10, 64)
						start := time.Unix(sec, 0)
						for _, off := range s.cfg.ReminderOffsets {
							due := start.Add(-off)
							if due.After(now) && (best.IsZero() || due.Before(best)) {
								best = due
							}
						}
					}
				}
			}
		}
	}
	return best, !best.IsZero()
}

// cancelled reports an announcement marked cancelled, in whichever language
// its chapter posts.
func cancelled(e *discordgo.MessageEmbed) bool {
	for _, f := range e.Fields {
		for _, l := range commands.Langs {
			if f != nil && f.Name == l.T("field_cancelled") {
				return true
			}
		}
	}
	return false
}

// skippedSummaries says which daily summaries a move from from to to passes
// over: the bot posts a summary only within its grace after the scheduled
// time (as after an outage), so a jump well past one skips it, and the page
// says so rather than leave the coordinators' channel silently without it.
func (s *server) skippedSummaries(from, to time.Time) string {
	if s.cfg.Summary == nil {
		return ""
	}
	var missed []string
	for t := s.cfg.Summary.Next(from); !t.After(to) && len(missed) < 8; t = s.cfg.Summary.Next(t) {
		if to.Sub(t) > s.cfg.SummaryGrace {
			missed = append(missed, formatClock(t))
		}
	}
	switch len(missed) {
	case 0:
		return ""
	case 1:
		return "The clock jumped past the daily summary due " + missed[0] + ", so the bot skipped it (it posts a summary only within " +
			roughly(s.cfg.SummaryGrace) + " of its time, as after an outage). Use “To the next summary” to see one."
	}
	return fmt.Sprintf("The clock jumped past %d daily summaries (the first due %s), so the bot skipped them (it posts a summary only within %s of its time, as after an outage). Use “To the next summary” to see one.",
		len(missed), missed[0], roughly(s.cfg.SummaryGrace))
}

func (s *server) setJump(note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jump = note
}

func (s *server) jumpNote() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jump
}

func (s *server) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *server) clockChanged() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// serveEvents streams "change" whenever the fake's state or the clock
// changes; the page then fetches what it shows. A burst of changes (the bot
// answering, then editing) becomes one event.
func (s *server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for {
		discord, clock := s.discord.Changed(), s.clockChanged()
		data, _ := json.Marshal(map[string]string{"clock": formatClock(s.clock.Now()), "note": s.jumpNote()})
		if _, err := fmt.Fprintf(w, "event: change\ndata: %s\n\n", data); err != nil {
			return
		}
		flusher.Flush()
		select {
		case <-discord:
		case <-clock:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		select {
		case <-time.After(15 * time.Millisecond):
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

func formatClock(t time.Time) string {
	return t.Local().Format("Mon Jan 2, 2006 15:04 MST")
}

// roughly is a duration in words: "1 hour", "90 minutes".
func roughly(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}
