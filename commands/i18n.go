package commands

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bwmarrin/discordgo"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is a language members read: every sentence of this package is a
// message of the catalogues in locales/, one file per language.
type Lang string

// The languages of the catalogues.
const (
	English Lang = "en"
	Spanish Lang = "es"
)

// Langs are the languages a member can read, in catalogue order.
var Langs = []Lang{English, Spanish}

// Post language settings of a chapter (and of a guild's summaries).
const (
	PostEnglish   = "en"
	PostSpanish   = "es"
	PostBilingual = "en+es"
)

// langOf is the language of a Discord locale ("es-419", "en-US"): Spanish
// for every es-*, English otherwise.
func langOf(locale string) Lang {
	if locale == "es" || strings.HasPrefix(locale, "es-") {
		return Spanish
	}
	return English
}

// postLangs are the languages of a channel post under a language setting, in
// the order they appear: a bilingual post puts Spanish second.
func postLangs(setting string) []Lang {
	switch setting {
	case PostSpanish:
		return []Lang{Spanish}
	case PostBilingual:
		return []Lang{English, Spanish}
	}
	return []Lang{English}
}

//go:embed locales/active.*.toml
var localeFiles embed.FS

// catalog holds the parsed catalogues. It is filled once, from files built
// into the binary, and only read after: as fixed as the code.
var catalog = mustLoadCatalog()

type catalogue struct {
	bundle     *i18n.Bundle
	localizers map[Lang]*i18n.Localizer
	// plain holds, per language, the messages with a single form whose
	// only actions are placeholders ({{.Title}}): T fills those itself,
	// without a template run, which was most of the cost of a long summary.
	plain map[Lang]map[string]*plainMessage
}

// plainMessage is a message of text and placeholders: text[i] comes before
// keys[i], and the last text after the last key.
type plainMessage struct {
	text []string
	keys []string
}

// placeholder is a template action that only prints a field of the data.
var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// plainOf splits a single-form message into text and placeholders; nil when
// it has other actions (a plural form, a condition, a function).
func plainOf(m *i18n.Message) *plainMessage {
	if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" ||
		(m.LeftDelim != "" && m.LeftDelim != "{{") || (m.RightDelim != "" && m.RightDelim != "}}") {
		return nil
	}
	p := &plainMessage{}
	rest := m.Other
	for _, loc := range placeholder.FindAllStringSubmatchIndex(m.Other, -1) {
		p.text = append(p.text, m.Other[len(m.Other)-len(rest):loc[0]])
		p.keys = append(p.keys, m.Other[loc[2]:loc[3]])
		rest = m.Other[loc[1]:]
	}
	p.text = append(p.text, rest)
	for _, t := range p.text {
		if strings.Contains(t, "{{") || strings.Contains(t, "}}") {
			return nil
		}
	}
	return p
}

// fill writes the message with kv's values, as text/template prints them.
func (p *plainMessage) fill(kv []any) string {
	if len(p.keys) == 0 {
		return p.text[0]
	}
	var b strings.Builder
	for i, k := range p.keys {
		b.WriteString(p.text[i])
		v, ok := lookup(kv, k)
		if !ok || v == nil {
			b.WriteString("<no value>")
			continue
		}
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	b.WriteString(p.text[len(p.text)-1])
	return b.String()
}

// lookup is the value of key in key, value pairs (the last one given, as a
// map built from them would hold).
func lookup(kv []any, key string) (any, bool) {
	for i := len(kv) - 2; i >= 0; i -= 2 {
		if kv[i] == key {
			return kv[i+1], true
		}
	}
	return nil, false
}

func mustLoadCatalog() catalogue {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := catalogue{bundle: b, localizers: map[Lang]*i18n.Localizer{}, plain: map[Lang]map[string]*plainMessage{}}
	for _, l := range Langs {
		f, err := b.LoadMessageFileFS(localeFiles, "locales/active."+string(l)+".toml")
		if err != nil {
			panic(fmt.Sprintf("message catalogue %s: %v", l, err))
		}
		c.localizers[l] = i18n.NewLocalizer(b, string(l))
		c.plain[l] = map[string]*plainMessage{}
		for _, m := range f.Messages {
			if p := plainOf(m); p != nil {
				c.plain[l][m.ID] = p
			}
		}
	}
	return c
}

// T is the message id in l, its placeholders filled from key, value pairs.
// A "Count" picks the plural form (CLDR rules of l). A message missing from
// the catalogue shows as its id, which the catalogue tests catch.
func (l Lang) T(id string, kv ...any) string {
	if p := catalog.plain[l][id]; p != nil {
		return p.fill(kv)
	}
	return l.localize(id, kv...)
}

// localize is T through the catalogue's templates and plural rules.
func (l Lang) localize(id string, kv ...any) string {
	loc := catalog.localizers[l]
	if loc == nil {
		loc = catalog.localizers[English]
	}
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := loc.Localize(cfg)
	if err != nil && cfg.PluralCount != nil {
		// A message without plural forms may still show a Count.
		cfg.PluralCount = nil
		s, err = loc.Localize(cfg)
	}
	if err != nil {
		return id
	}
	return s
}

// inLangs is the message in each of langs, joined by sep: the text of a
// bilingual post.
func inLangs(langs []Lang, sep string, text func(Lang) string) string {
	parts := make([]string, len(langs))
	for i, l := range langs {
		parts[i] = text(l)
	}
	return strings.Join(parts, sep)
}

// bilingualSep parts the languages of one channel post.
const bilingualSep = "\n\n"

// Date layouts of dateTime.
const (
	dateLong  = "date_long"  // Mon Jan 2, 2006 3:04 PM · miércoles, 25 de noviembre de 2026, 18:00
	dateShort = "date_short" // Jan 2 3:04 PM · 25 nov 18:00
	dateDay   = "date_day"   // Mon Jan 2 3:04 PM · mié 25 nov 18:00
	dateOnly  = "date_only"  // Nov 25, 2026 · 25 de noviembre de 2026
)

// dateTime writes t (already in its zone) the way l writes dates. Discord
// timestamps (<t:…>) localize themselves; this is for dates in plain text.
func (l Lang) dateTime(t time.Time, layout string) string {
	return l.T(layout, dateParts(l, t)...)
}

// dateParts are the placeholders of the date messages (date_long, …,
// date_only): t's names and numbers in l.
func dateParts(l Lang, t time.Time) []any {
	n := calendarNamesOf(l)
	return []any{
		"Weekday", n.weekday[t.Weekday()],
		"WeekdayShort", n.weekdayShort[t.Weekday()],
		"Month", n.month[t.Month()-1],
		"MonthShort", n.monthShort[t.Month()-1],
		"Day", t.Day(), "Year", t.Year(),
		"Time", l.clock(t),
	}
}

// calendarNames are a language's weekday and month names, read from the
// catalogue once: every date in a summary or a list needs four of them.
type calendarNames struct {
	weekday, weekdayShort [7]string
	month, monthShort     [12]string
}

var calendarNamesCache sync.Map // Lang -> *calendarNames

func calendarNamesOf(l Lang) *calendarNames {
	if n, ok := calendarNamesCache.Load(l); ok {
		return n.(*calendarNames)
	}
	n := &calendarNames{}
	for d := range 7 {
		n.weekday[d] = l.T("weekday_" + strconv.Itoa(d))
		n.weekdayShort[d] = l.T("weekday_short_" + strconv.Itoa(d))
	}
	for m := range 12 {
		n.month[m] = l.T("month_" + strconv.Itoa(m+1))
		n.monthShort[m] = l.T("month_short_" + strconv.Itoa(m+1))
	}
	calendarNamesCache.Store(l, n)
	return n
}

// postText is a channel post's text under a language setting: each
// language's, Spanish second.
func postText(setting string, text func(Lang) string) string {
	return inLangs(postLangs(setting), bilingualSep, text)
}

// Discord locales that get the Spanish catalogue in command definitions.
var spanishLocales = []discordgo.Locale{discordgo.SpanishES, discordgo.SpanishLATAM}

// descriptionID is the catalogue id of a command's or option's description:
// cmd_<command>_<option>…, e.g. cmd_rally_create_when.
func descriptionID(path []string) string { return "cmd_" + strings.Join(path, "_") }

// choiceID is the catalogue id of a choice's name, shared by every option
// offering that value: choice_<value>.
func choiceID(value any) string {
	return "choice_" + strings.ReplaceAll(fmt.Sprint(value), "+", "_")
}

// localizeCommand gives a command, its options and their choices their
// Spanish descriptions and names. Names of commands and options stay
// English, so shared instructions work in every client.
func localizeCommand(def *discordgo.ApplicationCommand) {
	es := spanish(descriptionID([]string{def.Name}))
	def.DescriptionLocalizations = &es
	localizeOptions([]string{def.Name}, def.Options)
}

func localizeOptions(path []string, opts []*discordgo.ApplicationCommandOption) {
	for _, o := range opts {
		p := append(append([]string(nil), path...), o.Name)
		o.DescriptionLocalizations = spanish(descriptionID(p))
		for _, c := range o.Choices {
			c.NameLocalizations = spanish(choiceID(c.Value))
		}
		localizeOptions(p, o.Options)
	}
}

func spanish(id string) map[discordgo.Locale]string {
	s := Spanish.T(id)
	m := make(map[discordgo.Locale]string, len(spanishLocales))
	for _, l := range spanishLocales {
		m[l] = s
	}
	return m
}
