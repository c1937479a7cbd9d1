package commands

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// Mirroring rallies into the guild's Events tab. Discord is a copy here, never
// the source: every failure is logged and the rally goes on without its
// event; the one failure worth telling the lead, a missing Manage Events
// permission, is told once per guild in the reply of the command that hit it.

// noteManageEvents keys the "I lack Manage Events" notice of a guild.
const noteManageEvents = "permission:manage_events"

// errCodeUnknownScheduledEvent is Discord's "Unknown Guild Scheduled Event".
const errCodeUnknownScheduledEvent = 10070

// expiredEventBatch is how many expired events one retention run deletes.
const expiredEventBatch = 50

// reveal is what a private place shows instead (App.hiddenPlace).
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
	desc := inLangs(langs, " / ", func(l Lang) string { return l.T("event_chapter", "Chapter", r.ChapterName) })
	if r.Details != "" {
		desc += "\n" + r.Details
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

// mirrorCreate adds a newly announced rally to the Events tab. It returns a
// sentence for the lead's reply, or "".
func (a *App) mirrorCreate(ctx context.Context, l Lang, r store.Rally) string {
	if !a.cfg.ScheduledEvents {
		return ""
	}
	ev, err := a.discord.CreateEvent(ctx, r.GuildID, eventParams(r, a.hiddenPlaceIn(postLangs(r.ChapterLanguage))))
	if err != nil {
		return a.mirrorFailed(ctx, l, r, "create", err)
	}
	if err := a.db.SetScheduledEvent(ctx, r.ID, ev.ID); err != nil {
		a.log.Error("could not record a rally's scheduled event", "rally", r.ID, "err", err)
	}
	a.mirrorWorks(ctx, r.GuildID)
	return ""
}

// mirrorUpdate brings a rally's event in line after an edit; a rally without
// one (the permission came later, or the event was deleted) gets one.
func (a *App) mirrorUpdate(ctx context.Context, l Lang, r store.Rally) string {
	if !a.cfg.ScheduledEvents {
		return ""
	}
	c, err := a.db.CalendarRally(ctx, r.GuildID, r.ID)
	if err != nil {
		a.log.Error("could not read a rally's scheduled event", "rally", r.ID, "err", err)
		return ""
	}
	if c.EventID == "" {
		return a.mirrorCreate(ctx, l, r)
	}
	err = a.discord.EditEvent(ctx, r.GuildID, c.EventID, eventParams(r, a.hiddenPlaceIn(postLangs(r.ChapterLanguage))))
	if discordCode(err) == errCodeUnknownScheduledEvent {
		a.log.Info("a rally's scheduled event was deleted in Discord; making a new one", "rally", r.ID)
		return a.mirrorCreate(ctx, l, r)
	}
	if err != nil {
		return a.mirrorFailed(ctx, l, r, "update", err)
	}
	a.mirrorWorks(ctx, r.GuildID)
	return ""
}

// mirrorCancel marks a cancelled rally's event cancelled, which takes it off
// the Events tab, and forgets it.
func (a *App) mirrorCancel(ctx context.Context, l Lang, r store.Rally) string {
	if !a.cfg.ScheduledEvents {
		return ""
	}
	c, err := a.db.CalendarRally(ctx, r.GuildID, r.ID)
	if err != nil || c.EventID == "" {
		return ""
	}
	err = a.discord.EditEvent(ctx, r.GuildID, c.EventID,
		&discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled})
	if err != nil && discordCode(err) != errCodeUnknownScheduledEvent {
		return a.mirrorFailed(ctx, l, r, "cancel", err)
	}
	if err := a.db.SetScheduledEvent(ctx, r.ID, ""); err != nil {
		a.log.Error("could not forget a rally's scheduled event", "rally", r.ID, "err", err)
	}
	return ""
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
		if err != nil && discordCode(err) != errCodeUnknownScheduledEvent && !missingPermission(err) {
			if errors.Is(err, context.Canceled) {
				return err
			}
			a.log.Warn("could not delete a past rally's scheduled event; will retry", "rally", c.ID, "err", err)
			continue
		}
		// Gone, or not ours to delete any more: either way nothing is left to do.
		if err := a.db.SetScheduledEvent(ctx, c.ID, ""); err != nil {
			return err
		}
	}
	return nil
}

// mirrorFailed logs a failed mirror and, for a missing permission told for
// the first time, returns the sentence for the lead.
func (a *App) mirrorFailed(ctx context.Context, l Lang, r store.Rally, op string, err error) string {
	if !missingPermission(err) {
		a.log.Warn("could not mirror a rally as a scheduled event", "op", op, "rally", r.ID, "err", err)
		return ""
	}
	a.log.Info("no Manage Events permission: rally not mirrored as a scheduled event", "op", op, "guild", r.GuildID, "rally", r.ID)
	fresh, nerr := a.db.NoteOnce(ctx, r.GuildID, noteManageEvents)
	if nerr != nil || !fresh {
		return ""
	}
	return l.T("note_manage_events")
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
	if discordCode(err) == discordgo.ErrCodeMissingPermissions {
		return true
	}
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusForbidden
}
