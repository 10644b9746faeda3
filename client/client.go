// Package client is a Go client for examhall's HTTP APIs: the management API
// under /api/v1 (administrators, scripts and examinees taking exams) and the
// open API under /api/v5 (the 考试云-compatible exam data API).
//
// A Client talks to one server:
//
//	c := client.New("https://exams.example.com")
//	if _, err := c.Login(ctx, "admin", "secret"); err != nil {
//		return err
//	}
//	exams, total, err := c.ListExams(ctx, client.ExamFilter{})
//
// Management API failures are *examhall.Error values, so callers branch on
// examhall.ErrorCode(err) (examhall.ENOTFOUND, examhall.ECONFLICT, ...).
// Open API failures are *OpenAPIError values carrying the wire's errcode.
//
// The package imports only the standard library and the root examhall
// package, whose types (User, Department, Exam, Question, Answer, Attempt,
// Room, Member, App, ...) it reuses for the JSON the server sends.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"examhall"
)

// userAgent identifies the client to the server's logs.
const userAgent = "examhall-client"

// maxErrorBody bounds how much of an unexpected error body is read.
const maxErrorBody = 64 << 10

// Client is a client of one examhall server. It is safe for concurrent use;
// the session token set by Login or WithToken is shared by all calls.
type Client struct {
	baseURL string
	hc      *http.Client

	mu    sync.RWMutex
	token string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc instead of
// http.DefaultClient, to set timeouts, proxies or TLS settings.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithToken sets the session token sent as "Authorization: Bearer <token>"
// on management API calls: a token from an earlier Login, or the token of
// a join link.
func WithToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// New returns a Client of the server at baseURL (such as
// "https://exams.example.com"; a trailing slash is ignored).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{baseURL: strings.TrimRight(baseURL, "/"), hc: http.DefaultClient}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// SessionToken returns the session token the Client sends, "" before Login.
func (c *Client) SessionToken() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// SetSessionToken replaces the session token the Client sends; "" sends none.
func (c *Client) SetSessionToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
}

// Page selects part of a list in the management API. Zero fields take the
// server's defaults (offset 0, limit 50); Limit is at most 1000.
type Page struct {
	Offset int
	Limit  int
}

// set adds the page to query q.
func (p Page) set(q url.Values) {
	if p.Offset > 0 {
		q.Set("offset", fmt.Sprint(p.Offset))
	}
	if p.Limit > 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
}

// list is the shape of every management API list response.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// do sends a management API request: in, when not nil, is the JSON body,
// and out, when not nil, receives the decoded JSON answer. Error answers
// become *examhall.Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: encoding %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token := c.SessionToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return apiError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: decoding the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// apiError turns an error answer of the management API into an
// *examhall.Error. A body not in the API's error shape (from a proxy, say)
// gets the code of its HTTP status.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error.Code != "" {
		return &examhall.Error{Code: body.Error.Code, Message: body.Error.Message}
	}
	msg := strings.TrimSpace(string(b))
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &examhall.Error{Code: statusCode(resp.StatusCode), Message: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, msg)}
}

// statusCode maps an HTTP status back to an examhall error code, the
// inverse of the server's table.
func statusCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return examhall.EINVALID
	case http.StatusUnauthorized:
		return examhall.EUNAUTHORIZED
	case http.StatusForbidden:
		return examhall.EFORBIDDEN
	case http.StatusNotFound:
		return examhall.ENOTFOUND
	case http.StatusConflict:
		return examhall.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return examhall.ETOOLARGE
	case http.StatusTooManyRequests:
		return examhall.ETOOMANY
	case http.StatusServiceUnavailable:
		return examhall.EUNAVAILABLE
	}
	return examhall.EINTERNAL
}

// escape escapes one path segment.
func escape(s string) string { return url.PathEscape(s) }
