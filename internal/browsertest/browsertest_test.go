package browsertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// fakeTB records what the harness reports instead of failing the real test,
// so the self-test can check that a page with a problem is reported.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) reported() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errors, "\n")
}

// site serves the pages of the self-test.
func site(t *testing.T) (*httptest.Server, *pings) {
	ps := &pings{}
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>self-test</title>
<link rel="stylesheet" href="/static/site.css"></head><body><main>`+body+`</main></body></html>`)
		}
	}
	// Clean: every control labelled.
	mux.HandleFunc("GET /clean", page(`<h1>Clean</h1><form><label for="name">Name</label><input id="name" name="name"><button>Send</button></form>`))
	// A text input with no label: axe's "label" rule, impact critical.
	mux.HandleFunc("GET /unlabelled", page(`<h1>Unlabelled</h1><form><input name="account"><button>Send</button></form>`))
	// A script error on a click, and a console.error on load.
	mux.HandleFunc("GET /broken", page(`<h1>Broken</h1><button id="boom">Boom</button><script src="/static/broken.js"></script>`))
	// Sends a ping on each click and shows navigator.onLine and the answer.
	mux.HandleFunc("GET /online", page(`<h1>Online</h1><button id="ping">Ping</button><p id="state" role="status"></p><script src="/static/online.js"></script>`))
	mux.HandleFunc("GET /static/site.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, "body { font-family: sans-serif; color: #111; background: #fff; }\n")
	})
	mux.HandleFunc("GET /static/broken.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, `console.error("loaded badly");
document.getElementById("boom").addEventListener("click", () => { undefinedFunction(); });
`)
	})
	mux.HandleFunc("GET /static/online.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, `const state = document.getElementById("state");
const show = (s) => { state.textContent = (navigator.onLine ? "online" : "offline") + " " + s; };
addEventListener("offline", () => show("event"));
addEventListener("online", () => show("event"));
document.getElementById("ping").addEventListener("click", () => {
  fetch("/ping", {method: "POST"}).then(r => r.text()).then(t => show(t)).catch(() => show("failed"));
});
show("start");
`)
	})
	// An inline script under a policy that forbids it.
	mux.HandleFunc("GET /csp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		page(`<h1>CSP</h1><script>document.title = "ran";</script>`)(w, r)
	})
	// A link whose click moves the focus into a text field.
	mux.HandleFunc("GET /keys", page(`<h1>Keys</h1><label for="first">First</label><input id="first">
<a id="jump" href="#note">Jump</a><label for="note">Note</label><textarea id="note"></textarea><script src="/static/keys.js"></script>`))
	mux.HandleFunc("GET /static/keys.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, `document.getElementById("jump").addEventListener("click", (e) => {
  e.preventDefault(); document.getElementById("note").focus();
});
`)
	})
	mux.HandleFunc("GET /lang", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Accept-Language"))
	})
	mux.HandleFunc("POST /ping", func(w http.ResponseWriter, r *http.Request) {
		ps.add()
		io.WriteString(w, "pong")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ps
}

type pings struct {
	mu sync.Mutex
	n  int
}

func (p *pings) add() { p.mu.Lock(); p.n++; p.mu.Unlock() }
func (p *pings) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func TestHarness(t *testing.T) {
	b := New(t)
	srv, ps := site(t)

	t.Run("axe clean", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/clean")
		if vs := p.Axe(); len(vs) != 0 {
			t.Errorf("clean page: %v", vs)
		}
		if got := p.Text("h1"); got != "Clean" {
			t.Errorf("h1 = %q", got)
		}
	})

	t.Run("axe finds a missing label", func(t *testing.T) {
		if _, err := b.axeSource(); err != nil {
			t.Skip(err) // New already failed in CI
		}
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/unlabelled")
		vs := p.Axe()
		var label *Violation
		for i := range vs {
			if vs[i].ID == "label" {
				label = &vs[i]
			}
		}
		if label == nil {
			t.Fatalf("violations = %v, want the rule \"label\"", vs)
		}
		if label.Impact != "critical" || len(label.Nodes) != 1 || !strings.Contains(label.Nodes[0].HTML, `name="account"`) {
			t.Errorf("label violation = %s", label)
		}
		fake := &fakeTB{TB: t}
		p.tb = fake
		p.MustAxeClean("the unlabelled page")
		p.tb = t
		if r := fake.reported(); !strings.Contains(r, "label") || !strings.Contains(r, `input[name="account"]`) && !strings.Contains(r, `name="account"`) {
			t.Errorf("MustAxeClean reported %q, want the label rule and the input", r)
		}
	})

	t.Run("script errors are caught", func(t *testing.T) {
		fake := &fakeTB{TB: t}
		p := b.NewPage(t, "candidate")
		p.tb = fake
		p.Navigate(srv.URL + "/broken")
		p.Do(chromedp.Click(chromedp.CSS("#boom")))
		p.WaitFor(`true`)
		var errs []string
		for range 50 { // the exception event may trail the click's reply
			if errs = p.Errors(); len(errs) >= 2 {
				break
			}
			p.Do(chromedp.Sleep(20 * time.Millisecond))
		}
		joined := strings.Join(errs, "\n")
		if !strings.Contains(joined, "loaded badly") || !strings.Contains(joined, "undefinedFunction") {
			t.Errorf("errors = %q, want the console.error and the uncaught ReferenceError", errs)
		}
		p.CheckErrors()
		if r := fake.reported(); !strings.Contains(r, "undefinedFunction") {
			t.Errorf("CheckErrors reported %q", r)
		}
		if len(p.Errors()) != 0 {
			t.Errorf("errors after CheckErrors = %q, want them forgotten", p.Errors())
		}
		// A script the Content-Security-Policy blocks is reported too.
		p.Navigate(srv.URL + "/csp")
		p.WaitFor(`document.readyState === "complete"`)
		for range 50 {
			if len(p.Errors()) > 0 {
				break
			}
			p.Do(chromedp.Sleep(20 * time.Millisecond))
		}
		if errs := strings.Join(p.Errors(), "\n"); !strings.Contains(errs, "Content Security Policy") {
			t.Errorf("errors on a page whose inline script is refused = %q", errs)
		}
		p.CheckErrors()
		// Allow makes an expected error pass.
		p.Navigate(srv.URL + "/broken")
		p.Allow(`loaded badly`)
		p.WaitFor(`document.readyState === "complete"`)
		p.tb = t
	})

	t.Run("offline and online", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/online")
		p.WaitText("#state", "online start")
		p.Do(chromedp.Click(chromedp.CSS("#ping")))
		p.WaitText("#state", "online pong")
		before := ps.count()

		p.SetOffline(true)
		p.WaitText("#state", "offline event")
		p.Do(chromedp.Click(chromedp.CSS("#ping")))
		p.WaitText("#state", "offline failed")
		if got := ps.count(); got != before {
			t.Errorf("pings while offline reached the server: %d, want %d", got, before)
		}

		p.SetOffline(false)
		p.WaitText("#state", "online event")
		p.Do(chromedp.Click(chromedp.CSS("#ping")))
		p.WaitText("#state", "online pong")
		if got := ps.count(); got != before+1 {
			t.Errorf("pings after reconnecting = %d, want %d", got, before+1)
		}
	})

	t.Run("contexts are separate", func(t *testing.T) {
		a := b.NewPage(t, "candidate")
		c := b.NewPage(t, "second device")
		a.Navigate(srv.URL + "/clean")
		c.Navigate(srv.URL + "/clean")
		Eval[bool](a, `localStorage.setItem("k", "a"); document.cookie = "c=a"; true`)
		if got := Eval[string](c, `(localStorage.getItem("k") || "") + "|" + document.cookie`); got != "|" {
			t.Errorf("second context sees %q of the first's storage and cookies", got)
		}
		if got := Eval[string](a, `localStorage.getItem("k") + "|" + document.cookie`); got != "a|c=a" {
			t.Errorf("first context reads back %q", got)
		}

		// A second tab of the same person shares them, and outlives the
		// first tab closing.
		tab := a.NewTab(t, "candidate, second tab")
		tab.Navigate(srv.URL + "/clean")
		a.CloseTab()
		if got := Eval[string](tab, `localStorage.getItem("k") + "|" + document.cookie`); got != "a|c=a" {
			t.Errorf("second tab reads %q, want the first tab's storage and cookies", got)
		}
	})

	// A page made by the parent test, used by its subtests through For.
	shared := b.NewPage(t, "shared")
	t.Run("for a subtest, first", func(t *testing.T) {
		p := shared.For(t)
		p.Navigate(srv.URL + "/online")
		p.WaitText("#state", "online start")
	})
	t.Run("for a subtest, second", func(t *testing.T) {
		p := shared.For(t)
		p.Click("#ping")
		p.WaitText("#state", "online pong")
	})

	t.Run("accept-language", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.SetAcceptLanguage("zh-CN,zh;q=0.9")
		p.Navigate(srv.URL + "/lang")
		if got := p.Text("body"); got != "zh-CN,zh;q=0.9" {
			t.Errorf("Accept-Language sent = %q", got)
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/keys")
		p.TabTo("#first")
		p.Key("abc")
		p.TabTo("#jump")
		p.Key(kb.Enter)
		if f := p.Focused(); !strings.HasPrefix(f, "textarea#note") {
			t.Fatalf("focus after Enter on the link: %q", f)
		}
		p.Key("x")
		if got := Eval[string](p, `document.getElementById("first").value + "|" + document.getElementById("note").value`); got != "abc|x" {
			t.Errorf("fields read %q, want \"abc|x\" (no newline from the Enter that moved the focus)", got)
		}
	})

	t.Run("fake camera", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/clean")
		// Granted without a prompt, a synthetic picture: what the proctoring
		// pages' snapshots will get.
		got := Eval[string](p, `navigator.mediaDevices.getUserMedia({video: true}).then(s => {
			const tr = s.getVideoTracks()[0], set = tr.getSettings();
			const out = tr.readyState + " " + (set.width > 0 && set.height > 0);
			tr.stop();
			return out;
		})`)
		if got != "live true" {
			t.Errorf("fake camera track: %q, want a live track with a size", got)
		}
	})

	t.Run("weight and screenshot", func(t *testing.T) {
		p := b.NewPage(t, "candidate")
		p.Navigate(srv.URL + "/online")
		w := p.PageWeight()
		if w.HTML == 0 || w.CSS == 0 || w.JS == 0 || w.Total() != w.HTML+w.CSS+w.JS {
			t.Errorf("weight = %s, want HTML, CSS and JS each > 0", w)
		}
		if w.Total() > 4000 {
			t.Errorf("weight = %s, more than the few hundred bytes served", w)
		}
		path := p.Screenshot("online")
		if !strings.HasSuffix(path, ".png") {
			t.Errorf("screenshot path %q", path)
		}
	})
}

func TestFindBrowserEnv(t *testing.T) {
	t.Setenv("EXAMHALL_CHROMIUM", "/nonexistent/chromium")
	if _, err := FindBrowser(); err == nil || !strings.Contains(err.Error(), "EXAMHALL_CHROMIUM") {
		t.Errorf("FindBrowser with a missing EXAMHALL_CHROMIUM = %v, want an error naming it", err)
	}
}

// recordTB records Skip and Fatal instead of stopping the test.
type recordTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordTB) Helper()                           {}
func (r *recordTB) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestSkipOrFail(t *testing.T) {
	for _, tc := range []struct {
		ci         string
		skip, fail bool
	}{
		{ci: "", skip: true},
		{ci: "false", skip: true},
		{ci: "true", fail: true},
		{ci: "1", fail: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recordTB{TB: t}
			skipOrFail(r, "no Chromium found")
			if (r.skipped != "") != tc.skip || (r.fatal != "") != tc.fail {
				t.Errorf("skipped %q, failed %q; want skip %v, fail %v", r.skipped, r.fatal, tc.skip, tc.fail)
			}
			if tc.fail && !strings.Contains(r.fatal, "no Chromium found") {
				t.Errorf("failure %q does not say why", r.fatal)
			}
		})
	}
}
