package bot_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/discordtest"
)

// postsNotices returns the rally notices in the channel that contain each
// part: the messages that end with a rally notice's footer.
func (h *harness) postsNotices(channel string, parts ...string) []*discordgo.Message {
	return filter(h.fake.Messages(channel), contentHas("\n-# Rally #"), contentHas(parts...))
}

// postsCase is a lead's command that owes the channel one notice.
type postsCase struct {
	name  string
	parts []string // what the notice says
	// command creates the rally (or series) the command acts on and returns
	// the command's path and options.
	command func(h *harness) (string, []discordtest.Option)
}

var postsCases = []postsCase{
	{"Edit", []string{"Moved vigil", "has changed", "~~Westlake Park~~ → **Pioneer Square**"}, func(h *harness) (string, []discordtest.Option) {
		id, _ := h.createRally(discordtest.Str("title", "Moved vigil"))
		return "rally edit", []discordtest.Option{discordtest.Str("rally", id), discordtest.Str("location", "Pioneer Square")}
	}},
	{"Cancel", []string{"Harbor march", "has been cancelled", "Storm warning"}, func(h *harness) (string, []discordtest.Option) {
		id, _ := h.createRally(discordtest.Str("title", "Harbor march"))
		return "rally cancel", []discordtest.Option{discordtest.Str("rally", id), discordtest.Str("reason", "Storm warning")}
	}},
	{"CancelSeries", []string{"Tenants' assembly", "3 remaining rallies", "Hall closed"}, func(h *harness) (string, []discordtest.Option) {
		// No second handle on the database here: the crash tests put the
		// file back under the bot's feet.
		r := h.cmd(lead, seattleChannel, "rally create", createOpts(discordtest.Str("title", "Tenants' assembly"),
			discordtest.Str("when", "2026-11-25 18:00"), discordtest.Str("repeat", "weekly"), discordtest.Int("occurrences", 3))...)
		m := rallyIDPattern.FindStringSubmatch(r.Text())
		if m == nil {
			h.t.Fatalf("series create: %q", r.Text())
		}
		return "rally cancel", []discordtest.Option{discordtest.Str("rally", m[1]),
			discordtest.Str("reason", "Hall closed"), discordtest.Bool("series", true)}
	}},
}

// TestChannelNoticesExactlyOnce: the notice a cancel, a series cancel or a
// change of place owes the rally's channel is owed in the transaction that
// makes the change, so it reaches the channel exactly once whatever happens
// after the commit: a crash before the post reached Discord, a crash after
// it did (its answer lost, Discord's nonce window over, the channel busy
// since), Discord failing every attempt of the command's send.
func TestChannelNoticesExactlyOnce(t *testing.T) {
	t.Parallel()
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: lead}
	once := func(t *testing.T, h *harness, c postsCase) {
		t.Helper()
		if got := h.postsNotices(seattleChannel, c.parts...); len(got) != 1 {
			t.Errorf("%s: %d notices in the channel, want 1", c.name, len(got))
		}
	}

	t.Run("CrashBeforeThePost", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		for _, c := range postsCases {
			path, opts := c.command(h)
			h.fake.FailNext("POST", postMessage, 1000, 503) // the post never lands
			tries := h.fake.CountRequests("POST", postMessage)
			go h.fake.Command(h.ctx(), inv, path, opts...)
			eventually(t, 10*time.Second, c.name+": the bot tries to post the notice", func() bool {
				return h.fake.CountRequests("POST", postMessage) > tries
			})
			h.crash(h.snapshot())
			h.fake.FailNext("POST", postMessage, 0, 503)
			if n := len(h.postsNotices(seattleChannel, c.parts...)); n != 0 {
				t.Fatalf("%s: %d notices while Discord fails", c.name, n)
			}

			h.clock.Add(3 * time.Minute)
			h.start() // the sweep at start sends what the commit owed
			h.runJobs()
			h.restart()
			h.runJobs()
			once(t, h, c)
		}
	})

	t.Run("CrashAfterThePostPastTheNonceWindow", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		for _, c := range postsCases {
			path, opts := c.command(h)
			h.crashOnceSent("POST", postMessage, c.name+": the notice reaches the channel", h.inBackground(lead, seattleChannel, path, opts...),
				func() bool { return len(h.postsNotices(seattleChannel, c.parts...)) == 1 })

			// More than a page of chatter, and Discord no longer
			// remembers the nonce: only the search can tell it was sent.
			for i := 0; i < 150; i++ {
				h.fake.Say(seattleChannel, member(i%20).UserID, fmt.Sprintf("%s: see you %d", c.name, i))
			}
			h.fake.ExpireNonces()
			h.clock.Add(10 * time.Minute)
			h.start()
			h.runJobs()
			h.restart()
			h.runJobs()
			once(t, h, c)
		}
	})

	t.Run("DiscordFailsTheCommandsSend", func(t *testing.T) {
		t.Parallel()
		h := rallyHarness(t)
		for _, c := range postsCases {
			path, opts := c.command(h)
			h.fake.FailNext("POST", postMessage, 4, 500) // every attempt the command makes
			r := h.cmd(lead, seattleChannel, path, opts...)
			mustContain(t, r, true, "Discord did not take the notice for <#"+seattleChannel+">")
			if n := len(h.postsNotices(seattleChannel, c.parts...)); n != 0 {
				t.Fatalf("%s: %d notices while Discord fails", c.name, n)
			}
			h.runJobs() // backing off: not tried again yet
			h.clock.Add(3 * time.Minute)
			h.runJobs()
			h.runJobs()
			once(t, h, c)

			bodies, statuses := h.schedPosts(seattleChannel, c.parts[1])
			if len(bodies) != 5 || statuses[4] != 200 {
				t.Errorf("%s: POST statuses %v, want four 500s then 200", c.name, statuses)
			}
			for _, b := range bodies {
				if b["nonce"] != bodies[0]["nonce"] || b["enforce_nonce"] != true {
					t.Errorf("%s: every send must carry the nonce owed with the notice, enforced: %v then %v", c.name, bodies[0]["nonce"], b["nonce"])
				}
			}
		}
	})
}
