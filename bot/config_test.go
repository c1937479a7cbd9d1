package bot

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// configNow is a Monday afternoon in New York, 2026-11-23 15:00 EST.
var configNow = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

// envOf is an environment of kv; ALLOWED_GUILDS is * unless kv sets it,
// since start-up refuses neither it nor DISCORD_GUILD_ID set.
func envOf(kv ...string) func(string) string {
	m := map[string]string{"ALLOWED_GUILDS": "*"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envOf("DISCORD_TOKEN", "abc.def.ghi"), configNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "abc.def.ghi" || c.GuildID != "" {
		t.Errorf("token %q, guild %q", c.Token, c.GuildID)
	}
	if c.DatabasePath != "rallybot.db" || c.APIURL != "https://discord.com" {
		t.Errorf("database %q, api %q; want rallybot.db, https://discord.com", c.DatabasePath, c.APIURL)
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("log level %v, want INFO", c.LogLevel)
	}
	if c.ReminderCron != "@every 1m" || c.SummaryCron != "CRON_TZ=America/New_York 0 8 * * *" {
		t.Errorf("crons %q, %q", c.ReminderCron, c.SummaryCron)
	}
	if !slices.Equal(c.ReminderOffsets, []time.Duration{24 * time.Hour, 2 * time.Hour}) {
		t.Errorf("offsets %v, want [24h 2h]", c.ReminderOffsets)
	}
	if c.RetentionDays != 30 {
		t.Errorf("retention %d days, want 30", c.RetentionDays)
	}
	if c.StaffingAlert != 24*time.Hour {
		t.Errorf("staffing alert %v before the start, want 24h", c.StaffingAlert)
	}
	if got, want := c.reminderSchedule.Next(configNow), configNow.Add(time.Minute); !got.Equal(want) {
		t.Errorf("reminder sweep next at %v, want %v", got, want)
	}
	// 08:00 the next morning in New York, 13:00 UTC in November.
	if got, want := c.summarySchedule.Next(configNow), time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("summary next at %v, want %v", got, want)
	}
}

func TestLoadConfigAccepts(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envOf(
		"DISCORD_TOKEN", "  Bot abc.def.ghi\n",
		"DISCORD_GUILD_ID", "200000000000000001",
		"DATABASE_PATH", "/var/lib/rallybot/db.sqlite",
		"DISCORD_API_URL", "http://127.0.0.1:8080/",
		"LOG_LEVEL", "WARNING",
		"REMINDER_CRON", "*/30 * * * * *", // with a seconds field
		"REMINDER_OFFSETS", " 30m , 90s,30m",
		"SUMMARY_CRON", "@every 5s",
		"RETENTION_DAYS", "3650",
	), configNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "abc.def.ghi" {
		t.Errorf("token %q: want the \"Bot \" prefix and spaces trimmed", c.Token)
	}
	if c.GuildID != "200000000000000001" || c.DatabasePath != "/var/lib/rallybot/db.sqlite" {
		t.Errorf("guild %q, database %q", c.GuildID, c.DatabasePath)
	}
	if c.APIURL != "http://127.0.0.1:8080" {
		t.Errorf("api %q, want the trailing slash trimmed", c.APIURL)
	}
	if c.LogLevel != slog.LevelWarn {
		t.Errorf("log level %v, want WARN", c.LogLevel)
	}
	if got, want := c.reminderSchedule.Next(configNow), configNow.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("reminder sweep next at %v, want %v", got, want)
	}
	if got, want := c.summarySchedule.Next(configNow), configNow.Add(5*time.Second); !got.Equal(want) {
		t.Errorf("summary next at %v, want %v", got, want)
	}
	if !slices.Equal(c.ReminderOffsets, []time.Duration{30 * time.Minute, 90 * time.Second}) {
		t.Errorf("offsets %v, want [30m 1m30s] (trimmed, duplicates dropped)", c.ReminderOffsets)
	}
	if c.RetentionDays != 3650 {
		t.Errorf("retention %d", c.RetentionDays)
	}
	for _, lv := range []struct {
		in   string
		want slog.Level
	}{{"debug", slog.LevelDebug}, {"Info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"ERROR", slog.LevelError}} {
		c, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "LOG_LEVEL", lv.in), configNow)
		if err != nil || c.LogLevel != lv.want {
			t.Errorf("LOG_LEVEL=%s: %v, %v; want %v", lv.in, c.LogLevel, err, lv.want)
		}
	}
}

func TestLoadConfigOperations(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "ALLOWED_GUILDS", " 200000000000000001, 200000000000000002 ,",
		"DISCORD_GUILD_ID", "200000000000000003", "METRICS_ADDR", "127.0.0.1:9464", "LOG_FORMAT", "JSON", "SQLITE_SYNCHRONOUS", "FULL"), configNow)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"200000000000000001", "200000000000000002", "200000000000000003"}
	if strings.Join(c.AllowedGuilds, ",") != strings.Join(want, ",") {
		t.Errorf("allowed guilds = %v, want %v (DISCORD_GUILD_ID implied)", c.AllowedGuilds, want)
	}
	if c.MetricsAddr != "127.0.0.1:9464" || !c.LogJSON || !c.SyncFull {
		t.Errorf("metrics %q, json %v", c.MetricsAddr, c.LogJSON)
	}
	d, err := LoadConfig(envOf("DISCORD_TOKEN", "x"), configNow)
	if err != nil || len(d.AllowedGuilds) != 0 || d.MetricsAddr != "" || d.LogJSON || d.SyncFull {
		t.Errorf("defaults: allowed %v, metrics %q, json %v (%v)", d.AllowedGuilds, d.MetricsAddr, d.LogJSON, err)
	}
	if d.MemberEvents {
		t.Error("MEMBER_EVENTS is on by default; want off")
	}
	for v, want := range map[string]bool{"on": true, " ON ": true, "off": false, "Off": false} {
		if c, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "MEMBER_EVENTS", v), configNow); err != nil || c.MemberEvents != want {
			t.Errorf("MEMBER_EVENTS=%q: member events %v (%v), want %v", v, c.MemberEvents, err, want)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		env      []string // on top of a valid token
		variable string
		want     []string
	}{
		{"ErrMissingToken", []string{"DISCORD_TOKEN", " "}, "DISCORD_TOKEN", []string{"missing", "Reset Token"}},
		{"ErrTokenWithSpace", []string{"DISCORD_TOKEN", "abc def"}, "DISCORD_TOKEN", []string{"whitespace"}},
		{"ErrGuildNotANumber", []string{"DISCORD_GUILD_ID", "Coalition"}, "DISCORD_GUILD_ID", []string{`"Coalition"`, "Copy Server ID"}},
		{"ErrGuildTooLong", []string{"DISCORD_GUILD_ID", strings.Repeat("1", 21)}, "DISCORD_GUILD_ID", []string{"not a server id"}},
		{"ErrAPIURLWithPath", []string{"DISCORD_API_URL", "https://discord.com/api"}, "DISCORD_API_URL", []string{"no path"}},
		{"ErrAPIURLScheme", []string{"DISCORD_API_URL", "ftp://discord.com"}, "DISCORD_API_URL", []string{"not an origin"}},
		{"ErrAPIURLNoHost", []string{"DISCORD_API_URL", "discord.com"}, "DISCORD_API_URL", []string{"not an origin"}},
		{"ErrAPIURLPlainHTTPElsewhere", []string{"DISCORD_API_URL", "http://10.0.0.5:8080"}, "DISCORD_API_URL", []string{`"http://10.0.0.5:8080"`, "token in clear", "use https://"}},
		{"ErrAPIURLPlainHTTPLookalike", []string{"DISCORD_API_URL", "http://127.0.0.1.example.org"}, "DISCORD_API_URL", []string{"token in clear"}},
		{"ErrNoGuilds", []string{"ALLOWED_GUILDS", "", "DISCORD_GUILD_ID", ""}, "ALLOWED_GUILDS", []string{"neither ALLOWED_GUILDS nor DISCORD_GUILD_ID is set", "ALLOWED_GUILDS=*"}},
		{"ErrNoGuildsOnlyCommas", []string{"ALLOWED_GUILDS", " , "}, "ALLOWED_GUILDS", []string{"DISCORD_GUILD_ID", "ALLOWED_GUILDS=*"}},
		{"ErrLogLevel", []string{"LOG_LEVEL", "verbose"}, "LOG_LEVEL", []string{`"verbose"`, "debug, info, warn or error"}},
		{"ErrReminderCron", []string{"REMINDER_CRON", "every minute"}, "REMINDER_CRON", []string{`"every minute"`, "@every 1m"}},
		{"ErrReminderCronNeverFires", []string{"REMINDER_CRON", "0 0 31 4 *"}, "REMINDER_CRON", []string{"never fires"}},
		{"ErrSummaryCronTimeZone", []string{"SUMMARY_CRON", "CRON_TZ=Mars/Olympus 0 8 * * *"}, "SUMMARY_CRON", []string{"Mars/Olympus", "CRON_TZ=America/New_York"}},
		{"ErrSummaryCronNeverFires", []string{"SUMMARY_CRON", "0 0 30 2 *"}, "SUMMARY_CRON", []string{`"0 0 30 2 *" never fires`}},
		{"ErrSummaryCronTooManyFields", []string{"SUMMARY_CRON", "0 0 8 * * * *"}, "SUMMARY_CRON", []string{"not a cron spec"}},
		{"ErrOffsetWord", []string{"REMINDER_OFFSETS", "24h,soon"}, "REMINDER_OFFSETS", []string{`"soon"`, "24h,2h"}},
		{"ErrOffsetEmptyPart", []string{"REMINDER_OFFSETS", "24h,"}, "REMINDER_OFFSETS", []string{`""`}},
		{"ErrOffsetTooShort", []string{"REMINDER_OFFSETS", "500ms"}, "REMINDER_OFFSETS", []string{`"500ms"`, "between 1s and 720h"}},
		{"ErrOffsetFraction", []string{"REMINDER_OFFSETS", "1.5s"}, "REMINDER_OFFSETS", []string{`"1.5s"`}},
		{"ErrOffsetNegative", []string{"REMINDER_OFFSETS", "-2h"}, "REMINDER_OFFSETS", []string{`"-2h"`}},
		{"ErrOffsetTooLong", []string{"REMINDER_OFFSETS", "721h"}, "REMINDER_OFFSETS", []string{`"721h"`}},
		{"ErrRetentionWord", []string{"RETENTION_DAYS", "thirty"}, "RETENTION_DAYS", []string{`"thirty"`, "from 1 to 3650"}},
		{"ErrRetentionZero", []string{"RETENTION_DAYS", "0"}, "RETENTION_DAYS", []string{`"0"`}},
		{"ErrRetentionTooMany", []string{"RETENTION_DAYS", "3651"}, "RETENTION_DAYS", []string{`"3651"`}},
		{"ErrStaffingAlertWord", []string{"STAFFING_ALERT", "a day"}, "STAFFING_ALERT", []string{`"a day"`, "e.g. 24h"}},
		{"ErrStaffingAlertTooLong", []string{"STAFFING_ALERT", "721h"}, "STAFFING_ALERT", []string{`"721h"`}},
		{"ErrAllowedGuildsName", []string{"ALLOWED_GUILDS", "200000000000000001,Coalition"}, "ALLOWED_GUILDS", []string{`"Coalition"`, "Copy Server ID"}},
		{"ErrMetricsAddrNoPort", []string{"METRICS_ADDR", "localhost"}, "METRICS_ADDR", []string{`"localhost"`, "127.0.0.1:9464"}},
		{"ErrLogFormat", []string{"LOG_FORMAT", "xml"}, "LOG_FORMAT", []string{`"xml"`, "text or json"}},
		{"ErrSQLiteSynchronous", []string{"SQLITE_SYNCHRONOUS", "extra"}, "SQLITE_SYNCHRONOUS", []string{`"extra"`, "normal", "full"}},
		{"ErrMemberEvents", []string{"MEMBER_EVENTS", "yes"}, "MEMBER_EVENTS", []string{`"yes"`, "on or off", "Server Members Intent"}},
		{"ErrScheduledEvents", []string{"SCHEDULED_EVENTS", "true"}, "SCHEDULED_EVENTS", []string{`"true"`, "on or off", "Events tab"}},
		{"ErrSummaryChart", []string{"SUMMARY_CHART", "1"}, "SUMMARY_CHART", []string{`"1"`, "on or off", "chart"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(envOf(append([]string{"DISCORD_TOKEN", "abc.def.ghi"}, c.env...)...), configNow)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *ConfigError", err, err)
			}
			if ce.Var != c.variable {
				t.Errorf("error names %s, want %s: %v", ce.Var, c.variable, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.variable+": ") || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q is not one line starting with %s", msg, c.variable)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestGatewayError(t *testing.T) {
	t.Parallel()
	t.Run("4004NamesTheToken", func(t *testing.T) {
		err := gatewayError(&websocket.CloseError{Code: 4004, Text: "Authentication failed."}, false)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != "DISCORD_TOKEN" {
			t.Fatalf("err = %v (%T), want a ConfigError for DISCORD_TOKEN", err, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "4004") || !strings.Contains(msg, "Developer Portal") || strings.Contains(msg, "\n") {
			t.Errorf("error %q: want one line with the close code and the fix", msg)
		}
	})
	t.Run("4004Wrapped", func(t *testing.T) {
		err := gatewayError(fmt.Errorf("read: %w", &websocket.CloseError{Code: 4004}), true)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != "DISCORD_TOKEN" {
			t.Fatalf("err = %v, want a ConfigError for DISCORD_TOKEN", err)
		}
	})
	t.Run("4014NamesIntents", func(t *testing.T) {
		err := gatewayError(&websocket.CloseError{Code: 4014, Text: "Disallowed intent(s)."}, false)
		var ce *ConfigError
		if errors.As(err, &ce) {
			t.Errorf("4014 blamed on %s; the token is fine", ce.Var)
		}
		if msg := err.Error(); !strings.Contains(msg, "close 4014") || !strings.Contains(msg, "intents") || !strings.Contains(msg, "Developer Portal") {
			t.Errorf("error %q: want the close code, intents and where to fix it", msg)
		}
	})
	t.Run("4014WithMemberEventsNamesTheSetting", func(t *testing.T) {
		err := gatewayError(fmt.Errorf("read: %w", &websocket.CloseError{Code: 4014, Text: "Disallowed intent(s)."}), true)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != "MEMBER_EVENTS" {
			t.Fatalf("err = %v (%T), want a ConfigError for MEMBER_EVENTS", err, err)
		}
		msg := err.Error()
		for _, w := range []string{"close 4014", "Server Members Intent", "Developer Portal", "MEMBER_EVENTS=off"} {
			if !strings.Contains(msg, w) {
				t.Errorf("error %q does not contain %q", msg, w)
			}
		}
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("error %q is not one line", msg)
		}
	})
	t.Run("OtherErrorsWrapped", func(t *testing.T) {
		cause := &websocket.CloseError{Code: websocket.CloseAbnormalClosure}
		err := gatewayError(cause, true)
		if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "connect to the gateway: ") {
			t.Errorf("err = %v, want it to wrap %v", err, cause)
		}
	})
}

// TestLoadConfigGuildsAndOrigins: ALLOWED_GUILDS=* serves any server on
// purpose; DISCORD_GUILD_ID alone is enough; plain http is taken only to
// this machine.
func TestLoadConfigGuildsAndOrigins(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "ALLOWED_GUILDS", " * "), configNow)
	if err != nil || !c.AnyGuild || len(c.AllowedGuilds) != 0 {
		t.Errorf("ALLOWED_GUILDS=*: any %v, allowed %v, err %v; want any server", c.AnyGuild, c.AllowedGuilds, err)
	}
	c, err = LoadConfig(envOf("DISCORD_TOKEN", "x", "ALLOWED_GUILDS", "", "DISCORD_GUILD_ID", "200000000000000001"), configNow)
	if err != nil || c.AnyGuild || strings.Join(c.AllowedGuilds, ",") != "200000000000000001" {
		t.Errorf("DISCORD_GUILD_ID alone: any %v, allowed %v, err %v", c.AnyGuild, c.AllowedGuilds, err)
	}
	for _, origin := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9000", "https://proxy.example.org"} {
		if _, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "DISCORD_API_URL", origin), configNow); err != nil {
			t.Errorf("DISCORD_API_URL=%s refused: %v", origin, err)
		}
	}
}

// TestConfigWarnings: a METRICS_ADDR other machines can reach is warned
// about; one on loopback is not.
func TestConfigWarnings(t *testing.T) {
	t.Parallel()
	for addr, warn := range map[string]bool{"127.0.0.1:9464": false, "localhost:9464": false, "[::1]:9464": false,
		"0.0.0.0:9464": true, ":9464": true, "192.168.1.20:9464": true, "": false} {
		c, err := LoadConfig(envOf("DISCORD_TOKEN", "x", "METRICS_ADDR", addr), configNow)
		if err != nil {
			t.Fatalf("METRICS_ADDR=%q: %v", addr, err)
		}
		ws := c.Warnings()
		if got := len(ws) == 1 && strings.Contains(ws[0], "METRICS_ADDR "+addr) && strings.Contains(ws[0], "127.0.0.1"); got != warn {
			t.Errorf("METRICS_ADDR=%q: warnings %q, want a warning: %v", addr, ws, warn)
		}
	}
}
