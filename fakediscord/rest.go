package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// handlers is built per server (not a package var) so the package holds no
// mutable globals besides the spec cache.
func handlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"GET /gateway":                                (*Server).getGateway,
		"GET /gateway/bot":                            (*Server).getGatewayBot,
		"GET /users/@me":                              (*Server).getMe,
		"GET /oauth2/applications/@me":                (*Server).getApplication,
		"GET /applications/@me":                       (*Server).getApplication,
		"PUT /applications/{application_id}/commands": (*Server).putCommands,
		"GET /applications/{application_id}/commands": (*Server).getCommands,
		"PUT /applications/{application_id}/guilds/{guild_id}/commands":       (*Server).putCommands,
		"GET /applications/{application_id}/guilds/{guild_id}/commands":       (*Server).getCommands,
		"GET /channels/{channel_id}":                                          (*Server).getChannel,
		"GET /channels/{channel_id}/messages":                                 (*Server).listMessages,
		"POST /channels/{channel_id}/messages":                                (*Server).createMessage,
		"GET /channels/{channel_id}/messages/{message_id}":                    (*Server).getMessage,
		"PATCH /channels/{channel_id}/messages/{message_id}":                  (*Server).editMessage,
		"DELETE /channels/{channel_id}/messages/{message_id}":                 (*Server).deleteMessage,
		"POST /users/@me/channels":                                            (*Server).createDM,
		"DELETE /users/@me/guilds/{guild_id}":                                 (*Server).leaveGuild,
		"POST /interactions/{interaction_id}/{interaction_token}/callback":    (*Server).interactionCallback,
		"POST /webhooks/{webhook_id}/{webhook_token}":                         (*Server).webhookExecute,
		"GET /webhooks/{webhook_id}/{webhook_token}/messages/@original":       (*Server).webhookGet,
		"PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original":     (*Server).webhookEdit,
		"DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original":    (*Server).webhookDelete,
		"GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}":    (*Server).webhookGet,
		"PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}":  (*Server).webhookEdit,
		"DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (*Server).webhookDelete,
	}
}

func (s *Server) getGateway(c *call) (int, any) {
	return http.StatusOK, map[string]any{"url": s.gatewayURL()}
}

func (s *Server) getGatewayBot(c *call) (int, any) {
	return http.StatusOK, map[string]any{
		"url": s.gatewayURL(), "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
	}
}

func (s *Server) getMe(c *call) (int, any) { return http.StatusOK, s.botUser }

func (s *Server) getApplication(c *call) (int, any) {
	return http.StatusOK, map[string]any{
		"id": s.cfg.AppID, "name": "rallybot", "icon": nil, "description": "", "bot_public": false,
		"bot_require_code_grant": false, "verify_key": randomHex(32), "flags": 0, "bot": s.botUser,
		"owner": map[string]any{"id": "100000000000000002", "username": "owner", "discriminator": "0"},
	}
}

func (s *Server) putCommands(c *call) (int, any) {
	if c.params["application_id"] != s.cfg.AppID {
		return http.StatusForbidden, codeError(50001)
	}
	guildID := c.params["guild_id"]
	if guildID != "" {
		s.mu.Lock()
		_, joined := s.guildByID[guildID]
		s.mu.Unlock()
		if !joined {
			// As Discord: the bot cannot register commands in a server it is not in.
			return http.StatusForbidden, codeError(50001)
		}
	}
	var in []map[string]any
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &in); err != nil {
			return http.StatusBadRequest, apiError(50109, "The request body contains invalid JSON.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[string]string{}
	for _, cmd := range s.commands[guildID] {
		old[fmt.Sprint(cmd["name"])] = fmt.Sprint(cmd["id"])
	}
	out := make([]map[string]any, 0, len(in))
	for _, cmd := range in {
		// Discord keeps a command's id across overwrites when the name matches.
		id, ok := old[fmt.Sprint(cmd["name"])]
		if !ok {
			id = s.newIDLocked()
		}
		cmd["id"] = id
		cmd["application_id"] = s.cfg.AppID
		cmd["version"] = s.newIDLocked()
		if cmd["type"] == nil {
			cmd["type"] = 1
		}
		if guildID != "" {
			cmd["guild_id"] = guildID
		}
		out = append(out, cmd)
	}
	s.commands[guildID] = out
	return http.StatusOK, out
}

func (s *Server) getCommands(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.commands[c.params["guild_id"]]
	if out == nil {
		out = []map[string]any{}
	}
	b, _ := json.Marshal(out) // snapshot while locked
	return http.StatusOK, json.RawMessage(b)
}

func (s *Server) getChannel(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[c.params["channel_id"]]
	if !ok || (cs.guildID == "" && cs.recipient == "") {
		return http.StatusNotFound, codeError(10003)
	}
	return http.StatusOK, s.channelObjLocked(cs)
}

func (s *Server) channelObjLocked(cs *channelState) map[string]any {
	if cs.recipient != "" {
		return map[string]any{
			"id": cs.id, "type": discordgo.ChannelTypeDM, "last_message_id": nil, "flags": 0,
			"recipients": []any{userJSON(cs.recipient)},
		}
	}
	return channelJSON(cs.guildID, Channel{ID: cs.id, Name: cs.name, Type: cs.typ})
}

func userJSON(id string) map[string]any {
	return map[string]any{
		"id": id, "username": "user" + id, "discriminator": "0", "global_name": "User " + id,
		"avatar": nil, "public_flags": 0,
	}
}

// channelLocked returns a channel messages can live in, or a 404 body.
func (s *Server) channelLocked(id string) (*channelState, int, any) {
	cs, ok := s.channels[id]
	if !ok || (cs.guildID == "" && cs.recipient == "") {
		return nil, http.StatusNotFound, codeError(10003)
	}
	return cs, 0, nil
}

func (s *Server) listMessages(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, st, body := s.channelLocked(c.params["channel_id"])
	if cs == nil {
		return st, body
	}
	limit := 50
	if l, err := strconv.Atoi(c.query.Get("limit")); err == nil && l > 0 && l <= 100 {
		limit = l
	}
	// before=<id>: the page of messages older than that one, newest first.
	before, _ := strconv.ParseInt(c.query.Get("before"), 10, 64)
	out := []map[string]any{}
	for i := len(cs.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if id, _ := strconv.ParseInt(cs.msgs[i].id, 10, 64); before != 0 && id >= before {
			continue
		}
		if !cs.msgs[i].deleted {
			out = append(out, cs.msgs[i].raw)
		}
	}
	b, _ := json.Marshal(out)
	return http.StatusOK, json.RawMessage(b)
}

// messageLocked finds the message a route names, or the error Discord gives.
func (s *Server) messageLocked(c *call) (*storedMsg, int, any) {
	cs, st, body := s.channelLocked(c.params["channel_id"])
	if cs == nil {
		return nil, st, body
	}
	m := s.findMsgLocked(cs.id, c.params["message_id"])
	if m == nil {
		return nil, http.StatusNotFound, codeError(10008)
	}
	return m, 0, nil
}

func (s *Server) getMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, st, body := s.messageLocked(c)
	if m == nil {
		return st, body
	}
	return http.StatusOK, rawCopy(m.raw)
}

// sendFailureLocked applies FailChannel and FailDMs.
func (s *Server) sendFailureLocked(cs *channelState) (int, any) {
	if cs.failStatus != 0 {
		return cs.failStatus, codeError(cs.failCode)
	}
	if cs.recipient != "" && s.failDM[cs.recipient] {
		return http.StatusForbidden, codeError(50007)
	}
	return 0, nil
}

func (s *Server) createMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[c.params["channel_id"]]
	if ok && cs.failStatus != 0 {
		return cs.failStatus, codeError(cs.failCode)
	}
	cs, st, body := s.channelLocked(c.params["channel_id"])
	if cs == nil {
		return st, body
	}
	if st, body := s.sendFailureLocked(cs); st != 0 {
		return st, body
	}
	nonce := ""
	if n, ok := c.json["nonce"]; ok && n != nil {
		nonce = fmt.Sprint(n)
	}
	if enforce, _ := c.json["enforce_nonce"].(bool); enforce && nonce != "" {
		for _, m := range cs.msgs {
			if m.nonce == nonce && !m.deleted && time.Since(m.created) < nonceWindow {
				return http.StatusOK, rawCopy(m.raw)
			}
		}
	}
	m := s.newMsgLocked(cs, c.json, 0)
	m.nonce = nonce
	s.attachLocked(m, c.files)
	return http.StatusOK, rawCopy(m.raw)
}

// newMsgLocked stores a message built from a create body.
func (s *Server) newMsgLocked(cs *channelState, body map[string]any, typ int) *storedMsg {
	id := s.newIDLocked()
	now := time.Now().UTC()
	raw := map[string]any{
		"id": id, "type": typ, "channel_id": cs.id, "author": s.botUser,
		"content": "", "embeds": []any{}, "components": []any{}, "attachments": []any{},
		"mentions": []any{}, "mention_roles": []any{}, "mention_everyone": false,
		"pinned": false, "tts": false, "timestamp": now.Format(time.RFC3339Nano),
		"edited_timestamp": nil, "flags": 0,
	}
	if cs.guildID != "" {
		raw["guild_id"] = cs.guildID
	}
	if n, ok := body["nonce"]; ok && n != nil {
		raw["nonce"] = n
	}
	if tts, ok := body["tts"].(bool); ok {
		raw["tts"] = tts
	}
	applyEdit(raw, body)
	m := &storedMsg{id: id, channel: cs.id, raw: raw, created: now}
	cs.msgs = append(cs.msgs, m)
	return m
}

// applyEdit copies the message fields of a create/edit body into raw; a null
// field clears it, as on Discord.
func applyEdit(raw, body map[string]any) {
	for _, k := range []string{"content", "embeds", "components", "flags", "attachments", "poll"} {
		v, ok := body[k]
		if !ok {
			continue
		}
		switch k {
		case "content":
			if v == nil {
				v = ""
			}
		case "flags":
			if v == nil {
				v = 0
			}
		case "embeds":
			list, _ := v.([]any)
			out := make([]any, 0, len(list))
			for _, e := range list {
				if em, ok := e.(map[string]any); ok {
					if em["type"] == nil {
						em["type"] = "rich"
					}
					out = append(out, em)
				}
			}
			v = out
		default:
			if v == nil {
				v = []any{}
			}
		}
		raw[k] = v
	}
}

func rawCopy(raw map[string]any) json.RawMessage {
	b, _ := json.Marshal(raw)
	return b
}

func (s *Server) editMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.channels[c.params["channel_id"]]
	if ok && cs.failStatus != 0 {
		return cs.failStatus, codeError(cs.failCode)
	}
	m, st, body := s.messageLocked(c)
	if m == nil {
		return st, body
	}
	if au, _ := m.raw["author"].(map[string]any); au == nil || au["id"] != s.cfg.AppID {
		return http.StatusForbidden, apiError(50005, "Cannot edit a message authored by another user")
	}
	s.editLocked(m, c.json)
	return http.StatusOK, rawCopy(m.raw)
}

func (s *Server) editLocked(m *storedMsg, body map[string]any) {
	applyEdit(m.raw, body)
	m.raw["edited_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	m.edits++
	m.enc = nil
}

func (s *Server) deleteMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, st, body := s.messageLocked(c)
	if m == nil {
		return st, body
	}
	m.deleted = true
	return http.StatusNoContent, nil
}

// leaveGuild takes the bot out of a guild: it is no longer in the guild list
// sent on the next IDENTIFY.
func (s *Server) leaveGuild(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.params["guild_id"]
	gs, ok := s.guildByID[id]
	if !ok {
		return http.StatusNotFound, codeError(10004)
	}
	delete(s.guildByID, id)
	for i, x := range s.guilds {
		if x == gs {
			s.guilds = append(s.guilds[:i], s.guilds[i+1:]...)
			break
		}
	}
	s.left = append(s.left, id)
	return http.StatusNoContent, nil
}

func (s *Server) createDM(c *call) (int, any) {
	uid, _ := c.json["recipient_id"].(string)
	if uid == "" {
		return http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dmByUser[uid]
	if !ok {
		id = s.newIDLocked()
		s.dmByUser[uid] = id
		s.channels[id] = &channelState{id: id, recipient: uid, typ: discordgo.ChannelTypeDM}
	}
	return http.StatusOK, s.channelObjLocked(s.channels[id])
}
