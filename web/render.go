package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"examhall"
)

//go:embed templates static
var assets embed.FS

// pages holds one parsed template per view (the layout with that view) and
// the static files with their content hashes.
type pages struct {
	views  map[string]*template.Template
	static map[string]staticFile // by file name
}

type staticFile struct {
	body []byte
	hash string // first 10 hex digits of its SHA-256
	mime string
}

func mustParsePages() *pages {
	p := &pages{views: map[string]*template.Template{}, static: map[string]staticFile{}}
	files, err := fs.Glob(assets, "static/*")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := assets.ReadFile(f)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		p.static[path.Base(f)] = staticFile{body: b, hash: hex.EncodeToString(sum[:])[:10], mime: mime.TypeByExtension(path.Ext(f))}
	}
	funcs := template.FuncMap{
		// static returns a file's URL with its content hash, so it can be
		// cached for good and still change with each release.
		"static": func(name string) string {
			f, ok := p.static[name]
			if !ok {
				panic("web: no static file " + name)
			}
			return "/static/" + name + "?v=" + f.hash
		},
		// json encodes v for a data- attribute, which the page's script
		// parses: attribute escaping keeps it inert.
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"inc": func(i int) int { return i + 1 },
		"div": func(a, b int) int { return a / b },
	}
	views, err := fs.Glob(assets, "templates/views/*.html")
	if err != nil {
		panic(err)
	}
	for _, v := range views {
		name := strings.TrimSuffix(path.Base(v), ".html")
		p.views[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(assets, "templates/layout.html", "templates/partials/*.html", v))
	}
	return p
}

// Page is what every view shows around its content: the language, the
// signed-in user, the CSRF token, the title. Views embed it.
type Page struct {
	Lang  string
	Title string
	User  *examhall.User // nil when signed out
	CSRF  string
	Path  string // the request's path and query, for the language switch
	loc   *time.Location
}

// T returns the message key in the page's language.
func (p *Page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// Time shows t in the server's zone, to the minute ("" for a zero time).
func (p *Page) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.loc).Format("2006-01-02 15:04")
}

// Clock shows t in the server's zone, to the second.
func (p *Page) Clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.loc).Format("2006-01-02 15:04:05")
}

// Score shows a score without needless decimals.
func (p *Page) Score(f float64) string {
	return strconv.FormatFloat(examhall.Round2(f), 'f', -1, 64)
}

// OtherLang is the language the switch offers, and LangURL its link.
func (p *Page) OtherLang() string {
	if p.Lang == "en" {
		return "zh-CN"
	}
	return "en"
}

// LangURL is the current page in the other language.
func (p *Page) LangURL() string {
	u, q, _ := strings.Cut(p.Path, "?")
	var keep []string
	for _, kv := range strings.Split(q, "&") {
		if kv != "" && !strings.HasPrefix(kv, "lang=") {
			keep = append(keep, kv)
		}
	}
	keep = append(keep, "lang="+p.OtherLang())
	return u + "?" + strings.Join(keep, "&")
}

// SignalName names a cheat record's detectType: a signal of the pages in
// the page's language, anything else (the vendor clients' types) as it is.
func (p *Page) SignalName(detectType string) string {
	if msg := translate(p.Lang, "live.signal."+detectType); msg != "live.signal."+detectType {
		return msg
	}
	return detectType
}

// IsRole reports whether the signed-in user has role r.
func (p *Page) IsRole(r string) bool { return p.User != nil && string(p.User.Role) == r }

// page returns the Page of r.
func (s *Server) page(w http.ResponseWriter, r *http.Request) Page {
	p := Page{Lang: s.language(w, r), CSRF: s.csrfToken(r), Path: r.URL.RequestURI(), loc: s.location()}
	if c := examhall.CallerFromContext(r.Context()); c != nil {
		p.User = c.User
	}
	return p
}

// render executes view with data into a buffer, then writes it, so that a
// template error is an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, view string, data any) {
	t, ok := s.pages.views[view]
	if !ok {
		panic("web: no view " + view)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.log().Error("rendering page", "view", view, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// static serves an embedded file; with the current ?v= hash it may be
// cached for a year.
func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.pages.static[r.PathValue("file")]
	if !ok {
		return examhall.Errorf(examhall.ENOTFOUND, "no such file")
	}
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+f.hash+`"`)
	w.Header().Set("Content-Type", f.mime)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

// errorView is the error page.
type errorView struct {
	Page
	Status  int
	Code    string
	Message string
}
