package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

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
			return m, invalid("`%s` must be between 0 and %d.", o.name, store.MaxRoleNeeded)
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
		choices[i] = &discordgo.ApplicationCommandOptionChoice{Name: roleTitle(role), Value: string(role)}
	}
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "role",
		Description: "Sign up for a safety role the rally still needs (counts as going)", Choices: choices}
}

// roleName is a role in words: "legal observer", or "legal observers" for n ≠ 1.
func roleName(role store.Role, n int) string {
	s := strings.ReplaceAll(string(role), "_", " ")
	if n != 1 {
		s += "s"
	}
	return s
}

func roleTitle(role store.Role) string {
	s := roleName(role, 1)
	return strings.ToUpper(s[:1]) + s[1:]
}

// staffingLine shows each role needed or held as filled / needed.
func staffingLine(s store.Staffing) string {
	parts := make([]string, 0, len(s))
	for _, c := range s {
		part := fmt.Sprintf("%s %d/%d", roleTitle(c.Role)+"s", c.Filled, c.Needed)
		if c.Short() == 0 && c.Needed > 0 {
			part += " ✓"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " · ")
}

// missingLine names what is still needed in counts: "1 marshal, 2 medics".
func missingLine(short []store.RoleCount) string {
	parts := make([]string, len(short))
	for i, c := range short {
		parts[i] = fmt.Sprintf("%d %s", c.Short(), roleName(c.Role, c.Short()))
	}
	return strings.Join(parts, ", ")
}

// staffingField is the announcement's safety roles field, or nil.
func staffingField(r store.Rally) *discordgo.MessageEmbedField {
	if len(r.Staffing) == 0 {
		return nil
	}
	return &discordgo.MessageEmbedField{Name: "Safety roles", Value: staffingLine(r.Staffing)}
}

func volunteerButtonID(rallyID int64) string { return roleCustomID{}.build("menu", rallyID) }
func roleMenuID(rallyID int64) string        { return roleCustomID{}.build("pick", rallyID) }

func (a *App) roleButtonRoutes() []buttonRoute {
	return []buttonRoute{
		{roleCustomID{}.pattern("menu"), Route{Everyone, a.volunteerButton}},
		{roleCustomID{}.pattern("pick"), Route{Everyone, a.rolePicked}},
	}
}

// withVolunteerButton adds "Volunteer for a role" to the RSVP buttons of a
// rally that sets a minimum.
func withVolunteerButton(components []discordgo.MessageComponent, r store.Rally) []discordgo.MessageComponent {
	if !r.Staffing.Needed() || len(components) == 0 {
		return components
	}
	row, ok := components[0].(discordgo.ActionsRow)
	if !ok {
		return components
	}
	row.Components = append(append([]discordgo.MessageComponent(nil), row.Components...), discordgo.Button{
		Label: "Volunteer for a role", Style: discordgo.PrimaryButton, CustomID: volunteerButtonID(r.ID), Disabled: r.Cancelled(),
	})
	return append([]discordgo.MessageComponent{row}, components[1:]...)
}

// roleMenu offers the roles still short, or nil when none is.
func roleMenu(r store.Rally) []discordgo.MessageComponent {
	short := r.Staffing.Short()
	if len(short) == 0 {
		return nil
	}
	opts := make([]discordgo.SelectMenuOption, len(short))
	for i, c := range short {
		opts[i] = discordgo.SelectMenuOption{Label: roleTitle(c.Role), Value: string(c.Role),
			Description: fmt.Sprintf("%d of %d filled; %d more needed", c.Filled, c.Needed, c.Short())}
	}
	one := 1
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.SelectMenu{MenuType: discordgo.StringSelectMenu, CustomID: roleMenuID(r.ID), Placeholder: "Pick a role",
			MinValues: &one, MaxValues: 1, Options: opts},
	}}}
}

// rallyOfButton reads the rally id of a role button or menu.
func (a *App) rallyOfButton(ctx context.Context, in *Input) (store.Rally, *Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return store.Rally{}, ephemeral("This button is no longer valid."), nil
	}
	r, err := a.db.Rally(ctx, in.GuildID, id)
	if store.ErrorCode(err) == store.ENotFound {
		a.log.Warn("role button for an unknown rally", "custom_id", in.MessageComponentData().CustomID, "guild", in.GuildID)
		return r, ephemeral("This button is no longer valid."), nil
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
	held, err := a.db.MemberRole(ctx, r.ID, in.userID())
	if err != nil {
		return nil, err
	}
	now := ""
	if held != "" {
		now = fmt.Sprintf(" You're signed up as **%s**; picking another role swaps it.", roleName(held, 1))
	}
	menu := roleMenu(r)
	if menu == nil {
		return ephemeral("Every safety role at **%s** is filled. Thank you! You can still tap Going.%s", escape(r.Title), now), nil
	}
	return &Response{
		Content: fmt.Sprintf("Which role can you take at **%s** (%s)? Still needed: %s. A role counts as going and holds a place outside the capacity.%s",
			escape(r.Title), timestamp(r.StartsAt, "F"), missingLine(r.Staffing.Short()), now),
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
		return nil, invalid("Pick one role.")
	}
	return a.takeRole(ctx, in, r.ID, store.Role(values[0]))
}

// takeRole signs the member up and words the outcome; a place taken a moment
// ago is told, with what remains offered again.
func (a *App) takeRole(ctx context.Context, in *Input, rallyID int64, role store.Role) (*Response, error) {
	res, err := a.db.TakeRole(ctx, in.GuildID, rallyID, in.userID(), role)
	var re *store.RoleError
	if errors.As(err, &re) && re.Kind == store.RoleFull {
		menu := roleMenu(re.Rally)
		if menu == nil {
			return ephemeral("Sorry, someone just took the last %s place at **%s**, and every safety role is now filled. You can still tap Going.",
				roleName(role, 1), escape(re.Rally.Title)), nil
		}
		return &Response{
			Content: fmt.Sprintf("Sorry, someone just took the last %s place at **%s**. Still needed: %s. Pick another role?",
				roleName(role, 1), escape(re.Rally.Title), missingLine(re.Rally.Staffing.Short())),
			Components: menu, Ephemeral: true,
		}, nil
	}
	if err != nil {
		return nil, roleError(err)
	}
	r := res.Rally
	if res.Previous == res.Role {
		return ephemeral("No change: you're signed up as **%s** for **%s** (%s).", roleName(role, 1), escape(r.Title), timestamp(r.StartsAt, "F")), nil
	}
	a.refresher.mark(r.ID)
	a.tellPromoted(ctx, r, res.Promoted)
	a.log.Info("role taken", "guild", in.GuildID, "rally", r.ID, "role", string(role))
	swapped := ""
	if res.Previous != "" {
		swapped = fmt.Sprintf(" (instead of %s)", roleName(res.Previous, 1))
	}
	return ephemeral("Thank you! You're signed up as **%s**%s for **%s** (%s). That counts as going, with a place outside the capacity. If you can't make it, tap Can't go so someone else can take the role.",
		roleName(role, 1), swapped, escape(r.Title), timestamp(r.StartsAt, "F")), nil
}

// rallyOpen refuses role changes once a rally is cancelled or has begun.
func rallyOpen(r store.Rally, now time.Time) error {
	if r.Cancelled() {
		return conflict("%s was cancelled, so sign-ups are closed.", echo(r.Title))
	}
	if r.Started(now) {
		return conflict("%s has already started, so sign-ups are closed.", echo(r.Title))
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
		return invalid("`role` must be marshal, medic, legal_observer or interpreter.")
	case store.RoleNotNeeded:
		return conflict("**%s** needs no %s. Pick a role it still needs with the Volunteer for a role button.",
			escape(re.Rally.Title), roleName(re.Role, 2))
	case store.RoleRallyOver:
		return rallyOpen(re.Rally, re.Rally.StartsAt)
	case store.RoleNotHeld:
		return conflict("You hold no safety role at **%s**.", escape(re.Rally.Title))
	}
	return err
}

// rsvpWithRole is /rsvp and the RSVP buttons for a member who holds a role:
// Going changes nothing, Maybe and Can't go give the role up. ok is false
// when the member holds none, and the plain RSVP applies.
func (a *App) rsvpWithRole(ctx context.Context, in *Input, rallyID int64, status store.RSVPStatus) (*Response, bool, error) {
	held, err := a.db.MemberRole(ctx, rallyID, in.userID())
	if err != nil || held == "" {
		return nil, false, err
	}
	if status == store.Going {
		r, err := a.db.Rally(ctx, in.GuildID, rallyID)
		if err != nil {
			return nil, true, err
		}
		return ephemeral("No change: you're going to **%s** (%s) as **%s**.", escape(r.Title), timestamp(r.StartsAt, "F"), roleName(held, 1)), true, nil
	}
	res, err := a.db.LeaveRole(ctx, in.GuildID, rallyID, in.userID())
	if err != nil {
		return nil, true, roleError(err)
	}
	a.refresher.mark(rallyID)
	a.log.Info("role left", "guild", in.GuildID, "rally", rallyID, "role", string(held))
	left := fmt.Sprintf("You're no longer **%s** for **%s**; the place is open for someone else.", roleName(held, 1), escape(res.Rally.Title))
	if status != store.Maybe {
		return ephemeral("Got it: %s You're marked as **not going**.", left), true, nil
	}
	resp, err := a.rsvp(ctx, in, rallyID, status)
	if resp != nil {
		resp.Content = left + " " + resp.Content
	}
	return resp, true, err
}

// roleSections lists who holds each role, for /rally attendees.
func (a *App) roleSections(ctx context.Context, r store.Rally, section func(string, []string)) error {
	if len(r.Staffing) == 0 {
		return nil
	}
	holders, err := a.db.RoleHolders(ctx, r.ID)
	if err != nil {
		return err
	}
	for _, c := range r.Staffing {
		name := roleTitle(c.Role) + "s"
		if c.Needed > 0 {
			name += fmt.Sprintf(", %d needed", c.Needed)
		}
		section(name, holders[c.Role])
	}
	return nil
}

// SendStaffingAlerts tells each chapter, once, of a rally starting within
// StaffingAlert that is short of a role minimum: one message in the chapter
// channel pinging its lead role, naming the missing counts and never people.
// Exactly once like reminders: the alert's row and nonce are recorded before
// the send, every retry reuses the nonce with enforce_nonce, and a send
// resumed later first looks for the message in the channel.
func (a *App) SendStaffingAlerts(ctx context.Context, now time.Time) error {
	if a.cfg.StaffingAlert <= 0 {
		return nil
	}
	a.jobs.staffing.Lock()
	defer a.jobs.staffing.Unlock()
	for {
		due, err := a.db.DueStaffingAlerts(ctx, now, a.cfg.StaffingAlert, dueBatch)
		if err != nil {
			return err
		}
		for _, d := range due {
			if err := a.sendStaffingAlert(ctx, now, d); err != nil {
				return err
			}
		}
		if len(due) < dueBatch {
			return nil
		}
	}
}

func (a *App) sendStaffingAlert(ctx context.Context, now time.Time, d store.StaffingAlert) error {
	r := d.Rally
	log := a.log.With("rally", r.ID)
	channel := d.ChapterChannelID
	if channel == "" {
		channel = r.ChannelID
	}
	att, ok, err := a.db.BeginStaffingAlert(ctx, r.ID)
	if err != nil || !ok {
		return err
	}
	if channel == "" {
		log.Warn("staffing alert has no channel to go to")
		return a.db.FinishStaffingAlert(ctx, store.StaffingAlertOutcome{RallyID: r.ID, Nonce: att.Nonce, State: store.ReminderFailed})
	}
	m := staffingAlertMessage(r)
	footer := m.Embeds[0].Footer.Text
	if att.Resumed {
		if id := a.findOwnMessage(ctx, channel, "", func(msg *discordgo.Message) bool { return hasFooter(msg, footer) }); id != "" {
			log.Info("staffing alert was already posted by an earlier attempt", "message", id)
			return a.db.FinishStaffingAlert(ctx, store.StaffingAlertOutcome{RallyID: r.ID, Nonce: att.Nonce, State: store.ReminderSent, MessageID: id})
		}
	}
	msg, err := a.post(ctx, channel, m, att.Nonce)
	switch {
	case err == nil:
		log.Info("staffing alert posted", "message", msg.ID)
		return a.db.FinishStaffingAlert(ctx, store.StaffingAlertOutcome{RallyID: r.ID, Nonce: att.Nonce, State: store.ReminderSent, MessageID: msg.ID})
	case gone(err):
		log.Warn("staffing alert cannot be posted: channel gone or forbidden", "channel", channel, "err", err)
		return a.db.FinishStaffingAlert(ctx, store.StaffingAlertOutcome{RallyID: r.ID, Nonce: att.Nonce, State: store.ReminderFailed})
	case errors.Is(err, context.Canceled):
		return err
	case retryable(err):
		backoff := time.Duration(1<<min(d.Attempts, 6)) * 30 * time.Second
		log.Warn("staffing alert send failed; will retry", "err", err, "retry_in", backoff)
		return a.db.RetryStaffingAlert(ctx, r.ID, att.Nonce, now.Add(backoff))
	default:
		log.Error("staffing alert refused by Discord; giving up", "err", err)
		return a.db.FinishStaffingAlert(ctx, store.StaffingAlertOutcome{RallyID: r.ID, Nonce: att.Nonce, State: store.ReminderFailed})
	}
}

// staffingAlertMessage pings the chapter's lead role, and only it: the one
// mention allowed is set explicitly. Counts, never names.
func staffingAlertMessage(r store.Rally) outMessage {
	missing := missingLine(r.Staffing.Short())
	m := outMessage{AllowedMentions: NoMentions()}
	ping := ""
	if r.ChapterLeadRoleID != "" {
		ping = "<@&" + r.ChapterLeadRoleID + "> "
		m.AllowedMentions.Roles = []string{r.ChapterLeadRoleID}
	}
	m.Content = fmt.Sprintf("🦺 %s**%s** starts %s and is short of safety roles: still needed %s.",
		ping, escape(r.Title), timestamp(r.StartsAt, "R"), missing)
	m.Embeds = []*discordgo.MessageEmbed{{
		Title:       truncate("Under-staffed: "+escape(r.Title), 256),
		Description: "Still needed: " + missing + "\nVolunteers can sign up with **Volunteer for a role** on the announcement, or `/rsvp` with `role`.",
		Color:       colorReminder,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "When", Value: localTime(r)},
			{Name: "Safety roles", Value: staffingLine(r.Staffing)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Rally #%d · staffing alert", r.ID)},
	}}
	if r.MessageID != "" {
		m.Embeds[0].Fields = append(m.Embeds[0].Fields, &discordgo.MessageEmbedField{Name: "Announcement", Value: messageLink(r.GuildID, r.ChannelID, r.MessageID)})
	}
	return m
}
