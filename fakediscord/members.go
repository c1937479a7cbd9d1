package fakediscord

import (
	"net/http"
	"time"
)

// Guild members. Every user is a member of every guild the fake knows
// (interactions name members freely) until a test removes them with
// RemoveMember: then GET /guilds/{guild_id}/members/{user_id} answers 404
// with 10007 Unknown Member, as Discord does for a member who left, was
// kicked or was banned, while a DM to them still goes through, as it does on
// Discord for a user who shares another server with the bot.

func (s *Server) memberHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"GET /guilds/{guild_id}/members/{user_id}": (*Server).getMember,
	}
}

// RemoveMember takes a user out of a guild (a kick, a ban or leaving).
func (s *Server) RemoveMember(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.departed == nil {
		s.departed = map[string]bool{}
	}
	s.departed[guildID+"/"+userID] = true
}

// RestoreMember puts a removed user back in the guild (they joined again).
func (s *Server) RestoreMember(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.departed, guildID+"/"+userID)
}

func (s *Server) getMember(c *call) (int, any) {
	gid, uid := c.params["guild_id"], c.params["user_id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guildByID[gid]
	if !ok {
		return http.StatusNotFound, codeError(10004)
	}
	if !isDigits(uid) || s.departed[gid+"/"+uid] {
		return http.StatusNotFound, codeError(10007)
	}
	return http.StatusOK, map[string]any{
		"user": userJSON(uid), "nick": nil, "avatar": nil, "roles": []any{},
		"joined_at": gs.joinedAt.Format(time.RFC3339Nano), "premium_since": nil,
		"deaf": false, "mute": false, "flags": 0, "pending": false,
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
