package bot

import (
	"context"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Member events (MEMBER_EVENTS=on): the gateway tells the bot when a member
// leaves, is kicked or is banned, and their seats are freed at once rather
// than at the next DM's membership check. Joins and updates arrive too (the
// intent brings them all); nothing is read or kept of them.

// memberLeftTimeout bounds the handling of one departure.
const memberLeftTimeout = 30 * time.Second

// intents are what the gateway is asked for: Guilds, and Guild Members
// (privileged: Server Members Intent) with MEMBER_EVENTS on.
func intents(cfg Config) discordgo.Intent {
	if cfg.MemberEvents {
		return discordgo.IntentsGuilds | discordgo.IntentsGuildMembers
	}
	return discordgo.IntentsGuilds
}

// watchMembers registers the handlers that keep members out of memory and,
// with MEMBER_EVENTS on, act on departures. Call it before Open.
func (b *bot) watchMembers() {
	// discordgo's state keeps the members, presences and voice states a
	// GUILD_CREATE carries (names and nicknames among them) whatever
	// TrackMembers says; the bot reads none of them.
	b.session.AddHandler(func(s *discordgo.Session, g *discordgo.GuildCreate) {
		forgetGuildMembers(s.State, g.ID)
	})
	if !b.cfg.MemberEvents {
		return
	}
	// The handler runs in the goroutine that reads the gateway: the work
	// goes to a goroutine of its own, counted with the interactions in
	// flight, so shutdown waits for it (and cancels it past its wait).
	b.session.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
		if m.Member == nil || m.User == nil || m.GuildID == "" || !b.app.GuildAllowed(m.GuildID) {
			return
		}
		if !b.begin() {
			return // stopping: the next start's membership checks catch it
		}
		guildID, userID := m.GuildID, m.User.ID
		go func() {
			defer b.inflight.Done()
			ctx, cancel := context.WithTimeout(b.ctx, memberLeftTimeout)
			defer cancel()
			b.app.MemberLeft(ctx, guildID, userID)
		}()
	})
}

// forgetGuildMembers drops from the state every member, presence and voice
// state of the guild.
func forgetGuildMembers(st *discordgo.State, guildID string) {
	if st == nil {
		return
	}
	g, err := st.Guild(guildID)
	if err != nil {
		return
	}
	st.RLock()
	members := slices.Clone(g.Members)
	st.RUnlock()
	for _, m := range members {
		if m != nil && m.User != nil {
			_ = st.MemberRemove(&discordgo.Member{GuildID: guildID, User: &discordgo.User{ID: m.User.ID}})
		}
	}
	st.Lock()
	g.Members, g.Presences, g.VoiceStates = nil, nil, nil
	st.Unlock()
}
