package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AxePath is where axe-core is read from, relative to the module root;
// `npm ci` at the root puts it there (package.json, package-lock.json).
const AxePath = "node_modules/axe-core/axe.min.js"

// Violation is one axe-core rule a page breaks, with the elements that break it.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"` // minor, moderate, serious or critical
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target         []string `json:"target"` // CSS selectors of the element
		HTML           string   `json:"html"`
		FailureSummary string   `json:"failureSummary"`
	} `json:"nodes"`
}

// String is the violation as a test failure lists it.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s: %s (%s)", v.Impact, v.ID, v.Help, v.HelpURL)
	for i, n := range v.Nodes {
		if i == 5 {
			fmt.Fprintf(&b, "\n      … and %d more", len(v.Nodes)-i)
			break
		}
		fmt.Fprintf(&b, "\n      %s  %s", strings.Join(n.Target, " "), n.HTML)
		if s := strings.TrimSpace(n.FailureSummary); s != "" {
			fmt.Fprintf(&b, "\n        %s", strings.ReplaceAll(s, "\n", "\n        "))
		}
	}
	return b.String()
}

// axeSource reads axe-core once per browser.
func (b *Browser) axeSource() (string, error) {
	b.axeOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			b.axeErr = err
			return
		}
		src, err := os.ReadFile(filepath.Join(root, AxePath))
		if err != nil {
			b.axeErr = fmt.Errorf("axe-core is not installed (%w); run `npm ci` at %s", err, root)
			return
		}
		b.axeSrc = string(src)
	})
	return b.axeSrc, b.axeErr
}

// Axe runs axe-core (every rule) on the page as it is now and returns the
// violations whose impact is serious or critical. When axe-core is not
// installed it returns nil after logging that the check was skipped, or fails
// the test in CI.
func (p *Page) Axe() []Violation {
	p.tb.Helper()
	src, err := p.b.axeSource()
	if err != nil {
		if InCI() {
			p.tb.Fatalf("%v (CI is set, so this is a failure)", err)
		}
		p.tb.Logf("accessibility check skipped: %v", err)
		return nil
	}
	// Evaluated through the DevTools protocol, axe is not subject to the
	// page's Content-Security-Policy, so the page needs no exception for it.
	if !Eval[bool](p, `typeof window.axe === "object"`) {
		Eval[bool](p, src+"\n;true")
	}
	return Eval[[]Violation](p, `axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical"))`)
}

// MustAxeClean fails the test (without stopping it) when axe-core finds a
// serious or critical violation on the page, listing each with its elements;
// what names the page in the message.
func (p *Page) MustAxeClean(what string) {
	p.tb.Helper()
	vs := p.Axe()
	if len(vs) == 0 {
		return
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.String()
	}
	p.tb.Errorf("%s: axe-core finds %d serious/critical violation(s) on %s:\n  %s", p.Name, len(vs), what, strings.Join(lines, "\n  "))
}
