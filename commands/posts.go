package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Messages owed to chapter channels (store.ChannelPost): a day of action's
// posts and a rally's notices of its cancellation or of a change. Each is
// owed in the transaction that makes the change, sent at once by the command
// that made it, and by the reminder sweep if that send failed or never
// happened (a crash): exactly once, as a reminder is.

// SendDueChannelPosts sends the posts owed to chapter channels whose time has
// come: those the command that owed them could not send, or never got to.
// Called by the reminder sweep.
func (a *App) SendDueChannelPosts(ctx context.Context, now time.Time) error {
	return drainDue(func() ([]store.ChannelPost, error) { return a.db.DueChannelPosts(ctx, now, dueBatch) },
		func(p store.ChannelPost) error { _, err := a.sendChannelPost(ctx, now, p); return err })
}

// sendChannelPost sends one pending post exactly once: with the nonce
// recorded with it, enforced, so Discord drops a second copy within its nonce
// window; and, when an earlier send was begun but its outcome never recorded,
// only if the post is not in the channel already (past that window the nonce
// no longer helps). It returns the post's new state.
func (a *App) sendChannelPost(ctx context.Context, now time.Time, p store.ChannelPost) (store.ReminderState, error) {
	log := a.log.With("rally", p.Rally.ID, "post", p.ID, "kind", string(p.Kind))
	if p.Action.ID != 0 {
		log = log.With("action", p.Action.ID)
	}
	finish := func(state store.ReminderState, messageID string) (store.ReminderState, error) {
		if err := a.db.FinishChannelPost(ctx, store.ChannelPostOutcome{Post: p, State: state, MessageID: messageID}); err != nil {
			return store.ReminderPending, err
		}
		return state, nil
	}
	if p.Kind == store.PostActionAsk && (p.Rally.Cancelled() || p.Rally.MessageID != "" || p.Rally.Started(now)) {
		return finish(store.ReminderDropped, "")
	}
	state, resumed, err := a.db.BeginChannelPost(ctx, p)
	if err != nil || state != store.ReminderPending {
		return state, err
	}
	msg, marker := channelPostMessage(p)
	if resumed {
		// A rally's own channel holds its announcement, which the post
		// cannot be older than: the search pages back to it however busy
		// the channel has been since.
		floor := ""
		if p.ChannelID == p.Rally.ChannelID {
			floor = p.Rally.MessageID
		}
		footer := "-# " + marker
		if id := a.findOwnMessage(ctx, p.ChannelID, floor, func(m *discordgo.Message) bool {
			return strings.HasSuffix(m.Content, footer)
		}); id != "" {
			log.Info("channel post was already sent by an earlier attempt", "message", id)
			return finish(store.ReminderSent, id)
		}
	}
	sent, err := a.post(ctx, p.ChannelID, msg, p.Nonce)
	noteKey := "channel:" + p.ChannelID
	switch {
	case err == nil:
		log.Info("channel post sent", "message", sent.ID)
		if state, err := finish(store.ReminderSent, sent.ID); err != nil {
			return state, err
		}
		// The channel works (again): if it breaks later, say so again.
		return store.ReminderSent, a.db.ForgetNote(ctx, p.Rally.GuildID, noteKey)
	case gone(err):
		log.Warn("channel post cannot be sent: channel gone or forbidden", "channel", p.ChannelID, "err", err)
		if state, err := finish(store.ReminderFailed, ""); err != nil {
			return state, err
		}
		a.tellCoordinatorsOnce(ctx, p.Rally.GuildID, noteKey, func(l Lang) string { return channelPostFailed(l, p) })
		return store.ReminderFailed, nil
	case errors.Is(err, context.Canceled):
		return store.ReminderPending, err // shutting down: resumed with its nonce at the next start
	case retryable(err):
		backoff := retryBackoff(p.Attempts)
		log.Warn("channel post failed; will retry", "err", err, "retry_in", backoff)
		return store.ReminderPending, a.db.RetryChannelPost(ctx, p, now.Add(backoff))
	default:
		// Discord refused the message itself (a 4xx): it would refuse it again.
		log.Error("channel post refused by Discord; giving up", "err", err)
		return finish(store.ReminderFailed, "")
	}
}

// channelPostMessage is a post as sent, and the marker its last line carries.
// A day of action's posts are worded now, from the action and rally as they
// are; a rally's notices were worded when owed (old → new cannot be told
// later).
func channelPostMessage(p store.ChannelPost) (outMessage, string) {
	if p.Kind.OfAction() {
		return actionPostMessage(p), actionPostMarker(p)
	}
	m := outMessage{Content: p.Body}
	if p.RoleID != "" && p.Kind.PingsRole() {
		// The role the post was owed to ping, and nothing else: the
		// text's other mentions (a member asking for help) render only.
		m.AllowedMentions = NoMentions()
		m.AllowedMentions.Roles = []string{p.RoleID}
	}
	return m, p.Marker
}

// channelPostFailed tells coordinators a post cannot reach its channel.
func channelPostFailed(l Lang, p store.ChannelPost) string {
	channel := "<#" + p.ChannelID + ">"
	if p.Kind.OfAction() {
		return l.T("action_post_failed", "Title", escape(p.Action.Title), "Chapter", escape(p.Rally.ChapterName), "Channel", channel)
	}
	return l.T("notice_post_failed", "Title", escape(p.Rally.Title), "Chapter", escape(p.Rally.ChapterName), "Channel", channel)
}

// rallyNotice words a notice a rally owes its channel, in the chapter's
// language(s), ending with a line that names the rally and the post.
func rallyNotice(r store.Rally, text func(Lang) string) store.Notice {
	return func(postID int64) (string, string) {
		marker := postLangs(r.ChapterLanguage)[0].T("notice_marker", "Rally", r.ID, "Notice", postID)
		return postText(r.ChapterLanguage, text) + "\n-# " + marker, marker
	}
}

// sendRallyPostsNow sends the notices the rallies owe their channels, from
// the command that owed them. It returns what the lead should know of those
// not sent yet (the sweep keeps trying) or never to be sent, or "".
func (a *App) sendRallyPostsNow(ctx context.Context, l Lang, now time.Time, rallyIDs ...int64) string {
	posts, err := a.db.PendingRallyPosts(ctx, rallyIDs...)
	if err != nil {
		a.log.Error("could not read the notices owed to channels", "rallies", rallyIDs, "err", err)
		return l.T("notice_post_later_unknown")
	}
	var out string
	for _, p := range posts {
		state, err := a.sendChannelPost(ctx, now, p)
		if err != nil {
			a.log.Error("channel notice failed", "rally", p.Rally.ID, "post", p.ID, "err", err)
			state = store.ReminderPending
		}
		switch state {
		case store.ReminderPending:
			out += l.T("notice_post_later", "Channel", "<#"+p.ChannelID+">")
		case store.ReminderFailed:
			out += l.T("notice_post_cannot", "Channel", "<#"+p.ChannelID+">")
		}
	}
	return out
}
