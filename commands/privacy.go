package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Who may come: membership re-checked before the place or a DM goes out,
// /rally remove, and requests to come to a rally with approval.

// memberCacheTTL is how long a "still in the server" answer is trusted
// within one burst of DMs: a burst of DMs to one member (a reveal and a
// reminder) asks Discord once. The answers go with the burst, so a member
// who leaves after it is asked about again before the next DM. "Gone" is
// never cached: it is acted on at once.
const memberCacheTTL = time.Minute

// memberCacheMax bounds the cache; past it, expired answers are swept and,
// if that is not enough, every answer is forgotten.
const memberCacheMax = 4096

// memberCache holds the recent "still in the server" answers of one burst
// of DMs, by guild/user, with the time each was read (on the injected
// clock).
type memberCache struct {
	mu   sync.Mutex
	here map[string]time.Time
}

func (c *memberCache) fresh(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.here[key]
	return ok && !now.Before(at) && now.Sub(at) < memberCacheTTL
}

func (c *memberCache) remember(key string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.here == nil {
		c.here = map[string]time.Time{}
	}
	if len(c.here) >= memberCacheMax {
		for k, at := range c.here {
			if now.Sub(at) >= memberCacheTTL || now.Before(at) {
				delete(c.here, k)
			}
		}
		if len(c.here) >= memberCacheMax {
			clear(c.here)
		}
	}
	c.here[key] = now
}

func (c *memberCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.here, key)
}

// stillMember asks Discord whether the user is in the guild: false with no
// error when Discord answers Unknown Member. Any other error leaves it
// unknown, and the caller sends nothing. seen, if not nil, holds the
// answers of the burst of DMs being sent.
func (a *App) stillMember(ctx context.Context, seen *memberCache, guildID, userID string) (bool, error) {
	key := guildID + "/" + userID
	now := a.now()
	if seen != nil && seen.fresh(key, now) {
		return true, nil
	}
	here, err := a.discord.IsMember(ctx, guildID, userID)
	if err != nil {
		return false, err
	}
	if seen == nil {
		return here, nil
	}
	if !here {
		seen.forget(key)
		return false, nil
	}
	seen.remember(key, now)
	return true, nil
}

// memberGone takes a member who is no longer in the server off every rally
// of it that has not ended, as Can't go would (the seats go to the
// waitlist, whose promoted members are told), and drops every DM still owed
// to them there. Nothing is sent to them.
func (a *App) memberGone(ctx context.Context, guildID, userID string) {
	d, err := a.db.DepartMember(ctx, guildID, userID)
	if err != nil {
		a.log.Error("could not take a departed member off their rallies", "guild", guildID, "err", err)
		return
	}
	for _, id := range d.Rallies {
		a.refresher.mark(id)
	}
	if len(d.Rallies) > 0 {
		a.log.Info("member no longer in the server taken off their rallies", "guild", guildID, "rallies", len(d.Rallies))
	}
}

// reachable reports whether a DM about the guild may go to the member: they
// are still in it. A member who is gone is taken off its rallies first.
// seen, if not nil, holds the answers of the burst of DMs being sent.
func (a *App) reachable(ctx context.Context, seen *memberCache, guildID, userID string) (bool, error) {
	here, err := a.stillMember(ctx, seen, guildID, userID)
	if err != nil {
		return false, err
	}
	if !here {
		a.memberGone(ctx, guildID, userID)
	}
	return here, nil
}

// removeSubcommand is /rally remove.
func removeSubcommand() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove",
		Description: "Take a member off a rally and keep them from RSVPing to it again (leads)",
		Options: []*discordgo.ApplicationCommandOption{
			rallyOpt("Rally to take them off"),
			{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "Member to take off", Required: true},
			{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why, for the leads' record only (never shown to the member)", MaxLength: maxReason},
		}}
}

// approvalOption is the approval option of /rally create, /rally edit and
// /action create.
func approvalOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "approval",
		Description: "Leads approve who comes: Going and role sign-ups become requests"}
}

func (a *App) rallyRemove(ctx context.Context, in *Input) (*Response, error) {
	r := in.Rally
	userID := in.id("member")
	if userID == "" {
		return nil, invalid("err_remove_member")
	}
	reason, err := checkText("reason", in.str("reason"), maxReason, false)
	if err != nil {
		return nil, err
	}
	res, err := a.db.RemoveFromRally(ctx, in.GuildID, r.ID, userID, reason)
	if err != nil {
		return nil, err
	}
	a.refresher.mark(r.ID)
	a.log.Info("member taken off a rally", "guild", in.GuildID, "rally", r.ID)
	if res.Again {
		return ephemeral(in.Lang.T("rally_removed_again", "Member", userID, "Title", escape(res.Rally.Title), "ID", r.ID)), nil
	}
	return ephemeral(in.Lang.T("rally_removed", "Member", userID, "Title", escape(res.Rally.Title), "ID", r.ID,
		"Was", standingWords(in.Lang, res.Had))), nil
}

// standingWords says where a member stood, for a lead.
func standingWords(l Lang, s store.Standing) string {
	switch {
	case s.Status == store.Requested:
		return l.T("standing_requested")
	case s.Role != "":
		return l.T("standing_role", "Role", roleName(l, s.Role, 1))
	case s.Status == store.Going:
		return l.T("standing_going")
	case s.Status == store.Maybe:
		return l.T("standing_maybe")
	case s.Status == store.Waitlist:
		return l.T("standing_waitlist")
	}
	return l.T("standing_none")
}

// requestCustomID is an Approve / Decline button on /rally attendees:
// request:<approve|decline>:<rally id>:<user id>, groups "answer", "rally"
// and "user". Its route is for the rally's leads: authorize reads the rally
// group, so a lead of another chapter is refused whatever the id says.
type requestCustomID struct{}

func (requestCustomID) build(approve bool, rallyID int64, userID string) string {
	answer := "decline"
	if approve {
		answer = "approve"
	}
	return "request:" + answer + ":" + strconv.FormatInt(rallyID, 10) + ":" + userID
}

func (requestCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^request:(?P<answer>approve|decline):(?P<rally>[1-9][0-9]{0,18}):(?P<user>[1-9][0-9]{0,19})$`)
}

// maxRequestButtons is how many requests one /rally attendees reply offers
// buttons for: two buttons each, four to a row, five rows.
const maxRequestButtons = 10

// requestSection lists the requests of a rally with approval, for
// /rally attendees, and the Approve / Decline buttons of the first ones.
func (a *App) requestSection(ctx context.Context, l Lang, r store.Rally, section func(string, []string)) ([]discordgo.MessageComponent, []string, error) {
	reqs, err := a.db.RallyRequests(ctx, r.ID)
	if err != nil || (len(reqs) == 0 && !r.Approval) {
		return nil, nil, err
	}
	ids := make([]string, len(reqs))
	for i, q := range reqs {
		ids[i] = q.UserID
	}
	var notes []string
	section(l.T("section_requests"), ids)
	for i, q := range reqs {
		if q.Role != "" {
			notes = append(notes, l.T("request_as_role", "N", i+1, "Role", roleName(l, q.Role, 1)))
		}
	}
	var id requestCustomID
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	for i, q := range reqs {
		if i == maxRequestButtons {
			notes = append(notes, l.T("requests_more", "Count", len(reqs)-maxRequestButtons))
			break
		}
		row = append(row,
			discordgo.Button{Label: l.T("button_approve", "N", i+1), Style: discordgo.SuccessButton, CustomID: id.build(true, r.ID, q.UserID)},
			discordgo.Button{Label: l.T("button_decline", "N", i+1), Style: discordgo.SecondaryButton, CustomID: id.build(false, r.ID, q.UserID)})
		if len(row) == 4 {
			rows, row = append(rows, discordgo.ActionsRow{Components: row}), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows, notes, nil
}

// removalSection lists who was taken off the rally, with the leads' reasons.
func (a *App) removalLines(ctx context.Context, l Lang, r store.Rally) ([]string, error) {
	removals, err := a.db.RallyRemovals(ctx, r.ID)
	if err != nil || len(removals) == 0 {
		return nil, err
	}
	lines := []string{fmt.Sprintf("**%s (%d)**", l.T("section_removed"), len(removals))}
	for i, m := range removals {
		line := fmt.Sprintf("%d. <@%s>", i+1, m.UserID)
		if m.Reason != "" {
			line += " — " + escape(truncate(m.Reason, 200))
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// answerButton is a lead's Approve or Decline on a request. The member is
// told by DM either way, as every owed DM is: worded now in every language
// and sent in theirs once it is known they are still in the server (a
// member who left is taken off its rallies instead), exactly once. The DM
// is owed with the answer, in its transaction.
func (a *App) answerButton(ctx context.Context, in *Input) (*Response, error) {
	r := in.Rally // authorize checked the clicker leads its chapter
	userID := in.Params["user"]
	approve := in.Params["answer"] == "approve"
	res, err := a.db.AnswerRequest(ctx, in.GuildID, r.ID, userID, approve, func(res store.AnswerResult) string {
		return dmBodies(func(l Lang) string { return answerDM(l, approve, res) })
	})
	if errors.Is(err, store.ErrNoSuchRequest) {
		return nil, conflict("request_not_waiting")
	}
	if err != nil {
		return nil, err
	}
	r = res.Rally
	if !approve {
		a.log.Info("request declined", "guild", in.GuildID, "rally", r.ID)
		return ephemeral(in.Lang.T("request_declined", "Member", userID, "Title", escape(r.Title))), nil
	}
	a.refresher.mark(r.ID)
	a.log.Info("request approved", "guild", in.GuildID, "rally", r.ID, "status", string(res.Status))
	return ephemeral(in.Lang.T("request_approved", "Member", userID, "Title", escape(r.Title), "Status", answerWords(in.Lang, res))), nil
}

// answerWords says where an approved request left the member.
func answerWords(l Lang, res store.AnswerResult) string {
	if res.Role != "" {
		return l.T("status_going_role", "Role", roleName(l, res.Role, 1))
	}
	return statusWords(l, res.Status, res.Position)
}

// answerDM is the DM telling a member a lead's answer to their request, in l.
func answerDM(l Lang, approve bool, res store.AnswerResult) string {
	r := res.Rally
	if !approve {
		return l.T("dm_request_declined", "Title", escape(r.Title), "Chapter", escape(r.ChapterName))
	}
	// A private place is not in its text: let in with a seat or a role,
	// they are told it when the DM goes out, if still going then
	// (store.ApprovedDM).
	return l.T("dm_request_approved", "Title", escape(r.Title), "Chapter", escape(r.ChapterName),
		"When", zonedTime(l, r.StartsAt, r.TimeZone), "Status", answerWords(l, res))
}

// requestedReply answers a Going (or a role) that became a request.
func requestedReply(l Lang, r store.Rally, role store.Role, again bool) *Response {
	when := zonedTime(l, r.StartsAt, r.TimeZone)
	switch {
	case again:
		return ephemeral(l.T("rsvp_request_pending", "Title", escape(r.Title)))
	case role != "":
		return ephemeral(l.T("role_requested", "Title", escape(r.Title), "When", when, "Role", roleName(l, role, 1), "Chapter", escape(r.ChapterName)))
	}
	return ephemeral(l.T("rsvp_requested", "Title", escape(r.Title), "When", when, "Chapter", escape(r.ChapterName)))
}

// infoIsPrivate reports whether /rally info answers the asker alone: a lead
// of the rally's chapter (or an admin) sees a private place and the
// confirmations. It is decided from who asks, before anything is deferred,
// so a lead's answer is never deferred in public.
func (a *App) infoIsPrivate(ctx context.Context, in *Input) bool {
	if in.Member == nil || in.Member.User == nil {
		return true
	}
	r, err := a.rallyFromOption(ctx, in)
	if err != nil {
		return false // a refusal: ephemeral anyway, and it carries no place
	}
	return a.isLead(in, r)
}

// placeSetAsk edits a day of action's request for a place, once the place is
// set, so the channel no longer asks for it; a request not yet posted is
// dropped.
func (a *App) placeSetAsk(ctx context.Context, r store.Rally, link string) {
	p, ok, err := a.db.ActionAskPost(ctx, r.ID)
	if err != nil || !ok {
		if err != nil {
			a.log.Warn("could not read a day of action's request for a place", "rally", r.ID, "err", err)
		}
		return
	}
	if p.MessageID == "" {
		return
	}
	langs := postLangs(r.ChapterLanguage)
	text := "✅ " + inLangs(langs, bilingualSep, func(l Lang) string {
		return l.T("action_post_placed", "Title", escape(r.Title), "Chapter", escape(r.ChapterName), "Link", link)
	})
	if err := a.discord.EditContent(ctx, p.ChannelID, p.MessageID, text); err != nil {
		a.log.Warn("could not edit a day of action's request for a place", "rally", r.ID, "err", err)
	}
}

// placeWords is the place a DM to one member names: the place itself for a
// member going once it is being shared, else what anyone may see.
func (a *App) placeWords(l Lang, r store.Rally, going, revealed bool) string {
	if r.PrivateLocation && going && revealed {
		return "**" + escape(meetingPlace(l, r)) + "**"
	}
	return a.shownPlace(l, r)
}
