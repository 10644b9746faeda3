package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Languages the pages speak; the first is the default.
var languages = []string{"zh-CN", "en"}

//go:embed locale/*.json
var localeFS embed.FS

// catalog is one language's messages by key. Messages are fmt formats.
type catalog map[string]string

// catalogs holds every language's messages, loaded once.
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]catalog {
	out := make(map[string]catalog, len(languages))
	for _, lang := range languages {
		b, err := localeFS.ReadFile("locale/" + lang + ".json")
		if err != nil {
			panic(err)
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			panic(fmt.Sprintf("web: locale/%s.json: %v", lang, err))
		}
		out[lang] = c
	}
	return out
}

// translate returns the message key in lang, formatted with args; a missing
// key shows as itself so that it is noticed (a test keeps the catalogues
// complete).
func translate(lang, key string, args ...any) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// language picks the page language: ?lang= (remembered in a cookie), the
// cookie, then Accept-Language; Chinese by default.
func (s *Server) language(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if lang := match(q); lang != "" {
			s.setCookie(w, langCookie, lang, time.Now().AddDate(1, 0, 0), http.SameSiteLaxMode)
			return lang
		}
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		if lang := match(ck.Value); lang != "" {
			return lang
		}
	}
	return preferred(r.Header.Get("Accept-Language"))
}

// match returns the supported language tag names, or "".
func match(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "en" || strings.HasPrefix(tag, "en-"):
		return "en"
	case tag == "zh" || strings.HasPrefix(tag, "zh-"):
		return "zh-CN"
	}
	return ""
}

// preferred returns the supported language the Accept-Language header
// ranks highest, or the default.
func preferred(header string) string {
	best, bestQ := languages[0], -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		lang := match(tag)
		if lang == "" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
