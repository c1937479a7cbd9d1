package bot

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

const logSecret = "MTAwMDAwMDAwMDAwMDAwMDAx.GlOgXy.l0g-s3cret-Vq"

// tokenValuer resolves to the secret only when the handler asks for it.
type tokenValuer struct{}

func (tokenValuer) LogValue() slog.Value { return slog.StringValue("Bot " + logSecret) }

func TestRedactingLogger(t *testing.T) {
	t.Parallel()
	ixToken := "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldA.x-y_z"
	cases := []struct {
		name string
		log  func(l *slog.Logger)
		keep []string // what must still be there
	}{
		{"Message", func(l *slog.Logger) { l.Info("using token " + logSecret + " now") }, []string{"using token [redacted] now"}},
		{"StringAttr", func(l *slog.Logger) { l.Info("request", "authorization", "Bot "+logSecret) }, []string{`authorization="Bot [redacted]"`}},
		{"ErrorAttr", func(l *slog.Logger) { l.Error("failed", "err", errors.New("bad token "+logSecret)) }, []string{`err="bad token [redacted]"`}},
		{"AnyAttr", func(l *slog.Logger) {
			l.Info("url", "u", &url.URL{Scheme: "https", Host: "x", Path: "/" + logSecret})
		}, []string{"u=https://x/[redacted]"}},
		{"LogValuer", func(l *slog.Logger) { l.Info("valuer", "v", tokenValuer{}) }, []string{`v="Bot [redacted]"`}},
		{"MemberInURL", func(l *slog.Logger) {
			l.Warn("failed", "err", errors.New(`Get "https://discord.com/api/v9/guilds/1/members/500000000000000101": EOF`))
		}, []string{"/guilds/1/members/[member]"}},
		{"With", func(l *slog.Logger) { l.With("auth", logSecret).Info("child") }, []string{"auth=[redacted]", "msg=child"}},
		{"WithNested", func(l *slog.Logger) {
			l.With("subsystem", "discordgo").With("auth", logSecret).WithGroup("g").Info("nested", "k", logSecret)
		}, []string{"subsystem=discordgo", "auth=[redacted]", "g.k=[redacted]"}},
		{"Group", func(l *slog.Logger) {
			l.Info("grouped", slog.Group("req", "auth", logSecret, slog.Group("inner", "tok", "x"+logSecret)))
		}, []string{"req.auth=[redacted]", "req.inner.tok=x[redacted]"}},
		{"WithGroupAttr", func(l *slog.Logger) { l.With(slog.Group("req", "auth", logSecret)).Info("m") }, []string{"req.auth=[redacted]"}},
		{"InteractionURL", func(l *slog.Logger) {
			l.Warn("POST https://discord.com/api/v10/interactions/1234567890123/" + ixToken + "/callback failed")
		}, []string{"/api/v10/interactions/1234567890123/[redacted]/callback failed"}},
		{"InteractionURLInHTTPError", func(l *slog.Logger) {
			// What the HTTP client returns when a callback times out.
			l.Error("respond", "err", &url.Error{Op: "Post", URL: "https://discord.com/api/v10/interactions/1234567890123/" + ixToken + "/callback", Err: errors.New("context deadline exceeded")})
		}, []string{`err="Post \"https://discord.com/api/v10/interactions/1234567890123/[redacted]/callback\": context deadline exceeded"`}},
		{"WebhookURLAttr", func(l *slog.Logger) {
			l.Warn("edit", "url", "https://discord.com/api/v10/webhooks/100000000000000001/"+ixToken+"/messages/@original")
		}, []string{"/webhooks/100000000000000001/[redacted]/messages/@original"}},
		{"OtherURLsUntouched", func(l *slog.Logger) {
			l.Info("post", "url", "https://discord.com/api/v10/channels/300000000000000001/messages")
		}, []string{"url=https://discord.com/api/v10/channels/300000000000000001/messages"}},
		{"NonStringAttrsUntouched", func(l *slog.Logger) { l.Info("n", "count", 7, "ok", true) }, []string{"count=7", "ok=true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			c.log(NewLogger(&buf, slog.LevelDebug, logSecret))
			out := buf.String()
			for _, leak := range []string{logSecret, "l0g-s3cret", ixToken} {
				if strings.Contains(out, leak) {
					t.Errorf("log shows %q:\n%s", leak, out)
				}
			}
			for _, k := range c.keep {
				if !strings.Contains(out, k) {
					t.Errorf("log has no %q:\n%s", k, out)
				}
			}
		})
	}

	t.Run("EverySecret", func(t *testing.T) {
		var buf bytes.Buffer
		NewLogger(&buf, slog.LevelInfo, "first-secret", "", "second-secret").Info("a first-secret b second-secret c")
		if out := buf.String(); !strings.Contains(out, `"a [redacted] b [redacted] c"`) {
			t.Errorf("log = %q", out)
		}
	})
	t.Run("EmptySecretIgnored", func(t *testing.T) {
		var buf bytes.Buffer
		NewLogger(&buf, slog.LevelInfo, "").Info("hello", "k", "v")
		if out := buf.String(); !strings.Contains(out, "msg=hello k=v") || strings.Contains(out, "redacted") {
			t.Errorf("log = %q, want it unchanged", out)
		}
	})
	t.Run("Level", func(t *testing.T) {
		var buf bytes.Buffer
		l := NewLogger(&buf, slog.LevelWarn, logSecret)
		l.Info("hidden")
		l.Warn("shown")
		if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "level=WARN msg=shown") {
			t.Errorf("log at warn = %q", out)
		}
	})
}

func TestDiscordLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logf := DiscordLogger(NewLogger(&buf, slog.LevelDebug, logSecret).With("subsystem", "discordgo"))
	logf(discordgo.LogError, 1, "error connecting to gateway %s, %s\n", "wss://gateway", "Bot "+logSecret)
	logf(discordgo.LogWarning, 1, "rate limited %d", 3)
	logf(discordgo.LogInformational, 1, "closing listening channel")
	logf(discordgo.LogDebug, 1, "sending heartbeat")
	// discordgo's own format for an event it has no type for: the raw
	// payload carries what a member typed, so the line never reaches the log.
	logf(discordgo.LogWarning, 1, "unknown event: Op: %d, Seq: %d, Type: %s, Data: %s", 0, 42, "MESSAGE_POLL_VOTE_ADD",
		`{"user_id":"500000000000000010","content":"meet at the church on 5th"}`)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=ERROR msg="error connecting to gateway wss://gateway, Bot [redacted]" subsystem=discordgo`,
		`level=WARN msg="rate limited 3" subsystem=discordgo`,
		`level=INFO msg="closing listening channel" subsystem=discordgo`,
		`level=DEBUG msg="sending heartbeat" subsystem=discordgo`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	if strings.Contains(buf.String(), "church") || strings.Contains(buf.String(), "500000000000000010") {
		t.Errorf("an unknown event's payload reached the log:\n%s", buf.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %q, want it to end %q", i, lines[i], w)
		}
	}

	// At the default level, discordgo's debug chatter is dropped.
	buf.Reset()
	logf = DiscordLogger(NewLogger(&buf, slog.LevelInfo))
	logf(discordgo.LogDebug, 1, "sending heartbeat")
	logf(discordgo.LogInformational, 1, "connected")
	if out := buf.String(); strings.Contains(out, "heartbeat") || !strings.Contains(out, "msg=connected") {
		t.Errorf("log at info = %q", out)
	}
}
