package store

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// group gathers concurrent requests of this process into shared batches,
// each written by one caller in one transaction (group commit). On SQLite
// every write queues for the one connection, so a transaction per request
// would make a burst wait for as many commits in turn; on PostgreSQL a
// commit's WAL flush costs about a millisecond whatever it holds. One batch
// is written at a time: SQLite has one writer, and on a small machine one
// PostgreSQL batch of a whole burst is faster than several side by side
// contending for the same rows and pages.
//
// A caller finding no batch being written leads one: it lets the requests
// arriving with its own join the queue first (gather), takes up to max of
// them, writes them, hands the lead to the oldest request still waiting,
// and only then wakes its batch, so that the next batch is written
// meanwhile. No goroutine lives beyond the calls.
type group[R any] struct {
	max int // requests per batch

	mu      sync.Mutex
	pending []*waiter[R] // waiting for the leader
	leading bool         // a batch is being written

	batches, items atomic.Int64 // for benchmarks: the mean batch size
}

// waiter is a request in the queue. It gets one message: true when its
// batch was written, false when it is to lead the next.
type waiter[R any] struct {
	req  R
	done chan bool
}

// maxGatherRounds bounds the leader's yields in gather.
const maxGatherRounds = 8

// do has req written in a batch by write, which must settle every request
// it is given (each request carries its own result). The batch is written
// without ctx's cancellation: a caller giving up must not fail the others.
func (g *group[R]) do(ctx context.Context, req R, write func(ctx context.Context, batch []R)) {
	w := &waiter[R]{req: req, done: make(chan bool, 1)}
	g.mu.Lock()
	if !g.leading {
		g.leading = true
		g.mu.Unlock()
		g.gather()
	} else {
		g.pending = append(g.pending, w)
		g.mu.Unlock()
		if written := <-w.done; written {
			return
		}
	}
	g.mu.Lock()
	n := min(len(g.pending), g.max-1)
	batch := append([]*waiter[R]{w}, g.pending[:n]...)
	g.pending = slices.Clone(g.pending[n:])
	g.mu.Unlock()

	reqs := make([]R, len(batch))
	for i, b := range batch {
		reqs[i] = b.req
	}
	g.batches.Add(1)
	g.items.Add(int64(len(batch)))
	write(context.WithoutCancel(ctx), reqs)
	g.handOver()
	for _, b := range batch[1:] {
		b.done <- true
	}
}

// gather lets the requests that became ready to run with the leader's (200
// candidates handing in as an exam ends) join its queue before it takes
// its batch: it yields the processor as long as that makes the queue grow.
// Otherwise the first request of a burst would be written alone, and all
// the others after it. Without a burst, one yield returns at once.
func (g *group[R]) gather() {
	waiting := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.pending)
	}
	for range maxGatherRounds {
		n := waiting()
		runtime.Gosched()
		if waiting() == n {
			return
		}
	}
}

// handOver passes the lead to the oldest request waiting, if any.
func (g *group[R]) handOver() {
	g.mu.Lock()
	if len(g.pending) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	next := g.pending[0]
	g.pending = g.pending[1:]
	g.mu.Unlock()
	next.done <- false
}
