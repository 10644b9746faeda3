package store

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"examhall"
	"examhall/internal/burst"
)

// cpuTime returns this process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmitOutbox measures what the outbox adds to a submit: waves
// of 200 candidates handing in at once (as BenchmarkSubmitParallel's
// burst) alternate between a store without webhook endpoints and one with
// an endpoint subscribed to every event (each submit then also writes
// attempt.submitted and attempt.graded in its batch's transaction; no
// sender runs). Alternating wave by wave keeps a busy machine's drift out
// of the comparison. It reports wall time and this process's CPU time per
// submit for each (on PostgreSQL the server's CPU is not included).
// -benchtime 10000x is 50 waves of each.
func BenchmarkSubmitOutbox(b *testing.B) {
	if testing.Short() {
		b.Skip("big set-up")
	}
	run := func(b *testing.B, open func() *DB) {
		ctx := context.Background()
		now := engineT0.Add(30 * time.Minute)
		plain, hooked := open(), open()
		if err := hooked.CreateWebhook(ctx, &examhall.Webhook{URL: "https://hooks.example.com/bench",
			Secret: "0123456789abcdef", Enabled: true}); err != nil {
			b.Fatal(err)
		}
		const size = 200
		waves := max(1, b.N/size)
		dbs := []*DB{plain, hooked}
		ids := [][]string{engineInProgress(b, plain, waves*size, now), engineInProgress(b, hooked, waves*size, now)}
		engineCheckpoint(b, plain)
		engineCheckpoint(b, hooked)
		var cpu, wall [2]time.Duration
		b.ResetTimer()
		for w := range waves {
			for k := range 2 {
				j := (k + w) % 2 // which goes first alternates too
				db := dbs[j]
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := w * size; i < (w+1)*size; i++ {
					wg.Go(func() {
						<-start
						if _, err := db.SubmitAttempt(ctx, ids[j][i], "", now); err != nil {
							b.Error(err)
						}
					})
				}
				c0, t0 := cpuTime(b), time.Now()
				close(start)
				wg.Wait()
				wall[j] += time.Since(t0)
				cpu[j] += cpuTime(b) - c0
				time.Sleep(burst.Gap)
			}
		}
		b.StopTimer()
		n := float64(waves * size)
		b.ReportMetric(float64(wall[0].Microseconds())/n, "wall-µs/submit")
		b.ReportMetric(float64(wall[1].Microseconds())/n, "wall-hooked-µs/submit")
		b.ReportMetric(float64(cpu[0].Microseconds())/n, "cpu-µs/submit")
		b.ReportMetric(float64(cpu[1].Microseconds())/n, "cpu-hooked-µs/submit")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, func() *DB { return MustOpenSQLite(b) }) })
	if dsn := os.Getenv("EXAMHALL_TEST_POSTGRES"); dsn != "" {
		b.Run("postgres", func(b *testing.B) { run(b, func() *DB { return MustOpenPostgres(b, dsn) }) })
	}
}
