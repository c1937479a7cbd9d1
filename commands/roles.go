package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// Safety roles: the minimums a lead sets, the "Volunteer for a role" button
// and its menu, /rsvp role, and the under-staffing alert.

// roleMinimumOptions names each role's minimum option, in store.Roles order.
var roleMinimumOptions = [...]struct {
	role store.Role
	name string
	desc string
}{
	{store.Marshal, "marshals", "Marshals needed (0–50)"},
	{store.Medic, "medics", "Medics needed (0–50)"},
	{store.LegalObserver, "legal_observers", "Legal observers needed (0–50)"},
	{store.Interpreter, "interpreters", "Interpreters needed (0–50)"},
}

// RoleMinimumOptions builds the four optional minimum options (marshals,
// medics, legal_observers, interpreters; 0–50) for a command that schedules
// rallies.
func RoleMinimumOptions() []*discordgo.ApplicationCommandOption {
	lo, hi := float64(0), float64(store.MaxRoleNeeded)
	out := make([]*discordgo.ApplicationCommandOption, len(roleMinimumOptions))
	for i, o := range roleMinimumOptions {
		out[i] = &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger,
			Name: o.name, Description: o.desc, MinValue: &lo, MaxValue: hi}
	}
	return out
}

// RoleMinimums are the minimums given in one interaction; nil where an
// option was not given (a /rally edit then leaves that role as it is).
type RoleMinimums struct {
	Marshals, Medics, LegalObservers, Interpreters *int
}

// ReadRoleMinimums reads the options RoleMinimumOptions defines, checking
// their range (a forged payload may send anything).
func ReadRoleMinimums(in *Input) (RoleMinimums, error) {
	var m RoleMinimums
	dst := [...]**int{&m.Marshals, &m.Medics, &m.LegalObservers, &m.Interpreters}
	for i, o := range roleMinimumOptions {
		n, ok, err := in.int(o.name)
		if err != nil {
			return m, err
		}
		if !ok {
			continue
		}
		if n < 0 || n > store.MaxRoleNeeded {
			return m, invalid("err_role_minimum_range", "Option", o.name, "Max", store.MaxRoleNeeded)
		}
		v := int(n)
		*dst[i] = &v
	}
	return m, nil
}

// Needs returns the minimums given, for the store.
func (m RoleMinimums) Needs() store.RoleNeeds {
	out := store.RoleNeeds{}
	for i, p := range [...]*int{m.Marshals, m.Medics, m.LegalObservers, m.Interpreters} {
		if p != nil {
			out[roleMinimumOptions[i].role] = *p
		}
	}
	return out
}

// Given names the options given, for a reply that lists what changed.
func (m RoleMinimums) Given() []string {
	var out []string
	for i, p := range [...]*int{m.Marshals, m.Medics, m.LegalObservers, m.Interpreters} {
		if p != nil {
			out = append(out, roleMinimumOptions[i].name)
		}
	}
	return out
}

// roleOption is /rsvp's optional role.
func roleOption() *discordgo.ApplicationCommandOption {
	choices := make([]*discordgo.ApplicationCommandOptionChoice, len(store.Roles))
	for i, role := range store.Roles {
		choices[i] = &discordgo.ApplicationCommandOptionChoice{Name: roleTitle(English, role, 1), Value: string(role)}
	}
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "role",
		Description: "Sign up for a safety role the rally still needs (counts as going)", Choices: choices}
}

// roleName is a role in words in a sentence: "legal observer", or "legal
// observers" for n ≠ 1.
func roleName(l Lang, role store.Role, n int) string {
	return l.T("role_"+string(role), "Count", n)
}

// roleTitle is a role as a label: "Legal observer", or plural for n ≠ 1.
func roleTitle(l Lang, role store.Role, n int) string {
	return l.T("role_title_"+string(role), "Count", n)
}

// staffingLine shows each role needed or held as filled / needed.
func staffingLine(l Lang, s store.Staffing) string {
	parts := make([]string, 0, len(s))
	for _, c := range s {
		part := fmt.Sprintf("%s %d/%d", roleTitle(l, c.Role, 2), c.Filled, c.Needed)
		if c.Short() == 0 && c.Needed > 0 {
			part += " ✓"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " · ")
}

// missingLine names what is still needed in counts: "1 marshal, 2 medics".
func missingLine(l Lang, short []store.RoleCount) string {
	parts := make([]string, len(short))
	for i, c := range short {
		parts[i] = l.T("role_needed_"+string(c.Role), "Count", c.Short())
	}
	return strings.Join(parts, ", ")
}

// staffingField is the announcement's safety roles field, or nil.
func staffingField(l Lang, r store.Rally) *discordgo.MessageEmbedField {
	if len(r.Staffing) == 0 {
		return nil
	}
	return &discordgo.MessageEmbedField{Name: l.T("field_safety_roles"), Value: staffingLine(l, r.Staffing)}
}

func volunteerButtonID(rallyID int64) string { return roleCustomID{}.build("menu", rallyID) }
func roleMenuID(rallyID int64) string        { return roleCustomID{}.build("pick", rallyID) }

func (a *App) roleButtonRoutes() []buttonRoute {
	return []buttonRoute{
		{pattern: roleCustomID{}.pattern("menu"), Route: Route{Access: Everyone, Handle: a.volunteerButton}},
		{pattern: roleCustomID{}.pattern("pick"), Route: Route{Access: Everyone, Handle: a.rolePicked}},
	}
}

// withVolunteerButton adds "Volunteer for a role" to the RSVP buttons of a
// rally that sets a minimum.
func withVolunteerButton(langs []Lang, components []discordgo.MessageComponent, r store.Rally) []discordgo.MessageComponent {
	if !r.Staffing.Needed() || len(components) == 0 {
		return components
	}
	row, ok := components[0].(discordgo.ActionsRow)
	if !ok {
		return components
	}
	row.Components = append(append([]discordgo.MessageComponent(nil), row.Components...), discordgo.Button{
		Label: label(langs, "button_volunteer"), Style: discordgo.PrimaryButton, CustomID: volunteerButtonID(r.ID), Disabled: r.Cancelled(),
	})
	return append([]discordgo.MessageComponent{row}, components[1:]...)
}

// roleMenu offers the roles still short, or nil when none is.
func roleMenu(l Lang, r store.Rally) []discordgo.MessageComponent {
	short := r.Staffing.Short()
	if len(short) == 0 {
		return nil
	}
	opts := make([]discordgo.SelectMenuOption, len(short))
	for i, c := range short {
		opts[i] = discordgo.SelectMenuOption{Label: roleTitle(l, c.Role, 1), Value: string(c.Role),
			Description: l.T("role_menu_filled", "Filled", c.Filled, "Needed", c.Needed, "Count", c.Short())}
	}
	one := 1
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.SelectMenu{MenuType: discordgo.StringSelectMenu, CustomID: roleMenuID(r.ID), Placeholder: l.T("role_menu_placeholder"),
			MinValues: &one, MaxValues: 1, Options: opts},
	}}}
}

// rallyOfButton reads the rally id of a role button or menu.
func (a *App) rallyOfButton(ctx context.Context, in *Input) (store.Rally, *Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return store.Rally{}, ephemeral(in.Lang.T("button_invalid")), nil
	}
	r, err := a.db.Rally(ctx, in.GuildID, id)
	if store.ErrorCode(err) == store.ENotFound {
		a.log.Warn("role button for an unknown rally", "custom_id", in.MessageComponentData().CustomID, "guild", in.GuildID)
		return r, ephemeral(in.Lang.T("button_invalid")), nil
	}
	return r, nil, err
}

// volunteerButton answers "Volunteer for a role" with a menu of the roles
// still short, for the member's eyes only.
func (a *App) volunteerButton(ctx context.Context, in *Input) (*Response, error) {
	r, resp, err := a.rallyOfButton(ctx, in)
	if resp != nil || err != nil {
		return resp, err
	}
	if err := rallyOpen(r, in.Now); err != nil {
		return nil, err
	}
	// A member a lead took off is sent to the leads before any menu.
	if removed, err := a.db.Removed(ctx, r.ID, in.userID()); err != nil || removed {
		if err == nil {
			err = &store.RemovedError{Title: r.Title, ChapterName: r.ChapterName}
		}
		return nil, err
	}
	held, err := a.db.MemberRole(ctx, r.ID, in.userID())
	if err != nil {
		return nil, err
	}
	now := ""
	if held != "" {
		now = in.Lang.T("role_held_swap", "Role", roleName(in.Lang, held, 1))
	}
	menu := roleMenu(in.Lang, r)
	if menu == nil {
		return ephemeral(in.Lang.T("roles_all_filled", "Title", escape(r.Title)) + now), nil
	}
	return &Response{
		Content:    in.Lang.T("role_which", "Title", escape(r.Title), "When", zonedTime(in.Lang, r.StartsAt, r.TimeZone), "Missing", missingLine(in.Lang, r.Staffing.Short())) + now,
		Components: menu, Ephemeral: true,
	}, nil
}

// rolePicked signs the member up for the role picked in the menu.
func (a *App) rolePicked(ctx context.Context, in *Input) (*Response, error) {
	r, resp, err := a.rallyOfButton(ctx, in)
	if resp != nil || err != nil {
		return resp, err
	}
	values := in.MessageComponentData().Values
	if len(values) != 1 {
		return nil, invalid("err_pick_one_role")
	}
	return a.takeRole(ctx, in, r.ID, store.Role(values[0]))
}

// takeRole signs the member up and words the outcome; a place taken a moment
// ago is told, with what remains offered again.
func (a *App) takeRole(ctx context.Context, in *Input, rallyID int64, role store.Role) (*Response, error) {
	res, err := a.db.TakeRole(ctx, in.GuildID, rallyID, in.userID(), role)
	var re *store.RoleError
	if errors.As(err, &re) && re.Kind == store.RoleFull {
		menu := roleMenu(in.Lang, re.Rally)
		if menu == nil {
			return ephemeral(in.Lang.T("role_taken_all_filled", "Role", roleName(in.Lang, role, 1), "Title", escape(re.Rally.Title))), nil
		}
		return &Response{
			Content: in.Lang.T("role_taken_pick_another", "Role", roleName(in.Lang, role, 1), "Title", escape(re.Rally.Title),
				"Missing", missingLine(in.Lang, re.Rally.Staffing.Short())),
			Components: menu, Ephemeral: true,
		}, nil
	}
	if err != nil {
		return nil, roleError(err)
	}
	r := res.Rally
	if res.Requested {
		return requestedReply(in.Lang, r, role, false), nil
	}
	if res.Previous == res.Role {
		return a.offerNeeds(ctx, in, r.ID, ephemeral(in.Lang.T("role_no_change", "Role", roleName(in.Lang, role, 1), "Title", escape(r.Title), "When", zonedTime(in.Lang, r.StartsAt, r.TimeZone)))), nil
	}
	a.refresher.mark(r.ID)
	a.log.Info("role taken", "guild", in.GuildID, "rally", r.ID, "role", string(role))
	swapped := ""
	if res.Previous != "" {
		swapped = in.Lang.T("role_instead_of", "Role", roleName(in.Lang, res.Previous, 1))
	}
	// A role counts as going: a private place already being shared is told
	// here, as to anyone who becomes going late.
	return a.offerNeeds(ctx, in, r.ID, ephemeral(in.Lang.T("role_taken", "Role", roleName(in.Lang, role, 1), "Swapped", swapped, "Title", escape(r.Title), "When", zonedTime(in.Lang, r.StartsAt, r.TimeZone))+
		a.privatePlaceFor(ctx, in.Lang, r))), nil
}

// rallyOpen refuses role changes once a rally is cancelled or has begun.
func rallyOpen(r store.Rally, now time.Time) error {
	if r.Cancelled() {
		return conflict("err_signups_cancelled", "Title", echo(r.Title))
	}
	if r.Started(now) {
		return conflict("err_signups_started", "Title", echo(r.Title))
	}
	return nil
}

// roleError words a refused role change for the member.
func roleError(err error) error {
	var re *store.RoleError
	if !errors.As(err, &re) {
		return err
	}
	switch re.Kind {
	case store.RoleInvalid:
		return invalid("err_role_option", "Choices", roleChoiceNames())
	case store.RoleNotNeeded:
		return conflict("err_role_not_needed", "Title", escape(re.Rally.Title), "Role", perLang(func(l Lang) string { return roleName(l, re.Role, 2) }))
	case store.RoleRallyOver:
		return rallyOpen(re.Rally, re.Rally.StartsAt)
	case store.RoleNotHeld:
		return conflict("err_role_not_held", "Title", escape(re.Rally.Title))
	}
	return err
}

// heldRole is /rsvp and the RSVP buttons for a member who holds a role
// (SetRSVP found it in the click's own read and wrote nothing): Going
// changes nothing, Maybe and Can't go give the role up.
func (a *App) heldRole(ctx context.Context, in *Input, r store.Rally, held store.Role, status store.RSVPStatus) (*Response, error) {
	if status == store.Going {
		return a.offerNeeds(ctx, in, r.ID, ephemeral(in.Lang.T("role_going_no_change", "Title", escape(r.Title), "When", a.when(in.Lang, r), "Role", roleName(in.Lang, held, 1)))), nil
	}
	res, err := a.db.LeaveRole(ctx, in.GuildID, r.ID, in.userID())
	if err != nil {
		return nil, roleError(err)
	}
	a.refresher.mark(r.ID)
	a.log.Info("role left", "guild", in.GuildID, "rally", r.ID, "role", string(held))
	left := in.Lang.T("role_left", "Role", roleName(in.Lang, held, 1), "Title", escape(res.Rally.Title))
	if status != store.Maybe {
		return ephemeral(in.Lang.T("role_left_not_going", "Left", left)), nil
	}
	resp, err := a.rsvp(ctx, in, r.ID, status)
	if resp != nil {
		resp.Content = left + " " + resp.Content
	}
	return resp, err
}

// roleSections lists who holds each role, for /rally attendees.
func (a *App) roleSections(ctx context.Context, l Lang, r store.Rally, section func(string, []string)) error {
	if len(r.Staffing) == 0 {
		return nil
	}
	holders, err := a.db.RoleHolders(ctx, r.ID)
	if err != nil {
		return err
	}
	for _, c := range r.Staffing {
		name := roleTitle(l, c.Role, 2)
		if c.Needed > 0 {
			name += l.T("role_section_needed", "Count", c.Needed)
		}
		section(name, holders[c.Role])
	}
	return nil
}

// SendStaffingAlerts tells each chapter, once, of a rally starting within
// StaffingAlert that is short of a role minimum: one message in the chapter
// channel pinging its lead role, naming the missing counts and never people.
// The alert is owed once per rally (staffingKind) and sent as every post is.
func (a *App) SendStaffingAlerts(ctx context.Context, now time.Time) error {
	if a.cfg.StaffingAlert <= 0 {
		return nil
	}
	a.jobs.staffing.Lock()
	defer a.jobs.staffing.Unlock()
	owed, err := a.db.OweStaffingAlerts(ctx, now, a.cfg.StaffingAlert)
	if err != nil || owed == 0 {
		return err
	}
	return a.drainPosts(ctx, now)
}

// staffingAlertMessage pings the chapter's lead role, and only it: the one
// mention allowed is set explicitly. Counts, never names.
func staffingAlertMessage(r store.Rally, languages int) discord.Message {
	missing := func(l Lang) string { return missingLine(l, alertShort(r, languages)) }
	langs := postLangs(r.ChapterLanguage)
	m := discord.Message{AllowedMentions: NoMentions()}
	ping := ""
	if r.ChapterLeadRoleID != "" {
		ping = "<@&" + r.ChapterLeadRoleID + "> "
		m.AllowedMentions.Roles = []string{r.ChapterLeadRoleID}
	}
	m.Content = "🦺 " + ping + inLangs(langs, bilingualSep, func(l Lang) string {
		return l.T("staffing_alert", "Title", escape(r.Title), "When", timestamp(r.StartsAt, "R"), "Missing", missing(l))
	})
	for _, l := range langs {
		e := &discordgo.MessageEmbed{
			Title:       truncate(l.T("staffing_title", "Title", escape(r.Title)), 256),
			Description: l.T("staffing_description", "Missing", missing(l)) + interpretationAlert(l, r, languages),
			Color:       colorReminder,
			Fields:      []*discordgo.MessageEmbedField{{Name: l.T("field_when"), Value: localTime(l, r)}},
			Footer:      &discordgo.MessageEmbedFooter{Text: l.T("staffing_footer", "ID", r.ID)},
		}
		// A rally short only of interpreters (its members' languages) may set
		// no minimum: an empty field would have Discord refuse the alert.
		if f := staffingField(l, r); f != nil {
			e.Fields = append(e.Fields, f)
		}
		if r.MessageID != "" {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: l.T("field_announcement"), Value: messageLink(r.GuildID, r.ChannelID, r.MessageID)})
		}
		m.Embeds = append(m.Embeds, e)
	}
	return m
}
