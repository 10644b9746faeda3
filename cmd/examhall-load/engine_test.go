package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slack bounds how late a run may end and still count as stopping by
// itself; generous, since tests share the machine with other work.
const slack = 3 * time.Second

func TestPercentile(t *testing.T) {
	seq := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i + 1)
		}
		return s
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one p50", seq(1), 50, 1},
		{"one p99", seq(1), 99, 1},
		{"two p50", seq(2), 50, 1},
		{"two p51", seq(2), 51, 2},
		{"ten p50", seq(10), 50, 5},
		{"ten p90", seq(10), 90, 9},
		{"ten p91", seq(10), 91, 10},
		{"ten p99", seq(10), 99, 10},
		{"hundred p99", seq(100), 99, 99},
		{"hundred p100", seq(100), 100, 100},
		{"thousand p99", seq(1000), 99, 990},
		{"thousand p99.9", seq(1000), 99.9, 999},
		{"p0 is the minimum", seq(10), 0, 1},
		{"over 100 is the maximum", seq(10), 150, 10},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: Percentile(p=%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	if got := Summarize(nil); got != (Latency{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
	// 1..100 ms, shuffled: Summarize sorts in place.
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration((i*37)%100+1) * time.Millisecond
	}
	got := Summarize(lat)
	want := Latency{
		P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond,
		Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond,
	}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if !slices.IsSorted(lat) {
		t.Error("Summarize did not sort its input")
	}
}

func TestEnvelopeSuccess(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"success":true}`, true},
		{`{"success":true,"data":{"a":1}}`, true},
		{`{"errorCode":"","success":true}`, true},
		{` { "success" : true } `, true},
		{"{\n  \"data\": [1, {\"x\": \"}\"}],\n  \"success\": true\n}", true},
		{`{"success":false}`, false},
		{`{"success":"true"}`, false},
		{`{"success":trueish}`, false},
		{`{"success":1}`, false},
		{`{}`, false},
		{``, false},
		{`[{"success":true}]`, false},
		{`{"data":{"success":true}}`, false},
		{`{"data":["success",true]}`, false},
		{`{"msg":"\"success\":true"}`, false},
		{`{"data":{"success":true},"success":false}`, false},
		{`{"success`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := EnvelopeSuccess([]byte(tt.body)); got != tt.want {
			t.Errorf("EnvelopeSuccess(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestCheckEnvelope(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{200, `{"success":true,"data":null}`, ""},
		{200, `{"success":false,"errorCode":"invalid","errorMsg":"bad"}`, "HTTP 200 invalid"},
		{200, `{"ok":true}`, "HTTP 200 success!=true"},
		{200, `<html>`, "HTTP 200 success!=true"},
		{401, `{"success":false,"errorCode":"unauthorized"}`, "HTTP 401 unauthorized"},
		{404, `404 page not found`, "HTTP 404"},
		{500, `{"success":true}`, "HTTP 500"},
		{400, `{"success":false,"errorCode":40001}`, "HTTP 400 40001"},
	}
	for _, tt := range tests {
		if got := CheckEnvelope(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("CheckEnvelope(%d, %s) = %q, want %q", tt.status, tt.body, got, tt.want)
		}
	}
}

// testServer is an httptest server answering the envelope, every failEvery-th
// request (if > 0) with HTTP 500; it counts requests, connections and the
// peak of requests in flight.
type testServer struct {
	*httptest.Server
	requests, conns   atomic.Int64
	inflight, maxLive atomic.Int64
}

func newTestServer(t *testing.T, failEvery int64, delay time.Duration) *testServer {
	ts := &testServer{}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		live := ts.inflight.Add(1)
		defer ts.inflight.Add(-1)
		for {
			peak := ts.maxLive.Load()
			if live <= peak || ts.maxLive.CompareAndSwap(peak, live) {
				break
			}
		}
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "tok" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"success":false,"errorCode":"unauthorized"}`)
			return
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		if failEvery > 0 && n%failEvery == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"success":false,"errorCode":"internal","errorMsg":"boom"}`)
			return
		}
		io.WriteString(w, `{"success":true,"errorCode":"","data":{"n":1}}`)
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func TestEngine(t *testing.T) {
	const workers = 8
	ts := newTestServer(t, 10, 0)
	client := NewClient(workers, 5*time.Second)
	defer client.CloseIdleConnections()
	eng := &Engine{Client: client, Workers: workers, Warmup: 50 * time.Millisecond, Duration: 200 * time.Millisecond}

	var mu sync.Mutex
	built := map[int]bool{}
	start := time.Now()
	res := eng.Run(context.Background(), func(w int) RequestFunc {
		mu.Lock()
		built[w] = true
		mu.Unlock()
		return func(ctx context.Context, i int) (*http.Request, error) {
			return newRequest(ctx, "POST", ts.URL+"/x", "tok", []byte(`{"i":1}`))
		}
	})
	took := time.Since(start)

	if len(built) != workers {
		t.Errorf("builders made for %d workers, want %d", len(built), workers)
	}
	if res.Requests < 50 {
		t.Fatalf("Requests = %d, want a good many in 200ms", res.Requests)
	}
	if got := ts.requests.Load(); got < int64(res.Requests) {
		t.Errorf("server saw %d requests, fewer than the %d recorded", got, res.Requests)
	}
	// One in ten fails; the engine must count those, by kind.
	if res.Errors == 0 || res.Errors != res.ErrorKinds["HTTP 500 internal"] || len(res.ErrorKinds) != 1 {
		t.Errorf("Errors = %d, kinds %v; want only HTTP 500 internal", res.Errors, res.ErrorKinds)
	}
	if frac := float64(res.Errors) / float64(res.Requests); frac < 0.05 || frac > 0.15 {
		t.Errorf("error fraction %.3f, want about 0.1", frac)
	}
	if res.Elapsed < eng.Duration || res.Elapsed > eng.Duration+slack {
		t.Errorf("Elapsed = %v, want just over %v", res.Elapsed, eng.Duration)
	}
	if took > eng.Warmup+eng.Duration+slack {
		t.Errorf("Run took %v: the loops did not stop by themselves", took)
	}
	if res.Window != eng.Duration || res.Completed > res.Requests || res.Completed < res.Requests-workers ||
		res.CompletedOK > res.Completed || res.CompletedOK < res.Completed-res.Errors {
		t.Errorf("Window %v, Requests %d, Completed %d, CompletedOK %d, Errors %d",
			res.Window, res.Requests, res.Completed, res.CompletedOK, res.Errors)
	}
	if want := float64(res.Completed) / eng.Duration.Seconds(); res.RPS != want {
		t.Errorf("RPS = %v, want %v", res.RPS, want)
	}
	l := res.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max && l.Mean <= l.Max) {
		t.Errorf("latency not ordered: %+v", l)
	}
	if got := ts.maxLive.Load(); got > workers {
		t.Errorf("%d requests in flight at once, want at most %d", got, workers)
	}
	if got := ts.conns.Load(); got > workers {
		t.Errorf("%d connections opened, want at most %d (keep-alive, one per worker)", got, workers)
	}
}

// The request index runs on from warm-up into the measured period, and a
// worker's builder is called from one goroutine only.
func TestEngineRequestIndex(t *testing.T) {
	ts := newTestServer(t, 0, 0)
	client := NewClient(2, 5*time.Second)
	defer client.CloseIdleConnections()
	eng := &Engine{Client: client, Workers: 2, Warmup: 30 * time.Millisecond, Duration: 50 * time.Millisecond}
	var seen [2][]int
	res := eng.Run(context.Background(), func(w int) RequestFunc {
		return func(ctx context.Context, i int) (*http.Request, error) {
			seen[w] = append(seen[w], i)
			return newRequest(ctx, "GET", ts.URL, "tok", nil)
		}
	})
	if res.Errors != 0 {
		t.Fatalf("errors: %v", res.ErrorKinds)
	}
	total := 0
	for w, s := range seen {
		for k, i := range s {
			if i != k {
				t.Fatalf("worker %d: request %d got index %d", w, k, i)
			}
		}
		total += len(s)
	}
	if total <= res.Requests {
		t.Errorf("%d built, %d recorded: the warm-up should not be recorded", total, res.Requests)
	}
}

func TestEngineAuthErrorsCounted(t *testing.T) {
	ts := newTestServer(t, 0, 0)
	client := NewClient(4, 5*time.Second)
	defer client.CloseIdleConnections()
	eng := &Engine{Client: client, Workers: 4, Duration: 100 * time.Millisecond}
	res := eng.Run(context.Background(), func(int) RequestFunc {
		return func(ctx context.Context, _ int) (*http.Request, error) {
			return newRequest(ctx, "GET", ts.URL, "wrong", nil)
		}
	})
	if res.Requests == 0 || res.Errors != res.Requests || res.ErrorKinds["HTTP 401 unauthorized"] != res.Requests {
		t.Errorf("Requests %d, Errors %d, kinds %v; want every request an HTTP 401", res.Requests, res.Errors, res.ErrorKinds)
	}
}

// A dead server fails every request at once; the loop backs off rather than
// spin, and still stops on time.
func TestEngineConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := NewClient(2, time.Second)
	eng := &Engine{Client: client, Workers: 2, Duration: 100 * time.Millisecond}
	start := time.Now()
	res := eng.Run(context.Background(), func(int) RequestFunc {
		return func(ctx context.Context, _ int) (*http.Request, error) {
			return newRequest(ctx, "GET", "http://"+addr+"/", "tok", nil)
		}
	})
	if time.Since(start) > slack {
		t.Errorf("Run took %v", time.Since(start))
	}
	if res.Requests == 0 || res.Errors != res.Requests || res.ErrorKinds["net: connection refused"] != res.Errors {
		t.Errorf("Requests %d, Errors %d, kinds %v; want all refused", res.Requests, res.Errors, res.ErrorKinds)
	}
	if res.Requests > 400 { // about 200 with the 1ms back-off; thousands without
		t.Errorf("%d requests in 100ms from 2 workers: the loop spins", res.Requests)
	}
}

func TestEngineCancel(t *testing.T) {
	ts := newTestServer(t, 0, time.Millisecond)
	client := NewClient(4, 5*time.Second)
	defer client.CloseIdleConnections()
	eng := &Engine{Client: client, Workers: 4, Warmup: time.Second, Duration: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	eng.Run(ctx, func(int) RequestFunc {
		return func(ctx context.Context, _ int) (*http.Request, error) {
			return newRequest(ctx, "GET", ts.URL, "tok", nil)
		}
	})
	if took := time.Since(start); took > slack {
		t.Errorf("Run took %v after its context ended", took)
	}
}

func TestCeiling(t *testing.T) {
	if n := len(CeilingBody); n != 250 {
		t.Errorf("len(CeilingBody) = %d, want 250", n)
	}
	u, stop, err := StartCeiling()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	client := NewClient(4, 5*time.Second)
	defer client.CloseIdleConnections()
	resp, err := client.Get(u + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != CeilingBody {
		t.Errorf("ceiling answered %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if kind := CheckEnvelope(resp.StatusCode, body); kind != "" {
		t.Errorf("CheckEnvelope(ceiling) = %q", kind)
	}

	eng := &Engine{Client: client, Workers: 4, Duration: 100 * time.Millisecond}
	res := eng.Run(context.Background(), func(int) RequestFunc {
		return func(ctx context.Context, _ int) (*http.Request, error) {
			return newRequest(ctx, "GET", u+"/", "", nil)
		}
	})
	if res.Requests == 0 || res.Errors != 0 {
		t.Errorf("ceiling run: %d requests, errors %v", res.Requests, res.ErrorKinds)
	}
}
