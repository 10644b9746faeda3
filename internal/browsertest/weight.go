package browsertest

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Weight is what the current document loaded, uncompressed, by kind, from
// the browser's resource timing: the document's HTML and every stylesheet
// and script it fetched. Other counts the rest (images, fonts, API calls).
type Weight struct {
	HTML, CSS, JS, Other int
	URLs                 map[string]int // each URL loaded, with its size
}

// Total is HTML + CSS + JS: the weight the take page's budget is about.
func (w Weight) Total() int { return w.HTML + w.CSS + w.JS }

func (w Weight) String() string {
	return fmt.Sprintf("HTML %d B + CSS %d B + JS %d B = %d B (other %d B)", w.HTML, w.CSS, w.JS, w.Total(), w.Other)
}

// PageWeight measures the current document (call it once the page has
// loaded). Sizes are decoded bodies, i.e. before any compression.
func (p *Page) PageWeight() Weight {
	p.tb.Helper()
	type entry struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		Initiator string `json:"initiator"`
		Size      int    `json:"size"`
	}
	entries := Eval[[]entry](p, `performance.getEntries()
		.filter(e => e.entryType === "navigation" || e.entryType === "resource")
		.map(e => ({name: e.name, type: e.entryType, initiator: e.initiatorType || "", size: e.decodedBodySize || 0}))`)
	w := Weight{URLs: map[string]int{}}
	for _, e := range entries {
		w.URLs[e.Name] += e.Size
		switch {
		case e.Type == "navigation":
			w.HTML += e.Size
		case isKind(e.Name, ".css"):
			w.CSS += e.Size
		case isKind(e.Name, ".js") || isKind(e.Name, ".mjs") || e.Initiator == "script":
			w.JS += e.Size
		default:
			w.Other += e.Size
		}
	}
	return w
}

// isKind reports whether the URL's path ends in ext.
func isKind(raw, ext string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return strings.EqualFold(path.Ext(u.Path), ext)
}
