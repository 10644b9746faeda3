package main

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
	"sync/atomic"
	"time"
)

// Scenario is one measured request kind of the /exam/ surface.
type Scenario struct {
	Name    string
	Records int    // cheat records per request, for a records/s figure; 0 if none
	Target  Target // what the issue asks of it
	// Build returns the per-worker request builder factory for the fixtures.
	Build func(base string, f *Fixtures) func(w int) RequestFunc
}

// Target is a scenario's goal. Zero fields are not checked; a run with any
// error never meets its target.
type Target struct {
	MinRatio      float64       // requests/s as a fraction of the ceiling
	MaxP99        time.Duration // p99 latency strictly below this
	MinRecordsSec float64       // cheat records ingested per second
}

// String describes t as in the issue, e.g. ">=60% ceiling, p99<15ms, 0 errors".
func (t Target) String() string {
	var parts []string
	if t.MinRatio > 0 {
		parts = append(parts, fmt.Sprintf(">=%.0f%% ceiling", t.MinRatio*100))
	}
	if t.MaxP99 > 0 {
		parts = append(parts, fmt.Sprintf("p99<%v", t.MaxP99))
	}
	if t.MinRecordsSec > 0 {
		parts = append(parts, fmt.Sprintf(">=%.0f rec/s", t.MinRecordsSec))
	}
	return strings.Join(append(parts, "0 errors"), ", ")
}

// Met reports whether a result reaches t, given the ceiling's requests/s
// and the result's records/s.
func (t Target) Met(r Result, ceilingRPS, recordsSec float64) bool {
	if r.Requests == 0 || r.Errors > 0 {
		return false
	}
	if t.MinRatio > 0 && (ceilingRPS <= 0 || r.RPS/ceilingRPS < t.MinRatio) {
		return false
	}
	if t.MaxP99 > 0 && r.Latency.P99 >= t.MaxP99 {
		return false
	}
	if t.MinRecordsSec > 0 && recordsSec < t.MinRecordsSec {
		return false
	}
	return true
}

// cheatBatch is the number of records in one addCheatRecord request.
const cheatBatch = 10

// Scenarios are the measurable scenarios in their default order.
var Scenarios = []Scenario{
	{
		Name:   "roomInfo",
		Target: Target{MinRatio: 0.60, MaxP99: 15 * time.Millisecond},
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			u := base + "/exam/roomInfo?roomId=" + url.QueryEscape(f.RoomID)
			return func(w int) RequestFunc {
				return func(ctx context.Context, i int) (*http.Request, error) {
					e := f.Examinees[(w+i)%len(f.Examinees)]
					return newRequest(ctx, "GET", u, e.Token, nil)
				}
			}
		},
	},
	{
		Name:   "userInfo",
		Target: Target{MinRatio: 0.60, MaxP99: 15 * time.Millisecond},
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			urls := make([]string, len(f.Examinees))
			for i, e := range f.Examinees {
				urls[i] = base + "/exam/userInfo?userId=" + url.QueryEscape(e.ID) + "&roomId=" + url.QueryEscape(f.RoomID)
			}
			return func(w int) RequestFunc {
				return func(ctx context.Context, i int) (*http.Request, error) {
					k := (w + i) % len(f.Examinees)
					return newRequest(ctx, "GET", urls[k], f.Examinees[k].Token, nil)
				}
			}
		},
	},
	{
		Name:   "userList",
		Target: Target{MinRatio: 0.25},
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			u := base + "/exam/userList?roomId=" + url.QueryEscape(f.RoomID)
			return func(int) RequestFunc {
				return func(ctx context.Context, _ int) (*http.Request, error) {
					return newRequest(ctx, "GET", u, f.AdminToken, nil)
				}
			}
		},
	},
	{
		Name: "updateRoomAudioStatus",
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			u := base + "/exam/updateRoomAudioStatus"
			var bodies [2][]byte
			for s := range bodies {
				bodies[s] = mustJSON(map[string]any{"id": f.RoomID, "audioStatus": s})
			}
			return func(w int) RequestFunc {
				return func(ctx context.Context, i int) (*http.Request, error) {
					return newRequest(ctx, "POST", u, f.AdminToken, bodies[(w+i)%2])
				}
			}
		},
	},
	{
		Name:    "addCheatRecord",
		Records: cheatBatch,
		Target:  Target{MinRecordsSec: 20000},
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			u := base + "/exam/cheat/addCheatRecord"
			return func(w int) RequestFunc {
				return func(ctx context.Context, i int) (*http.Request, error) {
					e := f.Examinees[(w+i)%len(f.Examinees)]
					return newRequest(ctx, "POST", u, e.Token, cheatBody(f, e.ID, cheatBatch, i))
				}
			}
		},
	},
	{
		Name:   "listCheatRecord",
		Target: Target{MaxP99: 5 * time.Millisecond},
		Build: func(base string, f *Fixtures) func(int) RequestFunc {
			u := base + "/exam/cheat/listCheatRecord"
			body := mustJSON(map[string]any{"roomId": f.RoomID, "pageSize": 20, "scrollToken": ""})
			return func(int) RequestFunc {
				return func(ctx context.Context, _ int) (*http.Request, error) {
					return newRequest(ctx, "POST", u, f.AdminToken, body)
				}
			}
		},
	},
}

// FindScenario returns the scenario named name (case-insensitively).
func FindScenario(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scenario{}, false
}

// newRequest builds an AppServer request: the raw token in the
// authorization header and, for a body, JSON.
func newRequest(ctx context.Context, method, u, token string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header["Authorization"] = []string{token}
	}
	if body != nil {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	return req, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// cheatRecord is one record inside addCheatRecord's data string.
type cheatRecord struct {
	IsMainMonitor bool   `json:"isMainMonitor"`
	UserID        string `json:"userId"`
	DetectTime    int64  `json:"detectTime"`
	DetectType    string `json:"detectType"`
	ExtraInfo     any    `json:"extraInfo"`
}

// cheatBody returns an addCheatRecord body of n records of userID; seq
// varies the detect types and main/secondary camera, and half the records
// carry extraInfo as an object, half as a string, as clients do.
func cheatBody(f *Fixtures, userID string, n, seq int) []byte {
	now := time.Now().UnixMilli()
	recs := make([]cheatRecord, n)
	for k := range recs {
		r := &recs[k]
		r.IsMainMonitor = (seq+k)%3 != 0
		r.UserID = userID
		r.DetectTime = now - int64(n-k)
		r.DetectType = fmt.Sprint(11 + (seq+k)%5)
		if k%2 == 0 {
			r.ExtraInfo = map[string]string{"message": "load test: face not detected"}
		} else {
			r.ExtraInfo = "load test: looked away"
		}
	}
	return mustJSON(map[string]string{"examId": f.ExamID, "roomId": f.RoomID, "data": string(mustJSON(recs))})
}

// PreloadResult is how long inserting the -preload records took.
type PreloadResult struct {
	Records    int     `json:"records"`
	Seconds    float64 `json:"seconds"`
	RecordsSec float64 `json:"recordsPerSecond"`
}

// preloadBatch is the batch size of the preload, the server's maximum.
const preloadBatch = 1000

// Preload inserts n cheat records in batches of preloadBatch with up to
// conns requests in flight, spread over the examinees. It stops at the
// first failure and reports it with the status and body.
func Preload(ctx context.Context, client *http.Client, base string, f *Fixtures, n, conns int) (PreloadResult, error) {
	u := base + "/exam/cheat/addCheatRecord"
	batches := (n + preloadBatch - 1) / preloadBatch
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range min(conns, batches) {
		wg.Go(func() {
			for ctx.Err() == nil {
				b := int(next.Add(1)) - 1
				if b >= batches {
					return
				}
				size := min(preloadBatch, n-b*preloadBatch)
				e := f.Examinees[b%len(f.Examinees)]
				req, err := newRequest(ctx, "POST", u, e.Token, cheatBody(f, e.ID, size, b))
				if err != nil {
					fail(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					fail(fmt.Errorf("preload: POST %s: %w", u, err))
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					fail(fmt.Errorf("preload: POST %s: %w", u, err))
					return
				}
				if kind := CheckEnvelope(resp.StatusCode, body); kind != "" {
					fail(fmt.Errorf("preload: POST %s (%d records): %s\n  body: %s", u, size, kind, excerpt(body)))
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return PreloadResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return PreloadResult{}, err
	}
	secs := time.Since(start).Seconds()
	return PreloadResult{Records: n, Seconds: secs, RecordsSec: float64(n) / secs}, nil
}

// Probe sends one request of a scenario and returns a description of the
// failure, with the body, or "" when it succeeded. It catches a wrong
// fixture or wire shape before a whole run is spent on errors.
func Probe(ctx context.Context, client *http.Client, newWorker func(int) RequestFunc) string {
	req, err := newWorker(0)(ctx, 0)
	if err != nil {
		return "build: " + err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	if kind := CheckEnvelope(resp.StatusCode, body); kind != "" {
		return fmt.Sprintf("%s %s: %s\n  body: %s", req.Method, req.URL.Path, kind, excerpt(body))
	}
	return ""
}
