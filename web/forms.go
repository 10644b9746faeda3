package web

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"examhall"
	"examhall/sheet"
)

// The helpers of the staff console's forms: field errors, paging, uploads
// and the signed payload that carries a previewed import to its commit.

// fieldErrors holds a form's errors by field name, already in the page's
// language. A form with any is shown again with status 400 and nothing is
// written.
type fieldErrors map[string]string

// Has reports whether field has an error.
func (e fieldErrors) Has(field string) bool { _, ok := e[field]; return ok }

// Get returns field's error, or "".
func (e fieldErrors) Get(field string) string { return e[field] }

// add records msg for field unless it already has an error.
func (e fieldErrors) add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// text returns the trimmed form value of name, recording an error when it
// is not storable text.
func (e fieldErrors) text(r *http.Request, name string, p *Page) string {
	v := strings.TrimSpace(r.PostFormValue(name))
	if !examhall.ValidText(v) {
		e.add(name, p.T("admin.form.badText"))
		return ""
	}
	return v
}

// number parses the form value of name as a float in [lo, hi].
func (e fieldErrors) number(r *http.Request, name string, lo, hi float64, p *Page) float64 {
	v := strings.TrimSpace(r.PostFormValue(name))
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi || f != f {
		e.add(name, p.T("admin.form.range", p.Score(lo), p.Score(hi)))
		return 0
	}
	return f
}

// integer parses the form value of name as an int in [lo, hi]; "" is def.
func (e fieldErrors) integer(r *http.Request, name string, lo, hi, def int, p *Page) int {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.add(name, p.T("admin.form.intRange", lo, hi))
		return def
	}
	return n
}

// datetimeLocal is the format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// datetime parses a datetime-local value in loc; "" is the zero time when
// optional, else an error.
func (e fieldErrors) datetime(r *http.Request, name string, optional bool, loc *time.Location, p *Page) time.Time {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" && optional {
		return time.Time{}
	}
	t, err := time.ParseInLocation(datetimeLocal, v, loc)
	if err != nil {
		// Browsers may send seconds.
		t, err = time.ParseInLocation(datetimeLocal+":05", v, loc)
	}
	if err != nil {
		e.add(name, p.T("admin.form.datetime"))
		return time.Time{}
	}
	return t
}

// DateInput shows t as a datetime-local value in the page's zone.
func (p *Page) DateInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.loc).Format(datetimeLocal)
}

// Zone names the server's zone, which the forms' times are in.
func (p *Page) Zone() string { return p.loc.String() }

// pageSize is the rows per page of the staff console's long lists.
const pageSize = 50

// pager is one page of a long list and the links to its neighbours.
type pager struct {
	Offset, Total int
	First, Last   int    // 1-based positions shown
	Prev, Next    string // URLs, "" at either end
}

// newPager reads ?page= (1-based) from r and returns the offset of that
// page; fill sets the total and links once it is known.
func newPager(r *http.Request) *pager {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 1_000_000 {
		n = 1
	}
	return &pager{Offset: (n - 1) * pageSize}
}

func (pg *pager) fill(r *http.Request, total, shown int) {
	pg.Total = total
	if shown > 0 {
		pg.First, pg.Last = pg.Offset+1, pg.Offset+shown
	}
	link := func(page int) string {
		q := r.URL.Query()
		q.Del("lang")
		q.Set("page", strconv.Itoa(page))
		return r.URL.Path + "?" + q.Encode()
	}
	cur := pg.Offset/pageSize + 1
	if cur > 1 {
		pg.Prev = link(cur - 1)
	}
	if pg.Offset+shown < total {
		pg.Next = link(cur + 1)
	}
}

// maxUploadBytes bounds a file uploaded through a page. Page writes carry
// their CSRF token in the form, which the server reads from bodies of at
// most examhall.MaxBodyBytes, so larger files go through /api/v1.
const maxUploadBytes = examhall.MaxBodyBytes - 16<<10

// MaxUpload is the largest file the page forms take, for upload.js.
func (p *Page) MaxUpload() int { return maxUploadBytes }

// upload returns the rows (at most maxRows below the header) of the file in
// the form's field name.
func upload(r *http.Request, name string, maxRows int) ([]sheet.Row, error) {
	f, _, err := r.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, examhall.Errorf(examhall.EINVALID, "choose a file to upload")
	} else if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "reading the upload: %s", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	switch {
	case err != nil:
		return nil, examhall.Errorf(examhall.EINVALID, "reading the upload: %s", err)
	case len(data) > maxUploadBytes:
		return nil, examhall.Errorf(examhall.ETOOLARGE, "the file is larger than %d KiB", maxUploadBytes>>10)
	case len(data) == 0:
		return nil, examhall.Errorf(examhall.EINVALID, "the file is empty")
	}
	return sheet.Read(data, sheet.Detect(data), maxRows)
}

// sealed is a previewed import carried to its commit in hidden fields: the
// gzipped JSON of what the preview checked, and an HMAC of it under the
// server's key, so that the commit writes exactly what was shown, without
// parsing (and hashing passwords) again.
type sealed struct {
	Payload string // base64url of gzipped JSON
	Sig     string
}

// seal encodes v for purpose.
func (s *Server) seal(purpose string, v any) (sealed, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return sealed{}, err
	}
	if err := zw.Close(); err != nil {
		return sealed{}, err
	}
	p := base64.RawURLEncoding.EncodeToString(buf.Bytes())
	return sealed{Payload: p, Sig: s.sealSig(purpose, p)}, nil
}

func (s *Server) sealSig(purpose, payload string) string {
	m := hmac.New(sha256.New, s.CSRFKey)
	m.Write([]byte("examhall sealed\x00" + purpose + "\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// unseal decodes the form's sealed payload for purpose into v; EINVALID
// when it was altered or is not one.
func (s *Server) unseal(r *http.Request, purpose string, v any) error {
	p, sig := r.PostFormValue("payload"), r.PostFormValue("sig")
	bad := examhall.Errorf(examhall.EINVALID, "the preview has expired or was altered: upload the file again")
	if p == "" || !hmac.Equal([]byte(sig), []byte(s.sealSig(purpose, p))) {
		return bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return bad
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return bad
	}
	if err := json.NewDecoder(io.LimitReader(zr, 64<<20)).Decode(v); err != nil {
		return bad
	}
	return nil
}

// redirect answers a successful POST: 303 to path with a notice key and
// an optional #fragment.
func redirect(w http.ResponseWriter, r *http.Request, path, notice string, fragment ...string) {
	path, frag, _ := strings.Cut(path, "#")
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "notice=" + url.QueryEscape(notice)
	}
	if frag != "" {
		path += "#" + frag
	}
	for _, f := range fragment {
		path += f
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// notice returns the locale key of the page's ?notice=, when it is one of
// the console's notices.
func notice(r *http.Request) string {
	n := r.URL.Query().Get("notice")
	if strings.HasPrefix(n, "notice.") && len(n) < 64 {
		if _, ok := catalogs[languages[0]][n]; ok {
			return n
		}
	}
	return ""
}

// deptOption is a department in a select, indented by depth.
type deptOption struct {
	ID, Path, Label string
	Depth           int
}

// deptOptions returns the department tree as select options.
func (s *Server) deptOptions(r *http.Request) ([]deptOption, error) {
	ds, err := s.Depts.FindDepartments(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]deptOption, len(ds))
	for i, d := range ds {
		depth := strings.Count(d.Path, "/")
		out[i] = deptOption{ID: d.ID, Path: d.Path, Depth: depth, Label: strings.Repeat("\u00a0\u00a0", depth) + d.Name}
	}
	return out, nil
}

// Attrs marks field's control invalid and points it at its message.
func (e fieldErrors) Attrs(field string) template.HTMLAttr {
	if !e.Has(field) {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="err-` + template.HTMLEscapeString(field) + `"`)
}

// F is field's message for the "fieldError" partial.
func (e fieldErrors) F(field string) fieldError { return fieldError{Field: field, Message: e[field]} }

// fieldError is one field's message, shown under its control.
type fieldError struct{ Field, Message string }

// errorSummary lists a form's errors at its top, linked to their fields.
type errorSummary struct {
	Heading string
	Items   []fieldError
}

// ErrorSummary returns the summary of errs for the "errorSummary" partial.
func (p *Page) ErrorSummary(errs fieldErrors) errorSummary {
	sum := errorSummary{Heading: p.T("admin.form.errors", len(errs))}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sum.Items = append(sum.Items, fieldError{Field: k, Message: errs[k]})
	}
	return sum
}

// pagerView is a pager with its texts, for the "pager" partial.
type pagerView struct {
	P                                *pager
	Total                            int
	Label, Range, PrevText, NextText string
}

// Paging returns pg with its texts in the page's language.
func (p *Page) Paging(pg *pager) pagerView {
	return pagerView{P: pg, Total: pg.Total, Label: p.T("admin.pager.label"), Range: p.T("admin.pager.range", pg.First, pg.Last, pg.Total),
		PrevText: p.T("admin.pager.prev"), NextText: p.T("admin.pager.next")}
}

// deptSelect is the options of a department select with one chosen.
type deptSelect struct {
	Depts    []deptOption
	Selected string
}

// DeptSelect returns the options of a department select.
func (p *Page) DeptSelect(depts []deptOption, selected string) deptSelect {
	return deptSelect{Depts: depts, Selected: selected}
}

// Roles lists the roles, for selects.
func (p *Page) Roles() []string {
	return []string{string(examhall.RoleExaminee), string(examhall.RoleInvigilator), string(examhall.RoleAdmin)}
}
