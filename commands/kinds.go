package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// The kinds of channel post (outbox.go): how each is placed, checked,
// worded, found after a crash and finished.

// chapterPlace is a rally's chapter's channel now, else the channel the
// rally was announced in.
func chapterPlace(a *App, ctx context.Context, p store.ChannelPost) (string, error) {
	channel, err := a.currentChapterChannel(ctx, p.Rally.GuildID, p.Rally.ChapterID)
	if err != nil || channel != "" {
		return channel, err
	}
	return p.Rally.ChannelID, nil
}

// coordinatorPlace is the guild's coordinators' channel.
func coordinatorPlace(a *App, ctx context.Context, p store.ChannelPost) (string, error) {
	g, err := a.db.Guild(ctx, p.GuildID)
	if err != nil {
		return "", err
	}
	return g.CoordinatorChannelID, nil
}

// overOrOff drops a post of a rally cancelled, or one that has begun.
func overOrOff(p store.ChannelPost, now time.Time) hold {
	switch {
	case p.Rally.Cancelled():
		return hold{drop: true}
	case p.Rally.Started(now):
		return hold{drop: true, why: "missed while the bot was down: the rally has begun"}
	}
	return hold{}
}

// rallyPostGone tells the coordinators, by the catalogue message id, that a
// rally's post cannot reach its channel.
func rallyPostGone(id string) func(l Lang, p store.ChannelPost, channel string) string {
	return func(l Lang, p store.ChannelPost, channel string) string {
		r := p.Rally
		return l.T(id, "Title", escape(r.Title), "Chapter", escape(r.ChapterName), "Channel", "<#"+channel+">")
	}
}

// announceKind is a rally's announcement: owed by /rally create (sent at
// once by it), by a day of action's rally when its place is set, and by a
// series for each later rally, due once those before it are over.
var announceKind = postKind{
	name:  "announcement",
	place: chapterPlace,
	nowhere: func(p store.ChannelPost) (string, func(Lang) string) {
		r := p.Rally
		return fmt.Sprintf("series:%d:nochannel", r.Series.ID), func(l Lang) string {
			return l.T("series_no_channel", "Title", escape(r.Title), "ID", r.ID, "Chapter", escape(r.ChapterName))
		}
	},
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		if h := overOrOff(p, now); h.drop {
			return h, nil
		}
		if p.Rally.MessageID != "" {
			return hold{drop: true, why: "of a rally announced already"}, nil
		}
		// A series' rally is announced once the occurrences before it are over.
		end, err := a.db.EarlierOccurrenceEnd(ctx, p.Rally, now)
		return hold{until: end}, err
	},
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		// As everyone sees it: a private place says when it is shared.
		embeds, components := a.publicAnnouncement(p.Rally, time.Time{})
		// A reminder's footer differs from the announcement's, so the
		// footer alone tells them apart. A busy channel may have moved on
		// by many pages since: the search goes back to when it was begun.
		footer := embeds[0].Footer.Text
		return discord.Message{Embeds: embeds, Components: components},
			search{floor: discord.FloorAt(p.BegunAt), match: func(m *discordgo.Message) bool { return hasFooter(m, footer) }}, nil
	},
	record: func(a *App, ctx context.Context, p store.ChannelPost, o store.ChannelPostOutcome, channel string) error {
		if o.State != store.ReminderSent {
			_, err := a.db.FinishChannelPost(ctx, o)
			return err
		}
		_, _, err := a.db.FinishAnnouncement(ctx, store.AnnouncementSent{Post: p, ChannelID: channel, MessageID: o.MessageID,
			ReminderOffsets: a.cfg.ReminderOffsets})
		return err
	},
	after: func(a *App, ctx context.Context, p store.ChannelPost, channel, messageID string, resumed bool) {
		r, err := a.db.RallyByID(ctx, p.Rally.ID)
		if err != nil {
			a.log.Warn("could not read an announced rally", "rally", p.Rally.ID, "err", err)
			return
		}
		if r.MessageID != messageID {
			return // another announcement was recorded first
		}
		a.log.Info("rally announced", "rally", r.ID, "message", messageID, "resumed", resumed)
		if resumed {
			// A create's announcement is only ever resumed after a crash
			// (a create whose post fails takes its rally back).
			a.outbox.adopt(r.ID)
		}
		// What changed while it was on its way (clicks on a message
		// posted before a crash, a cancel) is shown now: the message was
		// rendered before.
		if resumed || r.Cancelled() || r.Going != p.Rally.Going || r.Maybe != p.Rally.Maybe || r.Waitlist != p.Rally.Waitlist {
			a.refresher.mark(r.ID)
		}
		// A command that announces mirrors the rally itself, telling its
		// lead of a problem; the sweep's announcements (a series', one
		// adopted after a crash) are mirrored here.
		if !r.Cancelled() && (p.Args.Arm || resumed) {
			a.mirror(ctx, "", r.ID) // nobody to tell of a problem but the log
		}
	},
	leadTells: true,
	gone: func(l Lang, p store.ChannelPost, channel string) string {
		r := p.Rally
		return l.T("series_cannot_post", "Title", escape(r.Title), "ID", r.ID, "Chapter", escape(r.ChapterName), "Channel", "<#"+channel+">")
	},
}

// reminderKind is a rally's reminder at an offset before its start, in its
// chapter's channel; each member going or maybe is owed its DM copy.
var reminderKind = postKind{
	name:  "reminder",
	place: chapterPlace,
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		if h := overOrOff(p, now); h.drop {
			return h, nil
		}
		// When several reminders of one rally are due at once (the bot
		// was down), only the latest is worth posting.
		offsets, err := a.db.PendingReminderOffsets(ctx, p.Rally.ID)
		if err != nil {
			return hold{}, err
		}
		for _, o := range offsets {
			if o < p.Args.Offset() && !p.Rally.StartsAt.Add(-o).After(now) {
				return hold{drop: true, why: "missed while the bot was down: a later one for the rally is due too"}, nil
			}
		}
		// Queued before the channel post, once whatever happens to it.
		return hold{}, a.queueReminderDMs(ctx, p)
	},
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		r := p.Rally
		content, embeds, components := a.reminderMessage(r, p.Args.Offset())
		footer := embeds[0].Footer.Text
		// The reminder comes after the announcement: the search pages back
		// to it, so a busy channel cannot hide a reminder sent before a crash.
		return discord.Message{Content: content, Embeds: embeds, Components: components}, search{floor: r.MessageID,
			match: func(m *discordgo.Message) bool {
				return strings.Contains(m.Content, timestamp(r.StartsAt, "R")) && hasFooter(m, footer)
			}}, nil
	},
	gone: rallyPostGone("reminder_failed"),
}

// staffingKind tells a chapter, once, of a rally starting soon that is short
// of a role minimum, pinging its lead role: counts, never names.
var staffingKind = postKind{
	name:  "staffing alert",
	place: chapterPlace,
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		return overOrOff(p, now), nil
	},
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		m := staffingAlertMessage(p.Rally, p.Args.Languages)
		footer := m.Embeds[0].Footer.Text
		// The alert comes after the announcement: the search pages back to it.
		return m, search{floor: p.Rally.MessageID, match: func(msg *discordgo.Message) bool { return hasFooter(msg, footer) }}, nil
	},
	gone: rallyPostGone("staffing_post_failed"),
}

// noteKind tells the coordinators of a problem, once (tellCoordinatorsOnce).
var noteKind = postKind{
	name:  "coordinators' note",
	place: coordinatorPlace,
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		return discord.Message{Content: p.Body}, search{floor: discord.FloorAt(p.BegunAt),
			match: func(m *discordgo.Message) bool { return m.Content == p.Body }}, nil
	},
	record: func(a *App, ctx context.Context, p store.ChannelPost, o store.ChannelPostOutcome, channel string) error {
		if _, err := a.db.FinishChannelPost(ctx, o); err != nil {
			return err
		}
		if o.State == store.ReminderSent {
			return nil
		}
		// Not told: let the next occurrence try again.
		return a.db.ForgetNote(ctx, p.GuildID, p.Marker)
	},
}

// summaryKind is one message of a guild's scheduled turnout summary, in the
// coordinators' channel, posted in order; the run closes with its last.
var summaryKind = postKind{
	name:  "summary message",
	place: coordinatorPlace,
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		slot := time.Unix(p.Args.Slot, 0).UTC()
		if now.Sub(slot) > summaryGrace && !isEvery(a.cfg.SummarySchedule) {
			return hold{drop: true, why: "missed by more than its grace period"}, nil
		}
		earlier, err := a.db.EarlierSummaryPartPending(ctx, p)
		if err != nil || !earlier {
			return hold{}, err
		}
		return hold{until: now.Add(retryBackoff(0))}, nil
	},
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		var embeds []*discordgo.MessageEmbed
		if err := json.Unmarshal([]byte(p.Body), &embeds); err != nil || len(embeds) == 0 {
			return discord.Message{}, search{}, fmt.Errorf("stored summary: %w", err)
		}
		s := search{floor: discord.FloorAt(time.Unix(p.Args.Slot, 0))}
		if last := embeds[len(embeds)-1]; last.Footer != nil {
			footer := last.Footer.Text
			s.match = func(m *discordgo.Message) bool { return hasFooter(m, footer) }
		}
		m := discord.Message{Embeds: embeds}
		// The part's files (charts, a recap's CSV), stored before it was owed.
		files, err := a.db.SummaryFiles(ctx, p.GuildID, time.Unix(p.Args.Slot, 0), p.Args.Part)
		if err != nil {
			return m, s, err
		}
		for _, f := range files {
			m.Files = append(m.Files, File{Name: f.Name, ContentType: f.ContentType, Data: f.Data})
		}
		return m, s, nil
	},
	record: func(a *App, ctx context.Context, p store.ChannelPost, o store.ChannelPostOutcome, channel string) error {
		done, state, err := a.db.FinishSummaryPart(ctx, o)
		if err != nil || !done {
			return err
		}
		log := a.log.With("guild", p.GuildID, "slot", time.Unix(p.Args.Slot, 0).UTC())
		// Its files are not needed any more.
		if err := a.db.DropSummaryFiles(ctx, p.GuildID, time.Unix(p.Args.Slot, 0)); err != nil {
			return err
		}
		if state == store.SummarySent {
			log.Info("summary posted", "messages", p.Args.Parts)
		} else {
			log.Warn("summary not posted in full: set another coordinators' channel with /setup coordinators if it is gone")
		}
		return nil
	},
}

// noticeKind is a notice a rally owes its channel (its cancellation, a
// change), and a day of action's posts (the request for a place, its
// cancellation).
var noticeKind = postKind{
	name: "channel notice",
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		if p.Kind == store.PostActionAsk && (p.Rally.Cancelled() || p.Rally.MessageID != "" || p.Rally.Started(now)) {
			return hold{drop: true}, nil
		}
		return hold{}, nil
	},
	render: func(a *App, ctx context.Context, p store.ChannelPost) (discord.Message, search, error) {
		msg, marker := channelPostMessage(p)
		// A rally's own channel holds its announcement, which the post
		// cannot be older than: the search pages back to it however busy
		// the channel has been since.
		floor := ""
		if p.ChannelID == p.Rally.ChannelID {
			floor = p.Rally.MessageID
		}
		footer := "-# " + marker
		return msg, search{floor: floor, match: func(m *discordgo.Message) bool { return strings.HasSuffix(m.Content, footer) }}, nil
	},
	gone: func(l Lang, p store.ChannelPost, channel string) string { return channelPostFailed(l, p) },
}

// tellCoordinatorsOnce owes the guild's coordinators' channel a note of a
// problem the first time it happens, in the guild's summary language; the
// drainer sends it.
func (a *App) tellCoordinatorsOnce(ctx context.Context, guildID, key string, text func(Lang) string) {
	g, err := a.db.Guild(ctx, guildID)
	if err != nil || g.CoordinatorChannelID == "" {
		a.log.Debug("no coordinator channel to tell", "guild", guildID, "notice", key)
		return
	}
	if _, _, err := a.db.OweNote(ctx, guildID, key, postText(g.Language, text)); err != nil {
		a.log.Warn("could not owe the coordinators a note", "guild", guildID, "err", err)
	}
}
