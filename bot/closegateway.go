package bot

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// gatewayClose lets Run return as soon as discordgo has written the
// gateway's close frame. discordgo's Session.Close writes the frame and then
// sleeps a fixed second, holding the session, before it drops the
// connection; the frame is what Discord needs (it ends the session at once),
// and the connection drops with the process or when that second is over, so
// nothing waits for it: a restart, or a test that starts and stops the bot
// many times, does not pay the second each time.
type gatewayClose struct {
	closing atomic.Bool
	wrote   chan struct{}
	once    sync.Once
}

// watchGatewayClose makes the session's gateway connections tell when the
// close frame is written. Call it before Open.
func watchGatewayClose(s *discordgo.Session) *gatewayClose {
	g := &gatewayClose{wrote: make(chan struct{})}
	d := *websocket.DefaultDialer
	if s.Dialer != nil {
		d = *s.Dialer
	}
	dial := d.NetDialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &closeWatchedConn{Conn: c, g: g}, nil
	}
	s.Dialer = &d
	return g
}

// close closes the session and returns once the close frame is written (the
// first write after closing began: discordgo stops the heartbeat before it
// writes the frame), or once Close returns, whichever is first.
func (g *gatewayClose) close(s *discordgo.Session) {
	g.closing.Store(true)
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-g.wrote:
	case <-done:
	}
}

// closeWatchedConn is a gateway connection (under TLS, when there is TLS).
type closeWatchedConn struct {
	net.Conn
	g *gatewayClose
}

func (c *closeWatchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.g.closing.Load() {
		c.g.once.Do(func() { close(c.g.wrote) })
	}
	return n, err
}
