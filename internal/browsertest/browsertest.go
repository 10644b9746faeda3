// Package browsertest drives examhall's pages in a real headless Chromium
// (through chromedp) for tests: one browser process per test, a separate
// browser context per person (candidate, invigilator, second device) so their
// cookies and localStorage are their own, and the checks every page test
// wants — no uncaught script error or console error, axe-core finds no
// serious or critical accessibility violation — plus network offline/online
// switching and screenshots for debugging.
//
// The browser is EXAMHALL_CHROMIUM, else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable on the PATH (or in
// /usr/bin). When none is found the test is skipped with a message, except
// when CI is set, where it fails: CI installs Chromium (.ci/run) and must not
// pass by skipping. axe-core is read from node_modules/axe-core/axe.min.js at
// the module root (`npm ci` installs it); when it is missing the axe checks
// are skipped with a message outside CI and fail in CI.
//
// A test reads:
//
//	b := browsertest.New(t)                  // one Chromium for the test
//	cand := b.NewPage(t, "candidate")        // a browser context of its own
//	cand.Navigate(srv.URL + "/?lang=en")
//	cand.Type(`input[name="account"]`, "cand01")
//	cand.ClickNavigate(`form[action="/signin"] button`)
//	cand.MustAxeClean("my exams")            // serious/critical violations fail
//	cand.SetOffline(true)                    // requests fail, navigator.onLine is false
//	cand.WaitText(`[role="status"]`, "ffline")
//	n := browsertest.Eval[int](cand, `document.querySelectorAll("input").length`)
//
// Every failing step fails the test with the page's URL and a screenshot;
// script and console errors fail it when it ends (Page.Allow expects some).
// In a subtest, use the parent's page through Page.For(t).
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// DefaultTimeout bounds each step run through a Page (a navigation, a click,
// a wait). A step that waits for something the page never shows fails after
// it, with a screenshot, instead of hanging the test binary.
const DefaultTimeout = 15 * time.Second

// candidates are the browser names looked up when EXAMHALL_CHROMIUM is unset,
// in order.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindBrowser returns the Chromium executable to use: EXAMHALL_CHROMIUM when
// set (an error when it does not exist), else the first of the usual names
// on the PATH or in /usr/bin. It returns "" and no error when there is none.
func FindBrowser() (string, error) {
	if p := os.Getenv("EXAMHALL_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("EXAMHALL_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		if p := filepath.Join("/usr/bin", name); isExecutable(p) {
			return p, nil
		}
	}
	return "", nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// InCI reports whether the tests run in CI (CI set to anything but "" or
// "false"), where missing tools fail the test instead of skipping it.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// skipOrFail skips the test with msg, or fails it in CI.
func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s (CI is set, so this is a failure, not a skip)", msg)
		return
	}
	tb.Skip(msg)
}

// Browser is one headless Chromium process. Make people with NewPage; the
// browser stops when the test that made it ends.
type Browser struct {
	ctx    context.Context // the context of the browser's first tab, which owns the process
	exec   string
	stderr *syncBuffer

	axeOnce sync.Once
	axeSrc  string
	axeErr  error
}

// New starts a headless Chromium for tb, or skips tb (fails it in CI) when no
// browser is installed. The browser, its temporary profile and every page
// end with tb.
func New(tb testing.TB) *Browser {
	tb.Helper()
	path, err := FindBrowser()
	if err != nil {
		tb.Fatal(err)
	}
	if path == "" {
		skipOrFail(tb, "no Chromium found (set EXAMHALL_CHROMIUM, or install the Debian package chromium: apt-get install chromium); browser tests skipped")
	}
	stderr := &syncBuffer{}
	// No UserDataDir option: chromedp then makes a fresh temporary profile
	// per browser, and when the browser ends kills any child process still
	// using it and removes it.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.CombinedOutput(stderr),
		// Root in a container has no usable sandbox; the pages are our own.
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A fake camera and microphone, granted without a prompt, for the
		// proctoring pages.
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Start the browser now, with no timeout on this first call: its context
	// is the browser's life.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		tb.Fatalf("starting %s: %v\n%s", path, err, tail(stderr.String(), 2000))
	}
	tb.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the process to exit and the profile to go
	})
	return &Browser{ctx: ctx, exec: path, stderr: stderr}
}

// Exec is the path of the running browser.
func (b *Browser) Exec() string { return b.exec }

// Page is one person's tab in a browser context of its own: cookies,
// localStorage and cache are not shared with other Pages. It records every
// uncaught exception and console or browser-log error; the test fails at its
// end on any that no Allow pattern matches.
type Page struct {
	// Ctx is the chromedp context of the tab, for chromedp calls the helpers
	// do not cover. Bound it with a timeout derived from it, never replace it.
	Ctx  context.Context
	Name string

	tb      testing.TB
	b       *Browser
	Timeout time.Duration // per step; DefaultTimeout unless changed

	*record // shared by the views For makes
}

// record is what a tab's listener collects.
type record struct {
	mu       sync.Mutex
	problems []string
	allow    []*regexp.Regexp
	offline  bool
}

// For returns p as seen by tb: the same tab, reporting failures to tb. A
// subtest uses it on a page its parent made (failing the parent from a
// subtest is not allowed).
func (p *Page) For(tb testing.TB) *Page {
	q := *p
	q.tb = tb
	return &q
}

// NewPage opens a tab for name (used in messages and screenshot names) in a
// new browser context. The tab closes when tb ends, after its errors are
// checked.
func (b *Browser) NewPage(tb testing.TB, name string) *Page {
	tb.Helper()
	p := &Page{Name: name, tb: tb, b: b, Timeout: DefaultTimeout, record: &record{}}
	ctx, cancel := chromedp.NewContext(b.ctx,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(p.listen))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		tb.Fatalf("%s: opening a tab: %v", name, err)
	}
	p.Ctx = ctx
	tb.Cleanup(func() {
		p.CheckErrors()
		cancel()
	})
	return p
}

// NewTab opens another tab in p's browser context: the same person in the
// same browser (cookies and localStorage shared), as when a page is opened
// again. It closes with p, or when the test ends.
func (p *Page) NewTab(tb testing.TB, name string) *Page {
	tb.Helper()
	q := &Page{Name: name, tb: tb, b: p.b, Timeout: p.Timeout, record: &record{}}
	ctx, cancel := chromedp.NewContext(p.Ctx, chromedp.WithListener(q.listen))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		tb.Fatalf("%s: opening a tab: %v", name, err)
	}
	q.Ctx = ctx
	tb.Cleanup(func() {
		q.CheckErrors()
		cancel()
	})
	return q
}

// CloseTab closes p's tab at once, running no beforeunload handler, as when
// a tab crashes or the browser is killed; its browser context (and other
// tabs in it) stay. Use no other method of p afterwards.
func (p *Page) CloseTab() {
	p.tb.Helper()
	id := chromedp.FromContext(p.Ctx).Target.TargetID
	ctx, cancel := p.step()
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: id}); err != nil {
		p.tb.Fatalf("%s: closing the tab: %v", p.Name, err)
	}
}

// listen runs in the tab's event loop: it must only record.
func (p *record) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			first, _, _ := strings.Cut(d.Exception.Description, "\n")
			msg += " " + first
		}
		msg += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		if strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			return // the browser asks for it by itself; a page without one is not broken
		}
		msg = fmt.Sprintf("browser log (%s): %s", ev.Entry.Source, ev.Entry.Text)
		if ev.Entry.URL != "" {
			msg += " [" + ev.Entry.URL + "]"
		}
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline && strings.Contains(msg, "net::ERR_INTERNET_DISCONNECTED") {
		return // what a page sees offline; the page must cope, which the test checks
	}
	p.problems = append(p.problems, msg)
}

// Allow makes errors matching the regular expression expected: a test that
// provokes a 4xx page or a failed request on purpose says so.
func (p *Page) Allow(pattern string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allow = append(p.allow, regexp.MustCompile(pattern))
}

// Errors returns the uncaught exceptions and console errors so far that no
// Allow pattern matches.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
next:
	for _, m := range p.problems {
		for _, re := range p.allow {
			if re.MatchString(m) {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// CheckErrors fails the test (without stopping it) when the page had an
// uncaught exception or a console error, listing them; it then forgets them,
// so each is reported once. It runs by itself when the test ends.
func (p *Page) CheckErrors() {
	p.tb.Helper()
	if errs := p.Errors(); len(errs) > 0 {
		p.tb.Errorf("%s: %d script/console error(s):\n  %s", p.Name, len(errs), strings.Join(errs, "\n  "))
	}
	p.mu.Lock()
	p.problems = nil
	p.mu.Unlock()
}

// step returns a context bounding one step.
func (p *Page) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.Ctx, p.Timeout)
}

// Do runs the actions in order in the tab and fails the test at the first
// error, with a screenshot of the page and its URL in the message.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(err)
	}
}

// Run runs one action in p's tab and returns its value; the test fails on an
// error, as with Page.Do.
func Run[T any](p *Page, a chromedp.Action[T]) T {
	p.tb.Helper()
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(err)
	}
	return v
}

// Eval evaluates the JavaScript expression in the page (awaiting a promise)
// and decodes its JSON value into T; the test fails on an error or an
// exception.
func Eval[T any](p *Page, expr string) T {
	p.tb.Helper()
	return Run(p, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// fail stops the test, naming the page, its URL and a screenshot.
func (p *Page) fail(err error) {
	p.tb.Helper()
	where := ""
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	if u, uerr := chromedp.Run(ctx, chromedp.Location()); uerr == nil {
		where = " at " + u
	}
	shot := p.screenshotTo(ctx, "failure")
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no result within %s: %w", p.Timeout, err)
	}
	p.tb.Fatalf("%s%s: %v%s", p.Name, where, err, shot)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) {
	p.tb.Helper()
	p.Do(chromedp.Navigate(url))
}

// ClickNavigate clicks the first element matching the CSS selector (a link
// or a form's submit button) and waits for the page it leads to to load.
func (p *Page) ClickNavigate(css string) {
	p.tb.Helper()
	Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css))))
}

// Click clicks the first element matching the CSS selector, waiting for it
// to be visible.
func (p *Page) Click(css string) {
	p.tb.Helper()
	p.Do(chromedp.Click(chromedp.CSS(css)))
}

// Type types text into the first element matching the CSS selector, key by
// key, as a person would.
func (p *Page) Type(css, text string) {
	p.tb.Helper()
	p.Do(chromedp.SendKeys(chromedp.CSS(css), text))
}

// Key sends key presses to the focused element (see the chromedp/kb package
// for named keys: kb.Tab, kb.Enter, kb.ArrowDown, kb.Escape …), each as a
// keyboard does: a raw key-down, a char for a printable key, a key-up.
func (p *Page) Key(keys string) {
	p.tb.Helper()
	p.Do(press(keys))
}

// KeyNavigate sends key presses that lead to another page (Enter on a link
// or a form) and waits for that page to load.
func (p *Page) KeyNavigate(keys string) {
	p.tb.Helper()
	Run(p, chromedp.WaitEvent(page.LoadEventFired, nil, press(keys)))
}

// press types keys. chromedp.KeyEvent sends "keyDown" then "char": Blink
// does not treat that keyDown as a keyboard's raw key-down, so when the
// key-down moves the focus (Enter on a link whose script focuses a text
// field) the char still lands in the new field, which no keyboard does.
// A "rawKeyDown" gets the browser's real handling.
func press(keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			events := kb.Encode(r)
			for _, e := range events {
				if e.Type == kb.KeyDown && len(events) == 3 {
					e.Type = input.DispatchKeyEventTypeRawKeyDown
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// maxTabs bounds TabTo: more stops than any of our pages has.
const maxTabs = 80

// TabTo presses Tab, as a keyboard user does, until the focused element
// matches the CSS selector, and fails listing the stops it went through
// when it never does.
func (p *Page) TabTo(css string) {
	p.tb.Helper()
	matches := fmt.Sprintf(`(() => { const e = document.activeElement; return !!e && e.matches(%q); })()`, css)
	describe := `(() => { const e = document.activeElement; if (!e || e === document.body) return "body";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.name ? "[name=" + e.name + "]" : "") +
			(e.getAttribute("href") ? "[href=" + e.getAttribute("href") + "]" : "") +
			" " + JSON.stringify((e.innerText || e.value || "").trim().slice(0, 30)); })()`
	var stops []string
	for range maxTabs {
		if Eval[bool](p, matches) {
			return
		}
		p.Key(kb.Tab)
		stops = append(stops, Eval[string](p, describe))
	}
	p.fail(fmt.Errorf("Tab never reaches %s; the stops were:\n    %s", css, strings.Join(stops, "\n    ")))
}

// Focused describes the focused element: its tag, id and text.
func (p *Page) Focused() string {
	p.tb.Helper()
	return Eval[string](p, `(() => { const e = document.activeElement; if (!e || e === document.body) return "body";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + (e.innerText || e.value || "").trim().slice(0, 40); })()`)
}

// Location returns the page's URL.
func (p *Page) Location() string {
	p.tb.Helper()
	return Run(p, chromedp.Location())
}

// Text returns the visible text of the first element matching the CSS
// selector, waiting for it to be visible.
func (p *Page) Text(css string) string {
	p.tb.Helper()
	return Run(p, chromedp.Text(chromedp.CSS(css)))
}

// WaitText waits until the text of the first element matching the CSS
// selector contains want, and returns that text. It polls in the page, so it
// also sees text a script changes later.
func (p *Page) WaitText(css, want string) string {
	p.tb.Helper()
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); const t = e ? (e.innerText || e.textContent || "") : null; return t !== null && t.includes(%q) ? t : null; })()`, css, want)
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[string](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		got, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? (e.innerText || e.textContent || "") : "<no element>"; })()`, css)))
		p.fail(fmt.Errorf("waiting for %q in %s (it reads %q): %w", want, css, got, err))
	}
	return v
}

// WaitFor waits until the JavaScript expression is truthy.
func (p *Page) WaitFor(expr string) {
	p.tb.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.fail(fmt.Errorf("waiting for %s: %w", expr, err))
	}
}

// Reload reloads the page and waits for its load event.
func (p *Page) Reload() {
	p.tb.Helper()
	p.Do(chromedp.Reload())
}

// SetOffline cuts the tab's network (every request fails as with no
// connection, and navigator.onLine turns false with an "offline" event) or
// restores it (an "online" event). Errors of requests made while offline
// (net::ERR_INTERNET_DISCONNECTED) are not counted as page errors.
func (p *Page) SetOffline(offline bool) {
	p.tb.Helper()
	p.mu.Lock()
	if offline {
		p.offline = true
	}
	p.mu.Unlock()
	p.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		cond := &network.Conditions{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{cond},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
		})
		return err
	}))
	if !offline {
		// Failures reported just after the switch still belong to the
		// offline period; give the page's event loop a moment to flush them.
		time.Sleep(50 * time.Millisecond)
		p.mu.Lock()
		p.offline = false
		p.mu.Unlock()
	}
}

// SetAcceptLanguage makes the tab send Accept-Language: langs (e.g.
// "zh-CN,zh;q=0.9") instead of the browser's own (en-US in Chromium as
// installed here), as the browser of a person with that preference would.
func (p *Page) SetAcceptLanguage(langs string) {
	p.tb.Helper()
	p.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": langs},
		})
		return err
	}))
}

// Screenshot saves a PNG of the whole page for debugging and returns its path:
// in EXAMHALL_SCREENSHOTS when set, else in a directory under the system
// temporary directory that outlives the test. The path is logged.
func (p *Page) Screenshot(name string) string {
	p.tb.Helper()
	ctx, cancel := p.step()
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.tb.Fatalf("%s: screenshot: %v", p.Name, err)
	}
	path, err := p.saveShot(name, buf)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.tb.Logf("%s: screenshot %s", p.Name, path)
	return path
}

// screenshotTo tries a screenshot for a failure message; it never fails.
func (p *Page) screenshotTo(ctx context.Context, name string) string {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return ""
	}
	path, err := p.saveShot(name, buf)
	if err != nil {
		return ""
	}
	return "\n  screenshot: " + path
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (p *Page) saveShot(name string, png []byte) (string, error) {
	dir := os.Getenv("EXAMHALL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "examhall-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := unsafeName.ReplaceAllString(p.tb.Name()+"-"+p.Name+"-"+name, "_") + ".png"
	path := filepath.Join(dir, file)
	return path, os.WriteFile(path, png, 0o644)
}

// ModuleRoot returns the directory holding go.mod, walking up from the
// working directory (a test's package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// syncBuffer collects the browser's output for a failure message.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep the start; a failure to start shows there
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
