package commands

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
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

// messageCall is a use of a catalogue message in the code: its id and the
// placeholder keys it is given (opaque when they are passed on as a slice).
type messageCall struct {
	pos    token.Position
	id     string
	keys   []string
	opaque bool
}

// messageCalls finds every message the package's code renders with a literal
// id: l.T("id", kv…), invalid("id", kv…) and the other refusals.
func messageCalls(t *testing.T) []messageCall {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	var calls []messageCall
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var idArg ast.Expr
			var kv []ast.Expr
			opaque := call.Ellipsis.IsValid()
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name == "T" && len(call.Args) > 0 {
					idArg, kv = call.Args[0], call.Args[1:]
				}
			case *ast.Ident:
				switch fn.Name {
				case "invalid", "notFound", "conflict", "forbidden":
					if len(call.Args) > 0 {
						idArg, kv = call.Args[0], call.Args[1:]
					}
				case "refusal":
					if len(call.Args) == 3 {
						idArg = call.Args[1]
						if lit, ok := call.Args[2].(*ast.CompositeLit); ok {
							kv = lit.Elts
						} else if id, ok := call.Args[2].(*ast.Ident); !ok || id.Name != "nil" {
							opaque = true
						}
					}
				}
			}
			lit, ok := idArg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			c := messageCall{pos: fset.Position(call.Pos()), opaque: opaque}
			c.id, _ = strconv.Unquote(lit.Value)
			for i := 0; i < len(kv); i += 2 {
				if k, ok := kv[i].(*ast.BasicLit); ok && k.Kind == token.STRING {
					key, _ := strconv.Unquote(k.Value)
					c.keys = append(c.keys, key)
				}
			}
			calls = append(calls, c)
			return true
		})
	}
	if len(calls) < 100 {
		t.Fatalf("found only %d message calls in the code", len(calls))
	}
	return calls
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
	t.Run("SpanishIsTranslated", func(t *testing.T) {
		// A Spanish message the same as the English one is English left
		// in, but for these, the same in both.
		same := map[string]bool{
			"choice_es":       true, // «Español», in either list
			"time_layout":     true, // a Go layout; the day-halves are time_am, time_pm
			"csv_need_asl":    true, // a column's key
			"recap_csv_total": true, // a column's key
			"calendar_one":    true, // placeholders and an emoji only
		}
		for id, m := range en {
			for form, text := range m {
				if es[id][form] == text && !same[id] {
					t.Errorf("%s.%s is the same in Spanish: %q", id, form, text)
				}
			}
		}
		for id := range same {
			if en[id]["other"] != es[id]["other"] {
				t.Errorf("%s is no longer the same in both languages: drop it from the list", id)
			}
		}
	})
	t.Run("PluralForms", func(t *testing.T) {
		// CLDR: English one/other; Spanish one/many/other (many: millions).
		// Spanish agrees with numbers English leaves bare ("1 going", "2
		// going" but "1 persona va", "2 personas van"), so a message may
		// have plural forms in Spanish only, never in English only.
		for id, m := range en {
			enForms, esForms := forms(m), forms(es[id])
			if len(enForms) > 1 && !slices.Equal(enForms, []string{"one", "other"}) {
				t.Errorf("%s: English forms %v, want [one other]", id, enForms)
			}
			if len(esForms) > 1 && !slices.Equal(esForms, []string{"many", "one", "other"}) {
				t.Errorf("%s: Spanish forms %v, want [many one other]", id, esForms)
			}
			if len(enForms) > 1 && len(esForms) == 1 {
				t.Errorf("%s: plural in English only", id)
			}
		}
	})
	t.Run("PluralsAreGivenACount", func(t *testing.T) {
		// A message with plural forms in either language picks its form by
		// Count; without one it silently shows its "other" form.
		plural := func(id string) bool { return len(en[id]) > 1 || len(es[id]) > 1 }
		for _, c := range messageCalls(t) {
			if plural(c.id) && !c.opaque && !slices.Contains(c.keys, "Count") {
				t.Errorf("%s: %s has plural forms but is given no Count (only %v)", c.pos, c.id, c.keys)
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

// TestSpanishAgreement: Spanish agrees with the numbers English leaves bare,
// for 0, 1 and 2.
func TestSpanishAgreement(t *testing.T) {
	for _, c := range []struct {
		id   string
		kv   []any
		want string
	}{
		{"role_section_needed", []any{"Count", 0}, ", se necesitan 0"},
		{"role_section_needed", []any{"Count", 1}, ", se necesita 1"},
		{"role_section_needed", []any{"Count", 2}, ", se necesitan 2"},
		{"role_menu_filled", []any{"Filled", 2, "Needed", 2, "Count", 0}, "faltan 0 (hay 2 de 2)"},
		{"role_menu_filled", []any{"Filled", 0, "Needed", 1, "Count", 1}, "falta 1 (hay 0 de 1)"},
		{"role_menu_filled", []any{"Filled", 1, "Needed", 3, "Count", 2}, "faltan 2 (hay 1 de 3)"},
		{"role_needed_marshal", []any{"Count", 1}, "1 monitor/a de seguridad"},
		{"role_needed_marshal", []any{"Count", 2}, "2 monitores de seguridad"},
		{"counts_over_capacity", []any{"Count", 0, "Going", 0, "Capacity", 1}, " · ⚠️ cupo superado: 0 personas van · cupo 1"},
		{"counts_over_capacity", []any{"Count", 1, "Going", 1, "Capacity", 1}, " · ⚠️ cupo superado: 1 persona va · cupo 1"},
		{"counts_over_capacity", []any{"Count", 2, "Going", 2, "Capacity", 1}, " · ⚠️ cupo superado: 2 personas van · cupo 1"},
		{"confirmed_of_going", []any{"Count", 0, "Confirmed", 0, "Going", 2}, "0 de 2 reconfirmaron su asistencia"},
		{"confirmed_of_going", []any{"Count", 1, "Confirmed", 1, "Going", 2}, "1 de 2 reconfirmó su asistencia"},
		{"confirmed_of_going", []any{"Count", 2, "Confirmed", 2, "Going", 2}, "2 de 2 reconfirmaron su asistencia"},
		{"checked_in_of_going", []any{"Count", 0, "CheckedIn", 0, "Going", 1}, "0 de 1 registraron su llegada"},
		{"checked_in_of_going", []any{"Count", 1, "CheckedIn", 1, "Going", 1}, "1 de 1 registró su llegada"},
		{"checked_in_of_going", []any{"Count", 2, "CheckedIn", 2, "Going", 3}, "2 de 3 registraron su llegada"},
		{"recap_total", []any{"Count", 1, "Going", 3, "CheckedIn", 2, "Crowd", "40", "Reported", 0, "Held", 1},
			"van: 3 · llegaron: 2 · asistencia: 40 (informes: 0 de 1 sección)"},
		{"recap_total", []any{"Count", 2, "Going", 3, "CheckedIn", 2, "Crowd", "40", "Reported", 1, "Held", 2},
			"van: 3 · llegaron: 2 · asistencia: 40 (informes: 1 de 2 secciones)"},
		{"summary_line", []any{"Count", 0, "ID", 7, "Label", "Marcha", "When", "sáb", "Going", 0, "GoingDelta", "", "Maybe", 1, "MaybeDelta", ""},
			"• #7 Marcha — sáb: 0 personas van, 1 tal vez"},
		{"summary_line", []any{"Count", 1, "ID", 7, "Label", "Marcha", "When", "sáb", "Going", 1, "GoingDelta", " (+1)", "Maybe", 0, "MaybeDelta", ""},
			"• #7 Marcha — sáb: 1 persona va (+1), 0 tal vez"},
		{"summary_line", []any{"Count", 2, "ID", 7, "Label", "Marcha", "When", "sáb", "Going", 2, "GoingDelta", "", "Maybe", 2, "MaybeDelta", ""},
			"• #7 Marcha — sáb: 2 personas van, 2 tal vez"},
	} {
		if got := Spanish.T(c.id, c.kv...); got != c.want {
			t.Errorf("%s %v:\ngot  %q\nwant %q", c.id, c.kv, got, c.want)
		}
	}
	// English, given the same Count, keeps its one form.
	if got, want := English.T("confirmed_of_going", "Count", 1, "Confirmed", 1, "Going", 2), "1 confirmed of 2 going"; got != want {
		t.Errorf("English: got %q, want %q", got, want)
	}
	if got, want := English.T("recap_total", "Count", 1, "Going", 3, "CheckedIn", 2, "Crowd", "40", "Reported", 1, "Held", 1),
		"going: 3 · checked in: 2 · crowd: 40 (1 of 1 chapter reported)"; got != want {
		t.Errorf("English: got %q, want %q", got, want)
	}
	if got, want := English.T("role_section_needed", "Count", 1), ", 1 needed"; got != want {
		t.Errorf("English: got %q, want %q", got, want)
	}
}

// TestSpanishTallies: a line with several numbers cannot agree with each in
// Spanish ("van 1" is wrong, and one Count picks one form), so it reads as a
// tally of labels: "van: 1 · tal vez: 0".
func TestSpanishTallies(t *testing.T) {
	for _, c := range []struct {
		id   string
		kv   []any
		want string
	}{
		{"counts_seats", []any{"Going", 1, "Capacity", 1}, " · lugares ocupados: 1/1"},
		{"summary_total", []any{"Count", 1, "Going", 1, "GoingDelta", "", "Maybe", 0, "MaybeDelta", "", "Waitlist", 0, "WaitlistDelta", ""},
			"**Todas las secciones:** 1 manifestación · van: 1 · tal vez: 0 · en lista de espera: 0"},
		{"action_status_line", []any{"Chapter", "Seattle", "ID", 3, "When", "sáb", "State", "1 anunciada", "Going", 1, "Maybe", 0, "Waitlist", 0},
			"**Seattle** — #3 · sáb · 1 anunciada · van: 1 · tal vez: 0 · en lista de espera: 0"},
		{"action_status_total", []any{"Count", 2, "States", "2 anunciadas", "Going", 1, "Maybe", 0, "Waitlist", 0},
			"**Total:** 2 secciones (2 anunciadas) · van: 1 · tal vez: 0 · en lista de espera: 0"},
		{"action_summary_total", []any{"Count", 1, "Going", 1, "Maybe", 0, "Waitlist", 0},
			"Total de la jornada: 1 sección · van: 1 · tal vez: 0 · en lista de espera: 0"},
		{"actions_line", []any{"ID", 3, "Title", "Paro", "Date", "2026-05-01", "Time", "11:00", "Chapters", "Seattle", "States", "1 anunciada", "Going", 1, "Maybe", 0, "Waitlist", 0},
			"**#3 Paro** — 2026-05-01 a las 11:00 hora local\nSeattle\n1 anunciada · ✅ van: 1 · ❔ tal vez: 0 · en lista de espera: 0"},
	} {
		if got := Spanish.T(c.id, c.kv...); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.id, got, c.want)
		}
	}
}

// TestSpanishWording: phrasings a Spanish reader would stumble on, caught
// wherever they creep back in.
func TestSpanishWording(t *testing.T) {
	avoid := []struct {
		pattern *regexp.Regexp
		why     string
	}{
		{regexp.MustCompile(`\bDMs?\b`), "English; say «mensaje directo»"},
		{regexp.MustCompile(`\b(tiene|tenga|tuvo|tendrá) lugar\b`), "«tener lugar» means to take place; say «punto de encuentro»"},
		{regexp.MustCompile(`(^|[.!?] )Responsables de\b`), "a bare plural cannot open a sentence; say «Las personas responsables»"},
		{regexp.MustCompile(`(necesitan|faltan):? \{\{\.Missing\}\}`), "a list of counts may be «1 intérprete»; say «por cubrir: …»"},
		{regexp.MustCompile(`\{\{\.Count\}\} de [a-z]+(adas|ando)\b`), "«de» goes before a noun («1 000 000 de acciones»), not an adjective"},
	}
	es := readCatalogue(t, Spanish)
	for id, m := range es {
		for form, text := range m {
			for _, a := range avoid {
				if a.pattern.MatchString(text) {
					t.Errorf("%s.%s: %q: %s", id, form, text, a.why)
				}
			}
		}
	}
	for _, c := range []struct {
		id   string
		kv   []any
		want string
	}{
		{"rallies_none", nil, "No hay manifestaciones próximas. Las personas responsables de cada sección pueden programar una con `/rally create`."},
		{"summary_title", []any{"Count", 1}, "Participación, próximas 24 horas"},
		{"summary_title", []any{"Count", 7}, "Participación, próximos 7 días"},
		{"action_state_waiting", []any{"Count", 1}, "1 aún sin punto de encuentro"},
		{"action_state_waiting", []any{"Count", 1000000}, "1000000 aún sin punto de encuentro"},
		{"action_state_announced", []any{"Count", 1000000}, "1000000 anunciadas"},
		{"action_state_cancelled", []any{"Count", 1000000}, "1000000 canceladas"},
		{"summary_line_waiting", nil, " · aún sin punto de encuentro"},
		{"calendar_mine", []any{"Count", 1}, "📅 Tu próxima manifestación. Abre el archivo para agregarla a tu calendario; si importas un archivo más nuevo, se actualiza la misma entrada."},
		{"series_cancelled_notice", []any{"Count", 1, "Repeat", "cada semana", "Title", "Marcha", "When", "sáb"},
			"❌ Se canceló la serie **Marcha**, que se repetía cada semana: la única manifestación que quedaba, la del sáb, no se hace."},
		{"err_chapter_name_long", []any{"Count", 40, "Max", 32}, "`name`: 40 caracteres son demasiados; el máximo es 32."},
		{"staffing_alert", []any{"Title", "Marcha", "When", "mañana", "Missing", "1 intérprete"},
			"**Marcha** empieza mañana y le faltan funciones de cuidado. Aún por cubrir: 1 intérprete."},
	} {
		if got := Spanish.T(c.id, c.kv...); got != c.want {
			t.Errorf("%s %v:\ngot  %q\nwant %q", c.id, c.kv, got, c.want)
		}
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
		{Spanish, dateLong, "miércoles, 25 de noviembre de 2026, 6:00 p. m."},
		{English, dateLong, "Wed Nov 25, 2026 6:00 PM"},
		{Spanish, dateShort, "25 nov 6:00 p. m."},
		{English, dateShort, "Nov 25 6:00 PM"},
		{Spanish, dateDay, "mié 25 nov 6:00 p. m."},
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

// TestPlaceToBeAnnounced: a day-of-action rally's place, until its lead sets
// one, is a marker stored in English; every text shows it in the reader's
// language.
func TestPlaceToBeAnnounced(t *testing.T) {
	a := New(nil, nil, nil, time.Now, Config{})
	r := store.Rally{Title: "Paro", ChapterName: "Chicago", TimeZone: "America/Chicago", Location: placeToBeAnnounced,
		StartsAt: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		what, text string
	}{
		{"place", place(Spanish, r)},
		{"reminder DM", a.reminderDM(context.Background(), Spanish, r, 2*time.Hour, false, store.Standing{Status: store.Going}).Content},
		{"reveal DM", a.revealDM(Spanish, r).Content},
		{"change notice", a.changeNotice(Spanish, r, func() store.Rally { after := r; after.Location = "Plaza"; return after }(), maxReply)},
	} {
		if !strings.Contains(c.text, "por anunciar") || strings.Contains(c.text, placeToBeAnnounced) {
			t.Errorf("%s: %q", c.what, c.text)
		}
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

// TestPrivatePlaceToBeAnnouncedForLead: /rally info shows a lead the private
// place of a day-of-action rally; while it is still to be set, in the lead's
// language, not the stored English marker.
func TestPrivatePlaceToBeAnnouncedForLead(t *testing.T) {
	a := newTestApp(t)
	r := seattleRally(t, a)
	if _, _, err := a.db.UpdateRally(context.Background(), testGuild, r.ID,
		store.RallyUpdate{Location: ptr(placeToBeAnnounced), PrivateLocation: ptr(true)}, nil); err != nil {
		t.Fatal(err)
	}
	i := slash(seattleLead, "rally", "info", opt("rally", strconv.FormatInt(r.ID, 10)))
	i.Locale = discordgo.SpanishES
	resp := a.Handle(context.Background(), i)
	if resp == nil || len(resp.Embeds) == 0 {
		t.Fatalf("got %+v, want the rally card", resp)
	}
	var where string
	for _, f := range resp.Embeds[0].Fields {
		if strings.Contains(f.Value, "privado") {
			where = f.Value
		}
	}
	if !strings.Contains(where, "por anunciar") || strings.Contains(where, placeToBeAnnounced) {
		t.Errorf("the lead's private place reads %q, want it in Spanish", where)
	}
}
