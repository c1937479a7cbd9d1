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
	// The handler runs in the goroutine that reads the gateway: it only
	// queues the departure, and one goroutine acts on them in turn, so a
	// mass ban neither holds the gateway nor starts a goroutine a member.
	go b.workDepartures()
	b.session.AddHandler(func(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
		if m.Member == nil || m.User == nil || m.GuildID == "" || !b.app.GuildAllowed(m.GuildID) {
			return
		}
		select {
		case b.departures <- departure{guildID: m.GuildID, userID: m.User.ID}:
		default:
			// The membership check before each DM and before a place is
			// told still catches this member.
			b.log.Warn("too many departures at once: one is left to the next membership check", "guild", m.GuildID)
		}
	})
}

// maxDepartures bounds the departures read and not yet acted on.
const maxDepartures = 4096

// departure is a member Discord said left a guild.
type departure struct{ guildID, userID string }

// workDepartures acts on the departures queued, one at a time, until the
// bot stops. Each is counted with the interactions in flight, so shutdown
// waits for the one under way (and cancels it past its wait); those still
// queued are left to the next start's membership checks.
func (b *bot) workDepartures() {
	for {
		select {
		case <-b.stopping:
			return
		case d := <-b.departures:
			if !b.begin() {
				return
			}
			ctx, cancel := context.WithTimeout(b.ctx, memberLeftTimeout)
			b.app.MemberLeft(ctx, d.guildID, d.userID)
			cancel()
			b.inflight.Done()
		}
	}
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
