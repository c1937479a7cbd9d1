package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"rallybot/discordtest"
)

// A storm is held back at the gateway: with MaxAdmitted interactions read
// and not yet answered, the bot reads no more of the gateway until one is
// answered, so the clicks behind wait in the socket, not in its memory. Its
// heartbeats go on meanwhile; held back past five heartbeat intervals,
// discordgo takes the connection for a zombie and connects again (the fake
// resumes the session). The click held at the intake is still answered
// after its commit, and the new connection is read.
func TestFullIntakeHoldsTheGatewayBack(t *testing.T) {
	t.Parallel()
	// Short heartbeats, so that five intervals pass in 2.5 s (shorter, and a
	// loaded machine's pauses alone pass for a zombie connection, losing
	// what was sent on it); a long deadline, so that the answers held below
	// are not refused.
	fakeCfg := discordtest.Config{Token: token, HeartbeatInterval: 500 * time.Millisecond, InteractionDeadline: time.Minute}
	h := newHarnessOn(t, fakeCfg, func(h *harness) { h.maxHandlers, h.maxAdmitted = 1, 2 })
	h.setupChapter("Seattle", seattleChannel, seattleLead)
	id, ann := h.createRally()
	going := func() int {
		var n int
		if err := h.sql().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM rsvps WHERE rally_id = ? AND status = 'going'`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	type answer struct {
		n     int
		reply *discordtest.Reply
		err   error
	}
	answers := make(chan answer, 3)
	click := func(n int) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := h.fake.Click(ctx, discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(n)}, ann.ID, "rsvp:going:"+id)
			answers <- answer{n, r, err}
		}()
	}

	// Two clicks are taken in and handled; their answers are held by the
	// fake, so both stay admitted.
	release := h.fake.Hold("POST", callbackRoute)
	defer release()
	click(1)
	click(2)
	waitFor(t, "both clicks committed", func() bool { return going() == 2 })

	// The third is read and held at the intake, and nothing after it is
	// read, HEARTBEAT_ACKs included: the heartbeats find the connection
	// a zombie and the session is resumed on a new one.
	resumed := h.fake.Resumes()
	click(3)
	if err := h.fake.WaitResumed(h.ctx(), resumed+1); err != nil {
		t.Fatal(err)
	}
	if n := going(); n != 2 {
		t.Errorf("%d members going while two clicks were unanswered, want 2: the third was taken in past MaxAdmitted", n)
	}

	release()
	for range 3 {
		a := <-answers
		if a.err != nil {
			t.Errorf("member %d's click: %v", a.n, a.err)
			continue
		}
		if !strings.Contains(a.reply.Text(), "Rally for fair housing") {
			t.Errorf("member %d's click answered %q, want their RSVP confirmed", a.n, a.reply.Text())
		}
	}
	if n := going(); n != 3 {
		t.Errorf("%d members going once answered, want 3", n)
	}
	// The new connection is read.
	inv := discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: member(4)}
	eventually(t, 15*time.Second, "a click on the new connection answered", func() bool {
		r, err := h.fake.Click(h.ctx(), inv, ann.ID, "rsvp:going:"+id)
		return err == nil && strings.Contains(r.Text(), "Rally for fair housing")
	})
	if n := len(h.fake.Identifies()); n != 1 {
		t.Errorf("%d IDENTIFYs, want 1: the session was resumed", n)
	}
}
