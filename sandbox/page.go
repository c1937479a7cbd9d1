package sandbox

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

type pageData struct {
	View     view
	Query    template.URL // as= and ch=, for the page's links and forms
	Members  []member
	Channels []channelLink
	Title    string
	Note     string // who sees this view
	Clock    string
	Error    string
	Messages []messageView
	Commands []commandPath
	Command  *commandForm
	InDM     bool
	// InEvents: the view is the server's Events tab (Events), not a channel.
	InEvents bool
	Events   []eventView
	// JumpNote says what the last clock move passed over (a summary).
	JumpNote string
}

// eventView is one scheduled event as the Events tab shows it.
type eventView struct {
	ID, Name, Location, Status string
	Start, End                 template.HTML
	Description                template.HTML
}

type channelLink struct {
	Name, Href string
	Current    bool
}

type commandForm struct {
	Path, Description string
	Options           []optionField
}

// optionField is one command option as a labelled form field.
type optionField struct {
	Name, Description string
	Required          bool
	Select            bool // a fixed list: choices, a channel, a role, a user, true/false
	Autocomplete      bool // the bot suggests values as the member types
	InputType         string
	Min, Max          string
	MaxLength         int
	Choices           []choiceView
}

type choiceView struct{ Name, Value string }

func (s *server) servePage(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	d := pageData{
		View: v, Query: template.URL(v.query()), Members: members, Clock: formatClock(s.clock.Now()),
		Error: r.FormValue("error"), InDM: v.Channel == dmView, InEvents: v.Channel == eventsView,
		Commands: commandPaths(s.discord.Commands(GuildID)), JumpNote: s.jumpNote(),
	}
	for _, c := range s.discord.Channels(GuildID) {
		d.Channels = append(d.Channels, channelLink{Name: "#" + c.Name, Href: "/?" + view{As: v.As, Channel: c.ID}.query(), Current: c.ID == v.Channel})
		if c.ID == v.Channel {
			d.Title = "#" + c.Name
			d.Note = "Everyone in the server sees this channel; replies marked “only you” are for " + v.As.Name + " alone."
		}
	}
	d.Channels = append(d.Channels, channelLink{Name: "📅 Events", Href: "/?" + view{As: v.As, Channel: eventsView}.query(), Current: d.InEvents})
	d.Channels = append(d.Channels, channelLink{Name: "Direct messages", Href: "/?" + view{As: v.As, Channel: dmView}.query(), Current: d.InDM})
	if d.InDM {
		d.Title = "Direct messages: rallybot → " + v.As.Name
		d.Note = "Only " + v.As.Name + " sees these, and the replies to buttons pressed here."
	}
	if d.InEvents {
		d.Title = "Events"
		d.Note = "The server's Events tab: everyone in the server sees these scheduled events."
		d.Events = s.events(v.As)
	}
	if !d.InDM && !d.InEvents {
		if path, defs, ok := s.findCommand(r.FormValue("cmd")); ok {
			d.Command = s.commandForm(path, defs)
		}
	}
	if !d.InEvents {
		d.Messages = s.messages(v)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the page is the bot's state now, never a cached one
	if err := s.page.ExecuteTemplate(w, "page.html", d); err != nil {
		s.log.Error("render page", "err", err)
	}
}

func (s *server) serveMessages(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	d := pageData{View: v, Query: template.URL(v.query()), InEvents: v.Channel == eventsView}
	if d.InEvents {
		d.Events = s.events(v.As)
	} else {
		d.Messages = s.messages(v)
	}
	if err := s.page.ExecuteTemplate(w, "messages", d); err != nil {
		s.log.Error("render messages", "err", err)
	}
}

func (s *server) commandForm(path string, defs []*discordgo.ApplicationCommandOption) *commandForm {
	f := &commandForm{Path: path}
	for _, c := range commandPaths(s.discord.Commands(GuildID)) {
		if c.Path == path {
			f.Description = c.Description
		}
	}
	for _, d := range defs {
		o := optionField{Name: d.Name, Description: d.Description, Required: d.Required, Autocomplete: d.Autocomplete,
			InputType: "text", MaxLength: d.MaxLength}
		for _, c := range d.Choices {
			o.Choices = append(o.Choices, choiceView{Name: c.Name, Value: fmt.Sprint(c.Value)})
		}
		switch d.Type {
		case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
			o.InputType = "number"
			if d.MinValue != nil {
				o.Min = strconv.FormatFloat(*d.MinValue, 'f', -1, 64)
			}
			if d.MaxValue != 0 {
				o.Max = strconv.FormatFloat(d.MaxValue, 'f', -1, 64)
			}
		case discordgo.ApplicationCommandOptionBoolean:
			o.Choices = []choiceView{{"true", "true"}, {"false", "false"}}
		case discordgo.ApplicationCommandOptionChannel:
			for _, c := range s.discord.Channels(GuildID) {
				o.Choices = append(o.Choices, choiceView{Name: "#" + c.Name, Value: c.ID})
			}
		case discordgo.ApplicationCommandOptionRole:
			for _, r := range guild().Roles {
				if r.ID != GuildID {
					o.Choices = append(o.Choices, choiceView{Name: "@" + r.Name, Value: r.ID})
				}
			}
		case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
			for _, m := range members {
				o.Choices = append(o.Choices, choiceView{Name: m.Name + " (" + m.Role + ")", Value: m.UserID})
			}
		}
		o.Select = len(o.Choices) > 0 && !o.Autocomplete
		f.Options = append(f.Options, o)
	}
	return f
}

// messageView is one message as the page shows it.
type messageView struct {
	ID          string
	Attachments []attachmentView
	By          string // who triggered it, when an interaction did
	Private     string // why only the acting member sees it, "" when everyone does
	Edited      bool
	Loading     bool
	Content     template.HTML
	Embeds      []embedView
	Rows        [][]componentView
	Ephemeral   bool
}

type embedView struct {
	Image       *attachmentView // a chart the bot attached and shows in the embed
	Title       template.HTML
	Description template.HTML
	Fields      []fieldView
	Footer      template.HTML
	Color       string
}

type fieldView struct {
	Name   string
	Value  template.HTML
	Inline bool
}

type componentView struct {
	Button              bool
	Label, CustomID     string
	Style               string
	URL                 string
	Disabled            bool
	Placeholder         string
	Options             []choiceView
	MinValues, MaxValue int
}

// attachmentView is a file the bot attached, with where the page serves it:
// Open shows it in the browser, URL downloads it.
type attachmentView struct {
	ID, Name, Size string
	URL, Open      template.URL
	Image          bool
}

// messages merges the channel's messages with the acting member's ephemeral
// replies there, in the order Discord would show them.
func (s *server) messages(v view) []messageView {
	msgs, private := s.visible(v)
	out := make([]messageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, s.messageView(m, private[m.ID], v))
	}
	return out
}

// visible is what the acting member sees in the view, oldest first: the
// channel's messages and their own ephemeral replies there; in direct
// messages, the bot's DMs and the replies to buttons pressed in them.
// private gives why a message is theirs alone.
func (s *server) visible(v view) (msgs []*discordgo.Message, private map[string]string) {
	private = map[string]string{}
	if v.Channel == eventsView {
		return nil, private
	}
	if v.Channel == dmView {
		for _, m := range s.discord.DMs(v.As.UserID) {
			msgs = append(msgs, m)
			private[m.ID] = "Direct message · only " + v.As.Name + " sees it"
		}
		if dm := s.discord.DMChannel(v.As.UserID); dm != "" {
			for _, m := range s.discord.Ephemerals(v.As.UserID, dm) {
				msgs = append(msgs, m)
				private[m.ID] = "Only you (" + v.As.Name + ") can see this"
			}
		}
	} else {
		msgs = append(msgs, s.discord.Messages(v.Channel)...)
		for _, m := range s.discord.Ephemerals(v.As.UserID, v.Channel) {
			msgs = append(msgs, m)
			private[m.ID] = "Only you (" + v.As.Name + ") can see this"
		}
	}
	sort.SliceStable(msgs, func(i, j int) bool {
		a, b := msgs[i].ID, msgs[j].ID
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
	return msgs, private
}

func (s *server) messageView(m *discordgo.Message, private string, v view) messageView {
	reader := v.As
	mv := messageView{ID: m.ID, Private: private, Ephemeral: m.Flags&discordgo.MessageFlagsEphemeral != 0,
		Edited: m.EditedTimestamp != nil, Loading: m.Flags&discordgo.MessageFlagsLoading != 0,
		Content: s.markdown(m.Content, reader)}
	shown := map[string]bool{} // attachments an embed shows as its image
	byName := map[string]attachmentView{}
	for _, a := range m.Attachments {
		if a != nil {
			byName[a.Filename] = s.attachmentView(m, a, v)
		}
	}
	if im := m.InteractionMetadata; im != nil && im.User != nil {
		name := im.User.ID
		if who, ok := memberByID(im.User.ID); ok {
			name = who.Name
		}
		if im.Type == discordgo.InteractionMessageComponent {
			mv.By = name + " pressed a button"
		} else {
			mv.By = name + " used a command"
		}
	}
	for _, e := range m.Embeds {
		if e == nil {
			continue
		}
		ev := embedView{Title: s.markdown(e.Title, reader), Description: s.markdown(e.Description, reader)}
		if e.Image != nil {
			if name, ok := strings.CutPrefix(e.Image.URL, "attachment://"); ok {
				if a, ok := byName[name]; ok {
					ev.Image, shown[name] = &a, true
				}
			}
		}
		if e.Color != 0 {
			ev.Color = fmt.Sprintf("#%06x", e.Color)
		}
		for _, f := range e.Fields {
			if f != nil {
				ev.Fields = append(ev.Fields, fieldView{Name: f.Name, Value: s.markdown(f.Value, reader), Inline: f.Inline})
			}
		}
		if e.Footer != nil {
			ev.Footer = s.markdown(e.Footer.Text, reader)
		}
		mv.Embeds = append(mv.Embeds, ev)
	}
	for _, a := range m.Attachments {
		if a != nil && !shown[a.Filename] {
			mv.Attachments = append(mv.Attachments, byName[a.Filename])
		}
	}
	for _, c := range m.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		var rv []componentView
		for _, c := range row.Components {
			switch x := c.(type) {
			case *discordgo.Button:
				rv = append(rv, componentView{Button: true, Label: x.Label, CustomID: x.CustomID, URL: x.URL,
					Disabled: x.Disabled, Style: buttonStyle(x.Style)})
			case *discordgo.SelectMenu:
				cv := componentView{CustomID: x.CustomID, Placeholder: x.Placeholder, Disabled: x.Disabled, MaxValue: x.MaxValues}
				for _, o := range x.Options {
					cv.Options = append(cv.Options, choiceView{Name: o.Label, Value: o.Value})
				}
				rv = append(rv, cv)
			}
		}
		mv.Rows = append(mv.Rows, rv)
	}
	return mv
}

func buttonStyle(st discordgo.ButtonStyle) string {
	switch st {
	case discordgo.PrimaryButton:
		return "primary"
	case discordgo.SuccessButton:
		return "success"
	case discordgo.DangerButton:
		return "danger"
	case discordgo.LinkButton:
		return "link"
	}
	return "secondary"
}

// channelName is #name for a sandbox channel id.
func (s *server) channelName(id string) string {
	for _, c := range s.discord.Channels(GuildID) {
		if c.ID == id {
			return "#" + c.Name
		}
	}
	return "#unknown-channel"
}

func roleName(id string) string {
	for _, r := range guild().Roles {
		if r.ID == id {
			return "@" + r.Name
		}
	}
	return "@unknown-role"
}

func userName(id string) string {
	if m, ok := memberByID(id); ok {
		return "@" + m.Name
	}
	return "@unknown-user"
}

// attachmentView is where the page serves one of m's files, for v's member.
func (s *server) attachmentView(m *discordgo.Message, a *discordgo.MessageAttachment, v view) attachmentView {
	path := "/files/" + url.PathEscape(m.ChannelID) + "/" + url.PathEscape(m.ID) + "/" + url.PathEscape(a.ID) + "/" + url.PathEscape(a.Filename)
	q := v.query()
	return attachmentView{ID: a.ID, Name: a.Filename, Size: byteSize(a.Size),
		URL: template.URL(path + "?" + q), Open: template.URL(path + "?" + q + "&open=1"),
		Image: strings.HasPrefix(a.ContentType, "image/")}
}

func byteSize(n int) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}

// serveFile serves a file the bot attached to a message the acting member
// can see, as Discord's client opens or downloads it: images and, with
// open=1, text files show in the browser; otherwise the file downloads.
func (s *server) serveFile(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	if len(parts) != 4 {
		http.NotFound(w, r)
		return
	}
	channelID, messageID, attachmentID := parts[0], parts[1], parts[2]
	msgs, _ := s.visible(s.viewOf(r))
	seen := false
	for _, m := range msgs {
		if m.ID == messageID && m.ChannelID == channelID {
			for _, a := range m.Attachments {
				seen = seen || a != nil && a.ID == attachmentID
			}
		}
	}
	f, ok := s.discord.Attachment(channelID, messageID, attachmentID)
	if !seen || !ok {
		http.Error(w, "no such file in a message you can see", http.StatusNotFound)
		return
	}
	ctype := f.ContentType
	if ctype == "" {
		ctype = http.DetectContentType(f.Data)
	}
	disposition := "attachment"
	switch {
	case strings.HasPrefix(ctype, "image/"):
		disposition = "inline"
	case r.FormValue("open") != "":
		// A calendar or a spreadsheet opens as its text, which the browser
		// shows rather than hands to another program.
		ctype, disposition = "text/plain; charset=utf-8", "inline"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(f.Data)
}

// events is the server's Events tab as the member reads it.
func (s *server) events(reader member) []eventView {
	evs := s.discord.ScheduledEvents(GuildID)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].ScheduledStartTime.Before(evs[j].ScheduledStartTime) })
	var out []eventView
	for _, e := range evs {
		ev := eventView{ID: e.ID, Name: e.Name, Description: s.markdown(e.Description, reader), Status: eventStatus(e.Status, reader.spanish())}
		if e.EntityMetadata.Location != "" {
			ev.Location = e.EntityMetadata.Location
		}
		ev.Start = s.when(e.ScheduledStartTime, reader)
		if e.ScheduledEndTime != nil {
			ev.End = s.when(*e.ScheduledEndTime, reader)
		}
		out = append(out, ev)
	}
	return out
}

// when is a time as Discord writes it for the reader, with how far off it is.
func (s *server) when(t time.Time, reader member) template.HTML {
	sec := strconv.FormatInt(t.Unix(), 10)
	return s.markdown("<t:"+sec+":F> (<t:"+sec+":R>)", reader)
}

func eventStatus(st discordgo.GuildScheduledEventStatus, spanish bool) string {
	names := map[discordgo.GuildScheduledEventStatus][2]string{
		discordgo.GuildScheduledEventStatusScheduled: {"Scheduled", "Programado"},
		discordgo.GuildScheduledEventStatusActive:    {"Happening now", "En curso"},
		discordgo.GuildScheduledEventStatusCompleted: {"Ended", "Terminado"},
		discordgo.GuildScheduledEventStatusCanceled:  {"Canceled", "Cancelado"},
	}
	n, ok := names[st]
	if !ok {
		return ""
	}
	if spanish {
		return n[1]
	}
	return n[0]
}
