package commands

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discord"
	"rallybot/store"
)

// Mirroring rallies into the guild's Events tab. Discord is a copy here, never
// the source: every failure is logged and the rally goes on without its
// event; the one failure worth telling the lead, a missing Manage Events
// permission, is told once per guild in the reply of the command that hit it.
//
// What a rally's event owes it is a kind of the one outbox (eventKind), owed
// in the transaction that changes the rally: the command that made the
// change brings the event in line at once, and the sweep does if that failed
// or never happened (a crash). A create has no nonce, so once one was begun
// and its answer lost, the next attempt first looks through the guild's
// events for the one it made, whose description begins with the rally's
// marker, and adopts it instead of making a second.

// noteManageEvents keys the "I lack Manage Events" notice of a guild.
const noteManageEvents = "permission:manage_events"

// errCodeUnknownScheduledEvent is Discord's "Unknown Guild Scheduled Event".
const errCodeUnknownScheduledEvent = 10070

// expiredEventBatch is how many expired events one retention run deletes.
const expiredEventBatch = 50

// eventParams is the event mirroring r; reveal is what a private place shows
// instead (App.hiddenPlace). Its description begins with the rally's marker.
func eventParams(r store.Rally, reveal string) *discordgo.GuildScheduledEventParams {
	start, end := r.StartsAt.UTC(), r.EndsAt.UTC()
	langs := postLangs(r.ChapterLanguage)
	place := r.Location
	if place == "" {
		// A place that is not shown to everyone.
		place = inLangs(langs, " / ", func(l Lang) string { return l.T("event_place_shared") })
	}
	if r.PrivateLocation {
		place = reveal
	}
	desc := eventMarker(langs[0], r.ID) + "\n" + inLangs(langs, " / ", func(l Lang) string { return l.T("event_chapter", "Chapter", r.ChapterName) })
	if r.Details != "" {
		desc += "\n" + unmaskLinks(r.Details)
	}
	return &discordgo.GuildScheduledEventParams{
		Name:               truncate(r.Title, 100),
		Description:        truncate(desc, 1000),
		ScheduledStartTime: &start,
		ScheduledEndTime:   &end,
		PrivacyLevel:       discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
		EntityType:         discordgo.GuildScheduledEventEntityTypeExternal,
		EntityMetadata:     &discordgo.GuildScheduledEventEntityMetadata{Location: truncate(place, 100)},
	}
}

// eventMarker is the first line of a rally's event description, naming the
// rally: how a create whose answer was lost finds the event it made.
func eventMarker(l Lang, rallyID int64) string { return l.T("event_marker", "ID", rallyID) }

// isEventOf reports whether the event's description begins with the rally's
// marker, in any language (the chapter's may have changed since).
func isEventOf(e *discordgo.GuildScheduledEvent, rallyID int64) bool {
	first, _, _ := strings.Cut(e.Description, "\n")
	for _, l := range Langs {
		if first == eventMarker(l, rallyID) {
			return true
		}
	}
	return false
}

// mirror brings the rally's scheduled event in line with the change just
// made to the rally, from the command that made it: it sends the sync owed
// (store.PostEvent) now rather than after the lease. It returns a sentence
// for the lead's reply (l; "": nobody to tell), or "". Another goroutine
// syncing it is waited for; a change made meanwhile is synced after it.
func (a *App) mirror(ctx context.Context, l Lang, rallyID int64) string {
	key := store.EventKey(rallyID)
	var nonce string
	for {
		p, ok, err := a.db.PostOf(ctx, key)
		if err != nil {
			a.log.Error("could not mirror a rally as a scheduled event; the sweep will", "rally", rallyID, "err", err)
			return ""
		}
		if !ok || p.State != store.ReminderPending || p.Nonce == nonce && p.DueAt.After(a.now()) {
			// Nothing owed, or what the other attempt left backing off.
			return ""
		}
		by := &sender{lang: l}
		_, _, err = a.sendPost(ctx, a.now(), p, by)
		if !errors.Is(err, errTaken) {
			if err != nil {
				a.log.Error("could not mirror a rally as a scheduled event; the sweep will", "rally", rallyID, "err", err)
			}
			return by.note
		}
		if err := a.outbox.wait(ctx, p.ID); err != nil {
			return ""
		}
		nonce = p.Nonce
	}
}

// eventKind brings a rally's scheduled event in line with the rally as it
// now is: made for an announced rally, edited after a change, cancelled
// with the rally, deleted (and never made) while it is high-risk. Owed in
// the transaction of each change (store.PostEvent); the command that made
// the change sends it at once (mirror), the sweep after the lease if that
// failed or never happened (a crash). A failure is settled as any send's
// (deliver); a missing Manage Events permission is told once per guild to
// the lead whose command hit it.
var eventKind = postKind{
	name: "scheduled event sync",
	check: func(a *App, ctx context.Context, now time.Time, p store.ChannelPost) (hold, error) {
		return hold{drop: !a.cfg.ScheduledEvents}, nil
	},
	op: func(a *App, ctx context.Context, p store.ChannelPost) (*discordgo.Message, error) {
		id, err := a.syncEvent(ctx, a.now(), p)
		if err != nil {
			return nil, err
		}
		return &discordgo.Message{ID: id}, nil
	},
	after: func(a *App, ctx context.Context, p store.ChannelPost, channel, messageID string, resumed bool) {
		a.mirrorWorks(ctx, p.GuildID)
	},
	told: func(a *App, ctx context.Context, p store.ChannelPost, l Lang, err error) string {
		if !missingPermission(err) {
			return ""
		}
		if fresh, nerr := a.db.NoteOnce(ctx, p.GuildID, noteManageEvents); nerr != nil || !fresh {
			return ""
		}
		return l.T("note_manage_events")
	},
}

// syncEvent makes the rally's event show the rally: it returns the event's
// id, errSkip when there is none to show it on (a high-risk or cancelled
// rally without one, one begun), or Discord's error.
func (a *App) syncEvent(ctx context.Context, now time.Time, p store.ChannelPost) (string, error) {
	r, err := a.db.CalendarRally(ctx, p.GuildID, p.Rally.ID)
	if errors.Is(err, store.ErrNoSuchRally) {
		return "", errSkip
	}
	if err != nil {
		return "", err
	}
	eventID := r.EventID
	log := a.log.With("rally", r.ID)
	if eventID == "" && !p.BegunAt.IsZero() {
		// An earlier attempt was begun and its outcome never recorded: a
		// create may have made the event.
		if eventID, err = a.findRallyEvent(ctx, r.Rally); err != nil {
			return "", err
		}
		if eventID != "" {
			log.Info("adopted the scheduled event an interrupted create made", "event", eventID)
			if err := a.db.SetScheduledEvent(ctx, r.ID, eventID); err != nil {
				return "", err
			}
		}
	}
	switch {
	case r.HighRisk && eventID == "":
		// Discord's Events tab shows the whole server who is Interested.
		return "", errSkip
	case r.HighRisk:
		if err := a.discord.DeleteEvent(ctx, r.GuildID, eventID); err != nil && discord.Code(err) != errCodeUnknownScheduledEvent {
			return "", err
		}
		return eventID, a.db.SetScheduledEvent(ctx, r.ID, "")
	case r.Cancelled() && eventID == "":
		return "", errSkip
	case r.Cancelled():
		// Cancelled, the event leaves the Events tab; it is forgotten.
		err := a.discord.EditEvent(ctx, r.GuildID, eventID,
			&discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled})
		if err != nil && discord.Code(err) != errCodeUnknownScheduledEvent {
			return "", err
		}
		return eventID, a.db.SetScheduledEvent(ctx, r.ID, "")
	}
	params := eventParams(r.Rally, a.hiddenPlaceIn(postLangs(r.ChapterLanguage)))
	if eventID != "" {
		err := a.discord.EditEvent(ctx, r.GuildID, eventID, params)
		if discord.Code(err) != errCodeUnknownScheduledEvent {
			return eventID, err
		}
		log.Info("a rally's scheduled event was deleted in Discord; making a new one")
		if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
			return "", err
		}
	}
	if r.Started(now) {
		// Discord makes no event that has begun: nothing to mirror.
		return "", errSkip
	}
	// A create has no nonce: begun (BeginChannelPost) before it is sent,
	// the next attempt looks for it if its answer is lost.
	ev, err := a.discord.CreateEvent(ctx, r.GuildID, params)
	if err != nil {
		return "", err
	}
	return ev.ID, a.db.SetScheduledEvent(ctx, r.ID, ev.ID)
}

// findRallyEvent returns the id of the bot's event that names the rally and
// is still on, or "".
func (a *App) findRallyEvent(ctx context.Context, r store.Rally) (string, error) {
	events, err := a.discord.OwnEvents(ctx, r.GuildID)
	if err != nil {
		return "", err
	}
	for _, e := range events {
		on := e.Status == discordgo.GuildScheduledEventStatusScheduled || e.Status == discordgo.GuildScheduledEventStatusActive
		if on && isEventOf(e, r.ID) {
			return e.ID, nil
		}
	}
	return "", nil
}

// DeleteExpiredEvents deletes the scheduled events of rallies that ended
// before cutoff (the retention period), so the Events tab keeps no history.
func (a *App) DeleteExpiredEvents(ctx context.Context, cutoff time.Time) error {
	expired, err := a.db.ExpiredScheduledEvents(ctx, cutoff, expiredEventBatch)
	if err != nil {
		return err
	}
	for _, c := range expired {
		err := a.discord.DeleteEvent(ctx, c.GuildID, c.EventID)
		if err != nil && discord.Code(err) != errCodeUnknownScheduledEvent && !missingPermission(err) {
			if errors.Is(err, context.Canceled) {
				return err
			}
			a.log.Warn("could not delete a past rally's scheduled event; will retry", "rally", c.ID, "err", err)
			continue
		}
		// discord.Gone, or not ours to delete any more: either way nothing is left to do.
		if err := a.db.SetScheduledEvent(ctx, c.ID, ""); err != nil {
			return err
		}
	}
	return nil
}

// mirrorWorks forgets a told permission problem once mirroring works, so a
// permission removed later is told again.
func (a *App) mirrorWorks(ctx context.Context, guildID string) {
	if err := a.db.ForgetNote(ctx, guildID, noteManageEvents); err != nil {
		a.log.Warn("could not forget a notice", "guild", guildID, "err", err)
	}
}

// missingPermission reports Discord's "Missing Permissions" (or a bare 403).
func missingPermission(err error) bool {
	if discord.Code(err) == discordgo.ErrCodeMissingPermissions {
		return true
	}
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusForbidden
}
