// Package aliyunrpctest is a fake Alibaba Cloud RPC-style endpoint for
// tests. It checks each request like the vendor does (common parameters,
// AccessKeyId, a fresh SignatureNonce and, above all, the HMAC-SHA1
// signature, recomputed here independently of package aliyunrpc) and
// answers with the vendor's JSON error shape when a check fails. Requests
// that pass go to the test's handler.
package aliyunrpctest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Handler answers one verified request. params holds every form parameter
// (common ones included). It returns the HTTP status and a value encoded as
// the JSON body.
type Handler func(action string, params url.Values) (status int, body any)

// VendorError is the vendor's error body.
type VendorError struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId,omitempty"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// Server is a running fake endpoint.
type Server struct {
	*httptest.Server

	AccessKeyID     string
	AccessKeySecret string
	Version         string // the API version requests must carry

	mu       sync.Mutex
	nonces   map[string]bool
	requests []url.Values
}

// NewServer starts a fake endpoint for one AccessKey pair and API version.
// It is closed when the test ends.
func NewServer(tb testing.TB, accessKeyID, accessKeySecret, version string, h Handler) *Server {
	tb.Helper()
	s := &Server{
		AccessKeyID:     accessKeyID,
		AccessKeySecret: accessKeySecret,
		Version:         version,
		nonces:          make(map[string]bool),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body := s.serve(r, h)
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// Requests returns the verified requests received so far.
func (s *Server) Requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.requests...)
}

// Err is a vendor error answer for handlers.
func Err(status int, code, message string) (int, any) {
	return status, VendorError{RequestID: "FAKE-REQUEST-ID", HostID: "fake.aliyuncs.com", Code: code, Message: message}
}

func (s *Server) serve(r *http.Request, h Handler) (int, any) {
	if r.Method != http.MethodPost {
		return Err(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "This http method is not supported.")
	}
	if err := r.ParseForm(); err != nil {
		return Err(http.StatusBadRequest, "InvalidParameter", "The request body is malformed.")
	}
	p := r.PostForm
	for _, k := range []string{"Format", "Version", "AccessKeyId", "SignatureMethod", "Timestamp", "SignatureVersion", "SignatureNonce", "Action", "Signature"} {
		if p.Get(k) == "" {
			return Err(http.StatusBadRequest, "MissingParameter", "The input parameter \""+k+"\" that is mandatory for processing this request is not supplied.")
		}
	}
	if p.Get("SignatureMethod") != "HMAC-SHA1" || p.Get("SignatureVersion") != "1.0" {
		return Err(http.StatusBadRequest, "InvalidParameter", "The specified signature method or version is not supported.")
	}
	if p.Get("Version") != s.Version {
		return Err(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", p.Get("Timestamp")); err != nil {
		return Err(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if p.Get("AccessKeyId") != s.AccessKeyID {
		return Err(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sts := stringToSign(r.Method, p)
	if !hmac.Equal([]byte(p.Get("Signature")), []byte(sign(sts, s.AccessKeySecret))) {
		return Err(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	s.mu.Lock()
	used := s.nonces[p.Get("SignatureNonce")]
	s.nonces[p.Get("SignatureNonce")] = true
	if !used {
		s.requests = append(s.requests, p)
	}
	s.mu.Unlock()
	if used {
		return Err(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	return h(p.Get("Action"), p)
}

// stringToSign follows the vendor's recipe literally: URL-encode (UTF-8),
// then replace '+' by %20, '*' by %2A and %7E by '~'.
func stringToSign(method string, p url.Values) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = encode(k) + "=" + encode(p.Get(k))
	}
	return method + "&" + encode("/") + "&" + encode(strings.Join(pairs, "&"))
}

func encode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

func sign(stringToSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Raw starts a server answering every request with status and body as
// they are (a broken endpoint, a gateway's HTML page) and returns its URL.
func Raw(tb testing.TB, status int, body string) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	tb.Cleanup(s.Close)
	return s.URL
}

// Hanging starts a server that answers no request until the client gives
// up, and returns its URL.
func Hanging(tb testing.TB) string {
	block := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	tb.Cleanup(func() { close(block); s.Close() })
	return s.URL
}
