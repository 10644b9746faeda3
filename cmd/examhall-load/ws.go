package main

// The WebSocket scenario: thousands of candidate pages and a few dozen
// invigilator pages hold the live room's WebSocket (GET /ws) open on one
// or two replicas; candidates send heartbeats and signals, and the
// invigilators measure how long each signal takes to reach them as a cheat
// event. Signals become events only when the server has a SignalRecorder:
// the proctoring service, or until it is wired, `examhall serve
// --load-signals`.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// WSConfig configures the WebSocket scenario.
type WSConfig struct {
	URLs         []string // replicas; candidates alternate between them, invigilators too
	Candidates   int
	Invigilators int
	Rooms        int           // candidates are spread over this many rooms; invigilator i watches room i mod Rooms
	Duration     time.Duration // measured, after every page connected and Settle passed
	Settle       time.Duration
	Heartbeat    time.Duration
	Signal       time.Duration // mean interval of one candidate's signals
	Dialers      int           // connections opened at a time
	PIDs         []int         // the replicas' processes, for VmRSS (0: not measured)
	DebugURLs    []string      // the replicas' --debug-addr, for the heap after a GC ("": not measured)
}

// WSReport is the scenario's outcome.
type WSReport struct {
	Replicas        int     `json:"replicas"`
	Rooms           int     `json:"rooms"`
	Candidates      int     `json:"candidates"`
	Invigilators    int     `json:"invigilators"`
	Connected       int     `json:"connected"`
	ConnectErrors   int     `json:"connectErrors"`
	ConnectSeconds  float64 `json:"connectSeconds"`
	Seconds         float64 `json:"seconds"`
	Heartbeats      int64   `json:"heartbeats"` // in the measured window, as Signals and SignalAcks
	Signals         int64   `json:"signals"`
	SignalAcks      int64   `json:"signalAcks"`
	SignalErrors    int64   `json:"signalErrors"`
	SignalErrorText string  `json:"signalError,omitempty"`
	Closed          int64   `json:"closedByServer"` // pages the server closed during the run
	// Cheat events received by the invigilators in the window, and their
	// latency from the candidate sending the signal: to invigilators on
	// the candidate's replica, and on the other one.
	SameEvents   int       `json:"sameReplicaEvents"`
	SameLatency  LatencyMs `json:"sameReplicaLatencyMs"`
	CrossEvents  int       `json:"crossReplicaEvents,omitempty"`
	CrossLatency LatencyMs `json:"crossReplicaLatencyMs"`
	// Memory of the first replica: before the pages connected and once
	// they were all connected and idle.
	RSSBefore   int64   `json:"rssBeforeBytes,omitempty"`
	RSSIdle     int64   `json:"rssIdleBytes,omitempty"`
	RSSPerConn  float64 `json:"rssPerConnBytes,omitempty"`
	HeapBefore  int64   `json:"heapBeforeBytes,omitempty"`
	HeapIdle    int64   `json:"heapIdleBytes,omitempty"`
	HeapPerConn float64 `json:"heapPerConnBytes,omitempty"`
	// HeapClosed is the heap once every page closed again (after
	// Settle): HeapIdle minus it is what the open connections held,
	// without the caches their users filled (HeapHeld per connection).
	HeapClosed      int64   `json:"heapClosedBytes,omitempty"`
	HeapHeldPerConn float64 `json:"heapHeldPerConnBytes,omitempty"`
	ConnsOnMeasured int     `json:"connsOnMeasuredReplica,omitempty"`
	Target          string  `json:"target"`
	TargetMet       bool    `json:"targetMet"`
}

// WS targets of the issue.
const (
	wsP99One     = 100 * time.Millisecond
	wsP99Two     = 250 * time.Millisecond
	wsBytesIdle  = 20 << 10
	wsReadLimit  = 1 << 20
	wsHelloLimit = 10 * time.Second
)

// RaiseFileLimit raises RLIMIT_NOFILE's soft limit to the hard one and
// returns it: every connection is a descriptor.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return lim.Cur, nil
}

// wsClient returns the HTTP client the WebSocket handshakes use: loopback
// only, no pooling limit.
func wsClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: loopbackOnly}
	return &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableCompression: true}}
}

// wsURL is the /ws URL of base for the room.
func wsURL(base, roomID string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/ws?roomId=" + url.QueryEscape(roomID)
}

// wsDial connects with token and completes the hello exchange, resuming
// after lastSeq when it is positive.
func wsDial(ctx context.Context, client *http.Client, u, token string, lastSeq int64) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: client,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(wsReadLimit)
	hello := `{"type":"hello","v":1}`
	if lastSeq > 0 {
		hello = `{"type":"resume","v":1,"data":{"lastSeq":` + strconv.FormatInt(lastSeq, 10) + `}}`
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(hello)); err != nil {
		c.CloseNow()
		return nil, err
	}
	hctx, hcancel := context.WithTimeout(ctx, wsHelloLimit)
	defer hcancel()
	for {
		_, b, err := c.Read(hctx)
		if err != nil {
			c.CloseNow()
			return nil, fmt.Errorf("waiting for hello: %w", err)
		}
		var m struct{ Type string }
		if json.Unmarshal(b, &m) == nil && m.Type == "hello" {
			return c, nil
		}
	}
}

// wsMessage is what the pages read of a server message.
type wsMessage struct {
	Type   string          `json:"type"`
	Seq    int64           `json:"seq"`
	UserID string          `json:"userId"`
	Data   json.RawMessage `json:"data"`
}

// latencies collects samples.
type latencies struct {
	mu   sync.Mutex
	same []time.Duration
	diff []time.Duration
}

func (l *latencies) add(d time.Duration, same bool) {
	l.mu.Lock()
	if same {
		l.same = append(l.same, d)
	} else {
		l.diff = append(l.diff, d)
	}
	l.mu.Unlock()
}

// summarize returns the percentiles of ds.
func summarize(ds []time.Duration) LatencyMs {
	if len(ds) == 0 {
		return LatencyMs{}
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return LatencyMs{P50: ms(at(0.50)), P90: ms(at(0.90)), P99: ms(at(0.99)), Max: ms(ds[len(ds)-1]),
		Mean: ms(sum / time.Duration(len(ds)))}
}

// RunWS runs the WebSocket scenario against fixtures f (whose examinees
// are the candidates) with the admin's session for the invigilators'
// pages (an admin is staff of every room).
func RunWS(ctx context.Context, cfg WSConfig, f *Fixtures, progress func(string, ...any)) (*WSReport, error) {
	rep := &WSReport{Replicas: len(cfg.URLs), Rooms: len(f.Rooms), Candidates: cfg.Candidates, Invigilators: cfg.Invigilators}
	client := wsClient()
	// Candidate i is in room i mod rooms (SetupRooms); within each room
	// they alternate between the replicas.
	replicaOf := map[string]int{} // candidate user id → replica
	for i, e := range f.Examinees[:cfg.Candidates] {
		replicaOf[e.ID] = (i / len(f.Rooms)) % len(cfg.URLs)
	}
	if cfg.PIDs[0] != 0 {
		rep.RSSBefore, _ = ReadRSS(cfg.PIDs[0])
	}
	if cfg.DebugURLs[0] != "" {
		h, err := ReadHeap(ctx, client, cfg.DebugURLs[0])
		if err != nil {
			return nil, err
		}
		rep.HeapBefore = h
	}

	run, stop := context.WithCancel(ctx)
	defer stop()
	var (
		measuring atomic.Bool
		lat       latencies
		wg        sync.WaitGroup
		mu        sync.Mutex
		conns     []*websocket.Conn
		connErrs  int
		firstErr  error
	)
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.CloseNow()
		}
	}
	defer closeAll()
	connected := func(c *websocket.Conn, err error) bool {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			connErrs++
			if firstErr == nil {
				firstErr = err
			}
			return false
		}
		conns = append(conns, c)
		return true
	}

	// The invigilators first, so they see every signal.
	start := time.Now()
	for i := range cfg.Invigilators {
		replica := i % len(cfg.URLs)
		u := wsURL(cfg.URLs[replica], f.Rooms[i%len(f.Rooms)])
		c, err := wsDial(run, client, u, f.AdminToken, 0)
		if !connected(c, err) {
			continue
		}
		var cur atomic.Pointer[websocket.Conn]
		cur.Store(c)
		wg.Add(2)
		go func() { // heartbeats, as every page sends
			defer wg.Done()
			t := time.NewTicker(cfg.Heartbeat)
			defer t.Stop()
			for {
				select {
				case <-run.Done():
					return
				case <-t.C:
					wctx, cancel := context.WithTimeout(run, 10*time.Second)
					cur.Load().Write(wctx, websocket.MessageText, []byte(`{"type":"heartbeat","v":1}`))
					cancel()
				}
			}
		}()
		go func() {
			defer wg.Done()
			var last int64
			for {
				_, b, err := c.Read(run)
				if err != nil {
					if run.Err() != nil {
						return
					}
					// Dropped (fell behind): resume like a page does.
					atomic.AddInt64(&rep.Closed, 1)
					for run.Err() == nil {
						if c, err = wsDial(run, client, u, f.AdminToken, last); err == nil {
							connected(c, nil)
							cur.Store(c)
							break
						}
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				now := time.Now()
				var m wsMessage
				if json.Unmarshal(b, &m) != nil {
					continue
				}
				last = max(last, m.Seq)
				if m.Type != "cheat" || !measuring.Load() {
					continue
				}
				var d struct {
					At time.Time `json:"at"`
				}
				if json.Unmarshal(m.Data, &d) == nil && !d.At.IsZero() {
					lat.add(now.Sub(d.At), replicaOf[m.UserID] == replica)
				}
			}
		}()
	}

	// Then the candidates, Dialers at a time.
	sem := make(chan struct{}, cfg.Dialers)
	var dialing sync.WaitGroup
	var signalErr atomic.Value
	for i, e := range f.Examinees[:cfg.Candidates] {
		if run.Err() != nil {
			break
		}
		if i > 0 && i%1000 == 0 {
			progress("ws: %d candidates connected", i)
		}
		sem <- struct{}{}
		dialing.Add(1)
		go func() {
			defer dialing.Done()
			c, err := wsDial(run, client, wsURL(cfg.URLs[replicaOf[e.ID]], e.RoomID), e.Token, 0)
			<-sem
			if !connected(c, err) {
				return
			}
			wg.Add(2)
			go func() { // reader: acks and errors of its signals
				defer wg.Done()
				for {
					_, b, err := c.Read(run)
					if err != nil {
						if run.Err() == nil {
							atomic.AddInt64(&rep.Closed, 1)
						}
						return
					}
					var m wsMessage
					if json.Unmarshal(b, &m) != nil {
						continue
					}
					switch m.Type {
					case "ack":
						if measuring.Load() {
							atomic.AddInt64(&rep.SignalAcks, 1)
						}
					case "error":
						atomic.AddInt64(&rep.SignalErrors, 1)
						signalErr.CompareAndSwap(nil, string(m.Data))
					}
				}
			}()
			go func() { // writer: heartbeats and signals
				defer wg.Done()
				hb := time.NewTimer(rand.N(cfg.Heartbeat))
				sig := time.NewTimer(rand.N(cfg.Signal))
				defer hb.Stop()
				defer sig.Stop()
				n := 0
				for {
					var msg string
					select {
					case <-run.Done():
						return
					case <-hb.C:
						hb.Reset(cfg.Heartbeat)
						msg = `{"type":"heartbeat","v":1}`
						if measuring.Load() {
							atomic.AddInt64(&rep.Heartbeats, 1)
						}
					case <-sig.C:
						// Every Signal on average, ±25 %.
						sig.Reset(cfg.Signal*3/4 + rand.N(cfg.Signal/2))
						n++
						msg = `{"type":"signal","v":1,"id":"` + strconv.Itoa(n) + `","data":{"attemptId":"load","type":"switch","seconds":1.5,"at":"` +
							time.Now().Format(time.RFC3339Nano) + `"}}`
						if measuring.Load() {
							atomic.AddInt64(&rep.Signals, 1)
						}
					}
					wctx, cancel := context.WithTimeout(run, 10*time.Second)
					err := c.Write(wctx, websocket.MessageText, []byte(msg))
					cancel()
					if err != nil {
						return
					}
				}
			}()
		}()
	}
	dialing.Wait()
	rep.ConnectSeconds = time.Since(start).Seconds()
	mu.Lock()
	rep.Connected, rep.ConnectErrors = len(conns), connErrs
	if firstErr != nil {
		progress("ws: %d connections failed; the first: %v", connErrs, firstErr)
	}
	mu.Unlock()
	progress("ws: %d pages connected in %.1fs; settling %v", rep.Connected, rep.ConnectSeconds, cfg.Settle)

	select {
	case <-time.After(cfg.Settle):
	case <-ctx.Done():
	}
	// Connections on the measured replica: candidates and invigilators on
	// replica 0.
	for _, e := range f.Examinees[:cfg.Candidates] {
		if replicaOf[e.ID] == 0 {
			rep.ConnsOnMeasured++
		}
	}
	rep.ConnsOnMeasured += (cfg.Invigilators + len(cfg.URLs) - 1) / len(cfg.URLs)
	if cfg.PIDs[0] != 0 {
		if rss, err := ReadRSS(cfg.PIDs[0]); err == nil {
			rep.RSSIdle = rss
			rep.RSSPerConn = float64(rss-rep.RSSBefore) / float64(rep.ConnsOnMeasured)
		}
	}
	if cfg.DebugURLs[0] != "" {
		if h, err := ReadHeap(ctx, client, cfg.DebugURLs[0]); err == nil {
			rep.HeapIdle = h
			rep.HeapPerConn = float64(h-rep.HeapBefore) / float64(rep.ConnsOnMeasured)
		}
	}

	progress("ws: measuring %v", cfg.Duration)
	measuring.Store(true)
	t0 := time.Now()
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	measuring.Store(false)
	rep.Seconds = time.Since(t0).Seconds()
	stop()
	closeAll()
	wg.Wait()
	if cfg.DebugURLs[0] != "" && rep.HeapIdle > 0 {
		select {
		case <-time.After(cfg.Settle):
		case <-ctx.Done():
		}
		if h, err := ReadHeap(ctx, client, cfg.DebugURLs[0]); err == nil {
			rep.HeapClosed = h
			rep.HeapHeldPerConn = float64(rep.HeapIdle-h) / float64(rep.ConnsOnMeasured)
		}
	}

	if v, ok := signalErr.Load().(string); ok {
		rep.SignalErrorText = v
	}
	rep.SameEvents, rep.CrossEvents = len(lat.same), len(lat.diff)
	rep.SameLatency, rep.CrossLatency = summarize(lat.same), summarize(lat.diff)
	p99 := wsP99One
	rep.Target = fmt.Sprintf("p99<%v, <%d KB per idle connection, 0 errors", wsP99One, wsBytesIdle>>10)
	met := rep.ConnectErrors == 0 && rep.SignalErrors == 0 && rep.Closed == 0 && rep.SameEvents > 0 &&
		rep.SameLatency.P99 < ms(p99)
	if len(cfg.URLs) > 1 {
		rep.Target = fmt.Sprintf("p99<%v same replica, <%v across, <%d KB per idle connection, 0 errors", wsP99One, wsP99Two, wsBytesIdle>>10)
		met = met && rep.CrossEvents > 0 && rep.CrossLatency.P99 < ms(wsP99Two)
	}
	if rep.HeapHeldPerConn > 0 {
		met = met && rep.HeapHeldPerConn < wsBytesIdle
	} else if rep.HeapPerConn > 0 {
		met = met && rep.HeapPerConn < wsBytesIdle
	} else if rep.RSSPerConn > 0 {
		met = met && rep.RSSPerConn < wsBytesIdle
	}
	rep.TargetMet = met
	return rep, nil
}

// ReadHeap returns the server's heap in use after a garbage collection,
// from its debug listener (examhall serve --debug-addr).
func ReadHeap(ctx context.Context, client *http.Client, debugURL string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(debugURL, "/")+"/debug/pprof/heap?debug=1&gc=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("heap: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("heap: %s answered %d", debugURL, resp.StatusCode)
	}
	return parseHeapInuse(resp.Body)
}

// parseHeapInuse finds "# HeapInuse = N" in a debug=1 heap profile.
func parseHeapInuse(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapInuse = "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("heap: no HeapInuse in the profile")
}

// WriteWSTable prints the scenario's report.
func WriteWSTable(w io.Writer, r *WSReport) {
	fmt.Fprintf(w, "\nWebSocket: %d replica(s), %d candidates in %d rooms + %d invigilators: %d connected (%d errors) in %.1fs\n",
		r.Replicas, r.Candidates, r.Rooms, r.Invigilators, r.Connected, r.ConnectErrors, r.ConnectSeconds)
	fmt.Fprintf(w, "  %.0fs measured: %d heartbeats, %d signals (%d acks, %d errors), %d pages closed by the server (invigilators resume)\n",
		r.Seconds, r.Heartbeats, r.Signals, r.SignalAcks, r.SignalErrors, r.Closed)
	if r.SignalErrorText != "" {
		fmt.Fprintf(w, "  first signal error: %s\n", r.SignalErrorText)
	}
	line := func(name string, n int, l LatencyMs) {
		fmt.Fprintf(w, "  %-28s %8d events  p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", name, n, l.P50, l.P90, l.P99, l.Max)
	}
	line("signal → invigilator (same)", r.SameEvents, r.SameLatency)
	if r.Replicas > 1 {
		line("signal → invigilator (cross)", r.CrossEvents, r.CrossLatency)
	}
	if r.RSSIdle > 0 {
		fmt.Fprintf(w, "  replica 1 RSS %.1f → %.1f MiB for %d connections: %.1f KB per connection\n",
			float64(r.RSSBefore)/(1<<20), float64(r.RSSIdle)/(1<<20), r.ConnsOnMeasured, r.RSSPerConn/1024)
	}
	if r.HeapIdle > 0 {
		fmt.Fprintf(w, "  replica 1 heap in use after GC %.1f → %.1f MiB: %.1f KB per connection\n",
			float64(r.HeapBefore)/(1<<20), float64(r.HeapIdle)/(1<<20), r.HeapPerConn/1024)
	}
	if r.HeapClosed > 0 {
		fmt.Fprintf(w, "  replica 1 heap after the pages closed %.1f MiB: the open connections held %.1f KB each\n",
			float64(r.HeapClosed)/(1<<20), r.HeapHeldPerConn/1024)
	}
	fmt.Fprintf(w, "  target %s: met %v\n", r.Target, r.TargetMet)
}

// fileLimitNeeded is the descriptors the tool needs for the pages, with
// room for the HTTP client and the process.
func fileLimitNeeded(cfg WSConfig) uint64 {
	return uint64(cfg.Candidates+cfg.Invigilators) + 256
}
