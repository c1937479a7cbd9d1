// Package fakediscord is an in-process Discord (REST + gateway) on
// 127.0.0.1, for the sandbox and for tests (package discordtest wraps it for
// a test and checks request bodies against Discord's OpenAPI spec). The bot
// talks to it with an unmodified discordgo session whose API base is
// Server.URL, so the fake sees exactly the bytes the real Discord would.
package fakediscord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Config describes the fake's identity and strictness. Zero values get the
// defaults documented on each field.
type Config struct {
	// Token is the bot token without the "Bot " prefix.
	Token string
	// AppID is the application id, which Discord also uses as the bot user id.
	// Default "100000000000000001".
	AppID string
	// Spec, when set, is Discord's OpenAPI document: every request body is
	// checked against it (discordtest.New sets it). Nil: bodies are checked
	// only against the rules the fake knows itself.
	Spec Spec
	// HeartbeatInterval is sent in HELLO. Default 41250ms.
	HeartbeatInterval time.Duration
	// PrivilegedIntentsAllowed mirrors the developer-portal toggles: when
	// false, identifying with a privileged intent closes the gateway with 4014.
	PrivilegedIntentsAllowed bool
	// InteractionDeadline is how long after INTERACTION_CREATE the initial
	// callback is accepted. Default 3s, as on Discord.
	InteractionDeadline time.Duration
	// AppPermissions is sent as app_permissions in interactions. Default: all.
	AppPermissions int64
	// RateLimits, when set, makes the fake limit requests like Discord: each
	// route and top-level resource is a bucket with rate-limit headers, and
	// every request counts against a global limit per second; a request over
	// either is answered 429. Nil: no limits (the default).
	RateLimits *RateLimits
	// Logf receives what the fake has to say that is not a Violation (an
	// unimplemented route, a missing spec). Default: discard; New uses tb.Logf.
	Logf func(format string, args ...any)
}

// RateLimits are the fake's limits. Discord's: 5 messages per 5 s per
// channel, 50 requests per second in all. The per-bucket limit applies to
// routes of a channel, guild or webhook.
type RateLimits struct {
	PerBucket       int
	Window          time.Duration
	GlobalPerSecond int
	// RoutePerBucket overrides PerBucket for a route ("METHOD template"):
	// reading a guild's members is not held to the 5 messages a channel
	// takes in 5 s.
	RoutePerBucket map[string]int
}

// DiscordRateLimits are Discord's documented limits for bots.
func DiscordRateLimits() *RateLimits {
	return &RateLimits{PerBucket: 5, Window: 5 * time.Second, GlobalPerSecond: 50,
		RoutePerBucket: map[string]int{"GET /guilds/{guild_id}/members/{user_id}": 50}}
}

const (
	defaultAppID        = "100000000000000001"
	discordEpochMillis  = 1420070400000
	privilegedIntents   = discordgo.IntentsGuildMembers | discordgo.IntentsGuildPresences | discordgo.IntentMessageContent
	interactionTokenTTL = 15 * time.Minute
	// maxWait bounds every blocking helper so a hung bot fails a test instead
	// of stalling the whole run until go test's timeout.
	maxWait = 10 * time.Second
	// nonceWindow is how long Discord remembers an enforce_nonce.
	nonceWindow    = 5 * time.Minute
	allPermissions = int64(1)<<50 - 1
)

// Violation is a request the real Discord would reject or that breaks a rule
// of this project (e.g. missing allowed_mentions).
type Violation struct {
	Method, Path, Reason string
	Body                 []byte
}

// Request is one REST call as the fake saw it.
type Request struct {
	Method string
	// Path is without the /api/vN prefix.
	Path string
	// Route is the OpenAPI path template that matched, "" if none.
	Route  string
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int
	At     time.Time
}

// Identify is what a client sent in op 2.
type Identify struct {
	Token   string
	Intents discordgo.Intent
}

// Guild is guild state announced via GUILD_CREATE.
type Guild struct {
	ID, Name, OwnerID string
	Channels          []Channel
	Roles             []Role
}

// Channel is a guild channel; Type defaults to GuildText (which is 0).
type Channel struct {
	ID, Name string
	Type     discordgo.ChannelType
}

// Role is a guild role.
type Role struct {
	ID, Name    string
	Permissions int64
}

// Server is a running fake Discord.
type Server struct {
	cfg      Config
	spec     Spec
	routes   routeTable
	hs       *http.Server
	url      string
	inflight sync.WaitGroup // REST requests being served
	upgrader websocket.Upgrader
	gwWG     sync.WaitGroup
	botUser  map[string]any
	handlers map[string]handlerFunc

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change waiters care about
	closed     bool
	lastID     int64
	violations []Violation
	requests   []Request
	failNext   map[string]*failRule
	holds      map[string]chan struct{} // responses withheld, by "METHOD route"
	guilds     []*guildState
	guildByID  map[string]*guildState
	channels   map[string]*channelState
	dmByUser   map[string]string
	failDM     map[string]bool
	commands   map[string][]map[string]any // guild id ("" global) -> stored command objects
	conns      map[*gwConn]bool
	current    *gwConn
	sessions   map[string]*gwSession
	identifies []Identify
	readyCount int
	resumes    int // sessions resumed (RESUMED sent)
	ixByID     map[string]*interaction
	ixByToken  map[string]*interaction
	replies    map[string]*discordgo.InteractionResponseData // replyDataLocked's, by body
	// events are the guilds' scheduled events; noManageEvents the guilds
	// where the bot lacks Manage Events.
	events         []map[string]any
	noManageEvents map[string]bool
	// buckets and global count requests against Config.RateLimits.
	buckets     map[string]*bucketState
	global      bucketState
	rateLimited int
	// left are the guilds the bot left, in order.
	left []string
	// departed are the members who left or were removed from a guild,
	// by "guild/user" (members.go).
	departed map[string]bool
	// redeliver is how many of the next interactions are delivered twice;
	// answeredTwice counts callbacks for one already answered.
	redeliver     int
	answeredTwice int
}

type bucketState struct {
	reset time.Time
	used  int
}

type failRule struct {
	n, status  int
	retryAfter time.Duration // for 429s
	global     bool          // a 429 that limits every route, not one bucket
}

type guildState struct {
	g        Guild
	joinedAt time.Time
}

type channelState struct {
	id, guildID, name string
	typ               discordgo.ChannelType
	recipient         string
	msgs              []*storedMsg
	failStatus        int
	failCode          int
}

type storedMsg struct {
	id      string
	channel string
	raw     map[string]any
	files   []File
	edits   int
	nonce   string
	created time.Time
	deleted bool

	// enc is raw as JSON, kept for the interactions that carry the message
	// (every click on an announcement does), made again after a change:
	// encEdits is the edits count it was made at, and every change to raw
	// outside editLocked clears it.
	enc      json.RawMessage
	encEdits int
}

// encoded is the message as JSON, made once per change. Callers hold s.mu.
func (m *storedMsg) encoded() json.RawMessage {
	if m.enc == nil || m.encEdits != m.edits {
		m.enc, m.encEdits = rawCopy(m.raw), m.edits
	}
	return m.enc
}

// File is a file uploaded with a message (a files[n] part of a multipart body).
type File struct {
	Index             int // n of its files[n] part
	Name, ContentType string
	Data              []byte
}

// attachLocked gives a message the files of the request that created or
// edited it, as Discord's attachment objects; an edit without files keeps
// the ones it had.
func (s *Server) attachLocked(m *storedMsg, files []File) {
	if len(files) == 0 {
		return
	}
	m.files = append([]File(nil), files...)
	atts := make([]any, len(files))
	for i, f := range files {
		id := s.newIDLocked()
		atts[i] = map[string]any{
			"id": id, "filename": f.Name, "size": len(f.Data), "content_type": f.ContentType,
			"url":       s.url + "/attachments/" + m.channel + "/" + id + "/" + f.Name,
			"proxy_url": s.url + "/attachments/" + m.channel + "/" + id + "/" + f.Name,
		}
	}
	m.raw["attachments"] = atts
	m.enc = nil
}

// Start starts a fake Discord on 127.0.0.1 outside of a test, as the sandbox
// does; the caller closes it. Violations are only recorded (TakeViolations).
// Request bodies are checked against the OpenAPI spec when it is found, and
// not checked, with a line to Logf, when it is not.
func Start(cfg Config) (*Server, error) {
	if cfg.AppID == "" {
		cfg.AppID = defaultAppID
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = 41250 * time.Millisecond
	}
	if cfg.InteractionDeadline == 0 {
		cfg.InteractionDeadline = 3 * time.Second
	}
	if cfg.AppPermissions == 0 {
		cfg.AppPermissions = allPermissions
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Server{
		cfg:            cfg,
		changed:        make(chan struct{}),
		failNext:       map[string]*failRule{},
		holds:          map[string]chan struct{}{},
		guildByID:      map[string]*guildState{},
		channels:       map[string]*channelState{},
		dmByUser:       map[string]string{},
		failDM:         map[string]bool{},
		noManageEvents: map[string]bool{},
		commands:       map[string][]map[string]any{},
		conns:          map[*gwConn]bool{},
		sessions:       map[string]*gwSession{},
		ixByID:         map[string]*interaction{},
		ixByToken:      map[string]*interaction{},
		botUser: map[string]any{
			"id": cfg.AppID, "username": "rallybot", "discriminator": "0", "global_name": nil,
			"avatar": nil, "bot": true, "verified": true, "flags": 0,
		},
	}
	var routes []string
	if cfg.Spec != nil {
		s.spec = cfg.Spec
		routes = append(routes, cfg.Spec.Routes()...)
	}
	// Routes the fake serves must resolve even without the spec.
	s.handlers = handlers()
	for k, h := range s.eventHandlers() {
		s.handlers[k] = h
	}
	for k, h := range s.memberHandlers() {
		s.handlers[k] = h
	}
	for k := range s.handlers {
		routes = append(routes, k[strings.Index(k, " ")+1:])
	}
	s.routes = newRouteTable(routes)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakediscord: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.hs.Serve(ln)
	return s, nil
}

// URL is the fake's origin, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.url }

// Close stops the server and every gateway connection. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.CloseGoingAway, "server closing")
	}
	// Closing the connections ends the requests held by Hold; none starts
	// after closed was set.
	s.hs.Close()
	s.inflight.Wait()
	s.gwWG.Wait()
}

// TakeViolations returns the violations so far and forgets them, for tests
// that send bad bodies on purpose.
func (s *Server) TakeViolations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.violations
	s.violations = nil
	return v
}

func (s *Server) violate(method, path, reason string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, Violation{Method: method, Path: path, Reason: reason, Body: bytes.Clone(body)})
}

// notifyLocked wakes every waiter; callers hold s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (evaluated under s.mu) holds, ctx ends or the
// server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		if s.closed {
			s.mu.Unlock()
			return fmt.Errorf("discordtest: server closed")
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// newID returns a strictly increasing snowflake, so ids sort like Discord's.
func (s *Server) newID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newIDLocked()
}

func (s *Server) newIDLocked() string {
	id := (time.Now().UnixMilli() - discordEpochMillis) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatInt(id, 10)
}

// AddGuild adds (or replaces) a guild; a connected session gets GUILD_CREATE
// at once.
func (s *Server) AddGuild(g Guild) {
	s.mu.Lock()
	gs := &guildState{g: g, joinedAt: time.Now().UTC()}
	if old, ok := s.guildByID[g.ID]; ok {
		for i, x := range s.guilds {
			if x == old {
				s.guilds[i] = gs
			}
		}
	} else {
		s.guilds = append(s.guilds, gs)
	}
	s.guildByID[g.ID] = gs
	for _, c := range g.Channels {
		s.addChannelLocked(g.ID, c)
	}
	cur := s.current
	payload := s.guildCreateLocked(gs)
	s.mu.Unlock()
	if cur != nil {
		cur.dispatch("GUILD_CREATE", payload)
	}
}

// AddChannel adds a channel to a known guild.
func (s *Server) AddChannel(guildID string, c Channel) {
	s.mu.Lock()
	gs, ok := s.guildByID[guildID]
	if ok {
		gs.g.Channels = append(gs.g.Channels, c)
	}
	s.addChannelLocked(guildID, c)
	cur := s.current
	s.mu.Unlock()
	if ok && cur != nil {
		cur.dispatch("CHANNEL_CREATE", channelJSON(guildID, c))
	}
}

// AddRole adds a role to a known guild, for role options to resolve.
func (s *Server) AddRole(guildID string, r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gs, ok := s.guildByID[guildID]; ok {
		gs.g.Roles = append(gs.g.Roles, r)
	}
}

func (s *Server) addChannelLocked(guildID string, c Channel) {
	if cs, ok := s.channels[c.ID]; ok {
		cs.name, cs.typ, cs.guildID = c.Name, c.Type, guildID
		return
	}
	s.channels[c.ID] = &channelState{id: c.ID, guildID: guildID, name: c.Name, typ: c.Type}
}

// FailChannel makes every message POST/PATCH in the channel fail with status
// and Discord error code, e.g. (403, 50013) or (404, 10003).
func (s *Server) FailChannel(channelID string, status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		cs = &channelState{id: channelID}
		s.channels[channelID] = cs
	}
	cs.failStatus, cs.failCode = status, code
}

// FailDMs makes sending a DM to the user fail with 403 / 50007, as when the
// user has DMs from server members disabled. Opening the DM channel still
// succeeds, as it does on Discord.
func (s *Server) FailDMs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failDM[userID] = true
}

// FailNext makes the next n requests matching method and route template fail
// with status (500, 502, 503 or 429).
func (s *Server) FailNext(method, route string, n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[strings.ToUpper(method)+" "+route] = &failRule{n: n, status: status, retryAfter: 50 * time.Millisecond}
}

// RateLimitNext answers the next n requests matching with 429 and the given
// retry_after: a slow Discord, as the bot sees it.
func (s *Server) RateLimitNext(method, route string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[strings.ToUpper(method)+" "+route] = &failRule{n: n, status: http.StatusTooManyRequests, retryAfter: retryAfter}
}

// GlobalRateLimitNext answers the next n requests matching method and route
// with a global 429, as Discord does when the bot exceeds its global request
// rate: discordgo then holds every request back for retryAfter, except what
// is exempt from the global limit (interaction callbacks).
func (s *Server) GlobalRateLimitNext(method, route string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[strings.ToUpper(method)+" "+route] = &failRule{n: n, status: http.StatusTooManyRequests, retryAfter: retryAfter, global: true}
}

// Hold makes requests matching method and route template take effect (a
// message is stored) while their responses are withheld until release is
// called: the bot sees a request that reached Discord but no answer, as when
// it is killed mid-request. release is also run at cleanup.
func (s *Server) Hold(method, route string) (release func()) {
	ch := make(chan struct{})
	key := strings.ToUpper(method) + " " + route
	s.mu.Lock()
	s.holds[key] = ch
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.holds, key)
			s.mu.Unlock()
			close(ch)
		})
	}
	return release
}

// Say posts a message from a member (not the bot) in the channel: the
// chatter of a busy channel.
func (s *Server) Say(channelID, userID, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return
	}
	m := s.newMsgLocked(cs, map[string]any{"content": content}, 0)
	m.raw["author"] = userJSON(userID)
	m.enc = nil
}

// ExpireNonces forgets every nonce, as Discord does after its window: a send
// retried with the same nonce now posts again.
func (s *Server) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.channels {
		for _, m := range cs.msgs {
			m.created = m.created.Add(-nonceWindow)
		}
	}
}

// Requests returns every REST request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// CountRequests counts requests (any status) for method and route template.
func (s *Server) CountRequests(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == strings.ToUpper(method) && r.Route == route {
			n++
		}
	}
	return n
}

// Identifies returns every IDENTIFY received, including rejected ones.
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.identifies...)
}

// WaitReady waits until READY (and the GUILD_CREATEs after it) has been sent
// n times in total.
func (s *Server) WaitReady(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	if err := s.waitFor(ctx, func() bool { return s.readyCount >= n }); err != nil {
		return fmt.Errorf("discordtest: waiting for READY #%d: %w", n, err)
	}
	return nil
}

// Messages returns the channel's current messages, oldest first, as deep
// copies. Non-ephemeral interaction responses are included, as on Discord.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	var out []*discordgo.Message
	for _, m := range cs.msgs {
		if !m.deleted {
			out = append(out, toMessage(m.raw))
		}
	}
	return out
}

// Message returns one message (deep copy) or nil.
func (s *Server) Message(channelID, messageID string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMsgLocked(channelID, messageID); m != nil {
		return toMessage(m.raw)
	}
	return nil
}

// MessageFiles returns the files uploaded with a message, or nil.
func (s *Server) MessageFiles(channelID, messageID string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMsgLocked(channelID, messageID); m != nil {
		return append([]File(nil), m.files...)
	}
	return nil
}

// DMs returns the messages sent to the user's DM channel.
func (s *Server) DMs(userID string) []*discordgo.Message {
	s.mu.Lock()
	id := s.dmByUser[userID]
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.Messages(id)
}

// Edits is how many PATCHes the message received.
func (s *Server) Edits(channelID, messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findMsgLocked(channelID, messageID); m != nil {
		return m.edits
	}
	for _, ix := range s.ixByID {
		for _, m := range ix.ownMsgs() {
			if m.id == messageID && m.channel == channelID {
				return m.edits
			}
		}
	}
	return 0
}

// Commands returns the commands registered by bulk overwrite for the guild
// ("" for global ones).
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.ApplicationCommand
	for _, c := range s.commands[guildID] {
		b, _ := json.Marshal(c)
		var ac discordgo.ApplicationCommand
		if err := json.Unmarshal(b, &ac); err == nil {
			out = append(out, &ac)
		}
	}
	return out
}

func (s *Server) findMsgLocked(channelID, messageID string) *storedMsg {
	cs, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	for _, m := range cs.msgs {
		if m.id == messageID && !m.deleted {
			return m
		}
	}
	return nil
}

// toMessage deep-copies via JSON because discordgo.Message only knows how to
// decode its interface-typed components from JSON.
func toMessage(raw map[string]any) *discordgo.Message {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	var m discordgo.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return &m
}

// ---- HTTP plumbing ----

// call is one REST request being served.
type call struct {
	r      *http.Request
	path   string
	route  string
	params map[string]string
	query  url.Values
	body   []byte // the JSON document (payload_json for multipart)
	files  []File // a multipart body's uploads, in part order
	json   map[string]any
	header http.Header // response headers
}

type handlerFunc func(s *Server, c *call) (int, any)

// apiError is Discord's error body.
func apiError(code int, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg}
}

func codeError(code int) map[string]any {
	msg := "Error " + strconv.Itoa(code)
	switch code {
	case 10003:
		msg = "Unknown Channel"
	case 10004:
		msg = "Unknown Guild"
	case 10007:
		msg = "Unknown Member"
	case 10008:
		msg = "Unknown Message"
	case 10013:
		msg = "Unknown User"
	case 10015:
		msg = "Unknown Webhook"
	case 10062:
		msg = "Unknown interaction"
	case 40060:
		msg = "Interaction has already been acknowledged."
	case 50001:
		msg = "Missing Access"
	case 50007:
		msg = "Cannot send messages to this user"
	case 50013:
		msg = "Missing Permissions"
	}
	return apiError(code, msg)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.serveGateway(w, r)
		return
	}
	path, ok := stripAPIPrefix(r.URL.Path)
	if !ok {
		writeJSON(w, nil, http.StatusNotFound, apiError(0, "404: Not Found"))
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, nil, http.StatusServiceUnavailable, apiError(0, "503: Service Unavailable"))
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	c := &call{r: r, path: path, query: r.URL.Query(), header: http.Header{}}
	c.route = s.routes.match(path)
	c.params = routeParams(c.route, path)
	status, resp := s.handle(c, raw)
	s.mu.Lock()
	hold := s.holds[r.Method+" "+c.route]
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}
	writeJSON(w, c.header, status, resp)
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: path, Route: c.route, Query: c.query,
		Header: r.Header.Clone(), Body: raw, Status: status, At: time.Now(),
	})
	if r.Method != http.MethodGet {
		// What the bot sent may have changed a message someone is watching.
		s.notifyLocked()
	}
	s.mu.Unlock()
}

func stripAPIPrefix(p string) (string, bool) {
	for _, pre := range []string{"/api/v9/", "/api/v10/"} {
		if strings.HasPrefix(p, pre) {
			return "/" + strings.TrimPrefix(p, pre), true
		}
	}
	return "", false
}

func routeParams(tmpl, path string) map[string]string {
	out := map[string]string{}
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	for i, t := range ts {
		if i < len(ps) && strings.HasPrefix(t, "{") {
			out[strings.Trim(t, "{}")] = ps[i]
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, h http.Header, status int, body any) {
	for k, v := range h {
		w.Header()[k] = v
	}
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// tokenRoute reports routes authenticated by the interaction token in the
// path instead of the Authorization header.
func tokenRoute(route string) bool {
	return strings.HasPrefix(route, "/interactions/") || strings.HasPrefix(route, "/webhooks/{webhook_id}/{webhook_token}")
}

func (s *Server) handle(c *call, raw []byte) (int, any) {
	method := c.r.Method
	if !tokenRoute(c.route) && c.route != "/gateway" {
		if got := c.r.Header.Get("Authorization"); got != "Bot "+s.cfg.Token {
			s.violate(method, c.path, fmt.Sprintf("Authorization header %q, want \"Bot <token>\"", redact(got)), raw)
			return http.StatusUnauthorized, apiError(0, "401: Unauthorized")
		}
	}
	if st, body, limited := s.takeRateLimit(method, c); limited {
		return st, body
	}
	if st, body, failed := s.takeFailure(method, c.route, c.header); failed {
		return st, body
	}
	body, files, isMultipart, err := jsonBody(c.r.Header.Get("Content-Type"), raw)
	if err != nil {
		s.violate(method, c.path, err.Error(), raw)
		return http.StatusBadRequest, apiError(50109, "The request body contains invalid JSON.")
	}
	if isMultipart && s.spec != nil && c.route != "" && !s.spec.Multipart(method, c.route) {
		s.violate(method, c.path, "multipart/form-data body on a route whose spec takes none", raw)
		return http.StatusBadRequest, apiError(50035, "Invalid Form Body")
	}
	c.body, c.files = body, files
	if len(bytes.TrimSpace(body)) > 0 {
		if s.spec != nil && c.route != "" {
			if reason, errs, ok := s.spec.Validate(method, c.route, body); !ok {
				s.violate(method, c.path, "body does not match the OpenAPI schema: "+reason, body)
				return http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": marshalErrors(errs)}
			}
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&obj) == nil {
			c.json = obj
		}
	}
	if reason := checkUploads(c.json, files); reason != "" {
		s.violate(method, c.path, reason, body)
		return http.StatusBadRequest, apiError(50035, "Invalid Form Body")
	}
	if method == http.MethodPost && strings.HasPrefix(c.route, "/interactions/") && numInt(c.json["type"]) == int64(discordgo.InteractionApplicationCommandAutocompleteResult) {
		d, _ := c.json["data"].(map[string]any)
		if errs := checkChoiceLimits(d); len(errs) > 0 {
			reason, body := limitRefusal(errs)
			s.violate(method, c.path, reason, c.body)
			return http.StatusBadRequest, body
		}
	}
	if msgBody := s.messageBody(method, c); msgBody != nil {
		if st, resp := s.checkMessageBody(method, c, msgBody); st != 0 {
			return st, resp
		}
	}
	h, ok := s.handlers[method+" "+c.route]
	if !ok {
		s.cfg.Logf("discordtest: unimplemented route %s %s (404)", method, c.path)
		return http.StatusNotFound, apiError(0, "404: Not Found")
	}
	return h(s, c)
}

func redact(auth string) string {
	if len(auth) > 12 {
		return auth[:12] + "…"
	}
	return auth
}

// takeRateLimit counts the request against the global limit and its bucket
// (the route and its channel, guild or webhook), sets Discord's rate-limit
// headers, and answers 429 when over either.
func (s *Server) takeRateLimit(method string, c *call) (int, any, bool) {
	if strings.HasPrefix(c.route, "/interactions/") {
		return 0, nil, false // interaction callbacks are not limited
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rl := s.cfg.RateLimits
	if rl == nil {
		return 0, nil, false
	}
	if s.buckets == nil {
		s.buckets = map[string]*bucketState{}
	}
	if rl.GlobalPerSecond > 0 {
		if now.After(s.global.reset) {
			s.global = bucketState{reset: now.Add(time.Second)}
		}
		if s.global.used >= rl.GlobalPerSecond {
			s.rateLimited++
			wait := s.global.reset.Sub(now)
			c.header.Set("X-RateLimit-Global", "true")
			c.header.Set("X-RateLimit-Scope", "global")
			c.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": wait.Seconds(), "global": true}, true
		}
		s.global.used++
	}
	if rl.PerBucket <= 0 {
		return 0, nil, false
	}
	major := c.params["channel_id"] + c.params["guild_id"] + c.params["webhook_id"]
	if major == "" {
		return 0, nil, false // a route of no resource (opening a DM) counts only globally
	}
	key := method + " " + c.route + " " + major
	limit := rl.PerBucket
	if n, ok := rl.RoutePerBucket[method+" "+c.route]; ok {
		limit = n
	}
	b := s.buckets[key]
	if b == nil || now.After(b.reset) {
		b = &bucketState{reset: now.Add(rl.Window)}
		s.buckets[key] = b
	}
	resetAfter := b.reset.Sub(now).Seconds()
	c.header.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	c.header.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", len(key)*7919+int(key[len(key)-1])))
	c.header.Set("X-RateLimit-Reset-After", strconv.FormatFloat(resetAfter, 'f', 3, 64))
	c.header.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(b.reset.UnixMilli())/1000, 'f', 3, 64))
	if b.used >= limit {
		s.rateLimited++
		c.header.Set("X-RateLimit-Remaining", "0")
		c.header.Set("X-RateLimit-Scope", "user")
		c.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(resetAfter))))
		return http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": resetAfter, "global": false}, true
	}
	b.used++
	c.header.Set("X-RateLimit-Remaining", strconv.Itoa(limit-b.used))
	return 0, nil, false
}

// SetRateLimits turns rate limits on (or off, with nil) from now on, so a
// test can set up without them.
func (s *Server) SetRateLimits(rl *RateLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.RateLimits = rl
}

// RateLimited counts the requests answered 429 by Config.RateLimits.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

func (s *Server) takeFailure(method, route string, h http.Header) (int, any, bool) {
	s.mu.Lock()
	rule, ok := s.failNext[method+" "+route]
	if !ok || rule.n <= 0 {
		s.mu.Unlock()
		return 0, nil, false
	}
	rule.n--
	status, retryAfter, global := rule.status, rule.retryAfter, rule.global
	s.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests && global:
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(retryAfter.Seconds(), 'f', 3, 64))
		return status, map[string]any{"message": "You are being rate limited.", "retry_after": retryAfter.Seconds(), "global": true}, true
	case status == http.StatusTooManyRequests:
		// The header is whole seconds on Discord; discordgo uses the body.
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		h.Set("X-RateLimit-Scope", "user")
		return status, map[string]any{"message": "You are being rate limited.", "retry_after": retryAfter.Seconds(), "global": false}, true
	default:
		return status, apiError(0, fmt.Sprintf("%d: %s", status, http.StatusText(status))), true
	}
}

// uploadPart is the form name Discord takes for the n-th file: files[n].
var uploadPart = regexp.MustCompile(`^files\[([0-9]{1,2})\]$`)

// jsonBody extracts the JSON document from a JSON or multipart request, and a
// multipart request's uploads. A multipart body holds one payload_json part
// and files[n] parts, each with a filename; anything else is refused.
func jsonBody(contentType string, raw []byte) (body []byte, files []File, isMultipart bool, err error) {
	if len(raw) == 0 {
		return nil, nil, false, nil
	}
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		return raw, nil, false, nil
	}
	if params["boundary"] == "" {
		return nil, nil, true, fmt.Errorf("multipart body without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	seenPayload := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, true, fmt.Errorf("bad multipart body: %w", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, true, fmt.Errorf("bad multipart body: %w", err)
		}
		name := p.FormName()
		switch m := uploadPart.FindStringSubmatch(name); {
		case name == "payload_json":
			if seenPayload {
				return nil, nil, true, fmt.Errorf("multipart body has two payload_json parts")
			}
			seenPayload, body = true, data
		case m != nil:
			if p.FileName() == "" {
				return nil, nil, true, fmt.Errorf("multipart part %s has no filename", name)
			}
			n, _ := strconv.Atoi(m[1])
			files = append(files, File{Index: n, Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
		default:
			return nil, nil, true, fmt.Errorf("multipart part %q is neither payload_json nor files[n]", name)
		}
	}
	if len(files) > 10 {
		return nil, nil, true, fmt.Errorf("%d files in one message; Discord takes at most 10", len(files))
	}
	return body, files, true, nil
}

// checkUploads checks a payload's attachments against the uploaded parts:
// each attachment that is not an existing one names an uploaded files[id].
func checkUploads(payload map[string]any, files []File) string {
	m := payload
	if d, ok := payload["data"].(map[string]any); ok { // an interaction callback
		m = d
	}
	atts, _ := m["attachments"].([]any)
	for _, a := range atts {
		am, _ := a.(map[string]any)
		id := fmt.Sprint(am["id"])
		found := false
		for _, f := range files {
			if strconv.Itoa(f.Index) == id {
				found = true
			}
		}
		if !found && len(id) < 3 { // short ids stand for files[id]; snowflakes keep existing attachments
			return fmt.Sprintf("attachments names id %s but no files[%s] part was uploaded", id, id)
		}
	}
	return ""
}

// messageBody returns the part of the request body that creates or edits a
// message, or nil.
func (s *Server) messageBody(method string, c *call) map[string]any {
	if c.json == nil {
		return nil
	}
	switch method + " " + c.route {
	case "POST /channels/{channel_id}/messages",
		"PATCH /channels/{channel_id}/messages/{message_id}",
		"POST /webhooks/{webhook_id}/{webhook_token}",
		"PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
		"PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}":
		return c.json
	case "POST /interactions/{interaction_id}/{interaction_token}/callback":
		t := numInt(c.json["type"])
		if t == int64(discordgo.InteractionResponseChannelMessageWithSource) || t == int64(discordgo.InteractionResponseUpdateMessage) {
			d, _ := c.json["data"].(map[string]any)
			if d == nil {
				d = map[string]any{}
			}
			return d
		}
	}
	return nil
}

// checkMessageBody applies rules the spec does not express: Discord limits
// bot message content to 2000 characters (the spec says 4000, the limit for
// Nitro users), and this project requires explicit, safe allowed_mentions.
func (s *Server) checkMessageBody(method string, c *call, m map[string]any) (int, any) {
	if content, ok := m["content"].(string); ok && len([]rune(content)) > 2000 {
		s.violate(method, c.path, fmt.Sprintf("content is %d characters; bots are limited to 2000", len([]rune(content))), c.body)
		errs := map[string]any{}
		AddFieldError(errs, []string{"content"}, "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
		return http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": errs}
	}
	if errs := checkMessageLimits(m, strings.HasPrefix(c.route, "/channels/")); len(errs) > 0 {
		reason, body := limitRefusal(errs)
		s.violate(method, c.path, reason, c.body)
		return http.StatusBadRequest, body
	}
	am, ok := m["allowed_mentions"].(map[string]any)
	if !ok {
		s.violate(method, c.path, "message body lacks allowed_mentions (Discord would then parse @everyone and role mentions)", c.body)
		return 0, nil
	}
	parse, _ := am["parse"].([]any)
	for _, p := range parse {
		if p == "everyone" || p == "roles" {
			s.violate(method, c.path, fmt.Sprintf("allowed_mentions.parse contains %q", p), c.body)
		}
	}
	return 0, nil
}

func numInt(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case float64:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}

// Left returns the ids of the guilds the bot left, in order.
func (s *Server) Left() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.left...)
}
