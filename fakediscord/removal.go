package fakediscord

import "slices"

// RemoveGuild takes the bot out of a guild as a kick or the guild's
// deletion does: a connected session gets GUILD_DELETE without
// `unavailable` (which would mean an outage), and the guild is not in the
// next IDENTIFY's list. AddGuild brings it back with a GUILD_CREATE.
func (s *Server) RemoveGuild(guildID string) {
	s.mu.Lock()
	if gs, ok := s.guildByID[guildID]; ok {
		delete(s.guildByID, guildID)
		s.guilds = slices.DeleteFunc(s.guilds, func(x *guildState) bool { return x == gs })
	}
	cur := s.current
	s.mu.Unlock()
	if cur != nil {
		cur.dispatch("GUILD_DELETE", map[string]any{"id": guildID})
	}
}

// GuildOutage tells a connected session the guild is unavailable (an
// outage on Discord's side): GUILD_DELETE with `unavailable: true`.
func (s *Server) GuildOutage(guildID string) {
	s.mu.Lock()
	cur := s.current
	s.mu.Unlock()
	if cur != nil {
		cur.dispatch("GUILD_DELETE", map[string]any{"id": guildID, "unavailable": true})
	}
}

// DeletedDMs returns the ids of the messages in the user's DM channel that
// were deleted (DELETE /channels/{id}/messages/{id}), oldest first.
func (s *Server) DeletedDMs(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[s.dmByUser[userID]]
	if !ok {
		return nil
	}
	var out []string
	for _, m := range cs.msgs {
		if m.deleted {
			out = append(out, m.id)
		}
	}
	return out
}
