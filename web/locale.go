package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// Languages the pages speak; the first is the default.
var languages = []string{"zh-CN", "en"}

// localeFS holds the catalogues: locale/<lang>/*.json, one file per page
// area, merged; a key defined twice is a mistake.
//
//go:embed locale
var localeFS embed.FS

// catalog is one language's messages by key. Messages are fmt formats.
type catalog map[string]string

// catalogs holds every language's messages, loaded once.
var catalogs = mustLoadCatalogs()

func mustLoadCatalogs() map[string]catalog {
	out := make(map[string]catalog, len(languages))
	for _, lang := range languages {
		files, err := fs.Glob(localeFS, "locale/"+lang+"/*.json")
		if err != nil || len(files) == 0 {
			panic(fmt.Sprintf("web: no catalogue for %s", lang))
		}
		c := catalog{}
		for _, f := range files {
			b, err := localeFS.ReadFile(f)
			if err != nil {
				panic(err)
			}
			var part catalog
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("web: %s: %v", f, err))
			}
			for k, v := range part {
				if _, dup := c[k]; dup {
					panic(fmt.Sprintf("web: %s: key %q is defined twice", f, k))
				}
				c[k] = v
			}
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
