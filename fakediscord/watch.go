package fakediscord

import (
	"fmt"
	"sort"

	"github.com/bwmarrin/discordgo"
)

// What a viewer of the fake needs beyond what tests assert on: the sandbox
// shows a server's channels, each member's private messages, and updates
// them as the bot writes.

// Changed returns a channel that is closed at the next change of state the
// bot can cause (any REST request but a GET, a gateway session coming or
// going) or when the server closes. Read it before looking at the state, so
// a change in between is not missed.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return s.changed
}

// Channels returns the guild's channels in the order they were added.
func (s *Server) Channels(guildID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.guildByID[guildID]
	if !ok {
		return nil
	}
	return append([]Channel(nil), gs.g.Channels...)
}

// DMChannel returns the id of the user's DM channel with the bot, "" when
// the bot never opened one.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmByUser[userID]
}

// Ephemerals returns the ephemeral messages the bot sent in answer to the
// user's interactions in the channel, oldest first: what only that user sees.
func (s *Server) Ephemerals(userID, channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var own []*storedMsg
	for _, ix := range s.ixByID {
		if fmt.Sprint(ix.user["id"]) != userID || ix.channelID != channelID {
			continue
		}
		for _, m := range ix.ownMsgs() {
			if !m.deleted && numInt(m.raw["flags"])&int64(discordgo.MessageFlagsEphemeral) != 0 && !containsMsg(own, m) {
				own = append(own, m)
			}
		}
	}
	sort.Slice(own, func(i, j int) bool { return snowflakeLess(own[i].id, own[j].id) })
	out := make([]*discordgo.Message, 0, len(own))
	for _, m := range own {
		out = append(out, toMessage(m.raw))
	}
	return out
}

func containsMsg(list []*storedMsg, m *storedMsg) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}

// snowflakeLess orders ids numerically without parsing: a shorter id is older.
func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ephemeralMsgLocked finds a message that lives only with its interaction,
// for userID: an ephemeral reply is its member's alone, so another member's
// client never shows it, nor lets them press its buttons. An empty userID
// (the fake's own readers) finds any member's.
func (s *Server) ephemeralMsgLocked(userID, channelID, messageID string) *storedMsg {
	for _, ix := range s.ixByID {
		if userID != "" && fmt.Sprint(ix.user["id"]) != userID {
			continue
		}
		for _, om := range ix.ownMsgs() {
			if om.id == messageID && om.channel == channelID && !om.deleted {
				return om
			}
		}
	}
	return nil
}

// Attachment returns the file uploaded as attachment attachmentID of message
// messageID in channelID (ephemeral replies included), as the bot sent it.
func (s *Server) Attachment(channelID, messageID, attachmentID string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMsgLocked(channelID, messageID)
	if m == nil {
		m = s.ephemeralMsgLocked("", channelID, messageID)
	}
	if m == nil {
		return File{}, false
	}
	atts, _ := m.raw["attachments"].([]any)
	for i, a := range atts {
		att, _ := a.(map[string]any)
		if att != nil && fmt.Sprint(att["id"]) == attachmentID && i < len(m.files) {
			f := m.files[i]
			f.Data = append([]byte(nil), f.Data...)
			return f, true
		}
	}
	return File{}, false
}
