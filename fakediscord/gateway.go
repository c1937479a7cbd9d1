package fakediscord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// gwSession outlives connections so RESUME can continue its sequence.
type gwSession struct {
	id  string
	seq int64 // guarded by the owning connection's wmu
	// intents are what the IDENTIFY that began the session asked for; a
	// RESUME keeps them.
	intents discordgo.Intent
}

type gwConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla allows one concurrent writer; also orders seq
	sess *gwSession // set once identified/resumed; read under wmu
	once sync.Once
	// beat is closed on the first heartbeat; see DropGateway.
	beat     chan struct{}
	beatOnce sync.Once
}

type gatewayPayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

func (c *gwConn) write(op int, t string, d any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(op, t, d)
}

// writeLocked sends one gateway payload. d is encoded as JSON unless it is
// already (a json.RawMessage, which must be compact and valid: the fake's
// own encoding), so a large event is not scanned again on its way out.
func (c *gwConn) writeLocked(op int, t string, d any) error {
	b, ok := d.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(d); err != nil {
			return err
		}
	}
	frame := make([]byte, 0, len(b)+64)
	frame = append(frame, `{"op":`...)
	frame = strconv.AppendInt(frame, int64(op), 10)
	frame = append(frame, `,"d":`...)
	frame = append(frame, b...)
	if op == 0 {
		c.sess.seq++
		frame = append(frame, `,"s":`...)
		frame = strconv.AppendInt(frame, c.sess.seq, 10)
		frame = append(frame, `,"t":`...)
		frame = strconv.AppendQuote(frame, t) // event names are upper-case ASCII
	} else {
		frame = append(frame, `,"s":null,"t":null`...)
	}
	frame = append(frame, '}')
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *gwConn) dispatch(t string, d any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.sess == nil {
		return websocket.ErrCloseSent
	}
	return c.writeLocked(0, t, d)
}

// dispatchFor sends an event only to a session that asked for intent, as
// Discord does; it reports whether it was sent.
func (c *gwConn) dispatchFor(intent discordgo.Intent, t string, d any) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.sess == nil || c.sess.intents&intent == 0 {
		return false
	}
	return c.writeLocked(0, t, d) == nil
}

// close sends a close frame with code and drops the TCP connection, which is
// how Discord ends a session.
func (c *gwConn) close(code int, reason string) {
	c.once.Do(func() {
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		c.wmu.Unlock()
		_ = c.ws.Close()
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) gatewayURL() string {
	return "ws" + strings.TrimPrefix(s.url, "http") + "/gateway"
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws, beat: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns[c] = true
	s.gwWG.Add(1)
	s.mu.Unlock()
	defer s.gwWG.Done()
	defer func() {
		c.close(websocket.CloseNormalClosure, "")
		s.mu.Lock()
		delete(s.conns, c)
		if s.current == c {
			s.current = nil
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()
	if err := c.write(10, "", map[string]any{"heartbeat_interval": s.cfg.HeartbeatInterval.Milliseconds()}); err != nil {
		return
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var p gatewayPayload
		if err := json.Unmarshal(msg, &p); err != nil {
			c.close(4002, "Error while decoding payload.")
			return
		}
		switch p.Op {
		case 1:
			c.beatOnce.Do(func() { close(c.beat) })
			if c.write(11, "", nil) != nil {
				return
			}
		case 2:
			if !s.onIdentify(c, p.D) {
				return
			}
		case 6:
			if !s.onResume(c, p.D) {
				return
			}
		case 3, 4, 8:
			// Presence, voice state and member requests need no answer here.
		default:
			c.close(4001, "Unknown opcode.")
			return
		}
	}
}

func (s *Server) onIdentify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string           `json:"token"`
		Intents discordgo.Intent `json:"intents"`
	}
	if err := json.Unmarshal(d, &id); err != nil {
		c.close(4002, "Error while decoding payload.")
		return false
	}
	s.mu.Lock()
	s.identifies = append(s.identifies, Identify{Token: id.Token, Intents: id.Intents})
	s.notifyLocked()
	s.mu.Unlock()
	c.wmu.Lock()
	already := c.sess != nil
	c.wmu.Unlock()
	if already {
		c.close(4005, "Already authenticated.")
		return false
	}
	if strings.TrimPrefix(id.Token, "Bot ") != s.cfg.Token || s.cfg.Token == "" {
		c.close(4004, "Authentication failed.")
		return false
	}
	if !s.cfg.PrivilegedIntentsAllowed && id.Intents&privilegedIntents != 0 {
		c.close(4014, "Disallowed intent(s).")
		return false
	}
	sess := &gwSession{id: randomHex(16), intents: id.Intents}
	s.mu.Lock()
	s.sessions[sess.id] = sess
	guilds := make([]map[string]any, 0, len(s.guilds))
	unavailable := make([]map[string]any, 0, len(s.guilds))
	for _, g := range s.guilds {
		guilds = append(guilds, s.guildCreateLocked(g))
		unavailable = append(unavailable, map[string]any{"id": g.g.ID, "unavailable": true})
	}
	ready := map[string]any{
		"v":                  10,
		"user":               s.botUser,
		"guilds":             unavailable,
		"session_id":         sess.id,
		"resume_gateway_url": s.gatewayURL(),
		"session_type":       "normal",
		"private_channels":   []any{},
		"shard":              []int{0, 1},
		"application":        map[string]any{"id": s.cfg.AppID, "flags": 0},
	}
	// Taking wmu before releasing mu keeps a concurrent AddGuild's
	// GUILD_CREATE behind READY.
	c.wmu.Lock()
	c.sess = sess
	s.current = c
	s.mu.Unlock()
	err := c.writeLocked(0, "READY", ready)
	for _, g := range guilds {
		if err == nil {
			err = c.writeLocked(0, "GUILD_CREATE", g)
		}
	}
	c.wmu.Unlock()
	if err != nil {
		return false
	}
	s.mu.Lock()
	s.readyCount++
	s.notifyLocked()
	s.mu.Unlock()
	return true
}

func (s *Server) onResume(c *gwConn, d json.RawMessage) bool {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &r); err != nil {
		c.close(4002, "Error while decoding payload.")
		return false
	}
	if strings.TrimPrefix(r.Token, "Bot ") != s.cfg.Token {
		c.close(4004, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	sess, ok := s.sessions[r.SessionID]
	if !ok {
		s.mu.Unlock()
		// Op 9 with d=false tells the client to identify afresh.
		return c.write(9, "", false) == nil
	}
	c.wmu.Lock()
	c.sess = sess
	s.current = c
	s.mu.Unlock()
	err := c.writeLocked(0, "RESUMED", map[string]any{})
	c.wmu.Unlock()
	s.mu.Lock()
	if err == nil {
		s.resumes++
	}
	s.notifyLocked()
	s.mu.Unlock()
	return err == nil
}

func (s *Server) guildCreateLocked(gs *guildState) map[string]any {
	g := gs.g
	channels := make([]map[string]any, 0, len(g.Channels))
	for _, c := range g.Channels {
		ch := channelJSON(g.ID, c)
		delete(ch, "guild_id") // Discord omits it inside GUILD_CREATE
		channels = append(channels, ch)
	}
	roles := []map[string]any{roleJSON(Role{ID: g.ID, Name: "@everyone"}, 0)}
	for i, r := range g.Roles {
		if r.ID == g.ID {
			roles[0] = roleJSON(r, 0)
			continue
		}
		roles = append(roles, roleJSON(r, i+1))
	}
	// Discord's members here are the bot itself and whoever is in a voice
	// channel (all members only with the presence intent).
	members := []any{s.memberJSONLocked(gs, s.botUser)}
	return map[string]any{
		"id": g.ID, "name": g.Name, "owner_id": g.OwnerID, "icon": nil,
		"channels": channels, "roles": roles, "threads": []any{}, "members": members,
		"emojis": []any{}, "stickers": []any{}, "voice_states": []any{}, "presences": []any{},
		"features": []any{}, "member_count": 2, "large": false, "unavailable": false,
		"joined_at": gs.joinedAt.Format(time.RFC3339Nano), "preferred_locale": "en-US",
	}
}

func channelJSON(guildID string, c Channel) map[string]any {
	return map[string]any{
		"id": c.ID, "type": c.Type, "name": c.Name, "guild_id": guildID,
		"position": 0, "permission_overwrites": []any{}, "nsfw": false, "parent_id": nil,
	}
}

func roleJSON(r Role, pos int) map[string]any {
	return map[string]any{
		"id": r.ID, "name": r.Name, "permissions": itoa(r.Permissions), "position": pos,
		"color": 0, "hoist": false, "managed": false, "mentionable": false, "flags": 0,
	}
}

// DropGateway closes the current gateway connection with code; discordgo then
// reconnects and RESUMEs.
//
// It first waits (up to 5s) for the connection's first heartbeat: discordgo
// v0.29.0 starts its heartbeat goroutine after Open returns, and if the
// connection dies before that goroutine's first send, the goroutine later
// fails on the dead socket and tears down the *new* connection, reconnecting
// in a loop. Real drops never happen that early.
func (s *Server) DropGateway(code int) {
	s.mu.Lock()
	c := s.current
	s.mu.Unlock()
	if c == nil {
		return
	}
	select {
	case <-c.beat:
	case <-time.After(5 * time.Second):
	}
	c.close(code, "dropped by test")
}

// currentConn waits briefly for a live session, since a test may dispatch
// while the bot is (re)connecting.
func (s *Server) currentConn(ctx context.Context) (*gwConn, error) {
	s.mu.Lock()
	c := s.current
	s.mu.Unlock()
	if c != nil {
		return c, nil // connected: no wait to arm
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.waitFor(ctx, func() bool {
		c = s.current
		return c != nil
	})
	return c, err
}
