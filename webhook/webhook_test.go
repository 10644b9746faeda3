package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"examhall"
)

// fakeOutbox hands out its deliveries once each and records the results.
type fakeOutbox struct {
	mu      sync.Mutex
	todo    []*examhall.Delivery
	results []examhall.DeliveryResult
}

func (f *fakeOutbox) ClaimDeliveries(_ context.Context, _ time.Time, _ time.Duration, max int) ([]*examhall.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(max, len(f.todo))
	out := f.todo[:n]
	f.todo = f.todo[n:]
	return out, nil
}

func (f *fakeOutbox) FinishDeliveries(_ context.Context, rs []examhall.DeliveryResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = append(f.results, rs...)
	return nil
}

const secret = "test-secret-0123456789"

func delivery(id int64, url string, private bool) *examhall.Delivery {
	return &examhall.Delivery{ID: id, EventID: "ev" + strconv.FormatInt(id, 10), Type: examhall.HookAttemptSubmitted,
		Key: "a1", Data: json.RawMessage(`{"attemptId":"a1","reason":"candidate"}`), Attempts: 1,
		CreatedAt: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), URL: url, Secret: secret, AllowPrivate: private}
}

// runOnce sends ds through a sender and returns the results by delivery.
func runOnce(t *testing.T, s *Sender, ds ...*examhall.Delivery) map[int64]examhall.DeliveryResult {
	t.Helper()
	f := &fakeOutbox{todo: ds}
	s.Outbox = f
	n, err := s.RunOnce(context.Background())
	if err != nil || n != len(ds) {
		t.Fatalf("RunOnce = %d, %v; want %d", n, err, len(ds))
	}
	out := map[int64]examhall.DeliveryResult{}
	for _, r := range f.results {
		out[r.ID] = r
	}
	return out
}

// TestSignedRequest: the receiver gets the documented body and headers, and
// the signature verifies with the secret (and not with another).
func TestSignedRequest(t *testing.T) {
	var got struct {
		header http.Header
		body   []byte
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	res := runOnce(t, &Sender{}, delivery(1, ts.URL+"/hook", true))
	if r := res[1]; !r.OK || r.Try.Code != 204 || r.Try.Error != "" {
		t.Fatalf("result %+v, want OK 204", r)
	}
	h := got.header
	if h.Get(HeaderEventID) != "ev1" || h.Get(HeaderEventType) != examhall.HookAttemptSubmitted ||
		h.Get("Content-Type") != "application/json" || h.Get(HeaderAttempt) != "1" {
		t.Errorf("headers %v", h)
	}
	if err := Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), got.body, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify("another-secret-0123", h.Get(HeaderTimestamp), h.Get(HeaderSignature), got.body, time.Now(), 5*time.Minute); err == nil {
		t.Error("Verify with another secret succeeded")
	}
	if err := Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), got.body, time.Now().Add(time.Hour), 5*time.Minute); err == nil {
		t.Error("Verify an hour later succeeded")
	}
	tampered := strings.Replace(string(got.body), "candidate", "deadline", 1)
	if err := Verify(secret, h.Get(HeaderTimestamp), h.Get(HeaderSignature), []byte(tampered), time.Now(), 5*time.Minute); err == nil {
		t.Error("Verify of a changed body succeeded")
	}
	var e Event
	if err := json.Unmarshal(got.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != "ev1" || e.Type != examhall.HookAttemptSubmitted || !e.Time.Equal(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)) ||
		string(e.Data) != `{"attemptId":"a1","reason":"candidate"}` {
		t.Errorf("body %s", got.body)
	}
}

// TestFailures: each kind of failure is retried later with the reason
// recorded; redirects are not followed; private targets are refused
// unless the endpoint allows them.
func TestFailures(t *testing.T) {
	var hits sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { hits.Store("target", true) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { hits.Store("ok", true) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))

	s := &Sender{Timeout: 300 * time.Millisecond, Backoff: func(int) time.Duration { return time.Minute }}
	res := runOnce(t, s,
		delivery(1, ts.URL+"/fail", true),
		delivery(2, ts.URL+"/moved", true),
		delivery(3, ts.URL+"/slow", true),
		delivery(4, ts.URL+"/ok", false),                   // loopback, not allowed
		delivery(5, "http://localhost:"+port+"/ok", false), // a name resolving to loopback
		delivery(6, "http://127.0.0.1:1/nothing", true),    // refused connection
	)
	for _, tt := range []struct {
		id        int64
		code      int
		errSubstr string
	}{
		{1, 503, "HTTP 503"},
		{2, 302, "HTTP 302"},
		{3, 0, "Timeout"},
		{4, 0, "refused: the address is loopback"},
		{5, 0, "refused: the address is loopback"},
		{6, 0, "refused"},
	} {
		r := res[tt.id]
		if r.OK || r.Try.Code != tt.code || !strings.Contains(r.Try.Error, tt.errSubstr) || r.Retry.Sub(r.Try.At) != time.Minute {
			t.Errorf("delivery %d: %+v, want code %d, error containing %q, retry in a minute", tt.id, r, tt.code, tt.errSubstr)
		}
	}
	if _, ok := hits.Load("target"); ok {
		t.Error("the redirect was followed")
	}
	if _, ok := hits.Load("ok"); ok {
		t.Error("a loopback target was reached without allowPrivate")
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{13, 30 * time.Minute, time.Hour},
		{100, 30 * time.Minute, time.Hour},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := Backoff(tt.attempt)
			if d < tt.min || d > tt.max {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) has no jitter", tt.attempt)
		}
	}
}

// TestPublicIP covers the SSRF address check.
func TestPublicIP(t *testing.T) {
	for _, tt := range []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true}, {"2001:4860:4860::8888", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"fc00::1", false}, {"0.0.0.0", false}, {"100.64.0.1", false},
		{"::ffff:127.0.0.1", false},
	} {
		if got := examhall.PublicIP(net.ParseIP(tt.ip)); got != tt.want {
			t.Errorf("PublicIP(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}
