package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// NewLogger returns a text logger at level that never prints the given
// secrets, nor interaction or webhook tokens found in URLs, nor the member
// ids in REST addresses (a failed membership check's error quotes its URL).
func NewLogger(w interface{ Write([]byte) (int, error) }, level slog.Level, secrets ...string) *slog.Logger {
	return slog.New(&redactHandler{inner: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), secrets: nonEmpty(secrets)})
}

// NewJSONLogger is NewLogger writing JSON lines, for log shippers.
func NewJSONLogger(w interface{ Write([]byte) (int, error) }, level slog.Level, secrets ...string) *slog.Logger {
	return slog.New(&redactHandler{inner: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}), secrets: nonEmpty(secrets)})
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// tokenInPath matches the token part of interaction and webhook URLs.
var tokenInPath = regexp.MustCompile(`(/(?:interactions|webhooks)/[0-9]+/)[A-Za-z0-9._\-]+`)

// memberInPath matches the member id of a REST address naming a member
// (GET /guilds/{guild}/members/{user}, /users/{user}).
var memberInPath = regexp.MustCompile(`(/(?:members|users|recipients)/)[0-9]+`)

// redactHandler rewrites every message and string attribute before it is
// written, so a secret cannot leak through any path into the log.
type redactHandler struct {
	inner   slog.Handler
	secrets []string
}

func (h *redactHandler) redact(s string) string {
	for _, secret := range h.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = tokenInPath.ReplaceAllString(s, "${1}[redacted]")
	return memberInPath.ReplaceAllString(s, "${1}[member]")
}

func (h *redactHandler) redactAttr(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.redact(a.Value.String()))
	case slog.KindGroup:
		attrs := a.Value.Group()
		out := make([]slog.Attr, len(attrs))
		for i, x := range attrs {
			out[i] = h.redactAttr(x)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny, slog.KindLogValuer:
		a.Value = slog.StringValue(h.redact(fmt.Sprint(a.Value.Resolve().Any())))
	}
	return a
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.redactAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.redactAttr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(red), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}

// DiscordLogger routes discordgo's logging into slog. discordgo has one
// package-level logger, so only main sets it (discordgo.Logger), once.
// discordgo's "unknown event" lines are dropped: they carry the event's raw
// payload, which can hold what members typed and who they are.
func DiscordLogger(log *slog.Logger) func(msgL, caller int, format string, a ...any) {
	return func(msgL, caller int, format string, a ...any) {
		if strings.HasPrefix(strings.TrimSpace(format), "unknown event") {
			return
		}
		level := slog.LevelDebug
		switch msgL {
		case discordgo.LogError:
			level = slog.LevelError
		case discordgo.LogWarning:
			level = slog.LevelWarn
		case discordgo.LogInformational:
			level = slog.LevelInfo
		}
		log.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, a...)))
	}
}
