package commands

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
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
// What a rally's event owes it is recorded in the transaction that changes
// the rally (store.EventMirror): the command that made the change brings the
// event in line at once, and the reminder sweep does if that failed or never
// happened (a crash). A create has no nonce, so once one was sent and its
// answer lost, the next attempt first looks through the guild's events for
// the one it made, whose description begins with the rally's marker, and
// adopts it instead of making a second.

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
// made to the rally. It returns a sentence for the lead's reply, or "".
func (a *App) mirror(ctx context.Context, l Lang, rallyID int64) string {
	note, err := a.mirrorRally(ctx, l, a.now(), rallyID)
	if err != nil {
		a.log.Error("could not mirror a rally as a scheduled event; the sweep will", "rally", rallyID, "err", err)
	}
	return note
}

// MirrorDueEvents brings in line the scheduled events of rallies changed by a
// command that could not, or never got to (a crash). Called by the reminder
// sweep.
func (a *App) MirrorDueEvents(ctx context.Context, now time.Time) error {
	return drainDue(func() ([]store.EventMirror, error) { return a.db.DueEventMirrors(ctx, now, dueBatch) },
		func(m store.EventMirror) error { _, err := a.mirrorRally(ctx, "", now, m.ID); return err })
}

// mirrorRally makes the rally's event show what is owed to it: created for
// an announced rally, edited after a change, cancelled with the rally. l is
// the language of the lead to tell of a missing permission ("": nobody).
func (a *App) mirrorRally(ctx context.Context, l Lang, now time.Time, rallyID int64) (string, error) {
	// The command's attempt and the sweep's must not both create it.
	defer a.eventLocks.lock(rallyID)()
	m, err := a.db.EventMirrorOf(ctx, rallyID)
	if errors.Is(err, store.ErrNoSuchRally) {
		return "", nil
	}
	if err != nil || m.Owed == 0 {
		return "", err
	}
	if !a.cfg.ScheduledEvents {
		return "", a.db.EventMirrored(ctx, m)
	}
	r, eventID := m.Rally, m.EventID
	log := a.log.With("rally", r.ID)
	if eventID == "" && m.Begun {
		// A create was sent and its answer never recorded: it may have
		// made the event.
		if eventID, err = a.findRallyEvent(ctx, r); err != nil {
			return a.mirrorFailed(ctx, l, now, m, "find", err)
		}
		if eventID != "" {
			log.Info("adopted the scheduled event an interrupted create made", "event", eventID)
			if err := a.db.SetScheduledEvent(ctx, r.ID, eventID); err != nil {
				return "", err
			}
		}
	}
	params := eventParams(r, a.hiddenPlaceIn(postLangs(r.ChapterLanguage)))
	switch {
	case r.HighRisk && eventID == "":
		// Discord's Events tab shows the whole server who is Interested.
		return "", a.db.EventMirrored(ctx, m)
	case r.HighRisk:
		if err := a.discord.DeleteEvent(ctx, r.GuildID, eventID); err != nil && discord.Code(err) != errCodeUnknownScheduledEvent {
			return a.mirrorFailed(ctx, l, now, m, "delete", err)
		}
		if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
			return "", err
		}
	case r.Cancelled() && eventID == "":
		return "", a.db.EventMirrored(ctx, m)
	case r.Cancelled():
		// Cancelled, the event leaves the Events tab; it is forgotten.
		err := a.discord.EditEvent(ctx, r.GuildID, eventID,
			&discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled})
		if err != nil && discord.Code(err) != errCodeUnknownScheduledEvent {
			return a.mirrorFailed(ctx, l, now, m, "cancel", err)
		}
		if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
			return "", err
		}
	case eventID != "":
		err := a.discord.EditEvent(ctx, r.GuildID, eventID, params)
		if discord.Code(err) == errCodeUnknownScheduledEvent {
			log.Info("a rally's scheduled event was deleted in Discord; making a new one")
			if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
				return "", err
			}
			return a.createEvent(ctx, l, now, m, params)
		}
		if err != nil {
			return a.mirrorFailed(ctx, l, now, m, "update", err)
		}
	case r.Started(now):
		// Discord makes no event that has begun: nothing to mirror.
		return "", a.db.EventMirrored(ctx, m)
	default:
		return a.createEvent(ctx, l, now, m, params)
	}
	a.mirrorWorks(ctx, r.GuildID)
	return "", a.db.EventMirrored(ctx, m)
}

// createEvent makes the rally's event, after recording that a create is on
// its way: if its answer is lost, the next attempt looks for the event first.
func (a *App) createEvent(ctx context.Context, l Lang, now time.Time, m store.EventMirror, params *discordgo.GuildScheduledEventParams) (string, error) {
	r := m.Rally
	if _, err := a.db.BeginEventCreate(ctx, r.ID); err != nil {
		return "", err
	}
	ev, err := a.discord.CreateEvent(ctx, r.GuildID, params)
	if err != nil {
		if discord.Classify(err) == discord.Gone || discord.Classify(err) == discord.Rejected {
			// Refused: no event was made, none to look for.
			if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
				return "", err
			}
		}
		return a.mirrorFailed(ctx, l, now, m, "create", err)
	}
	if err := a.db.SetScheduledEvent(ctx, r.ID, ev.ID); err != nil {
		return "", err
	}
	a.mirrorWorks(ctx, r.GuildID)
	return "", a.db.EventMirrored(ctx, m)
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

// mirrorFailed settles a failed mirror as every failed send is (deliver): a
// passing failure is tried again by the sweep, after the one backoff; any
// other is given up until the rally changes again. For a missing permission
// told for the first time, it returns the sentence for the lead (when there
// is one, l).
func (a *App) mirrorFailed(ctx context.Context, l Lang, now time.Time, m store.EventMirror, op string, err error) (string, error) {
	r := m.Rally
	note := ""
	_, _, derr := a.deliver(ctx, now, delivery{kind: "event", log: a.log.With("op", op, "guild", r.GuildID, "rally", r.ID), attempts: m.Attempts,
		send: func() (*discordgo.Message, error) { return nil, err },
		finish: func(o outcome, _ string) error {
			if missingPermission(err) && l != "" {
				if fresh, nerr := a.db.NoteOnce(ctx, r.GuildID, noteManageEvents); nerr == nil && fresh {
					note = l.T("note_manage_events")
				}
			}
			return a.db.EventMirrored(ctx, m)
		},
		retry: func(at time.Time) error { return a.db.RetryEventMirror(ctx, m, at) },
	})
	return note, derr
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

// rallyLocks serialises work on each rally's scheduled event within the
// process. The zero value is ready to use.
type rallyLocks struct {
	mu   sync.Mutex
	held map[int64]*rallyLock
}

type rallyLock struct {
	sync.Mutex
	users int // holding it or waiting for it
}

// lock takes the rally's lock and returns what releases it.
func (k *rallyLocks) lock(rallyID int64) (unlock func()) {
	k.mu.Lock()
	if k.held == nil {
		k.held = map[int64]*rallyLock{}
	}
	l := k.held[rallyID]
	if l == nil {
		l = &rallyLock{}
		k.held[rallyID] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.held, rallyID)
		}
		k.mu.Unlock()
	}
}
