package sandbox

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"

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
		Error: r.FormValue("error"), InDM: v.Channel == dmView,
		Commands: commandPaths(s.discord.Commands(GuildID)),
	}
	for _, c := range s.discord.Channels(GuildID) {
		d.Channels = append(d.Channels, channelLink{Name: "#" + c.Name, Href: "/?" + view{As: v.As, Channel: c.ID}.query(), Current: c.ID == v.Channel})
		if c.ID == v.Channel {
			d.Title = "#" + c.Name
			d.Note = "Everyone in the server sees this channel; replies marked “only you” are for " + v.As.Name + " alone."
		}
	}
	d.Channels = append(d.Channels, channelLink{Name: "Direct messages", Href: "/?" + view{As: v.As, Channel: dmView}.query(), Current: d.InDM})
	if d.InDM {
		d.Title = "Direct messages: rallybot → " + v.As.Name
		d.Note = "Only " + v.As.Name + " sees these."
	}
	if !d.InDM {
		if path, defs, ok := s.findCommand(r.FormValue("cmd")); ok {
			d.Command = s.commandForm(path, defs)
		}
	}
	d.Messages = s.messages(v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.ExecuteTemplate(w, "page.html", d); err != nil {
		s.log.Error("render page", "err", err)
	}
}

func (s *server) serveMessages(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.page.ExecuteTemplate(w, "messages", pageData{View: v, Query: template.URL(v.query()), Messages: s.messages(v)}); err != nil {
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
	ID        string
	By        string // who triggered it, when an interaction did
	Private   string // why only the acting member sees it, "" when everyone does
	Edited    bool
	Loading   bool
	Content   template.HTML
	Embeds    []embedView
	Rows      [][]componentView
	Ephemeral bool
}

type embedView struct {
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

// messages merges the channel's messages with the acting member's ephemeral
// replies there, in the order Discord would show them.
func (s *server) messages(v view) []messageView {
	var msgs []*discordgo.Message
	private := map[string]string{}
	if v.Channel == dmView {
		for _, m := range s.discord.DMs(v.As.UserID) {
			msgs = append(msgs, m)
			private[m.ID] = "Direct message · only " + v.As.Name + " sees it"
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
	out := make([]messageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, s.messageView(m, private[m.ID]))
	}
	return out
}

func (s *server) messageView(m *discordgo.Message, private string) messageView {
	mv := messageView{ID: m.ID, Private: private, Ephemeral: m.Flags&discordgo.MessageFlagsEphemeral != 0,
		Edited: m.EditedTimestamp != nil, Loading: m.Flags&discordgo.MessageFlagsLoading != 0,
		Content: s.markdown(m.Content)}
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
		ev := embedView{Title: s.markdown(e.Title), Description: s.markdown(e.Description)}
		if e.Color != 0 {
			ev.Color = fmt.Sprintf("#%06x", e.Color)
		}
		for _, f := range e.Fields {
			if f != nil {
				ev.Fields = append(ev.Fields, fieldView{Name: f.Name, Value: s.markdown(f.Value), Inline: f.Inline})
			}
		}
		if e.Footer != nil {
			ev.Footer = s.markdown(e.Footer.Text)
		}
		mv.Embeds = append(mv.Embeds, ev)
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
