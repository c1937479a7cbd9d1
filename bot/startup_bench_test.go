//go:build linux || darwin

package bot_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/bot"
	"rallybot/discordtest"
	"rallybot/store"
)

// The start-up benchmarks measure what a restart costs: time from the call
// (or exec) to "ready", against the fake Discord on loopback, so the numbers
// are the bot's own work plus loopback round trips. Each iteration's stop
// includes discordgo's fixed 1s wait in Session.Close, which is why ns/op is
// about a second; ms-to-ready is the number to compare.
//
//	go test -run '^$' -bench Startup -benchtime 5x ./bot/

// startupFake is a fake Discord with one guild of three channels.
func startupFake(b *testing.B) *discordtest.Server {
	fake := discordtest.New(b, discordtest.Config{Token: token})
	fake.AddGuild(discordtest.Guild{ID: guildID, Name: "Coalition", OwnerID: admin.UserID,
		Channels: []discordtest.Channel{{ID: seattleChannel, Name: "seattle"}, {ID: chicagoChannel, Name: "chicago"}, {ID: coordChannel, Name: "coordinators"}},
		Roles:    []discordtest.Role{{ID: guildID, Name: "@everyone"}, {ID: seattleLead, Name: "Seattle leads"}}})
	return fake
}

// buildRallybot builds the rallybot binary (the module root) for a
// benchmark that runs it as a deployment would, and returns its path.
func buildRallybot(b *testing.B) string {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("need the go command to build the binary: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "rallybot")
	build := exec.Command(goTool, "build", "-o", bin, "rallybot")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// migratedDB creates a database as a previous run would have left it, so the
// benchmarks measure a restart, not the one-time migration.
func migratedDB(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "rallybot.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// maxRSSKiB is ru_maxrss for who (RUSAGE_SELF here, or a waited-for child's
// usage), in KiB.
func maxRSSKiB(ru *syscall.Rusage) float64 {
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / 1024 // bytes on macOS
	}
	return float64(ru.Maxrss)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// toFake sends discordgo's https://discord.com requests to the fake, as the
// bot's DISCORD_API_URL does.
type toFake struct{ origin *url.URL }

func (t toFake) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = t.origin.Scheme, t.origin.Host, t.origin.Host
	return http.DefaultTransport.RoundTrip(req)
}

// BenchmarkStartupBaseline is the floor under BenchmarkStartup: a bare
// discordgo session with the bot's intents, from New to READY (Open returns
// once READY is read), then Close.
func BenchmarkStartupBaseline(b *testing.B) {
	fake := startupFake(b)
	origin, err := url.Parse(fake.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs() // what one start allocates, bot against bare session
	var toReady time.Duration
	for b.Loop() {
		began := time.Now()
		s, err := discordgo.New("Bot " + token)
		if err != nil {
			b.Fatal(err)
		}
		s.Client = &http.Client{Timeout: 10 * time.Second, Transport: toFake{origin}}
		s.Identify.Intents = discordgo.IntentsGuilds
		if err := s.Open(); err != nil {
			b.Fatalf("open: %v", err)
		}
		toReady += time.Since(began)
		if s.State.User == nil || s.State.User.ID == "" {
			b.Fatal("no user in READY")
		}
		waitFirstHeartbeat(b, s)
		if err := s.Close(); err != nil {
			b.Fatalf("close: %v", err)
		}
	}
	b.ReportMetric(ms(toReady)/float64(b.N), "ms-to-ready")
}

// waitFirstHeartbeat waits until the session's heartbeat goroutine has sent
// its first beat. discordgo v0.29.0 starts that goroutine after Open returns;
// a Close before its first send makes it fail on the closed socket and
// reconnect, leaving a live session behind (see DropGateway in discordtest).
// The bot never closes that early: registering its commands alone takes
// longer.
func waitFirstHeartbeat(b *testing.B, s *discordgo.Session) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.RLock()
		beat := s.DataReady // set by the heartbeat goroutine after its first send
		s.RUnlock()
		if beat {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("no heartbeat within 5s of READY")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkStartup is a full restart in process, as main runs it: LoadConfig,
// bot.Run (open the database, check the token, connect, register the
// commands, start the schedules) until Ready, then cancel and wait for Run
// to return.
func BenchmarkStartup(b *testing.B) {
	fake := startupFake(b)
	env := map[string]string{"DISCORD_TOKEN": token, "DISCORD_API_URL": fake.URL(), "DATABASE_PATH": migratedDB(b), "ALLOWED_GUILDS": guildID}
	getenv := func(k string) string { return env[k] }
	b.ReportAllocs() // what one start allocates, bot against bare session
	var toReady, toStop time.Duration
	for b.Loop() {
		ready, stop := startStop(b, getenv)
		toReady += ready
		toStop += stop
	}
	b.ReportMetric(ms(toReady)/float64(b.N), "ms-to-ready")
	b.ReportMetric(ms(toStop)/float64(b.N), "ms-to-stop")
	// Peak RSS cannot be read in-process (the fake and the OpenAPI spec set
	// the peak); BenchmarkStartupBinary measures the bot's own footprint.
	if n := fake.CountRequests("PUT", "/applications/{application_id}/commands"); n != b.N {
		b.Errorf("%d command registrations for %d starts", n, b.N)
	}
}

func startStop(b *testing.B, getenv func(string) string) (toReady, toStop time.Duration) {
	began := time.Now()
	cfg, err := bot.LoadConfig(getenv, began)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runBot(ctx, cfg, bot.Options{
			Logger: bot.NewLogger(io.Discard, cfg.LogLevel, cfg.Token),
			Ready:  func() { close(ready) },
		})
	}()
	select {
	case <-ready:
		toReady = time.Since(began)
	case err := <-done:
		b.Fatalf("bot stopped during start-up: %v", err)
	case <-time.After(15 * time.Second):
		b.Fatal("bot not ready after 15s")
	}
	stopping := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			b.Fatalf("bot stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		b.Fatal("bot did not stop within 15s")
	}
	return toReady, time.Since(stopping)
}

// BenchmarkStartupBinary runs the real rallybot binary (go build of the
// module root) against the fake, from exec to its "ready" log line, then
// SIGTERM. maxrss-KiB is the child's peak RSS up to ready and rss-KiB its RSS
// when ready (the largest over the iterations): the memory a deployment needs
// to start.
func BenchmarkStartupBinary(b *testing.B) {
	bin := buildRallybot(b)
	fake := startupFake(b)
	dir := b.TempDir()
	env := []string{"DISCORD_TOKEN=" + token, "DISCORD_API_URL=" + fake.URL(), "DATABASE_PATH=" + migratedDB(b), "ALLOWED_GUILDS=" + guildID}

	var toReady time.Duration
	var peak, rss float64
	for b.Loop() {
		ready, hwm, cur := runBinary(b, bin, dir, env)
		toReady += ready
		peak, rss = max(peak, hwm), max(rss, cur)
	}
	b.ReportMetric(ms(toReady)/float64(b.N), "ms-to-ready")
	b.ReportMetric(peak, "maxrss-KiB")
	b.ReportMetric(rss, "rss-KiB")
}

// procStatusKiB reads VmHWM (peak RSS) and VmRSS of a live process from
// /proc. The child's ru_maxrss cannot be used on Linux: exec records the
// pre-exec address space's peak, and os/exec's vfork shares the benchmark
// process's, so the child would report this process's (fake and OpenAPI spec
// included) peak.
func procStatusKiB(pid int) (hwm, rss float64, ok bool) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		var kib float64
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kib); err == nil {
			hwm = kib
		} else if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kib); err == nil {
			rss = kib
		}
	}
	return hwm, rss, hwm > 0 && rss > 0
}

// runBinary returns the time from exec to the "ready" line and, at that
// moment, the child's peak and current RSS in KiB.
func runBinary(b *testing.B, bin, dir string, env []string) (toReady time.Duration, hwmKiB, rssKiB float64) {
	// The .env argument does not exist, so only env configures the child.
	cmd := exec.Command(bin, "run")
	cmd.Dir, cmd.Env = dir, env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{})
	var log strings.Builder // written by the scanner until EOF, read after Wait
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "msg=ready") {
				once = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
		toReady = time.Since(began)
	case <-scanned:
		_ = cmd.Wait()
		b.Fatalf("rallybot exited before ready:\n%s", log.String())
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-scanned
		_ = cmd.Wait()
		b.Fatalf("rallybot not ready after 15s:\n%s", log.String())
	}
	hwmKiB, rssKiB, fromProc := procStatusKiB(cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	<-scanned
	if err := cmd.Wait(); err != nil {
		b.Fatalf("rallybot after SIGTERM: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), token) {
		b.Error("the binary logged the token")
	}
	if !fromProc {
		// No /proc (macOS): the child's ru_maxrss, an upper bound.
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatalf("no rusage for the child (%T)", cmd.ProcessState.SysUsage())
		}
		hwmKiB = maxRSSKiB(ru)
	}
	return toReady, hwmKiB, rssKiB
}
