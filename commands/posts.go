package commands

import (
	"context"
	"time"
	"unicode/utf8"

	"rallybot/discord"
	"rallybot/store"
)

// A day of action's posts and a rally's notices of its cancellation or of a
// change (noticeKind): each is owed in the transaction that makes the change,
// sent at once by the command that made it, and by the drainer or the sweep
// if that send failed or never happened (a crash): exactly once.

// channelPostMessage is a post as sent, and the marker its last line carries.
// A day of action's posts are worded now, from the action and rally as they
// are; a rally's notices were worded when owed (old → new cannot be told
// later).
func channelPostMessage(p store.ChannelPost) (discord.Message, string) {
	if p.Kind.OfAction() {
		return actionPostMessage(p), actionPostMarker(p)
	}
	m := discord.Message{Content: p.Body}
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
// language(s), ending with a line that names the rally and the post. Each
// language keeps to its share of a message (noticeShare): a bilingual
// notice of the longest texts, escaped, would pass Discord's 2000
// characters, and Discord would refuse it.
func rallyNotice(r store.Rally, text func(Lang) string) store.Notice {
	return func(postID int64) (string, string) {
		marker := postLangs(r.ChapterLanguage)[0].T("notice_marker", "Rally", r.ID, "Notice", postID)
		share := noticeShare(r.ChapterLanguage)
		return postText(r.ChapterLanguage, func(l Lang) string { return truncate(text(l), share) }) + "\n-# " + marker, marker
	}
}

// inLangsFit is a post's text in langs when the rest of the post takes
// reserve characters: each language keeps to its share of what is left of
// a message, cut with "…", so that a bilingual post of the longest texts is
// not refused by Discord.
func inLangsFit(langs []Lang, reserve int, text func(Lang) string) string {
	share := langShare(len(langs), reserve)
	return inLangs(langs, bilingualSep, func(l Lang) string { return truncate(text(l), share) })
}

// langShare is how many characters each of n languages of a post may take
// when the rest of it takes reserve, so that the post fits a message.
func langShare(n, reserve int) int {
	return (maxReply - reserve - (n-1)*utf8.RuneCountInString(bilingualSep)) / n
}

// noticeMarkerRoom is the most a notice's marker line takes: "\n-# " and
// the Spanish marker with two ids of 19 digits.
const noticeMarkerRoom = 70

// noticeShare is how many characters each language of a channel notice
// may take so that the notice fits a message.
func noticeShare(setting string) int { return langShare(len(postLangs(setting)), noticeMarkerRoom) }

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
		state, _, err := a.sendPostNow(ctx, now, p)
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
