//go:build linux

package bot_test

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rallybot/discordtest"
)

// serviceMemLimit is the GOMEMLIMIT deploy/rallybot.service and the
// Dockerfile set; the benchmark runs the binary under it.
const serviceMemLimit = "40MiB"

// BenchmarkClickMemory runs the real rallybot binary (as
// BenchmarkStartupBinary builds it) under the service's GOMEMLIMIT, offers
// it b.N Going clicks at 2,000 a second, and reads its peak RSS from /proc
// once every click is answered: the memory a storm costs the process alone,
// not the fake Discord beside it.
//
//	go test -run '^$' -bench ClickMemory -benchtime 10000x -count 3 ./bot/
//
// Metrics: peak-rss-MB (VmHWM), rss-MB after the storm, p99-ms (from each
// click's offer to its answer).
func BenchmarkClickMemory(b *testing.B) {
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
	fake := startupFake(b)
	dir := b.TempDir()
	cmd := exec.Command(bin, "run") // no .env in dir: the environment alone
	cmd.Dir = dir
	cmd.Env = []string{"DISCORD_TOKEN=" + token, "DISCORD_API_URL=" + fake.URL(), "DISCORD_GUILD_ID=" + guildID,
		"DATABASE_PATH=" + filepath.Join(dir, "rallybot.db"), "GOMEMLIMIT=" + serviceMemLimit}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ready, scanned := make(chan struct{}), make(chan struct{})
	var log strings.Builder // written by the scanner until EOF, read after
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if log.Len() < 1<<16 {
				log.WriteString(sc.Text() + "\n")
			}
			if !once && strings.Contains(sc.Text(), "msg=ready") {
				once = true
				close(ready)
			}
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-scanned
		if err := cmd.Wait(); err != nil {
			b.Errorf("rallybot after SIGTERM: %v\n%s", err, log.String())
		}
	}
	b.Cleanup(stop)
	select {
	case <-ready:
	case <-scanned:
		b.Fatalf("rallybot exited before ready:\n%s", log.String())
	case <-time.After(30 * time.Second):
		b.Fatalf("rallybot not ready after 30s:\n%s", log.String())
	}
	cmdRun := func(path string, opts ...discordtest.Option) *discordtest.Reply {
		r, err := fake.Command(context.Background(), discordtest.Invocation{GuildID: guildID, ChannelID: seattleChannel, Member: admin}, path, opts...)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	cmdRun("chapter setup", discordtest.Str("chapter", "Seattle"), discordtest.ChannelOpt("channel", seattleChannel))
	seattle, _ := time.LoadLocation("America/Los_Angeles")
	when := time.Now().In(seattle).Add(72 * time.Hour).Format("2006-01-02 15:04")
	m := rallyIDPattern.FindStringSubmatch(cmdRun("rally create", createOpts(discordtest.Str("when", when))...).Text())
	if m == nil {
		b.Fatal("rally create failed")
	}
	msgs := fake.Messages(seattleChannel)
	_, before, _ := procStatusKiB(cmd.Process.Pid)

	b.ResetTimer()
	_, lat := offerClicks(b, fake, msgs[len(msgs)-1].ID, "rsvp:going:"+m[1], b.N, 2000)
	b.StopTimer()
	hwm, rss, ok := procStatusKiB(cmd.Process.Pid)
	if !ok {
		b.Fatal("could not read the bot's /proc status")
	}
	b.ReportMetric(hwm/1024, "peak-rss-MB")
	b.ReportMetric(rss/1024, "rss-MB")
	b.ReportMetric(before/1024, "ready-rss-MB")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	stop()
}
