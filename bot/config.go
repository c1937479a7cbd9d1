package bot

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"rallybot/commands"
)

// Config is everything the bot reads from its environment.
type Config struct {
	Token           string
	GuildID         string
	DatabasePath    string
	APIURL          string // origin that replaces https://discord.com
	LogLevel        slog.Level
	ReminderCron    string
	ReminderOffsets []time.Duration
	SummaryCron     string
	RetentionDays   int
	// StaffingAlert is how long before its start a rally short of a safety
	// role minimum pings its chapter's leads.
	StaffingAlert time.Duration
	// LocationReveal is how long before its start a private place is told
	// to those going.
	LocationReveal time.Duration
	// ScheduledEvents mirrors announced rallies as Discord scheduled events.
	ScheduledEvents bool
	// SafeHomeAfter is how long after a rally's end its unanswered
	// safe-home checks are listed in the support channel.
	SafeHomeAfter time.Duration
	// SummaryChart attaches a PNG chart to the daily summary.
	SummaryChart bool
	// AllowedGuilds are the servers the bot serves (ALLOWED_GUILDS, plus
	// DISCORD_GUILD_ID); empty only with AnyGuild.
	AllowedGuilds []string
	// AnyGuild is ALLOWED_GUILDS=*: any server that adds the bot is served,
	// on purpose. Without it, or a list, start-up refuses.
	AnyGuild bool
	// MetricsAddr is where /healthz and /metrics are served; "" turns them off.
	MetricsAddr string
	// LogJSON writes the log as JSON lines, for log shippers.
	LogJSON bool
	// SyncFull makes each commit wait for the disk (SQLITE_SYNCHRONOUS=full).
	SyncFull bool
	// MemberEvents asks the gateway for the Guild Members intent, so a
	// member who leaves the server is taken off their rallies at once
	// (MEMBER_EVENTS=on; privileged: Server Members Intent).
	MemberEvents bool

	reminderSchedule cron.Schedule
	summarySchedule  cron.Schedule
}

// Commands is the part of the configuration the commands and jobs read.
func (c Config) Commands() commands.Config {
	return commands.Config{
		ReminderOffsets: c.ReminderOffsets,
		RetentionDays:   c.RetentionDays,
		SummarySchedule: c.summarySchedule,
		StaffingAlert:   c.StaffingAlert,
		LocationReveal:  c.LocationReveal,
		ScheduledEvents: c.ScheduledEvents,
		AllowedGuilds:   c.AllowedGuilds,
		SafeHomeAfter:   c.SafeHomeAfter,
		SummaryChart:    c.SummaryChart,
	}
}

// Defaults for the optional variables.
const (
	DefaultDatabasePath    = "rallybot.db"
	DefaultAPIURL          = "https://discord.com"
	DefaultReminderCron    = "@every 1m"
	DefaultReminderOffsets = "24h,2h"
	DefaultSummaryCron     = "CRON_TZ=America/New_York 0 8 * * *"
	DefaultRetentionDays   = 30
	DefaultStaffingAlert   = "24h"
	DefaultLocationReveal  = "2h"
	DefaultSafeHomeAfter   = "4h"
)

// cronParser accepts the five-field standard spec, an optional leading seconds
// field, descriptors such as @every 5s and @daily, and a CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ConfigError names the variable at fault and how to fix it; main prints it as
// the one line that explains why start-up stopped.
type ConfigError struct {
	Var     string
	Problem string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Problem }

// LoadConfig reads and checks the configuration. now is used to check that
// cron specs fire at all.
func LoadConfig(getenv func(string) string, now time.Time) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Token:        strings.TrimSpace(getenv("DISCORD_TOKEN")),
		GuildID:      strings.TrimSpace(getenv("DISCORD_GUILD_ID")),
		DatabasePath: get("DATABASE_PATH", DefaultDatabasePath),
		APIURL:       strings.TrimRight(get("DISCORD_API_URL", DefaultAPIURL), "/"),
		ReminderCron: get("REMINDER_CRON", DefaultReminderCron),
		SummaryCron:  get("SUMMARY_CRON", DefaultSummaryCron),
	}
	c.Token = strings.TrimPrefix(c.Token, "Bot ")
	if c.Token == "" {
		return c, &ConfigError{"DISCORD_TOKEN", "missing: set it to your bot's token (Developer Portal → your application → Bot → Reset Token) in .env or the environment"}
	}
	if strings.ContainsAny(c.Token, " \t\r\n") {
		return c, &ConfigError{"DISCORD_TOKEN", "contains whitespace: paste the token alone, without quotes or spaces"}
	}
	if c.GuildID != "" && !isSnowflake(c.GuildID) {
		return c, &ConfigError{"DISCORD_GUILD_ID", fmt.Sprintf("%q is not a server id: use the numeric id (Developer Mode → right-click the server → Copy Server ID), or leave it empty", c.GuildID)}
	}
	var err error
	if c.AllowedGuilds, c.AnyGuild, err = parseGuilds(getenv("ALLOWED_GUILDS"), c.GuildID); err != nil {
		return c, err
	}
	c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if c.MetricsAddr != "" {
		if _, port, perr := net.SplitHostPort(c.MetricsAddr); perr != nil || port == "" {
			return c, &ConfigError{"METRICS_ADDR", fmt.Sprintf("%q is not host:port: use e.g. 127.0.0.1:9464 (keep it off the public internet), or leave it empty", c.MetricsAddr)}
		}
	}
	switch strings.ToLower(get("SQLITE_SYNCHRONOUS", "normal")) {
	case "normal":
	case "full":
		c.SyncFull = true
	default:
		return c, &ConfigError{"SQLITE_SYNCHRONOUS", fmt.Sprintf("%q is not a mode: use normal (the default) or full (every commit waits for the disk; no acknowledged RSVP is lost on power loss)", getenv("SQLITE_SYNCHRONOUS"))}
	}
	switch strings.ToLower(get("LOG_FORMAT", "text")) {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		return c, &ConfigError{"LOG_FORMAT", fmt.Sprintf("%q is not a format: use text or json", getenv("LOG_FORMAT"))}
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return c, &ConfigError{"DISCORD_API_URL", fmt.Sprintf("%q is not an origin: use a URL like https://discord.com, with no path", c.APIURL)}
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		// Every REST call carries the token: in clear, anyone on the path has it.
		return c, &ConfigError{"DISCORD_API_URL", fmt.Sprintf("%q is plain http to another machine, which would send the bot's token in clear: use https://, or http:// only to 127.0.0.1 or localhost", c.APIURL)}
	}
	switch strings.ToLower(get("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, &ConfigError{"LOG_LEVEL", fmt.Sprintf("%q is not a level: use debug, info, warn or error", getenv("LOG_LEVEL"))}
	}
	if c.reminderSchedule, err = parseCron("REMINDER_CRON", c.ReminderCron, now); err != nil {
		return c, err
	}
	if c.summarySchedule, err = parseCron("SUMMARY_CRON", c.SummaryCron, now); err != nil {
		return c, err
	}
	if c.ReminderOffsets, err = parseOffsets(get("REMINDER_OFFSETS", DefaultReminderOffsets)); err != nil {
		return c, err
	}
	alert := get("STAFFING_ALERT", DefaultStaffingAlert)
	c.StaffingAlert, err = time.ParseDuration(alert)
	if err != nil || c.StaffingAlert < time.Minute || c.StaffingAlert > 30*24*time.Hour {
		return c, &ConfigError{"STAFFING_ALERT", fmt.Sprintf("%q is not an alert time: use a Go duration between 1m and 720h before the start, e.g. 24h or 36h", alert)}
	}
	reveal := get("LOCATION_REVEAL", DefaultLocationReveal)
	c.LocationReveal, err = time.ParseDuration(reveal)
	if err != nil || c.LocationReveal < time.Minute || c.LocationReveal > 7*24*time.Hour {
		return c, &ConfigError{"LOCATION_REVEAL", fmt.Sprintf("%q is not a reveal time: use a Go duration between 1m and 168h before the start, e.g. 2h", reveal)}
	}
	days := get("RETENTION_DAYS", strconv.Itoa(DefaultRetentionDays))
	c.RetentionDays, err = strconv.Atoi(days)
	if err != nil || c.RetentionDays < 1 || c.RetentionDays > 3650 {
		return c, &ConfigError{"RETENTION_DAYS", fmt.Sprintf("%q is not a number of days: use a whole number from 1 to 3650, e.g. 30", days)}
	}
	if c.ScheduledEvents, err = onOff(get, getenv, "SCHEDULED_EVENTS", "on", "use on to mirror rallies in the server's Events tab, off not to"); err != nil {
		return c, err
	}
	// The list of those who did not answer must go before the safe-home
	// rows are deleted, 24 h after the end.
	safe := get("SAFE_HOME_AFTER", DefaultSafeHomeAfter)
	c.SafeHomeAfter, err = time.ParseDuration(safe)
	if err != nil || c.SafeHomeAfter < time.Minute || c.SafeHomeAfter > 23*time.Hour {
		return c, &ConfigError{"SAFE_HOME_AFTER", fmt.Sprintf("%q is not a wait: use a Go duration between 1m and 23h after a rally's end, e.g. 4h", safe)}
	}
	if c.SummaryChart, err = onOff(get, getenv, "SUMMARY_CHART", "on", "use on to attach a chart to the daily summary, off not to"); err != nil {
		return c, err
	}
	if c.MemberEvents, err = onOff(get, getenv, "MEMBER_EVENTS", "off", "use on to free a member's seats the moment they leave the server (turn on Server Members Intent in the Developer Portal first), off to notice it at the next DM"); err != nil {
		return c, err
	}
	return c, nil
}

// onOff reads a setting that is on or off (any case), or def when unset;
// anything else is refused with why: what each choice does.
func onOff(get func(name, def string) string, getenv func(string) string, name, def, why string) (bool, error) {
	switch strings.ToLower(get(name, def)) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, &ConfigError{name, fmt.Sprintf("%q is not on or off: %s", getenv(name), why)}
}

func parseCron(name, spec string, now time.Time) (cron.Schedule, error) {
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return nil, &ConfigError{name, fmt.Sprintf("%q is not a cron spec (%v): use e.g. \"0 8 * * *\", \"CRON_TZ=America/New_York 0 8 * * *\" or \"@every 1m\"", spec, err)}
	}
	if sched.Next(now).IsZero() {
		return nil, &ConfigError{name, fmt.Sprintf("%q never fires (no such date): pick a day that exists, e.g. \"0 8 * * *\"", spec)}
	}
	return sched, nil
}

func parseOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil || d < time.Second || d > 30*24*time.Hour || d%time.Second != 0 {
			return nil, &ConfigError{"REMINDER_OFFSETS", fmt.Sprintf("%q is not a reminder offset: use comma-separated Go durations between 1s and 720h, e.g. 24h,2h or 30m", part)}
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// parseGuilds reads ALLOWED_GUILDS, a comma-separated list of server ids or
// "*" for any server; DISCORD_GUILD_ID, when set, is always allowed. Neither
// set is refused: a bot anyone can add would store strangers' members.
func parseGuilds(list, guildID string) (_ []string, any bool, _ error) {
	if strings.TrimSpace(list) == "*" {
		return nil, true, nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, f := range strings.Split(list, ",") {
		id := strings.TrimSpace(f)
		if id == "" {
			continue
		}
		if !isSnowflake(id) {
			return nil, false, &ConfigError{"ALLOWED_GUILDS", fmt.Sprintf("%q is not a server id: list numeric ids separated by commas (Developer Mode → right-click the server → Copy Server ID), or * for any server", id)}
		}
		add(id)
	}
	if guildID != "" {
		add(guildID)
	}
	if len(out) == 0 {
		return nil, false, &ConfigError{"ALLOWED_GUILDS", "neither ALLOWED_GUILDS nor DISCORD_GUILD_ID is set: list the ids of the servers the bot serves in ALLOWED_GUILDS (or set DISCORD_GUILD_ID), or set ALLOWED_GUILDS=* to serve any server that adds it"}
	}
	return out, false, nil
}

// loopback reports whether host is this machine: localhost or a loopback
// address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Warnings are settings that work but may expose more than intended; the
// program logs each at start.
func (c Config) Warnings() []string {
	var out []string
	if c.MetricsAddr != "" {
		if host, _, _ := net.SplitHostPort(c.MetricsAddr); !loopback(host) {
			out = append(out, fmt.Sprintf("METRICS_ADDR %s is reachable from other machines: /metrics and /healthz tell anyone who can reach them how busy the bot is; bind it to 127.0.0.1 unless a firewall keeps it private", c.MetricsAddr))
		}
	}
	return out
}

func isSnowflake(s string) bool {
	if len(s) < 1 || len(s) > 20 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
