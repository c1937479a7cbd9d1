//go:build linux

package bot_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
// not the fake Discord beside it. Throughout the storm it samples the
// binary's own /metrics (METRICS_ADDR) every 20 ms for the Go heap in use
// and the goroutines, and /proc for the RSS.
//
//	go test -run '^$' -bench ClickMemory -benchtime 10000x -count 3 ./bot/
//
// Metrics: peak-rss-MB (VmHWM, the kernel's own peak), peak-heap-MB (the
// largest go_memstats_heap_inuse_bytes sampled), peak-goroutines,
// ready-rss-MB and ready-heap-MB (once ready, before any click), rss-MB after
// the storm, p99-ms (from each click's offer to its answer), late (answered
// past Discord's 3 s). With -v it logs what the memory at rest is made of
// (/proc smaps_rollup and the Go runtime's accounts).
func BenchmarkClickMemory(b *testing.B) {
	bin := buildRallybot(b)
	fake := startupFake(b)
	dir := b.TempDir()
	metricsAddr := freeAddr(b)
	cmd := exec.Command(bin, "run") // no .env in dir: the environment alone
	cmd.Dir = dir
	cmd.Env = []string{"DISCORD_TOKEN=" + token, "DISCORD_API_URL=" + fake.URL(), "DISCORD_GUILD_ID=" + guildID,
		"DATABASE_PATH=" + filepath.Join(dir, "rallybot.db"), "GOMEMLIMIT=" + serviceMemLimit, "METRICS_ADDR=" + metricsAddr}
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
	pid := cmd.Process.Pid
	_, before, _ := procStatusKiB(pid)
	atRest, err := scrapeMetrics(metricsAddr)
	if err != nil {
		b.Fatal(err)
	}
	logMemory(b, "at rest", pid, atRest)

	sampler := startMemorySampler(pid, metricsAddr)
	b.ResetTimer()
	_, lat := offerClicks(b, fake, msgs[len(msgs)-1].ID, "rsvp:going:"+m[1], b.N, 2000)
	b.StopTimer()
	peak := sampler.stop()
	if after, err := scrapeMetrics(metricsAddr); err == nil {
		logMemory(b, "after the storm", pid, after)
	}
	hwm, rss, ok := procStatusKiB(pid)
	if !ok {
		b.Fatal("could not read the bot's /proc status")
	}
	if peak.samples == 0 {
		b.Fatal("no sample of the bot's /metrics during the storm")
	}
	b.ReportMetric(hwm/1024, "peak-rss-MB")
	b.ReportMetric(peak.heapInuse/(1<<20), "peak-heap-MB")
	b.ReportMetric(peak.goroutines, "peak-goroutines")
	b.ReportMetric(rss/1024, "rss-MB")
	b.ReportMetric(before/1024, "ready-rss-MB")
	b.ReportMetric(atRest["go_memstats_heap_inuse_bytes"]/(1<<20), "ready-heap-MB")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	// Logged as well: a run in which a click went unanswered fails, and a
	// failed benchmark prints no metrics.
	b.Logf("%d clicks: peak RSS %.1f MB (sampled %.1f MB), peak heap in use %.1f MB, peak goroutines %.0f, p99 %.0f ms; %d samples of /metrics",
		b.N, hwm/1024, peak.rssKiB/1024, peak.heapInuse/(1<<20), peak.goroutines, percentile(lat, 0.99), peak.samples)
	stop()
}

// freeAddr is a loopback address no one listens on now.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrapeMetrics reads the unlabelled gauges of the bot's /metrics.
func scrapeMetrics(addr string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, nil
}

// logMemory logs what the bot's memory is made of (when): the kernel's view (resident file-backed pages, i.e. the binary's text and
// data, against anonymous memory) and the Go runtime's accounts of the
// anonymous part. The rest of the anonymous memory is C's (SQLite's page
// cache and its allocations through cgo).
func logMemory(b *testing.B, when string, pid int, m map[string]float64) {
	rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err == nil {
		var kept []string
		for _, line := range strings.Split(string(rollup), "\n") {
			for _, k := range []string{"Rss:", "Pss_Anon:", "Pss_File:", "Anonymous:", "Shared_Clean:", "Private_Clean:", "Private_Dirty:"} {
				if strings.HasPrefix(line, k) {
					kept = append(kept, strings.Join(strings.Fields(line), " "))
				}
			}
		}
		b.Logf("%s, /proc smaps_rollup: %s", when, strings.Join(kept, "; "))
	}
	if smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid)); err == nil {
		b.Logf("%s, the mappings holding 1 MB or more: %s", when, strings.Join(largeMappings(string(smaps), 1024), "; "))
	}
	mb := func(k string) string {
		return fmt.Sprintf("%s %.1f MB", strings.TrimPrefix(k, "go_memstats_"), m[k]/(1<<20))
	}
	b.Logf("%s, Go runtime: %s; %s; %s; %s; %s; %s; %s; goroutines %.0f", when,
		mb("go_memstats_sys_bytes"), mb("go_memstats_heap_inuse_bytes"), mb("go_memstats_heap_idle_bytes"),
		mb("go_memstats_heap_released_bytes"), mb("go_memstats_stack_inuse_bytes"), mb("go_memstats_other_sys_bytes"),
		mb("go_memstats_gc_sys_bytes"), m["go_goroutines"])
}

// largeMappings lists the mappings of an smaps file whose resident size is
// at least minKiB, as "address name: Rss (Anonymous)".
func largeMappings(smaps string, minKiB int) []string {
	var out []string
	var name string
	var rss int
	for _, line := range strings.Split(smaps, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			name = f[0]
			if len(f) >= 6 {
				name += " " + filepath.Base(f[5])
			}
		case len(f) == 3 && f[0] == "Rss:":
			rss, _ = strconv.Atoi(f[1])
		case len(f) == 3 && f[0] == "Anonymous:":
			if rss >= minKiB {
				out = append(out, fmt.Sprintf("%s: %d kB (%s kB anonymous)", name, rss, f[1]))
			}
		}
	}
	return out
}

// memorySampler follows the bot's heap, goroutines and RSS until stopped.
type memorySampler struct {
	quit chan struct{}
	wg   sync.WaitGroup
	peak memoryPeak
}

type memoryPeak struct {
	heapInuse, goroutines, rssKiB float64
	samples                       int
}

func startMemorySampler(pid int, addr string) *memorySampler {
	s := &memorySampler{quit: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, err := scrapeMetrics(addr); err == nil {
				s.peak.samples++
				s.peak.heapInuse = max(s.peak.heapInuse, m["go_memstats_heap_inuse_bytes"])
				s.peak.goroutines = max(s.peak.goroutines, m["go_goroutines"])
			}
			if _, rss, ok := procStatusKiB(pid); ok {
				s.peak.rssKiB = max(s.peak.rssKiB, rss)
			}
			select {
			case <-s.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *memorySampler) stop() memoryPeak {
	close(s.quit)
	s.wg.Wait()
	return s.peak
}
