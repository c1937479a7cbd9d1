package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Access and language needs: after a Going, the member's reply offers a menu
// of what they need to take part (interpretation, an accessible route,
// seating, childcare, a ride); /rsvp takes the same as needs. Needs are
// stored only while the member is going and shown to leads and coordinators
// only as counts: the member's own reply is the one place they are named
// with who needs them.

// needsCustomID is the needs menu of a Going reply: needs:<rally id>, group
// "rally".
type needsCustomID struct{}

func (needsCustomID) build(rallyID int64) string { return "needs:" + strconv.FormatInt(rallyID, 10) }

func (needsCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^needs:(?P<rally>[1-9][0-9]{0,18})$`)
}

func (a *App) needsRoutes() []buttonRoute {
	// Recipient, in servers too: the menu comes in the Going reply in the
	// channel, and in a DM with the Going a maybe gives the day-before DM;
	// it acts for the member alone either way.
	return []buttonRoute{{pattern: needsCustomID{}.pattern(), Route: Route{Access: Recipient, Handle: a.needsPicked, AlsoInServers: true}}}
}

// needsOption is /rsvp's optional needs: keys, comma-separated.
func needsOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "needs",
		Description: "Needs, comma-separated: asl, spanish, other_interpretation, wheelchair, seating, childcare, ride",
		MaxLength:   200}
}

// needKeys lists the keys /rsvp needs takes, for a refusal.
func needKeys() string {
	keys := make([]string, len(store.Needs))
	for i, n := range store.Needs {
		keys[i] = "`" + string(n) + "`"
	}
	return strings.Join(keys, ", ")
}

// noNeeds is the word /rsvp needs takes to clear them.
const noNeeds = "none"

// parseNeeds reads /rsvp needs: keys separated by commas, in any case,
// repeated or not; "none" alone clears them. An unknown key refuses the lot.
func parseNeeds(s string) ([]store.Need, error) {
	if strings.EqualFold(strings.TrimSpace(s), noNeeds) {
		return nil, nil
	}
	var out []store.Need
	var unknown []string
	for _, part := range strings.Split(s, ",") {
		key := strings.ToLower(strings.TrimSpace(part))
		if key == "" {
			continue
		}
		if n := store.Need(key); n.Valid() {
			out = append(out, n)
		} else {
			unknown = append(unknown, strings.TrimSpace(part))
		}
	}
	if len(out) == 0 && len(unknown) == 0 {
		unknown = []string{s}
	}
	if len(unknown) > 0 {
		return nil, invalid("err_needs_unknown", "Count", len(unknown), "Unknown", echoList(unknown), "Valid", needKeys(), "None", "`"+noNeeds+"`")
	}
	return out, nil
}

// needName is a need as a label: "ASL interpretation".
func needName(l Lang, n store.Need) string { return l.T("need_" + string(n)) }

// needsMenu is the Going reply's menu, with the member's needs picked.
func needsMenu(l Lang, rallyID int64, current []store.Need) []discordgo.MessageComponent {
	opts := make([]discordgo.SelectMenuOption, len(store.Needs))
	for i, n := range store.Needs {
		opts[i] = discordgo.SelectMenuOption{Label: needName(l, n), Value: string(n), Default: needIn(current, n)}
	}
	zero := 0
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.SelectMenu{MenuType: discordgo.StringSelectMenu, CustomID: needsCustomID{}.build(rallyID),
			Placeholder: l.T("needs_placeholder"), MinValues: &zero, MaxValues: len(store.Needs), Options: opts},
	}}}
}

func needIn(list []store.Need, n store.Need) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// offerNeeds adds the needs question and menu to a reply that leaves the
// member going, with what they already named picked.
func (a *App) offerNeeds(ctx context.Context, in *Input, rallyID int64, resp *Response) *Response {
	if resp == nil {
		return resp
	}
	current, err := a.db.MemberNeeds(ctx, rallyID, in.userID())
	if err != nil {
		// The RSVP stands; the menu can come with the next reply.
		a.log.Warn("could not read a member's needs", "rally", rallyID, "err", err)
		return resp
	}
	return a.withNeedsMenu(in.Lang, rallyID, current, resp)
}

// withNeedsMenu is resp with the needs question and the menu holding current.
func (a *App) withNeedsMenu(l Lang, rallyID int64, current []store.Need, resp *Response) *Response {
	resp.Content += "\n\n" + l.T("needs_prompt")
	if len(current) == 0 {
		resp.Components = append(resp.Components, a.emptyNeedsMenu(l, rallyID))
		return resp
	}
	resp.Components = append(resp.Components, needsMenu(l, rallyID, current)...)
	return resp
}

// needsPicked records what the member picked in the needs menu.
func (a *App) needsPicked(ctx context.Context, in *Input) (*Response, error) {
	id, err := strconv.ParseInt(in.Params["rally"], 10, 64)
	if err != nil {
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	if in.GuildID == "" {
		// Picked in a DM: act in the rally's server, while the member is
		// still in it.
		r, err := a.db.RallyByID(ctx, id)
		if errors.Is(err, store.ErrNoSuchRally) {
			return ephemeral(in.Lang.T("button_invalid")), nil
		}
		if err != nil {
			return nil, err
		}
		here, err := a.reachable(ctx, nil, r.GuildID, in.userID())
		if err != nil {
			return nil, err
		}
		if !here {
			return ephemeral(in.Lang.T("confirm_not_member")), nil
		}
		in.GuildID = r.GuildID
	}
	values := in.MessageComponentData().Values
	if len(values) > len(store.Needs) {
		return nil, invalid("err_needs_forged")
	}
	needs := make([]store.Need, 0, len(values))
	for _, v := range values {
		n := store.Need(v)
		if !n.Valid() {
			a.log.Warn("needs menu with a value it does not offer", "guild", in.GuildID, "rally", id)
			return nil, invalid("err_needs_forged")
		}
		needs = append(needs, n)
	}
	res, err := a.setNeeds(ctx, in, id, needs)
	if errors.Is(err, store.ErrNoSuchRally) {
		a.log.Warn("needs menu for an unknown rally", "guild", in.GuildID)
		return ephemeral(in.Lang.T("button_invalid")), nil
	}
	if err != nil {
		return nil, err
	}
	return ephemeral(needsSaved(in.Lang, res)), nil
}

// setNeeds stores the member's needs, with refusals in words.
func (a *App) setNeeds(ctx context.Context, in *Input, rallyID int64, needs []store.Need) (store.NeedsResult, error) {
	res, err := a.db.SetNeeds(ctx, in.GuildID, rallyID, in.userID(), needs)
	var state *store.RallyStateError
	switch {
	case errors.As(err, &state) && errors.Is(err, store.ErrRallyCancelled):
		return res, conflict("err_needs_cancelled", "Title", echo(state.Title))
	case errors.As(err, &state):
		return res, conflict("err_needs_started", "Title", echo(state.Title))
	case errors.Is(err, store.ErrNotGoing):
		return res, conflict("err_needs_not_going", "Title", escape(res.Rally.Title))
	case errors.Is(err, store.ErrBadNeed):
		return res, invalid("err_needs_forged")
	case err == nil:
		// Which needs, never who: the log says only that it happened.
		a.log.Info("needs set", "guild", in.GuildID, "rally", rallyID)
	}
	return res, err
}

// needsSaved tells the member what is stored for them: the one place their
// needs are named.
func needsSaved(l Lang, res store.NeedsResult) string {
	if len(res.Needs) == 0 {
		return l.T("needs_cleared", "Title", escape(res.Rally.Title))
	}
	names := make([]string, len(res.Needs))
	for i, n := range res.Needs {
		names[i] = needName(l, n)
	}
	return l.T("needs_saved", "Title", escape(res.Rally.Title), "Needs", strings.Join(names, ", "))
}

// rsvpNeeds applies /rsvp needs after the RSVP (or role) it came with, and
// answers with the menu showing what is stored. A member left on the
// waitlist is not going: nothing is stored, and the reply says so.
func (a *App) rsvpNeeds(ctx context.Context, in *Input, rallyID int64, needs []store.Need, resp *Response) (*Response, error) {
	res, err := a.setNeeds(ctx, in, rallyID, needs)
	var refusal *Error
	if errors.As(err, &refusal) && refusal.ID == "err_needs_not_going" {
		// On the waitlist, or a role taken a moment ago: the RSVP stands.
		resp.Content += "\n" + in.Lang.T("needs_not_saved")
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	// What was saved comes before the question the menu below asks.
	prompt := "\n\n" + in.Lang.T("needs_prompt")
	resp.Content = strings.TrimSuffix(resp.Content, prompt) + "\n" + needsSaved(in.Lang, res) + prompt
	resp.Components = needsMenu(in.Lang, rallyID, res.Needs)
	return resp, nil
}

// needsCountsLine is a rally's needs as counts, for leads and coordinators:
// "ASL interpretation 1 · Seating 2". Never who.
func needsCountsLine(l Lang, c store.NeedCounts) string {
	var parts []string
	for _, n := range store.Needs {
		if c[n] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", needName(l, n), c[n]))
		}
	}
	if len(parts) == 0 {
		return l.T("needs_counts_none")
	}
	return strings.Join(parts, " · ")
}

// interpretationNeeds is what interpretation members going need, in counts,
// the most needed first: "6 need Spanish, 1 needs ASL"; "" when none.
func interpretationNeeds(l Lang, c store.NeedCounts) string {
	var kinds []store.Need
	for _, n := range store.Needs {
		if n.Interpretation() && c[n] > 0 {
			kinds = append(kinds, n)
		}
	}
	sort.SliceStable(kinds, func(i, j int) bool { return c[kinds[i]] > c[kinds[j]] })
	parts := make([]string, len(kinds))
	for i, n := range kinds {
		parts[i] = l.T("interp_need_"+string(n), "Count", c[n])
	}
	return strings.Join(parts, ", ")
}

// staffingWithNeeds is staffingLine for leads and coordinators: the
// interpreters' count carries the interpretation members need beside it
// ("Interpreters 1/2 · 6 need Spanish"), and shows even without a minimum
// when someone needs one.
func staffingWithNeeds(l Lang, s store.Staffing, c store.NeedCounts) string {
	need := interpretationNeeds(l, c)
	if need == "" {
		return staffingLine(l, s)
	}
	if s.Of(store.Interpreter) == (store.RoleCount{Role: store.Interpreter}) {
		s = append(append(store.Staffing(nil), s...), store.RoleCount{Role: store.Interpreter})
	}
	// Interpreters come last in store.Roles, so the needs follow their count.
	return staffingLine(l, s) + " · " + need
}

// hasStaffingOrNeeds reports whether a lead's view has a staffing line.
func hasStaffingOrNeeds(s store.Staffing, c store.NeedCounts) bool {
	return len(s) > 0 || c.Interpretation() > 0
}

// rallyNeeds reads one rally's need counts.
func (a *App) rallyNeeds(ctx context.Context, rallyID int64) (store.NeedCounts, error) {
	all, err := a.db.RallyNeeds(ctx, rallyID)
	if err != nil {
		return nil, err
	}
	return all[rallyID], nil
}

// ralliesNeeds reads the need counts of many rallies at once.
func (a *App) ralliesNeeds(ctx context.Context, rallies []store.Rally) (map[int64]store.NeedCounts, error) {
	ids := make([]int64, len(rallies))
	for i, r := range rallies {
		ids[i] = r.ID
	}
	return a.db.RallyNeeds(ctx, ids...)
}

// needsField is the lead's /rally info field of need counts.
func needsField(l Lang, c store.NeedCounts) *discordgo.MessageEmbedField {
	return &discordgo.MessageEmbedField{Name: l.T("needs_field"), Value: truncate(needsCountsLine(l, c), 1024)}
}

// interpretersShort is the interpreter count a staffing alert names: the
// minimum, or one per kind of interpretation members going need when that
// is more. ok is false when neither is short.
func interpretersShort(s store.Staffing, languages int) (store.RoleCount, bool) {
	c := s.Of(store.Interpreter)
	c.Needed = max(c.Needed, languages)
	return c, c.Short() > 0
}

// alertShort is what a staffing alert names as missing: the roles below
// their minimum, with interpreters counted against the interpretation
// members need too.
func alertShort(r store.Rally, languages int) []store.RoleCount {
	var out []store.RoleCount
	for _, c := range r.Staffing.Short() {
		if c.Role != store.Interpreter {
			out = append(out, c)
		}
	}
	if c, ok := interpretersShort(r.Staffing, languages); ok {
		out = append(out, c)
	}
	return out
}

// withLeadNeeds gives a lead's copy of a rally's embed the need counts: the
// safety roles field with the interpretation needed beside the interpreters,
// and a field of every need counted.
func withLeadNeeds(l Lang, e *discordgo.MessageEmbed, r store.Rally, c store.NeedCounts) {
	if hasStaffingOrNeeds(r.Staffing, c) {
		value := truncate(staffingWithNeeds(l, r.Staffing, c), 1024)
		found := false
		for _, f := range e.Fields {
			if f.Name == l.T("field_safety_roles") {
				f.Value, found = value, true
			}
		}
		if !found {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: l.T("field_safety_roles"), Value: value})
		}
	}
	e.Fields = append(e.Fields, needsField(l, c))
}

// attendeesNeedsLines are /rally attendees' need counts, apart from the
// lists of names: nothing ties a need to anyone listed.
func attendeesNeedsLines(l Lang, r store.Rally, c store.NeedCounts) []string {
	lines := []string{l.T("attendees_needs", "Needs", needsCountsLine(l, c))}
	if hasStaffingOrNeeds(r.Staffing, c) {
		lines = append(lines, l.T("attendees_staffing", "Roles", staffingWithNeeds(l, r.Staffing, c)))
	}
	return lines
}

// interpretationAlert is the staffing alert's word on interpretation when
// interpreters signed up fall short of the kinds members going need. The
// alert is posted in the chapter channel, so it names no need and no count
// of members: leads find those in /rally info.
func interpretationAlert(l Lang, r store.Rally, languages int) string {
	if c := r.Staffing.Of(store.Interpreter); c.Filled >= languages {
		return ""
	}
	return "\n" + l.T("staffing_alert_interpretation")
}
