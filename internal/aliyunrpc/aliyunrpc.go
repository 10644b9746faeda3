// Package aliyunrpc is a small client of Alibaba Cloud's RPC-style OpenAPI
// (STS, ApsaraVideo Live, ...): it adds the common parameters, signs the
// request with signature version 1.0 (HMAC-SHA1), posts it as a form and
// decodes the JSON answer or the vendor's error.
//
// See "Request signatures" of the RPC-style API: the string to sign is
// POST&%2F&percentEncode(canonicalQuery), the key is AccessKeySecret + "&".
package aliyunrpc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Signature settings of the RPC-style API.
const (
	SignatureMethod  = "HMAC-SHA1"
	SignatureVersion = "1.0"
	TimestampFormat  = "2006-01-02T15:04:05Z"
)

// maxBody caps what is read of a vendor answer.
const maxBody = 1 << 20

// Client calls one RPC-style product (one endpoint and API version) with one
// AccessKey pair. Its fields are read-only once calls start; a Client is safe
// for concurrent use.
type Client struct {
	Endpoint        string // e.g. https://sts.aliyuncs.com/
	Version         string // the product's API version, e.g. 2015-04-01
	AccessKeyID     string
	AccessKeySecret string

	HTTPClient *http.Client     // nil means http.DefaultClient
	Now        func() time.Time // nil means time.Now
	Nonce      func() string    // nil means 16 random bytes in hex
}

// Error is an error answer of the vendor: {"Code","Message","RequestId"}.
// Its text is meant for logs; it never holds the AccessKey secret.
type Error struct {
	Action     string
	StatusCode int
	Code       string
	Message    string
	RequestID  string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("aliyun %s: HTTP %d: %s: %s (RequestId %s)",
		e.Action, e.StatusCode, e.Code, e.Message, e.RequestID)
}

// Call invokes action with params (the action's own parameters) and decodes
// the JSON answer into out, which may be nil. A vendor error comes back as
// *Error; transport failures, a cancelled ctx and undecodable answers come
// back wrapped.
func (c *Client) Call(ctx context.Context, action string, params map[string]string, out any) error {
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return fmt.Errorf("aliyun %s: no AccessKey configured", action)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	nonce := c.nonce()

	all := make(map[string]string, len(params)+9)
	for k, v := range params {
		all[k] = v
	}
	all["Format"] = "JSON"
	all["Version"] = c.Version
	all["AccessKeyId"] = c.AccessKeyID
	all["SignatureMethod"] = SignatureMethod
	all["Timestamp"] = now().UTC().Format(TimestampFormat)
	all["SignatureVersion"] = SignatureVersion
	all["SignatureNonce"] = nonce
	all["Action"] = action
	all["Signature"] = Sign(StringToSign(http.MethodPost, all), c.AccessKeySecret)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, strings.NewReader(CanonicalQuery(all)))
	if err != nil {
		return fmt.Errorf("aliyun %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("aliyun %s: %w", action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("aliyun %s: read answer: %w", action, err)
	}

	var probe struct {
		Code      string
		Message   string
		RequestID string `json:"RequestId"`
	}
	probeErr := json.Unmarshal(body, &probe)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Action: action, StatusCode: resp.StatusCode, Code: probe.Code, Message: probe.Message, RequestID: probe.RequestID}
		if probeErr != nil || e.Code == "" {
			e.Code = "HTTP" + fmt.Sprint(resp.StatusCode)
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if probeErr != nil {
		return fmt.Errorf("aliyun %s: decode answer: %w", action, probeErr)
	}
	// A few products answer HTTP 200 with an error code in the body.
	if probe.Code != "" && probe.Message != "" && !successCode(probe.Code) {
		return &Error{Action: action, StatusCode: resp.StatusCode, Code: probe.Code, Message: probe.Message, RequestID: probe.RequestID}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("aliyun %s: decode answer: %w", action, err)
		}
	}
	return nil
}

func successCode(code string) bool {
	return code == "200" || strings.EqualFold(code, "OK") || strings.EqualFold(code, "Success")
}

func (c *Client) nonce() string {
	if c.Nonce != nil {
		return c.Nonce()
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// IsCode reports whether err is a vendor *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// PercentEncode encodes s as RFC 3986 wants: every byte but the unreserved
// A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex. (This is what the
// vendor describes as URL-encoding then '+'→%20, '*'→%2A, %7E→'~'.)
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// CanonicalQuery is the canonicalized query string: the parameters sorted
// by name, each name and value percent-encoded, joined as k=v with '&'.
// A "Signature" parameter, if present, is included like any other (callers
// computing the string to sign must leave it out).
func CanonicalQuery(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(PercentEncode(k))
		b.WriteByte('=')
		b.WriteString(PercentEncode(params[k]))
	}
	return b.String()
}

// StringToSign is method&%2F&percentEncode(canonical query of every
// parameter except Signature).
func StringToSign(method string, params map[string]string) string {
	if _, ok := params["Signature"]; ok {
		p := make(map[string]string, len(params))
		for k, v := range params {
			if k != "Signature" {
				p[k] = v
			}
		}
		params = p
	}
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(CanonicalQuery(params))
}

// Sign is base64(HMAC-SHA1(secret + "&", stringToSign)).
func Sign(stringToSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
