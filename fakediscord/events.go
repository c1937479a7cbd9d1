package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Guild scheduled events. Bodies are checked against the spec before these
// run; here the fake adds what the spec cannot say: the guild must exist, the
// bot needs Manage Events (DenyManageEvents), an external event needs an end
// after its start, and status moves only from scheduled to active or
// canceled, or from active to completed.

func (s *Server) eventHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"GET /guilds/{guild_id}/scheduled-events":                               (*Server).listEvents,
		"POST /guilds/{guild_id}/scheduled-events":                              (*Server).createEvent,
		"GET /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}":    (*Server).getEvent,
		"PATCH /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}":  (*Server).editEvent,
		"DELETE /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}": (*Server).deleteEvent,
	}
}

// DenyManageEvents makes every scheduled-event request in the guild fail
// with 403 / 50013 Missing Permissions, as for a bot without Manage Events;
// AllowManageEvents undoes it.
func (s *Server) DenyManageEvents(guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noManageEvents[guildID] = true
}

// AllowManageEvents gives the bot Manage Events in the guild again.
func (s *Server) AllowManageEvents(guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.noManageEvents, guildID)
}

// ScheduledEvents returns the guild's scheduled events, canceled ones
// included (as Discord keeps them for a while), oldest first.
func (s *Server) ScheduledEvents(guildID string) []*discordgo.GuildScheduledEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.GuildScheduledEvent
	for _, ev := range s.events {
		if ev["guild_id"] == guildID {
			b, _ := json.Marshal(ev)
			var e discordgo.GuildScheduledEvent
			if err := json.Unmarshal(b, &e); err == nil {
				out = append(out, &e)
			}
		}
	}
	return out
}

// eventLocked checks the guild and permission and finds the event the route
// names ("" id: none needed).
func (s *Server) eventLocked(c *call) (map[string]any, int, any) {
	gid := c.params["guild_id"]
	if _, ok := s.guildByID[gid]; !ok {
		return nil, http.StatusNotFound, apiError(10004, "Unknown Guild")
	}
	if s.noManageEvents[gid] {
		return nil, http.StatusForbidden, codeError(50013)
	}
	id := c.params["guild_scheduled_event_id"]
	if id == "" {
		return nil, 0, nil
	}
	for _, ev := range s.events {
		if ev["id"] == id && ev["guild_id"] == gid {
			return ev, 0, nil
		}
	}
	return nil, http.StatusNotFound, apiError(10070, "Unknown Guild Scheduled Event")
}

func (s *Server) listEvents(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, st, body := s.eventLocked(c); st != 0 {
		return st, body
	}
	out := []map[string]any{}
	for _, ev := range s.events {
		if ev["guild_id"] == c.params["guild_id"] {
			out = append(out, ev)
		}
	}
	b, _ := json.Marshal(out)
	return http.StatusOK, json.RawMessage(b)
}

func (s *Server) getEvent(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, st, body := s.eventLocked(c)
	if ev == nil {
		return st, body
	}
	return http.StatusOK, rawCopy(ev)
}

func (s *Server) createEvent(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, st, body := s.eventLocked(c); st != 0 {
		return st, body
	}
	ev := map[string]any{
		"guild_id": c.params["guild_id"], "channel_id": nil, "creator_id": s.cfg.AppID, "creator": s.botUser,
		"description": nil, "image": nil, "scheduled_end_time": nil, "status": int64(discordgo.GuildScheduledEventStatusScheduled),
		"entity_id": nil, "user_count": 0, "recurrence_rule": nil,
	}
	for k, v := range c.json {
		ev[k] = v
	}
	if reason := checkEventTimes(ev); reason != "" {
		return http.StatusBadRequest, apiError(50035, reason)
	}
	ev["id"] = s.newIDLocked()
	s.events = append(s.events, ev)
	return http.StatusOK, rawCopy(ev)
}

func (s *Server) editEvent(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, st, body := s.eventLocked(c)
	if ev == nil {
		return st, body
	}
	from := discordgo.GuildScheduledEventStatus(numInt(ev["status"]))
	if from == discordgo.GuildScheduledEventStatusCompleted || from == discordgo.GuildScheduledEventStatusCanceled {
		return http.StatusBadRequest, apiError(180000, "Cannot modify a finished event")
	}
	next := map[string]any{}
	for k, v := range ev {
		next[k] = v
	}
	for k, v := range c.json {
		next[k] = v
	}
	if to := discordgo.GuildScheduledEventStatus(numInt(next["status"])); to != from && !statusMove(from, to) {
		return http.StatusBadRequest, apiError(50035, fmt.Sprintf("Cannot move an event from status %d to %d", from, to))
	}
	if reason := checkEventTimes(next); reason != "" {
		return http.StatusBadRequest, apiError(50035, reason)
	}
	for k := range ev {
		delete(ev, k)
	}
	for k, v := range next {
		ev[k] = v
	}
	return http.StatusOK, rawCopy(ev)
}

func (s *Server) deleteEvent(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, st, body := s.eventLocked(c)
	if ev == nil {
		return st, body
	}
	for i, e := range s.events {
		if e["id"] == ev["id"] {
			s.events = append(s.events[:i], s.events[i+1:]...)
			break
		}
	}
	return http.StatusNoContent, nil
}

func statusMove(from, to discordgo.GuildScheduledEventStatus) bool {
	switch from {
	case discordgo.GuildScheduledEventStatusScheduled:
		return to == discordgo.GuildScheduledEventStatusActive || to == discordgo.GuildScheduledEventStatusCanceled
	case discordgo.GuildScheduledEventStatusActive:
		return to == discordgo.GuildScheduledEventStatusCompleted
	}
	return false
}

// checkEventTimes applies Discord's rules for an external event's times: an
// end is required and comes after the start. (Discord also wants a new event
// to start in the future; the fake cannot tell, as the bot under test runs
// on an injected clock.)
func checkEventTimes(ev map[string]any) string {
	start, err := time.Parse(time.RFC3339, fmt.Sprint(ev["scheduled_start_time"]))
	if err != nil {
		return "scheduled_start_time is not an ISO 8601 time"
	}
	if ev["scheduled_end_time"] == nil {
		return "scheduled_end_time is required for an external event"
	}
	end, err := time.Parse(time.RFC3339, fmt.Sprint(ev["scheduled_end_time"]))
	if err != nil {
		return "scheduled_end_time is not an ISO 8601 time"
	}
	if !end.After(start) {
		return "scheduled_end_time must be after scheduled_start_time"
	}
	return ""
}
