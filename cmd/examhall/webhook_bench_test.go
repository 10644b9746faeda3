package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"examhall"
	"examhall/webhook"
)

// BenchmarkWebhookThroughput submits b.N attempts at a steady 1,000 per
// second while the program's sender delivers attempt.submitted for each to
// a local receiver that checks every signature. It reports the submit rate
// achieved, the delivery rate (events received per second from the first
// submit to the last receipt) and the lag from each submit's return to its
// event's receipt. -benchtime 5000x is five seconds of submits.
func BenchmarkWebhookThroughput(b *testing.B) {
	run := func(b *testing.B, m *Main) {
		ctx := context.Background()
		ids, _ := benchInProgress(b, m, b.N)
		const secret = "whsec_bench_0123456789"
		var mu sync.Mutex
		received := make(map[string]time.Time, b.N)
		dup := 0
		rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if webhook.Verify(secret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body,
				time.Now(), 5*time.Minute) != nil {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			var e struct {
				Data struct{ AttemptID string }
			}
			if json.Unmarshal(body, &e) != nil {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			mu.Lock()
			if _, ok := received[e.Data.AttemptID]; ok {
				dup++
			} else {
				received[e.Data.AttemptID] = time.Now()
			}
			mu.Unlock()
		}))
		defer rs.Close()
		must(b, m.DB.CreateWebhook(ctx, &examhall.Webhook{URL: rs.URL, Secret: secret, Enabled: true, AllowPrivate: true,
			Events: []string{examhall.HookAttemptSubmitted}}))
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); m.Sender.Run(sctx) }()
		defer func() { stop(); <-done }()

		returned := make([]time.Time, b.N)
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if d := time.Until(start.Add(time.Duration(i) * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
			wg.Go(func() {
				if _, err := m.DB.SubmitAttempt(ctx, ids[i], examhall.SubmitCandidate, time.Now()); err != nil {
					b.Error(err)
				}
				returned[i] = time.Now()
			})
		}
		wg.Wait()
		submitted := time.Since(start)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			mu.Lock()
			n := len(received)
			mu.Unlock()
			if n == b.N {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d events delivered after two minutes", n, b.N)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		var last time.Time
		lags := make([]time.Duration, b.N)
		for i, id := range ids {
			r := received[id]
			lags[i] = r.Sub(returned[i])
			if r.After(last) {
				last = r
			}
		}
		slices.Sort(lags)
		b.ReportMetric(float64(b.N)/submitted.Seconds(), "submits/s")
		b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "deliveries/s")
		b.ReportMetric(float64(lags[b.N/2].Microseconds())/1000, "lag-p50-ms")
		b.ReportMetric(float64(lags[b.N*99/100].Microseconds())/1000, "lag-p99-ms")
		b.ReportMetric(float64(dup), "duplicates")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, MustOpenMain(b, "")) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { run(b, MustOpenMain(b, mustSchema(b, dsn))) })
	}
}
