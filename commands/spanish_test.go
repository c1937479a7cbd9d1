package commands

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// bannedSpanish are forms a Latin American organizer reads as foreign,
// Peninsular or wrong; each comes with a sample of the form, which must
// match, so a pattern that no longer catches anything fails too.
var bannedSpanish = []struct {
	pattern *regexp.Regexp
	sample  string
	why     string
	english bool // checked in the English catalogue too
}{
	{regexp.MustCompile(`\ben (el )?\**\{\{\.Role\}\}`), "Quedas en **{{.Role}}**",
		"a role is a team: «en el equipo de **{{.Role}}**» («en seguridad» reads «safe»)", false},
	{regexp.MustCompile(`(?i)\bplazas?\b`), "se liberó una plaza", "a seat is «lugar»; a plaza is where the rally is", false},
	{regexp.MustCompile(`(?i)añad`), "Añadir al calendario", "«agregar», not the Peninsular «añadir»", false},
	{regexp.MustCompile(`(?i)antelaci`), "con un año de antelación", "«anticipación»", false},
	{regexp.MustCompile(`(?i)quincenal`), "serie quincenal", "«cada dos semanas»; «quincenal» is a pay period", false},
	{regexp.MustCompile(`(?i)\badministraci[oó]n\b`), "La administración del servidor puede", "«quienes administran el servidor»; «la administración» is the government", false},
	{regexp.MustCompile(`(?i)\bapunt(ar|a|en)se\b`), "pueden apuntarse", "«anotarse»", false},
	{regexp.MustCompile(`Listo: para|\{\{\.When\}\}, \{\{\.Status\}\}`), "Listo: para **{{.Title}}**, el {{.When}}, {{.Status}}.", "a calque; «Listo, quedó anotado para … : vas.»", false},
	{regexp.MustCompile(`\bhoras en\b`), "horas en {{.Zone}}", "a calque of «times in»; «zona horaria …»", false},
	{regexp.MustCompile(`aceptó[^.]*\bahora\b`), "Discord no aceptó ahora el mensaje", "a calque of «did not accept it now»; «rechazó por el momento»", false},
	{regexp.MustCompile(`se pide lugar`), "se pide lugar", "«pedido de punto de encuentro»", false},
	{regexp.MustCompile(`\bBorra ya\b`), "Borra ya todas tus confirmaciones", "«Borra ahora mismo»", false},
	{regexp.MustCompile(`: \{\{\.Left\}\}|: [A-ZÁÉÍÓÚÑ][a-záéíóúñ]+ `), "Listo: {{.Left}} Tienes", "Spanish writes lower case after a colon", false},
	{regexp.MustCompile(`\bnecesari[oa]s \(0`), "Intérpretes necesarios (0–50)", "every minimum reads «Cuántas personas necesita el equipo de …»", false},
	{regexp.MustCompile(`Mexico_City`), "como `America/Mexico_City`", "the chapters are in the US: name one of their zones", false},
	{regexp.MustCompile(`(debe ser|must be) [a-z_+]+(, [a-z_+]+)* (o|u|or) [a-z_+]+\.`), "`status` debe ser going, maybe o not_going.", "name the choices the reader sees, not raw values", true},
	{regexp.MustCompile(`(fij\w*|guardó) (el|su) lugar|[Ee]l lugar es privado|📍 Lugar`), "vuelve a fijar el lugar", "a meeting place is «punto de encuentro»; «lugar» is a seat", false},
	{regexp.MustCompile(`2026-05-01`), "por ejemplo `2026-05-01 14:30`", "an example date must not be in the past", true},
}

// clock24 is a time of day on the 24-hour clock in running text (what to
// type, in `code` or a command's description, may still be 14:30).
var clock24 = regexp.MustCompile(`\b(1[3-9]|2[0-3]):[0-5]\d\b`)

var codeSpan = regexp.MustCompile("`[^`]*`")

// TestSpanishBannedForms fails if any form issue 24 removed comes back into
// the Spanish catalogue (and, for raw option values and stale dates, the
// English one).
func TestSpanishBannedForms(t *testing.T) {
	for _, b := range bannedSpanish {
		if !b.pattern.MatchString(b.sample) {
			t.Errorf("pattern %s no longer catches its sample %q", b.pattern, b.sample)
		}
	}
	if !clock24.MatchString("a las 18:00") {
		t.Error("the 24-hour clock check misses its sample")
	}
	if !rallyAsAcción("Programa una acción en cada sección") || rallyAsAcción("la jornada de acción y las jornadas de acción") {
		t.Error("the rally/day-of-action check misreads its samples")
	}
	es := readCatalogue(t, Spanish)
	for id, m := range es {
		for form, text := range m {
			for _, b := range bannedSpanish {
				if loc := b.pattern.FindStringIndex(text); loc != nil {
					t.Errorf("es %s.%s: %q: %s", id, form, text[loc[0]:loc[1]], b.why)
				}
			}
			if prose := codeSpan.ReplaceAllString(text, ""); !strings.HasPrefix(id, "cmd_") && clock24.MatchString(prose) {
				t.Errorf("es %s.%s: %q: Spanish text uses the 12-hour clock («6:00 p. m.»)", id, form, text)
			}
			if rallyAsAcción(text) {
				t.Errorf("es %s.%s: %q: a rally is «manifestación»; «acción» alone blurs it with a «jornada de acción»", id, form, text)
			}
		}
	}
	en := readCatalogue(t, English)
	for id, m := range en {
		for form, text := range m {
			for _, b := range bannedSpanish {
				if b.english && b.pattern.MatchString(text) {
					t.Errorf("en %s.%s: %q: %s", id, form, text, b.why)
				}
			}
		}
	}
}

var acción = regexp.MustCompile(`(?i)(jornadas? de )?\bacci(ón|ones)\b`)

// rallyAsAcción reports an «acción» that is not part of «jornada de acción».
func rallyAsAcción(text string) bool {
	for _, m := range acción.FindAllStringSubmatch(text, -1) {
		if m[1] == "" {
			return true
		}
	}
	return false
}

// TestSpanishSentences renders the sentences volunteers see most, as they
// read them.
func TestSpanishSentences(t *testing.T) {
	at := time.Date(2026, 12, 12, 18, 0, 0, 0, time.FixedZone("PST", -8*3600))
	when := Spanish.dateTime(at, dateLong)
	for _, c := range []struct{ got, want string }{
		{when, "sábado, 12 de diciembre de 2026, 6:00 p. m."},
		{Spanish.clock(at.Add(-7 * time.Hour)), "11:00 a. m."},
		{English.clock(at), "6:00 PM"},
		{Spanish.clockOf("00:30"), "12:30 a. m."},
		{Spanish.zoneClock(at), "6:00 p. m. PST"},
		{Spanish.T("rsvp_got_it", "Title", "Marcha", "When", when, "Status", statusWords(Spanish, store.Going, 0)),
			"Listo, quedó anotado para **Marcha**, el sábado, 12 de diciembre de 2026, 6:00 p. m.: **vas**."},
		{Spanish.T("rsvp_got_it", "Title", "Marcha", "When", when, "Status", Spanish.T("status_going_role", "Role", roleName(Spanish, store.Interpreter, 1))),
			"Listo, quedó anotado para **Marcha**, el sábado, 12 de diciembre de 2026, 6:00 p. m.: **vas** en el equipo de **interpretación**."},
		{Spanish.T("role_taken", "Role", roleName(Spanish, store.Marshal, 1), "Swapped", Spanish.T("role_instead_of", "Role", roleName(Spanish, store.Medic, 1)), "Title", "Marcha", "When", when),
			"¡Gracias! Quedas en el equipo de **seguridad** (en vez del equipo de primeros auxilios) para **Marcha** el sábado, 12 de diciembre de 2026, 6:00 p. m.. Cuenta como que vas, con un lugar aparte del cupo. Si no puedes ir, toca «No puedo ir» para que otra persona asuma la función."},
		{Spanish.T("role_left_not_going", "Left", Spanish.T("role_left", "Role", roleName(Spanish, store.Marshal, 1), "Title", "Marcha")),
			"Listo. Ya no estás en el equipo de **seguridad** para **Marcha**; el lugar queda libre para otra persona. Marcaste que **no vas**."},
		{Spanish.T("role_needed_marshal", "Count", 2), "2 monitores de seguridad"},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	// Every role reads as a team in every sentence that names it.
	for _, role := range store.Roles {
		name := roleName(Spanish, role, 1)
		for _, id := range []string{"status_going_role", "role_held_swap", "role_no_change", "role_taken", "role_going_no_change", "role_left", "confirm_cant_make_it_role"} {
			text := Spanish.T(id, "Role", name, "Title", "Marcha", "When", when, "Swapped", "")
			if !strings.Contains(text, "en el equipo de **"+name+"**") {
				t.Errorf("%s with %s: %q does not say «en el equipo de **%s**»", id, role, text, name)
			}
		}
	}
}

// TestChoiceRefusals: a forged option value is refused with the names of the
// choices the reader sees, in their language.
func TestChoiceRefusals(t *testing.T) {
	for _, c := range []struct {
		err    error
		en, es string
	}{
		{invalid("err_status_option", "Choices", choiceNames(string(store.Going), string(store.Maybe), string(store.NotGoing))),
			"`status` must be Going, Maybe or Can't go.", "`status` debe ser Voy, Tal vez o No puedo ir."},
		{invalid("notify_bad_choice", "Choices", choiceNames("on", "off")),
			"`reminders` must be on or off.", "`reminders` debe ser activados o desactivados."},
		{invalid("err_role_option", "Choices", roleChoiceNames()),
			"`role` must be Marshal, Medic, Legal observer or Interpreter.", "`role` debe ser Equipo de seguridad, Primeros auxilios, Observación legal o Interpretación."},
		{invalid("err_language_option", "Choices", choiceNames(PostEnglish, PostSpanish, PostBilingual)),
			"`language` must be English, Español or English + Español.", "`language` debe ser Inglés, Español o Inglés + español."},
		{invalid("err_repeat_option", "Choices", choiceNames(string(store.RepeatWeekly), string(store.RepeatEvery2Weeks), string(store.RepeatMonthly))),
			"`repeat` must be Weekly, Every 2 weeks or Monthly.", "`repeat` debe ser Cada semana, Cada dos semanas o Cada mes."},
	} {
		e := userError(c.err)
		if got := e.In(English); got != c.en {
			t.Errorf("English: got %q, want %q", got, c.en)
		}
		if got := e.In(Spanish); got != c.es {
			t.Errorf("Spanish: got %q, want %q", got, c.es)
		}
	}
	if got, want := orList(Spanish, []string{"Seguridad", "Observación legal"}), "Seguridad u Observación legal"; got != want {
		t.Errorf("orList: got %q, want %q", got, want)
	}
}
