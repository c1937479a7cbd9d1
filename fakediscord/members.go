package fakediscord

import (
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
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

// RemoveMember takes a user out of a guild (a kick, a ban or leaving). A
// connected session that identified with the Guild Members intent gets
// GUILD_MEMBER_REMOVE, as on Discord; others learn it only from a 10007.
func (s *Server) RemoveMember(guildID, userID string) {
	s.mu.Lock()
	if s.departed == nil {
		s.departed = map[string]bool{}
	}
	key := guildID + "/" + userID
	_, known := s.guildByID[guildID]
	fresh := known && !s.departed[key]
	s.departed[key] = true
	cur := s.current
	s.mu.Unlock()
	if fresh && cur != nil {
		cur.dispatchFor(discordgo.IntentsGuildMembers, "GUILD_MEMBER_REMOVE",
			map[string]any{"guild_id": guildID, "user": userJSON(userID)})
	}
}

// RestoreMember puts a removed user back in the guild (they joined again);
// a session with the Guild Members intent gets GUILD_MEMBER_ADD.
func (s *Server) RestoreMember(guildID, userID string) {
	s.mu.Lock()
	key := guildID + "/" + userID
	back := s.departed[key]
	delete(s.departed, key)
	var payload map[string]any
	if gs, ok := s.guildByID[guildID]; ok && back {
		payload = s.memberJSONLocked(gs, userJSON(userID))
		payload["guild_id"] = guildID
	}
	cur := s.current
	s.mu.Unlock()
	if payload != nil && cur != nil {
		cur.dispatchFor(discordgo.IntentsGuildMembers, "GUILD_MEMBER_ADD", payload)
	}
}

// memberJSONLocked is a guild member object for user.
func (s *Server) memberJSONLocked(gs *guildState, user map[string]any) map[string]any {
	return map[string]any{
		"user": user, "nick": nil, "avatar": nil, "roles": []any{},
		"joined_at": gs.joinedAt.Format(time.RFC3339Nano), "premium_since": nil,
		"deaf": false, "mute": false, "flags": 0, "pending": false,
	}
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
	return http.StatusOK, s.memberJSONLocked(gs, userJSON(uid))
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
