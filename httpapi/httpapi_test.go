package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"examhall"
)

func TestDecodeJSONErrors(t *testing.T) {
	type req struct {
		Name     string `json:"name"`
		PageNum  int    `json:"pageNum"`
		Tags     []int  `json:"tags"`
		Disabled bool   `json:"disabled"`
	}
	tests := []struct {
		body, code, msg string
	}{
		{``, examhall.EINVALID, "request body is empty; a JSON object is required"},
		{`{"name":`, examhall.EINVALID, "malformed JSON: unexpected end of body"},
		{`{"name" "x"}`, examhall.EINVALID, "malformed JSON at byte 9"},
		{`[]`, examhall.EINVALID, "request body must be an object, not an array"},
		{`{"name":1}`, examhall.EINVALID, `field "name" must be a string, not a number`},
		{`{"pageNum":1.5}`, examhall.EINVALID, `field "pageNum" must be a whole number, not 1.5`},
		{`{"pageNum":"1"}`, examhall.EINVALID, `field "pageNum" must be a whole number, not a string`},
		{`{"tags":{}}`, examhall.EINVALID, `field "tags" must be an array, not an object`},
		{`{"disabled":"yes"}`, examhall.EINVALID, `field "disabled" must be a boolean, not a string`},
		{`{} {}`, examhall.EINVALID, "request body must hold a single JSON value"},
		{`{"name":"` + strings.Repeat("x", examhall.MaxBodyBytes) + `"}`, examhall.ETOOLARGE, "request body is larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		var v req
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		if got := examhall.ErrorCode(err); got != tt.code {
			t.Errorf("body %.40q: code %q, want %q (%v)", tt.body, got, tt.code, err)
		}
		if got := examhall.ErrorMessage(err); !strings.HasPrefix(got, tt.msg) {
			t.Errorf("body %.40q: message %q, want prefix %q", tt.body, got, tt.msg)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := map[string]int{
		examhall.EINVALID: 400, examhall.EUNAUTHORIZED: 401, examhall.EFORBIDDEN: 403, examhall.ENOTFOUND: 404,
		examhall.ECONFLICT: 409, examhall.ETOOLARGE: 413, examhall.ETOOMANY: 429, examhall.EUNAVAILABLE: 503, examhall.EINTERNAL: 500,
	}
	for code, want := range tests {
		if got := Status(examhall.Errorf(code, "x")); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
	if got := Status(http.ErrBodyNotAllowed); got != 500 {
		t.Errorf("Status(plain error) = %d, want 500", got)
	}
}

func TestCORS(t *testing.T) {
	h := CORS([]string{"http://localhost:8001/"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	tests := []struct {
		method, origin string
		status         int
		allow          string
	}{
		{"GET", "http://localhost:8001", http.StatusTeapot, "http://localhost:8001"},
		{"OPTIONS", "http://localhost:8001", http.StatusNoContent, "http://localhost:8001"},
		{"GET", "http://evil.example", http.StatusTeapot, ""},
		{"OPTIONS", "http://evil.example", http.StatusTeapot, ""},
		{"GET", "", http.StatusTeapot, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/exam/roomInfo", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.method == "OPTIONS" {
			r.Header.Set("Access-Control-Request-Method", "GET")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status || w.Header().Get("Access-Control-Allow-Origin") != tt.allow {
			t.Errorf("%s from %q: %d allow %q, want %d allow %q", tt.method, tt.origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"), tt.status, tt.allow)
		}
	}
}

// AppendJSONString must decode to the same string encoding/json decodes,
// invalid UTF-8 becoming U+FFFD as encoding/json makes it.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", "陈翰林", `quote " back\slash`, "tab\t nl\n cr\r", "\x00\x1f ctl",
		"<a&b>", "\u2028\u2029", "bad \xff utf-8", "artc://push.example.com/exam/e-r-u?grtn_twin_rtmp=on&auth_key=1-a-0-b",
	} {
		var got, want string
		if err := json.Unmarshal(AppendJSONString(nil, s), &got); err != nil {
			t.Fatalf("AppendJSONString(%q) is not JSON: %v", s, err)
		}
		b, _ := json.Marshal(s)
		json.Unmarshal(b, &want)
		if got != want {
			t.Errorf("AppendJSONString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	}
}

func TestCheckJSONText(t *testing.T) {
	for _, tt := range []struct {
		json string
		want string // "" valid, else a part of the message
	}{
		{`{"name":"plain"}`, ""},
		{`{"name":"a\u0000b"}`, "NUL"},
		{`{"name":"\u0000"}`, "NUL"},
		{`{"a\u0000":1}`, "NUL"},
		{`{"name":"a\\u0000b"}`, ""},     // an escaped backslash, then text
		{`{"name":"a\\\u0000b"}`, "NUL"}, // an escaped backslash, then the escape
		{`{"name":"\\u0000 and \u0000"}`, "NUL"},
		{`{"name":"\u00001"}`, "NUL"},
		{`{"name":"\u0001"}`, ""},
		{`"\u000"`, ""}, // a syntax error, the decoder's to report
		{``, ""},
		// Issue 14 B6: what encoding/json would store as U+FFFD.
		{"{\"name\":\"a\xffb\"}", "UTF-8"},
		{"{\"name\":\"\xc3\"}", "UTF-8"},
		{`{"name":"\ud800"}`, "surrogate"},
		{`{"name":"\udc00x"}`, "surrogate"},
		{`{"name":"\uD83D\u0041"}`, "surrogate"},
		{`{"name":"\uD83D"}`, "surrogate"},
		{`{"name":"\uD83D\uDE00"}`, ""}, // a pair: 😀
		{`{"name":"\\ud800"}`, ""},      // text, not an escape
		{`{"name":"é😀"}`, ""},
	} {
		err := CheckJSONText("body", []byte(tt.json))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckJSONText(%q) = %v, want nil", tt.json, err)
		case tt.want != "" && (examhall.ErrorCode(err) != examhall.EINVALID || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckJSONText(%q) = %v, want invalid naming %s", tt.json, err, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		target string
		ok     bool
	}{
		{"/api/v1/users?name=plain&limit=10", true},
		{"/api/v1/users?name=%E5%BC%A0%E4%B8%89", true},
		{"/api/v1/users?name=a+b%20c", true},
		{"/api/v1/users?name=a%00b", false},
		{"/api/v1/users?name=a%FFb", false},
		{"/api/v1/users?a%00=1", false},
		{"/api/v1/users?name=%zz", true}, // malformed escapes are the handler's to report
		{"/api/v1/users/a%00b", false},
		{"/api/v1/users/a%C3%28", false},
	} {
		r := httptest.NewRequest("GET", tt.target, nil)
		err := CheckURL(r)
		if (err == nil) != tt.ok || err != nil && examhall.ErrorCode(err) != examhall.EINVALID {
			t.Errorf("CheckURL(%s) = %v, want ok %v", tt.target, err, tt.ok)
		}
	}
}

func TestNoSniff(t *testing.T) {
	h := NoSniff(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/anything", nil))
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
}
