package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// RequestFunc builds the i-th request of one worker. It is called from that
// worker's goroutine only, so it may keep state without locking.
type RequestFunc func(ctx context.Context, i int) (*http.Request, error)

// CheckFunc classifies a complete response: it returns "" for a success and
// a short, stable error kind otherwise (it becomes a key of Result.ErrorKinds).
type CheckFunc func(status int, body []byte) string

// Engine drives a fixed number of workers, each issuing one request at a time
// for a warm-up period (not recorded) and then for a measured period.
type Engine struct {
	Client   *http.Client
	Workers  int
	Warmup   time.Duration
	Duration time.Duration
	// Check classifies responses; nil means CheckEnvelope.
	Check CheckFunc
}

// Result is what one Engine.Run measured. Counts and latencies cover every
// request started in the measured period, failed ones included; rates count
// only those completed within it, so one straggler at the end (a GC pause,
// a lock wait) does not stretch the denominator.
type Result struct {
	Requests    int            // started in the measured period
	Errors      int            // of Requests, those Check or the transport failed
	ErrorKinds  map[string]int // Errors by kind
	Window      time.Duration  // the measured period
	Elapsed     time.Duration  // from its start until the last worker stopped
	Completed   int            // of Requests, those completed within Window
	CompletedOK int            // of Completed, the successful ones
	RPS         float64        // Completed / Window
	Latency     Latency
}

// Latency summarises a set of request latencies.
type Latency struct {
	P50, P90, P99, Max, Mean time.Duration
}

// worker is one goroutine's state: its request builder, a reused response
// buffer and what it recorded.
type worker struct {
	next  RequestFunc
	i     int // next request index; continues from warm-up into measurement
	buf   bytes.Buffer
	lat   []time.Duration // preallocated from the warm-up rate
	errs  map[string]int
	count int // requests in the current phase
	done  int // requests completed by the end of the measured period
	ok    int // of done, the successful ones
}

// defaultPrealloc is the per-worker latency capacity when there is no
// warm-up to estimate it from.
const defaultPrealloc = 1 << 14

// Run runs one scenario: newWorker is called once per worker, before any
// request, to get that worker's builder. Run returns when the measured
// period is over and every in-flight request has finished, or when ctx is
// done.
func (e *Engine) Run(ctx context.Context, newWorker func(w int) RequestFunc) Result {
	check := e.Check
	if check == nil {
		check = CheckEnvelope
	}
	ws := make([]*worker, e.Workers)
	for w := range ws {
		ws[w] = &worker{next: newWorker(w), errs: map[string]int{}}
	}

	if e.Warmup > 0 {
		e.phase(ctx, ws, e.Warmup, check, false)
	}
	// Size each worker's latency slice from its warm-up rate, with margin,
	// so the measured loop does not grow slices.
	for _, w := range ws {
		n := defaultPrealloc
		if e.Warmup > 0 {
			est := float64(w.count) / e.Warmup.Seconds() * e.Duration.Seconds() * 1.3
			n = max(int(est)+256, 256)
		}
		w.lat = make([]time.Duration, 0, n)
		clear(w.errs)
	}
	elapsed := e.phase(ctx, ws, e.Duration, check, true)

	var res Result
	res.ErrorKinds = map[string]int{}
	total := 0
	for _, w := range ws {
		total += len(w.lat)
	}
	all := make([]time.Duration, 0, total)
	for _, w := range ws {
		all = append(all, w.lat...)
		for k, n := range w.errs {
			res.ErrorKinds[k] += n
			res.Errors += n
		}
	}
	for _, w := range ws {
		res.Completed += w.done
		res.CompletedOK += w.ok
	}
	res.Requests = len(all)
	res.Window = e.Duration
	res.Elapsed = elapsed
	res.RPS = float64(res.Completed) / e.Duration.Seconds()
	res.Latency = Summarize(all)
	return res
}

// phase runs every worker until d has passed (no request starts later) and
// returns the wall time until the last one stopped.
func (e *Engine) phase(ctx context.Context, ws []*worker, d time.Duration, check CheckFunc, record bool) time.Duration {
	start := time.Now()
	until := start.Add(d)
	var wg sync.WaitGroup
	for _, w := range ws {
		w.count, w.done, w.ok = 0, 0, 0
		wg.Go(func() { e.loop(ctx, w, until, check, record) })
	}
	wg.Wait()
	return time.Since(start)
}

// loop is one worker's request loop, bounded by until and ctx.
func (e *Engine) loop(ctx context.Context, w *worker, until time.Time, check CheckFunc, record bool) {
	for ctx.Err() == nil && time.Now().Before(until) {
		i := w.i
		w.i++
		req, err := w.next(ctx, i)
		if err != nil {
			// A builder bug: count it and stop this worker rather than spin.
			if record {
				w.lat = append(w.lat, 0)
				w.errs["build: "+err.Error()]++
			}
			return
		}
		start := time.Now()
		kind, transport := w.do(e.Client, req, check)
		end := time.Now()
		w.count++
		if record {
			w.lat = append(w.lat, end.Sub(start))
			if kind != "" {
				w.errs[kind]++
			}
			if !end.After(until) {
				w.done++
				if kind == "" {
					w.ok++
				}
			}
		}
		if transport && ctx.Err() == nil {
			// Transport failures can be instant (connection refused); do
			// not let a dead server turn the loop into a busy spin.
			time.Sleep(time.Millisecond)
		}
	}
}

// do sends req, reads the whole body (so the connection is reused) and
// returns the error kind, "" on success, and whether the failure was the
// transport's rather than the server's answer.
func (w *worker) do(c *http.Client, req *http.Request, check CheckFunc) (kind string, transport bool) {
	w.buf.Reset()
	resp, err := c.Do(req)
	if err != nil {
		return transportKind(err), true
	}
	_, err = w.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return transportKind(err), true
	}
	return check(resp.StatusCode, w.buf.Bytes()), false
}

// transportKind names a transport failure coarsely, so that error kinds stay
// few and comparable between runs.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "net: canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "net: timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "net: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "net: connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "net: address not available (ephemeral ports exhausted?)"
	case errors.Is(err, errNotLoopback):
		return "net: refused non-loopback address"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "net: timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "net: " + oe.Op + " error"
	}
	return "net: " + err.Error()
}

// CheckEnvelope accepts HTTP 200 with a top-level "success": true, the
// AppServer envelope. Any other response is an error of kind
// "HTTP <status> <errorCode>".
func CheckEnvelope(status int, body []byte) string {
	if status == http.StatusOK && EnvelopeSuccess(body) {
		return ""
	}
	var env struct {
		ErrorCode any `json:"errorCode"`
	}
	_ = json.Unmarshal(body, &env)
	code := ""
	if env.ErrorCode != nil {
		code = fmt.Sprint(env.ErrorCode)
	}
	if code == "" {
		if status == http.StatusOK {
			code = "success!=true"
		} else {
			return fmt.Sprintf("HTTP %d", status)
		}
	}
	return fmt.Sprintf("HTTP %d %s", status, code)
}

var successKey = []byte("success")

// EnvelopeSuccess reports whether body is a JSON object whose top-level key
// "success" holds true. It scans the bytes once without decoding, so checking
// a large response (userList) costs the client little CPU; keys written with
// escape sequences are not recognised.
func EnvelopeSuccess(b []byte) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			j := stringEnd(b, i)
			if j < 0 {
				return false
			}
			if depth == 1 {
				if k := skipSpace(b, j); k < len(b) && b[k] == ':' {
					if bytes.Equal(b[i+1:j-1], successKey) {
						v := skipSpace(b, k+1)
						if !bytes.HasPrefix(b[v:], []byte("true")) {
							return false
						}
						v += 4
						return v == len(b) || isDelim(b[v])
					}
					i = k + 1
					continue
				}
			}
			i = j
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		i++
	}
	return false
}

// stringEnd returns the index just past the closing quote of the JSON string
// starting at b[i], or -1 when it is unterminated.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// Summarize sorts lat in place and returns its percentiles, max and mean.
func Summarize(lat []time.Duration) Latency {
	if len(lat) == 0 {
		return Latency{}
	}
	slices.Sort(lat)
	var sum float64
	for _, d := range lat {
		sum += float64(d)
	}
	return Latency{
		P50:  Percentile(lat, 50),
		P90:  Percentile(lat, 90),
		P99:  Percentile(lat, 99),
		Max:  lat[len(lat)-1],
		Mean: time.Duration(sum / float64(len(lat))),
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value such that at least p % of the
// values are less than or equal to it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p*n/100 rather than p/100*n: exact for integral p, and the epsilon
	// keeps float noise (99.9*1000 = 99900.00000000001) from adding a rank.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
