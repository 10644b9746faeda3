// Package httpapi holds what the three HTTP surfaces share: the one table from
// error codes to HTTP statuses, JSON request decoding with clear errors, and
// the middleware (panic recovery, request logging) every surface wraps its
// handlers in. The surfaces themselves live in aui, v5 and manage.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"examhall"
)

// codes maps error codes to HTTP statuses.
var codes = map[string]int{
	examhall.EINVALID:      http.StatusBadRequest,
	examhall.EUNAUTHORIZED: http.StatusUnauthorized,
	examhall.EFORBIDDEN:    http.StatusForbidden,
	examhall.ENOTFOUND:     http.StatusNotFound,
	examhall.ECONFLICT:     http.StatusConflict,
	examhall.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	examhall.ETOOMANY:      http.StatusTooManyRequests,
	examhall.EUNAVAILABLE:  http.StatusServiceUnavailable,
	examhall.EINTERNAL:     http.StatusInternalServerError,
}

// Status returns the HTTP status for err's code.
func Status(err error) int {
	if s, ok := codes[examhall.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// LogError logs err in full when it is internal; callers see only its
// ErrorMessage. Other codes are the caller's mistake and are not logged.
func LogError(log *slog.Logger, r *http.Request, err error) {
	if examhall.ErrorCode(err) == examhall.EINTERNAL {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// DecodeJSON decodes the JSON body of r into v, reading at most
// examhall.MaxBodyBytes. Every failure is an *examhall.Error whose message
// says what was wrong: ETOOLARGE for an oversized body, EINVALID otherwise.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSON(w, r, v, false)
}

// DecodeStrictJSON is DecodeJSON refusing fields v does not have: EINVALID
// naming every unknown field of the body's object (or the first unknown
// one of a nested object), so a misspelt field is not silently ignored.
func DecodeStrictJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSON(w, r, v, true)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, examhall.MaxBodyBytes))
	if err != nil {
		return JSONError(err)
	}
	if err := CheckJSONText("request body", body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if strict && isUnknownField(err) {
			return UnknownFieldsError(body, v, err)
		}
		return JSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return JSONError(err)
		}
		return examhall.Errorf(examhall.EINVALID, "request body must hold a single JSON value")
	}
	return nil
}

// CheckJSONText returns EINVALID, naming what, when JSON text holds what
// encoding/json would silently turn into something else or PostgreSQL
// refuses: bytes that are not UTF-8 and lone UTF-16 surrogate escapes
// (both decoded as U+FFFD), and the escape \u0000 (a NUL; a raw NUL is a
// syntax error anyway). Every JSON body is checked before it is decoded, so
// what is stored is what was sent, alike on both databases.
func CheckJSONText(what string, b []byte) error {
	if !utf8.Valid(b) {
		return examhall.Errorf(examhall.EINVALID, "%s must be UTF-8 text", what)
	}
	for i := bytes.IndexByte(b, '\\'); i >= 0 && i < len(b); {
		if i+1 >= len(b) {
			return nil // a syntax error, left to the decoder
		}
		if b[i+1] != 'u' {
			i = next(b, i+2)
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			return nil // a syntax error, left to the decoder
		}
		switch {
		case r == 0:
			return NULError(what)
		case 0xDC00 <= r && r <= 0xDFFF:
			return surrogateError(what)
		case 0xD800 <= r && r <= 0xDBFF:
			// A high surrogate must be followed by a low one.
			if i+11 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return surrogateError(what)
			}
			lo, ok := hex4(b, i+8)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return surrogateError(what)
			}
			i = next(b, i+12)
		default:
			i = next(b, i+6)
		}
	}
	return nil
}

// next returns the index of the first backslash in b at or after from, or -1.
func next(b []byte, from int) int {
	if from >= len(b) {
		return -1
	}
	if j := bytes.IndexByte(b[from:], '\\'); j >= 0 {
		return from + j
	}
	return -1
}

// hex4 reads the four hex digits of a \u escape at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func surrogateError(what string) error {
	return examhall.Errorf(examhall.EINVALID, "%s holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF not in a pair), which is no character", what)
}

// isUnknownField reports whether err is encoding/json's complaint about a
// field the target does not have (it has no error type of its own).
func isUnknownField(err error) bool {
	return strings.HasPrefix(err.Error(), "json: unknown field ")
}

// UnmarshalStrict is json.Unmarshal refusing unknown fields, with errors
// as DecodeStrictJSON's.
func UnmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if isUnknownField(err) {
			return UnknownFieldsError(b, v, err)
		}
		return JSONError(err)
	}
	return nil
}

// UnknownFieldsError is the EINVALID error of body, whose decoding into v
// failed with err on an unknown field: it names every top-level field of
// body that v (a pointer to a struct) lacks, or else err's field.
func UnknownFieldsError(body []byte, v any, err error) error {
	var obj map[string]json.RawMessage
	names := map[string]bool{}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Struct && json.Unmarshal(body, &obj) == nil {
		jsonNames(t, names)
		var unknown []string
		for k := range obj {
			if !names[strings.ToLower(k)] {
				unknown = append(unknown, strconv.Quote(k))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			noun := "unknown field"
			if len(unknown) > 1 {
				noun = "unknown fields"
			}
			return examhall.Errorf(examhall.EINVALID, "%s %s: this endpoint does not take them", noun, strings.Join(unknown, ", "))
		}
	}
	return examhall.Errorf(examhall.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonNames adds the lower-cased JSON names of t's fields to names, as
// encoding/json matches them (case-insensitively, embedded structs
// flattened).
func jsonNames(t reflect.Type, names map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			jsonNames(ft, names)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names[strings.ToLower(name)] = true
	}
}

// NULError is the EINVALID error of JSON text (what) holding a NUL.
func NULError(what string) error {
	return examhall.Errorf(examhall.EINVALID, "%s must not contain NUL characters (\\u0000)", what)
}

// CheckURL returns EINVALID when r's path or query, decoded, is not
// examhall.ValidText. Malformed escapes are left to the handlers, which
// report them with the parameter they are in.
func CheckURL(r *http.Request) error {
	if !examhall.ValidText(r.URL.Path) {
		return examhall.Errorf(examhall.EINVALID, "the URL path must be UTF-8 text without NUL characters")
	}
	// Printable ASCII without escapes, most queries, is valid as it is.
	q := r.URL.RawQuery
	if !strings.ContainsFunc(q, func(c rune) bool { return c == '%' || c < 0x20 || c >= 0x7f }) {
		return nil
	}
	if v, err := url.QueryUnescape(q); err == nil && !examhall.ValidText(v) {
		return examhall.Errorf(examhall.EINVALID, "query parameters must be UTF-8 text without NUL characters")
	}
	return nil
}

// JSONError turns an encoding/json (or body-reading) error into an
// *examhall.Error that says what was wrong.
func JSONError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return examhall.Errorf(examhall.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return examhall.Errorf(examhall.EINVALID, "request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return examhall.Errorf(examhall.EINVALID, "malformed JSON: unexpected end of body")
	case errors.As(err, &syn):
		return examhall.Errorf(examhall.EINVALID, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return examhall.Errorf(examhall.EINVALID, "request body must be %s, not %s", typeName(typ.Type.Kind().String()), jsonValue(typ.Value))
		}
		return examhall.Errorf(examhall.EINVALID, "field %q must be %s, not %s", field, typeName(typ.Type.Kind().String()), jsonValue(typ.Value))
	}
	var e *examhall.Error
	if errors.As(err, &e) {
		return e
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return examhall.Errorf(examhall.EINVALID, "unknown field %s", f)
	}
	return examhall.Errorf(examhall.EINVALID, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonValue names what json.UnmarshalTypeError.Value describes: "array",
// "string", or "number 1.5" for a number that does not fit.
func jsonValue(v string) string {
	switch {
	case v == "object", v == "array":
		return "an " + v
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	case v == "number":
		return "a number"
	}
	return "a " + v
}

// typeName names a Go kind as a JSON type.
func typeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return "a " + kind
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Recover turns a panic in next into a 500 written by onPanic, and logs it.
func Recover(log *slog.Logger, next http.Handler, onPanic func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				onPanic(w, r)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// CORS lets the AUI web clients, served from their own origins, call the
// API from a browser. Only the listed origins are allowed ("*" allows any);
// tokens travel in the authorization header, never in cookies, so no
// credentials mode is needed.
func CORS(origins []string, next http.Handler) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !(allowed[origin] || allowed["*"]) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ClientAddr puts the client's IP address (of the TCP peer, without its
// port) into the request's context (examhall.NewContextWithClientAddr), so
// that every surface's staff writes record it in the audit log. Forwarding
// headers are not trusted: behind a proxy the address is the proxy's.
func ClientAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		next.ServeHTTP(w, r.WithContext(examhall.NewContextWithClientAddr(r.Context(), addr)))
	})
}

// Log logs each request at debug level (errors at warn) without its query
// string or headers, which may carry tokens.
func Log(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}

// AppendJSONString appends s as a JSON string, escaping only what JSON
// requires (and U+2028/U+2029, as encoding/json does); invalid UTF-8 becomes
// U+FFFD. The hand-encoded answers of the hot endpoints use it instead of
// encoding/json, whose reflection and escaping were most of their cost.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] needs no escaping and is copied in one go
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r != utf8.RuneError || n != 1) && r != '\u2028' && r != '\u2029' {
			i += n
			continue
		}
		b = append(b, s[start:i]...)
		if r == utf8.RuneError {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		}
		i += n
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// NoSniff sets X-Content-Type-Options: nosniff on every response, so a
// browser never reads a JSON or text answer as HTML or script.
func NoSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// ReadJPEG reads a request whose body is a JPEG (Content-Type image/jpeg)
// of at most limit bytes: EINVALID for another content type, ETOOLARGE for
// a larger body. What the bytes are is the domain's to check.
func ReadJPEG(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "image/jpeg" {
		return nil, examhall.Errorf(examhall.EINVALID, "send the picture as the body with Content-Type: image/jpeg")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, examhall.Errorf(examhall.ETOOLARGE, "a picture is at most %d bytes", limit)
	} else if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "reading the picture: %v", err)
	}
	return b, nil
}
