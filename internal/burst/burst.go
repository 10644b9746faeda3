// Package burst runs the submit benchmarks' bursts: candidates handing in
// at the same instant, as when an exam ends.
package burst

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// Gap is the pause between two waves, in which the store catches up
// (checkpoints, the WAL writer) as it would between real bursts.
const Gap = 50 * time.Millisecond

// Run releases waves of size goroutines, each calling call(i) once for its
// own i (wave w holds w*size … (w+1)*size-1), all at the same instant and
// Gap apart, timing only the waves, and reports the calls' median and 99th
// percentile in ms. prepare(i), untimed, runs in the goroutine first.
func Run(b *testing.B, waves, size int, prepare func(i int), call func(i int) error) {
	lat := make([]time.Duration, waves*size)
	b.ResetTimer()
	b.StopTimer()
	for w := range waves {
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i := w * size; i < (w+1)*size; i++ {
			ready.Add(1)
			done.Go(func() {
				if prepare != nil {
					prepare(i)
				}
				ready.Done()
				<-start
				t := time.Now()
				if err := call(i); err != nil {
					b.Error(err)
				}
				lat[i] = time.Since(t)
			})
		}
		ready.Wait()
		b.StartTimer()
		close(start)
		done.Wait()
		b.StopTimer()
		time.Sleep(Gap)
	}
	Report(b, lat)
}

// Report reports the median and 99th percentile of lat in ms (sorting it).
func Report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
