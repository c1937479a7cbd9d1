package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// sandboxOutput is the sandbox's stderr, read while it runs.
type sandboxOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *sandboxOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *sandboxOutput) String() string { o.mu.Lock(); defer o.mu.Unlock(); return o.b.String() }

var sandboxURL = regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)`)

// startSandbox runs `rallybot sandbox` in-process on a free port and returns
// the page's URL and its output so far.
func startSandbox(t *testing.T) string {
	url, _ := startSandboxWith(t, nil)
	return url
}

// startSandboxWith is startSandbox with more environment (extra wins) and
// the sandbox's stderr; the sandbox stops when the test ends.
func startSandboxWith(t *testing.T, extra map[string]string) (string, *sandboxOutput) {
	t.Helper()
	env := map[string]string{
		"SANDBOX_ADDR":          "127.0.0.1:0",
		"SANDBOX_DATABASE_PATH": filepath.Join(t.TempDir(), "sandbox.db"),
		"LOG_LEVEL":             "debug",
	}
	for k, v := range extra {
		env[k] = v
	}
	out := &sandboxOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sandbox"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard, out)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("sandbox did not stop within 30s")
		}
		if t.Failed() {
			t.Logf("sandbox output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := sandboxURL.FindStringSubmatch(out.String()); m != nil {
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, "rallybot sandbox:") {
					t.Log(line)
				}
			}
			return m[1], out
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox stopped before serving: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not serving after 15s:\n%s", out.String())
		}
	}
}

// chromium finds Debian's chromium; outside CI a machine without it skips.
func chromium(t *testing.T) string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// TestSandboxInBrowser uses the sandbox page as a person would, in a real
// headless Chromium: a lead creates a rally, two volunteers press Going and a
// Spanish-speaking one gets his reply in Spanish, the announcement's counts
// follow, a volunteer opens the .ics file the bot attached to its reply,
// moving the clock brings the reminder and the day-before DM whose button's
// reply shows in that DM, and the Events tab lists the rally.
func TestSandboxInBrowser(t *testing.T) {
	exe := chromium(t)
	base := startSandbox(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	var mu sync.Mutex
	var consoleErrors []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				consoleErrors = append(consoleErrors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			consoleErrors = append(consoleErrors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, text))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				consoleErrors = append(consoleErrors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second))
	}
	// waitText polls until some element matching selector contains all parts.
	waitText := func(what string, selector string, parts ...string) {
		t.Helper()
		js := fmt.Sprintf(`[...document.querySelectorAll(%q)].some(el => %s)`, selector, containsAll("el.textContent", parts))
		if err := chromedp.Do(ctx, poll(js)); err != nil {
			shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : ""`))
			t.Fatalf("%s: %v\nthe page shows:\n%s", what, err, shown)
		}
	}
	text := func(selector string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
		if err != nil {
			t.Fatalf("read %s: %v", selector, err)
		}
		return s
	}
	const seattle = "910000000000000001"
	page := func(as string, extra string) string {
		return base + "?as=" + as + "&ch=" + seattle + extra
	}

	// The lead fills in /rally create; the chapter comes from the bot's own
	// autocomplete.
	seattleTZ, _ := time.LoadLocation("America/Los_Angeles")
	// Three days ahead at 6 PM, or 7 PM when 6 PM sits within a quarter
	// hour of a half-day from now, where the page's rounded "en N días"
	// could tip either way while the test runs.
	now := time.Now().In(seattleTZ)
	day := now.AddDate(0, 0, 3)
	clock := "6:00 p. m."
	at := time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, seattleTZ)
	if off := at.Sub(now) % (24 * time.Hour); off > 12*time.Hour-15*time.Minute && off < 12*time.Hour+15*time.Minute {
		clock = "7:00 p. m."
		at = at.Add(time.Hour)
	}
	when := at.Format("2006-01-02 15:04")
	inDays := fmt.Sprintf("en %d días", int((at.Sub(now)+12*time.Hour)/(24*time.Hour)))
	do("open /rally create as the Seattle lead",
		chromedp.Navigate(page("lead-seattle", "&cmd=/rally+create")),
		chromedp.WaitVisible(chromedp.CSS("#opt-chapter")),
		chromedp.SendKeys(chromedp.CSS("#opt-chapter"), "Sea"),
		poll(`document.querySelector('#list-chapter option[value="Seattle"]') !== null`),
		chromedp.SetValue(chromedp.CSS("#opt-chapter"), "Seattle"),
		chromedp.SendKeys(chromedp.CSS("#opt-title"), "Rally for fair housing"),
		chromedp.SendKeys(chromedp.CSS("#opt-when"), when),
		chromedp.SendKeys(chromedp.CSS("#opt-location"), "Westlake Park"),
		chromedp.Click(chromedp.CSS(`#run button[type="submit"]`)),
	)
	waitText("the announcement", "#messages li.message:not(.private)", "Rally for fair housing", "0 going")
	waitText("the lead's private confirmation", "#messages li.private", "Only you (Sky)")
	going, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#messages li.message:not(.private) button.success`), "value"))
	if err != nil || !going.Exists {
		t.Fatalf("no Going button: %v", err)
	}

	// Two volunteers press Going; each sees a reply only they can see.
	for i, v := range []struct{ key, name string }{{"volunteer-1", "Robin"}, {"volunteer-2", "Jordan"}} {
		button := chromedp.CSS(fmt.Sprintf(`#messages li.message:not(.private) button[value=%q]`, going.Value))
		do("open the channel as "+v.name, chromedp.Navigate(page(v.key, "")), chromedp.WaitVisible(button))
		started := time.Now()
		do("press Going as "+v.name, chromedp.Click(button))
		waitText(v.name+"'s reply", "#messages li.private", "Only you ("+v.name+")")
		t.Logf("click to reply on the page, as %s: %v", v.name, time.Since(started).Round(time.Millisecond))
		waitText(fmt.Sprintf("%d going on the announcement", i+1), "#messages li.message:not(.private)", fmt.Sprintf("%d going", i+1))
	}
	others, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#messages li.private')].filter(li => !li.textContent.includes('Jordan')).length`))
	if err != nil || others != 0 {
		t.Errorf("Jordan sees %d private replies meant for someone else (%v)", others, err)
	}

	// Mateo's Discord is in Spanish (es-419): the bot answers him in Spanish,
	// on the 12-hour clock, and the page writes Discord's relative times in
	// Spanish for him.
	{
		button := chromedp.CSS(fmt.Sprintf(`#messages li.message:not(.private) button[value=%q]`, going.Value))
		do("open the channel as Mateo", chromedp.Navigate(page("volunteer-4", "")), chromedp.WaitVisible(button))
		waitText("the announcement's relative time in Spanish", "#messages li.message:not(.private) time", inDays)
		do("press Going as Mateo", chromedp.Click(button))
		waitText("Mateo's reply in Spanish", "#messages li.private", "Only you (Mateo)", "Listo, quedó anotado para Rally for fair housing", clock, "vas")
		waitText("3 going on the announcement", "#messages li.message:not(.private)", "3 going")
	}

	// A file the bot attaches shows in the message, and opens: Robin asks
	// for the rally's calendar file.
	rallyID := going.Value[strings.LastIndex(going.Value, ":")+1:]
	do("ask for the .ics as Robin",
		chromedp.Navigate(page("volunteer-1", "&cmd=/rally+calendar")),
		chromedp.WaitVisible(chromedp.CSS("#opt-rally")),
		chromedp.SetValue(chromedp.CSS("#opt-rally"), rallyID),
		chromedp.Click(chromedp.CSS(`#run button[type="submit"]`)),
	)
	waitText("the reply with its file", "#messages li.private", "Only you (Robin)", "Rally for fair housing", ".ics")
	ics, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const link = [...document.querySelectorAll('#messages li.private .attachment a.open')].pop();
		const r = await fetch(link.href);
		return r.status + " " + r.headers.get("content-type") + "\n" + await r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("open the attached file: %v", err)
	}
	if !strings.HasPrefix(ics, "200 text/plain") || !strings.Contains(ics, "BEGIN:VCALENDAR") || !strings.Contains(ics, "Rally for fair housing") {
		t.Errorf("the file opened from the message:\n%.300s", ics)
	}
	download, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const link = [...document.querySelectorAll('#messages li.private .attachment a.file')].pop();
		const r = await fetch(link.href);
		return link.getAttribute("download") + " " + r.headers.get("content-disposition");
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasSuffix(strings.Fields(download)[0], ".ics") || !strings.Contains(download, "attachment;") {
		t.Errorf("the file's download link: %q (%v)", download, err)
	}

	// The clock jumps to the first reminder; the bot posts it at once.
	before := text("#clock")
	do("move the clock to the next reminder", chromedp.Click(chromedp.CSS(`button[value="reminder"]`)))
	waitText("the reminder", "#messages li.message:not(.private)", "Reminder: Rally for fair housing", "3 going")
	if after := text("#clock"); before == after {
		t.Errorf("the clock still shows %q after moving it", after)
	}

	// The day-before reminder also comes by DM, asking whether Robin is
	// still going; his button's answer shows in that DM, under it.
	stillGoing := chromedp.CSS(`#messages li.message button.success`)
	do("open Robin's direct messages", chromedp.Navigate(base+"?as=volunteer-1&ch=dm"))
	waitText("the day-before DM", "#messages li.message", "Reminder: Rally for fair housing", "Still going")
	do("press Still going in the DM", chromedp.WaitVisible(stillGoing), chromedp.Click(stillGoing))
	waitText("the button's answer in the DM", "#messages li.message", "Reminder: Rally for fair housing", "Thanks! See you at Rally for fair housing")

	// The server's Events tab lists the rally the bot mirrored there, in
	// the reader's language.
	do("open the Events tab as Mateo", chromedp.Navigate(base+"?as=volunteer-4&ch=events"))
	waitText("the rally in the Events tab", "#messages li.event", "Rally for fair housing", "📍 Westlake Park", "de diciembre de 2026", "(en un día)", "Programado")

	// The coordinator asks for the summary now: the chart of going per
	// chapter the bot attaches shows as a picture in the message.
	do("open /summary now as the coordinator", chromedp.Navigate(base+"?as=coordinator&ch=910000000000000008&cmd=/summary+now"),
		chromedp.WaitVisible(chromedp.CSS(`#run button[type="submit"]`)))
	do("run /summary now", chromedp.Click(chromedp.CSS(`#run button[type="submit"]`)))
	do("the summary's chart loads", poll(`[...document.querySelectorAll('#messages li img')].some(img =>
		img.complete && img.naturalWidth >= 200 && img.naturalHeight >= 100 && /\.png$/i.test(img.alt))`))
	chart, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const img = [...document.querySelectorAll('#messages li img')].find(img => /\.png$/i.test(img.alt));
		const r = await fetch(img.src);
		return r.status + " " + r.headers.get("Content-Type");
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || chart != "200 image/png" {
		t.Errorf("the chart's file: %q (%v)", chart, err)
	}

	// Back in the channel as Mateo, for the screenshot: his Spanish reply
	// beside the English announcement.
	do("open the channel as Mateo again", chromedp.Navigate(page("volunteer-4", "")))
	waitText("Mateo's reply", "#messages li.private", "Listo, quedó anotado")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := os.Getenv("SANDBOX_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "sandbox.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	mu.Lock()
	defer mu.Unlock()
	for _, e := range consoleErrors {
		t.Errorf("browser console: %s", e)
	}
}

// containsAll is a JS expression true when text includes every part.
func containsAll(text string, parts []string) string {
	var conds []string
	for _, p := range parts {
		conds = append(conds, fmt.Sprintf("%s.includes(%q)", text, p))
	}
	return strings.Join(conds, " && ")
}
