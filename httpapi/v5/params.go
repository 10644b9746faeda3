package v5

import (
	"errors"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"examhall"
)

// MaxPageSize is the largest pageSize accepted; larger ones are
// CodeBadParameter. It equals the vendor's default for exams and grades.
const MaxPageSize = 1000

// maxOffset bounds (pageIndex-1)*pageSize so that offsets stay well inside
// every database's range.
const maxOffset = math.MaxInt32

// params holds a request's parameters by lower-cased name, so that lookups
// ignore case as the vendor's ASP.NET service does (examid = examID = EXAMID).
//
// Sources: the query string, and for POST an application/x-www-form-urlencoded
// or multipart/form-data body (other bodies are ignored). When a name appears
// in both, the query wins; when one source repeats a name (in any spelling),
// its first occurrence wins. Multipart files are ignored.
type params map[string]string

// readParams reads r's parameters once per request. Failures are
// CodeBadParameter: a malformed query or body, or a body over
// examhall.MaxBodyBytes.
func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	p := make(params, 8)
	if err := p.addEncoded(r.URL.RawQuery, "query string"); err != nil {
		return nil, err
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return p, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data" {
		return p, nil
	}
	if r.ContentLength > examhall.MaxBodyBytes {
		return nil, tooLarge()
	}
	body := http.MaxBytesReader(w, r.Body, examhall.MaxBodyBytes)
	if ct == "application/x-www-form-urlencoded" {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, bodyError(err)
		}
		return p, p.addEncoded(string(b), "request body")
	}
	if ctParams["boundary"] == "" {
		return nil, errorf(CodeBadParameter, "multipart body without boundary")
	}
	r.Body = body
	// The body is capped at MaxBodyBytes, so parts stay in memory.
	if err := r.ParseMultipartForm(examhall.MaxBodyBytes); err != nil {
		return nil, bodyError(err)
	}
	defer r.MultipartForm.RemoveAll()
	// Sorted so that differently spelled duplicates resolve the same way on
	// every request.
	for _, k := range slices.Sorted(maps.Keys(r.MultipartForm.Value)) {
		if v := r.MultipartForm.Value[k]; len(v) > 0 {
			if err := checkText(k, v[0]); err != nil {
				return nil, err
			}
			p.add(k, v[0])
		}
	}
	return p, nil
}

func tooLarge() *Error {
	return errorf(CodeBadParameter, "request body is larger than %d bytes", examhall.MaxBodyBytes)
}

func bodyError(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge()
	}
	return errorf(CodeBadParameter, "malformed request body: %v", err)
}

// addEncoded adds the pairs of a URL-encoded string in order, keeping names
// already present.
func (p params) addEncoded(s, source string) error {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return errorf(CodeBadParameter, "malformed %s near %q", source, truncate(pair, 40))
		}
		if err := checkText(k, v); err != nil {
			return err
		}
		p.add(k, v)
	}
	return nil
}

// checkText refuses a parameter that is not examhall.ValidText.
func checkText(k, v string) error {
	switch {
	case !examhall.ValidText(k):
		return errorf(CodeBadParameter, "parameter names must be UTF-8 text without NUL characters")
	case !examhall.ValidText(v):
		return errorf(CodeBadParameter, "parameter %s must be UTF-8 text without NUL characters", truncate(k, 40))
	}
	return nil
}

func (p params) add(k, v string) {
	k = strings.ToLower(k)
	if _, ok := p[k]; !ok {
		p[k] = v
	}
}

// get returns the trimmed value of the parameter name (lower case), "" when absent.
func (p params) get(name string) string {
	return strings.TrimSpace(p[name])
}

// page reads pageIndex and pageSize, with defaults for absent or empty ones,
// and returns the index, the size and the offset of the page.
func (p params) page(defaultSize int) (index, size, offset int, err error) {
	index, err = p.positive("pageindex", "pageIndex", 1, math.MaxInt32)
	if err != nil {
		return 0, 0, 0, err
	}
	size, err = p.positive("pagesize", "pageSize", defaultSize, MaxPageSize)
	if err != nil {
		return 0, 0, 0, err
	}
	if index-1 > maxOffset/size {
		return 0, 0, 0, errorf(CodeBadParameter, "pageIndex is too large")
	}
	return index, size, (index - 1) * size, nil
}

func (p params) positive(key, name string, def, maximum int) (int, error) {
	s := p.get(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maximum {
		return 0, errorf(CodeBadParameter, "%s must be an integer from 1 to %d, not %q", name, maximum, truncate(s, 20))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
