package main

// This file holds everything the tool knows about the management API
// (/api/v1/): the fixtures are created through it, and its shapes are still
// settling, so keep them all here.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fixtures are what the scenarios run against, created fresh for each run.
type Fixtures struct {
	Prefix     string     // run prefix of every account and name
	AdminToken string     // session token of the admin
	ExamID     string     // a published exam open from now-1h to now+3h, one question
	RoomID     string     // a room of that exam
	Rooms      []string   // every room (SetupRooms), RoomID first
	Examinees  []Examinee // on the room's roster, with their join tokens
}

// Examinee is one examinee on the roster.
type Examinee struct {
	ID, Account, Token string
	RoomID             string // the room the token is for
}

// flexID decodes an id given as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id: want a string or number, got %s", b)
	}
	*f = flexID(n.String())
	return nil
}

// manage calls the management API with an optional bearer token.
type manage struct {
	client *http.Client
	base   string
	token  string
}

// SetupError is a management API call that did not answer as expected; it
// carries the status and the body so the mismatch is visible at once.
type SetupError struct {
	Step   string
	Method string
	Path   string
	Status int
	Body   string
	Err    error
}

func (e *SetupError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("setup: %s: %s %s: %v", e.Step, e.Method, e.Path, e.Err)
	}
	msg := fmt.Sprintf("setup: %s: %s %s: HTTP %d\n  body: %s", e.Step, e.Method, e.Path, e.Status, e.Body)
	if e.Err != nil {
		msg += "\n  " + e.Err.Error()
	}
	return msg
}

// call sends in (if not nil) as JSON and decodes a 2xx answer into out (if
// not nil). Anything else is a *SetupError.
func (m *manage) call(ctx context.Context, step, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &SetupError{Step: step, Method: method, Path: path, Err: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.base+path, body)
	if err != nil {
		return &SetupError{Step: step, Method: method, Path: path, Err: err}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if m.token != "" {
		req.Header.Set("Authorization", "Bearer "+m.token)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return &SetupError{Step: step, Method: method, Path: path, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &SetupError{Step: step, Method: method, Path: path, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &SetupError{Step: step, Method: method, Path: path, Status: resp.StatusCode, Body: excerpt(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &SetupError{Step: step, Method: method, Path: path, Status: resp.StatusCode, Body: excerpt(raw),
				Err: fmt.Errorf("unexpected shape: %w", err)}
		}
	}
	return nil
}

// excerpt returns at most 500 bytes of b for an error message.
func excerpt(b []byte) string {
	const n = 500
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	if s == "" {
		s = "(empty)"
	}
	return s
}

// newPrefix returns a run prefix unique enough to keep fixtures of
// different runs apart: "load" + time + random bits.
func newPrefix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return "load" + strconv.FormatInt(time.Now().Unix(), 36) + hex.EncodeToString(b)
}

// Login returns a session token for account; the same token authenticates
// on /exam/ (as the raw authorization header).
func Login(ctx context.Context, client *http.Client, base, account, password string) (string, error) {
	m := &manage{client: client, base: base}
	var out struct {
		Token string `json:"token"`
	}
	if err := m.call(ctx, "admin login", "POST", "/api/v1/login",
		map[string]string{"account": account, "password": password}, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", &SetupError{Step: "admin login", Method: "POST", Path: "/api/v1/login", Status: 200,
			Err: fmt.Errorf("no token in the answer")}
	}
	return out.Token, nil
}

// Setup logs in as the admin and creates n examinees, a published exam, a
// room of it with the examinees on the roster, and reads their join links.
func Setup(ctx context.Context, client *http.Client, base, admin, password string, n int) (*Fixtures, error) {
	return SetupRooms(ctx, client, base, admin, password, n, 1)
}

// SetupRooms is Setup with the examinees spread over rooms rooms (the
// first is Fixtures.RoomID).
func SetupRooms(ctx context.Context, client *http.Client, base, admin, password string, n, rooms int) (*Fixtures, error) {
	token, err := Login(ctx, client, base, admin, password)
	if err != nil {
		return nil, err
	}
	m := &manage{client: client, base: base, token: token}
	f := &Fixtures{Prefix: newPrefix(), AdminToken: token}

	// Examinees are created by a few requests at a time: the WebSocket
	// scenario wants thousands.
	byID := map[string]int{}
	f.Examinees = make([]Examinee, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	for range min(n, 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				acct := fmt.Sprintf("%s-e%03d", f.Prefix, i+1)
				var u struct {
					ID flexID `json:"id"`
				}
				err := m.call(ctx, "create examinee "+acct, "POST", "/api/v1/users", map[string]string{
					"account": acct, "name": fmt.Sprintf("Load examinee %d", i+1), "role": "examinee",
				}, &u)
				if err == nil && u.ID == "" {
					err = &SetupError{Step: "create examinee " + acct, Method: "POST", Path: "/api/v1/users", Status: 200,
						Err: fmt.Errorf("no id in the answer")}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				byID[string(u.ID)] = i
				f.Examinees[i] = Examinee{ID: string(u.ID), Account: acct}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}

	now := time.Now()
	var exam struct {
		ID flexID `json:"id"`
	}
	err = m.call(ctx, "create exam", "POST", "/api/v1/exams", map[string]any{
		"name":          "Load test " + f.Prefix,
		"beginTime":     now.Add(-time.Hour).Format(time.RFC3339),
		"endTime":       now.Add(3 * time.Hour).Format(time.RFC3339),
		"answerMinutes": 60,
		"passScore":     60,
		"paperScore":    100,
		"allowTimes":    1,
		"audience":      "all",
	}, &exam)
	if err != nil {
		return nil, err
	}
	f.ExamID = string(exam.ID)
	examPath := "/api/v1/exams/" + url.PathEscape(f.ExamID)
	// An exam is published once it has a paper.
	if err := m.call(ctx, "set paper", "PUT", examPath+"/paper", []map[string]any{{
		"type": "single", "stem": "Load test question", "score": 100,
		"options": []string{"yes", "no"}, "correct": []int{0},
	}}, nil); err != nil {
		return nil, err
	}
	if err := m.call(ctx, "publish exam", "POST", examPath+"/publish", nil, nil); err != nil {
		return nil, err
	}

	for r := range max(rooms, 1) {
		if err := f.addRoom(ctx, m, r, max(rooms, 1), byID); err != nil {
			return nil, err
		}
	}
	for _, e := range f.Examinees {
		if e.Token == "" {
			return nil, fmt.Errorf("setup: no join link for examinee %s (%s)", e.Account, e.ID)
		}
	}
	return f, nil
}

// addRoom creates room r of rooms with every rooms-th examinee (from r) on
// its roster, and reads their join links.
func (f *Fixtures) addRoom(ctx context.Context, m *manage, r, rooms int, byID map[string]int) error {
	var room struct {
		ID flexID `json:"id"`
	}
	name := "Load room " + f.Prefix
	if rooms > 1 {
		name += fmt.Sprintf(" %d", r+1)
	}
	err := m.call(ctx, "create room", "POST", "/api/v1/rooms", map[string]any{
		"name": name, "examId": f.ExamID,
	}, &room)
	if err != nil {
		return err
	}
	roomID := string(room.ID)
	if f.ExamID == "" || roomID == "" {
		return fmt.Errorf("setup: exam id %q or room id %q is empty", f.ExamID, roomID)
	}
	if r == 0 {
		f.RoomID = roomID
	}
	f.Rooms = append(f.Rooms, roomID)
	roomPath := "/api/v1/rooms/" + url.PathEscape(roomID)

	type member struct {
		UserID string `json:"userId"`
		Role   string `json:"role"`
	}
	var members []member
	for i := r; i < len(f.Examinees); i += rooms {
		members = append(members, member{UserID: f.Examinees[i].ID, Role: "examinee"})
	}
	for len(members) > 0 { // at most 1000 a call
		chunk := members[:min(len(members), 1000)]
		members = members[len(chunk):]
		if err := m.call(ctx, "add roster", "POST", roomPath+"/members",
			map[string]any{"members": chunk}, nil); err != nil {
			return err
		}
	}

	var links linkList
	if err := m.call(ctx, "read join links", "GET", roomPath+"/links", nil, &links); err != nil {
		return err
	}
	for _, l := range links {
		i, ok := byID[string(l.UserID)]
		if !ok || (l.Role != "" && l.Role != "examinee") {
			continue
		}
		tok := tokenFromURL(l.URL)
		if tok == "" {
			return fmt.Errorf("setup: join link of %s has no token=: %q", l.UserID, l.URL)
		}
		f.Examinees[i].Token, f.Examinees[i].RoomID = tok, roomID
	}
	return nil
}

// link is one person's join link.
type link struct {
	UserID flexID `json:"userId"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	URL    string `json:"url"`
}

// linkList decodes either a bare array of links or {"items": [...]}.
type linkList []link

func (l *linkList) UnmarshalJSON(b []byte) error {
	var arr []link
	if err := json.Unmarshal(b, &arr); err == nil {
		*l = arr
		return nil
	}
	var obj struct {
		Items *[]link `json:"items"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	if obj.Items == nil {
		return fmt.Errorf("want an array of links or {\"items\": [...]}")
	}
	*l = *obj.Items
	return nil
}

// tokenFromURL returns the value of the token= parameter wherever it is in
// a join link: the query, or the fragment of a hash-routed client page.
func tokenFromURL(s string) string {
	i := strings.Index(s, "token=")
	for i > 0 && s[i-1] != '?' && s[i-1] != '&' && s[i-1] != '#' {
		// A parameter merely ending in "token" (e.g. "imtoken="); look further.
		j := strings.Index(s[i+1:], "token=")
		if j < 0 {
			return ""
		}
		i += 1 + j
	}
	if i < 0 {
		return ""
	}
	v := s[i+len("token="):]
	if end := strings.IndexAny(v, "&#"); end >= 0 {
		v = v[:end]
	}
	if u, err := url.QueryUnescape(v); err == nil {
		v = u
	}
	return v
}
