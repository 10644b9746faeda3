package v5_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"examhall"
	v5 "examhall/httpapi/v5"
	"examhall/mock"
)

// cst is the vendor's zone (Asia/Shanghai has had no DST since 1991).
var cst = time.FixedZone("CST", 8*3600)

// testNow is the clock of every test server.
var testNow = time.Date(2022, 4, 25, 8, 0, 0, 0, time.UTC)

// MustTime parses a seed time ("2006-01-02 15:04" or with seconds) in cst and
// returns it in UTC, as the store would, so that tests prove the conversion.
func MustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	layout := examhall.SecondLayout
	if len(s) == len(examhall.MinuteLayout) {
		layout = examhall.MinuteLayout
	}
	t, err := time.ParseInLocation(layout, s, cst)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

// fixture is a server on mocks. Apps accepts appid "app1" with secret
// "s3cret", token "tok" (valid), "old" (expired), "boom" (internal failure);
// any other token is invalid. Other services are unset: tests set what they
// expect to be called.
type fixture struct {
	Apps     *mock.AppAuthenticator
	Exams    *mock.ExamService
	Attempts *mock.AttemptService
	Users    *mock.UserService
	Server   *v5.Server
	Logs     *bytes.Buffer
}

func newFixture() *fixture {
	f := &fixture{
		Apps:     &mock.AppAuthenticator{},
		Exams:    &mock.ExamService{},
		Attempts: &mock.AttemptService{},
		Users:    &mock.UserService{},
		Logs:     &bytes.Buffer{},
	}
	f.Apps.AppTokenFn = func(_ context.Context, appID, secret string) (string, time.Duration, error) {
		if appID == "app1" && secret == "s3cret" {
			return "tok", 2 * time.Hour, nil
		}
		return "", 0, examhall.Errorf(examhall.EUNAUTHORIZED, "invalid appid or secret")
	}
	f.Apps.VerifyAppTokenFn = func(_ context.Context, token string) (string, error) {
		switch token {
		case "tok":
			return "app1", nil
		case "old":
			return "", fmt.Errorf("verify app token: %w", examhall.ErrTokenExpired)
		case "boom":
			return "", fmt.Errorf("load key: disk on fire")
		}
		return "", examhall.Errorf(examhall.EUNAUTHORIZED, "invalid token")
	}
	f.Server = &v5.Server{
		Apps:      f.Apps,
		Exams:     f.Exams,
		Attempts:  f.Attempts,
		Users:     f.Users,
		PublicURL: "https://考试网址/",
		Now:       func() time.Time { return testNow },
		Location:  cst,
		Log:       slog.New(slog.NewTextHandler(f.Logs, nil)),
	}
	return f
}

// request describes one call. Query goes into the URL; Form, when set, into
// the body (urlencoded, or multipart when Multipart is set).
type request struct {
	Method    string // GET when empty
	Path      string
	Query     string // raw query, without "?"
	Form      url.Values
	Multipart bool
	Body      io.Reader // raw body with ContentType, instead of Form
	Type      string
	Unsized   bool // send the body without a Content-Length
}

func (rq request) build(tb testing.TB) *http.Request {
	tb.Helper()
	method := rq.Method
	if method == "" {
		method = http.MethodGet
	}
	target := rq.Path
	if rq.Query != "" {
		target += "?" + rq.Query
	}
	body, ctype := rq.Body, rq.Type
	switch {
	case rq.Form != nil && rq.Multipart:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, vs := range rq.Form {
			for _, v := range vs {
				if err := mw.WriteField(k, v); err != nil {
					tb.Fatal(err)
				}
			}
		}
		if err := mw.Close(); err != nil {
			tb.Fatal(err)
		}
		body, ctype = &buf, mw.FormDataContentType()
	case rq.Form != nil:
		body, ctype = strings.NewReader(rq.Form.Encode()), "application/x-www-form-urlencoded"
	}
	if rq.Unsized && body != nil {
		body = io.MultiReader(body) // hides the length from NewRequest
	}
	r := httptest.NewRequest(method, target, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// Do serves rq and returns the status and body.
func (f *fixture) Do(tb testing.TB, rq request) (int, []byte) {
	tb.Helper()
	w := httptest.NewRecorder()
	f.Server.Handler().ServeHTTP(w, rq.build(tb))
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		tb.Errorf("Content-Type = %q, want JSON", ct)
	}
	return w.Code, w.Body.Bytes()
}

// MustDecode decodes body into a generic value, numbers as json.Number so
// that numbers and strings stay distinguishable.
func MustDecode(tb testing.TB, body []byte) map[string]any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return m
}

// MustKeys returns the keys of the JSON object raw in their order.
func MustKeys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		tb.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			tb.Fatal(err)
		}
	}
	return keys
}

// MustItems returns the raw items of an answer.
func MustItems(tb testing.TB, body []byte) []json.RawMessage {
	tb.Helper()
	var v struct{ Items []json.RawMessage }
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatal(err)
	}
	return v.Items
}
