package fakediscord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// ForgedSelect sends a string select interaction for the menu customID on a
// stored message (ephemeral ones included) with values the menu need not
// offer, or more than it allows: what a tampered client can send.
func (s *Server) ForgedSelect(ctx context.Context, inv Invocation, messageID, customID string, values ...string) (*Reply, error) {
	s.mu.Lock()
	m := s.findMsgLocked(inv.ChannelID, messageID)
	if m == nil {
		m = s.ephemeralMsgLocked(inv.Member.UserID, inv.ChannelID, messageID)
	}
	s.mu.Unlock()
	if m == nil {
		return nil, fmt.Errorf("discordtest: no message %s in channel %s", messageID, inv.ChannelID)
	}
	if values == nil {
		values = []string{}
	}
	data := map[string]any{"custom_id": customID, "component_type": discordgo.SelectMenuComponent, "values": values}
	return s.interact(ctx, inv, discordgo.InteractionMessageComponent, data, m)
}
