package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// catalogueMessage is one message of a catalogue file: its plural forms
// ("other" alone for a message without plurals).
type catalogueMessage map[string]string

func readCatalogue(t *testing.T, l Lang) map[string]catalogueMessage {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFS(localeFiles, "locales/active."+string(l)+".toml", &raw); err != nil {
		t.Fatalf("catalogue %s: %v", l, err)
	}
	out := map[string]catalogueMessage{}
	for id, v := range raw {
		switch v := v.(type) {
		case string:
			out[id] = catalogueMessage{"other": v}
		case map[string]any:
			m := catalogueMessage{}
			for form, text := range v {
				s, ok := text.(string)
				if !ok {
					t.Fatalf("%s: %s.%s is not a string", l, id, form)
				}
				m[form] = s
			}
			out[id] = m
		default:
			t.Fatalf("%s: %s is a %T", l, id, v)
		}
	}
	return out
}

var placeholderPattern = regexp.MustCompile(`\{\{[^}]*?\.(\w+)[^}]*\}\}`)

// placeholders are the template fields a message uses, over all its forms.
func placeholders(m catalogueMessage) []string {
	seen := map[string]bool{}
	for _, text := range m {
		for _, p := range placeholderPattern.FindAllStringSubmatch(text, -1) {
			seen[p[1]] = true
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func forms(m catalogueMessage) []string {
	var out []string
	for f := range m {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func TestCatalogue(t *testing.T) {
	en, es := readCatalogue(t, English), readCatalogue(t, Spanish)
	t.Run("EveryMessageInBothLanguages", func(t *testing.T) {
		for id := range en {
			if _, ok := es[id]; !ok {
				t.Errorf("%s has no Spanish message", id)
			}
		}
		for id := range es {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has no English message", id)
			}
		}
	})
	t.Run("SamePlaceholders", func(t *testing.T) {
		for id, m := range en {
			if s, ok := es[id]; ok && !slices.Equal(placeholders(m), placeholders(s)) {
				t.Errorf("%s: English uses %v, Spanish %v", id, placeholders(m), placeholders(s))
			}
		}
	})
	t.Run("PluralForms", func(t *testing.T) {
		// CLDR: English one/other; Spanish one/many/other (many: millions).
		for id, m := range en {
			if len(m) == 1 {
				if s := es[id]; len(s) > 1 {
					t.Errorf("%s: plural in Spanish only", id)
				}
				continue
			}
			if got := forms(m); !slices.Equal(got, []string{"one", "other"}) {
				t.Errorf("%s: English forms %v, want [one other]", id, got)
			}
			if got := forms(es[id]); !slices.Equal(got, []string{"many", "one", "other"}) {
				t.Errorf("%s: Spanish forms %v, want [many one other]", id, got)
			}
		}
	})
	t.Run("EveryIDInTheCodeExists", func(t *testing.T) {
		calls := regexp.MustCompile(`(?:\.T|invalid|notFound|conflict|forbidden|refusal\(\w+,)\(\s*"([^"]+)"|return "(err_[a-z_]+)"|= "(date_[a-z]+)"`)
		files, _ := filepath.Glob("*.go")
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range calls.FindAllStringSubmatch(string(src), -1) {
				id := m[1] + m[2] + m[3]
				n++
				if strings.HasSuffix(id, "_") {
					continue // a family, named with its members in MessageFamilies
				}
				if _, ok := en[id]; !ok {
					t.Errorf("%s: message %q is not in the catalogue", f, id)
				}
			}
		}
		if n < 100 {
			t.Fatalf("found only %d message ids in the code", n)
		}
	})
	t.Run("MessageFamilies", func(t *testing.T) {
		var ids []string
		for _, r := range store.Roles {
			ids = append(ids, "role_"+string(r), "role_title_"+string(r), "role_needed_"+string(r))
		}
		for _, l := range []string{PostEnglish, PostSpanish, PostBilingual} {
			ids = append(ids, "language_"+l)
		}
		for _, s := range actionRallyStates {
			ids = append(ids, "action_state_"+s)
		}
		for _, c := range exportColumns(English) {
			if en, es := c.title(English), c.title(Spanish); en != c.header || strings.Contains(es, "csv_") {
				t.Errorf("column %s is headed %q in English, %q in Spanish", c.header, en, es)
			}
		}
		for _, s := range []store.RallyStatus{store.RallyScheduled, store.RallyCancelled} {
			ids = append(ids, "csv_status_"+string(s))
		}
		for i := 0; i < 7; i++ {
			ids = append(ids, fmt.Sprintf("weekday_%d", i), fmt.Sprintf("weekday_short_%d", i))
		}
		for i := 1; i <= 12; i++ {
			ids = append(ids, fmt.Sprintf("month_%d", i), fmt.Sprintf("month_short_%d", i), fmt.Sprintf("month_long_%d", i))
		}
		for _, id := range ids {
			if _, ok := en[id]; !ok {
				t.Errorf("message %q is not in the catalogue", id)
			}
		}
	})
	t.Run("DefinitionsMatchTheCatalogue", func(t *testing.T) {
		a := New(nil, nil, nil, time.Now, Config{})
		var walk func(path []string, opts []*discordgo.ApplicationCommandOption)
		check := func(id, code string, es map[discordgo.Locale]string) {
			if got := English.T(id); got != code {
				t.Errorf("%s: catalogue says %q, the definition %q", id, got, code)
			}
			for _, l := range spanishLocales {
				if es[l] == "" || es[l] == id || len([]rune(es[l])) > 100 {
					t.Errorf("%s: %s localization %q", id, l, es[l])
				}
			}
		}
		walk = func(path []string, opts []*discordgo.ApplicationCommandOption) {
			for _, o := range opts {
				p := append(append([]string(nil), path...), o.Name)
				check(descriptionID(p), o.Description, o.DescriptionLocalizations)
				for _, c := range o.Choices {
					check(choiceID(c.Value), c.Name, c.NameLocalizations)
				}
				walk(p, o.Options)
			}
		}
		for _, d := range a.Definitions() {
			check(descriptionID([]string{d.Name}), d.Description, *d.DescriptionLocalizations)
			walk([]string{d.Name}, d.Options)
		}
	})
}

func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		lang  Lang
		count int
		want  string
	}{
		{Spanish, 0, "✅ 0 personas van"},
		{Spanish, 1, "✅ 1 persona va"},
		{Spanish, 2, "✅ 2 personas van"},
		{English, 0, "✅ 0 going"},
		{English, 1, "✅ 1 going"},
		{English, 2, "✅ 2 going"},
	} {
		if got := c.lang.T("counts_going", "Count", c.count); got != c.want {
			t.Errorf("%s %d: got %q, want %q", c.lang, c.count, got, c.want)
		}
	}
	if got, want := Spanish.T("forget_done", "Count", 2), "Se borraron tus 2 confirmaciones en este servidor. No se guarda nada sobre tu asistencia."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := English.T("forget_done", "Count", 1), "Deleted your 1 RSVP in this server. Nothing about your attendance is kept."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDates(t *testing.T) {
	pst := time.FixedZone("PST", -8*3600)
	at := time.Date(2026, 11, 25, 18, 0, 0, 0, pst)
	for _, c := range []struct {
		lang   Lang
		layout string
		want   string
	}{
		{Spanish, dateLong, "miércoles, 25 de noviembre de 2026, 18:00"},
		{English, dateLong, "Wed Nov 25, 2026 6:00 PM"},
		{Spanish, dateShort, "25 nov 18:00"},
		{English, dateShort, "Nov 25 6:00 PM"},
		{Spanish, dateDay, "mié 25 nov 18:00"},
		{English, dateDay, "Wed Nov 25 6:00 PM"},
	} {
		if got := c.lang.dateTime(at, c.layout); got != c.want {
			t.Errorf("%s %s: got %q, want %q", c.lang, c.layout, got, c.want)
		}
	}
}

func TestLanguages(t *testing.T) {
	for locale, want := range map[string]Lang{"es-419": Spanish, "es-ES": Spanish, "en-US": English, "pt-BR": English, "": English} {
		if got := langOf(locale); got != want {
			t.Errorf("langOf(%q) = %s, want %s", locale, got, want)
		}
	}
	if got := postLangs(PostBilingual); !slices.Equal(got, []Lang{English, Spanish}) {
		t.Errorf("en+es posts in %v, want English then Spanish", got)
	}
}

func TestDMBodies(t *testing.T) {
	body := dmBodies(func(l Lang) string { return l.T("change_your_rsvp_stands") })
	if got, want := dmBody(body, Spanish), "\nTu confirmación sigue en pie."; got != want {
		t.Errorf("Spanish: got %q, want %q", got, want)
	}
	if got, want := dmBody(body, English), "\nYour RSVP still stands."; got != want {
		t.Errorf("English: got %q, want %q", got, want)
	}
	// A body queued as plain text before notices had languages goes out as it is.
	if got := dmBody("✏️ plain", Spanish); got != "✏️ plain" {
		t.Errorf("plain body: got %q", got)
	}
	for _, l := range Langs {
		if s := l.T("place_hidden", "Before", "2h"); !strings.HasPrefix(s, "🔒") || !strings.HasPrefix(l.T("place_private"), "🔒") {
			t.Errorf("%s: a hidden place must start with 🔒 (announcements find it by it): %q", l, s)
		}
	}
}
