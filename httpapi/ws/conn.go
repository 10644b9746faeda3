package ws

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"examhall"
	"examhall/httpapi"
	"examhall/hub"
)

// conn is one accepted connection. Its reader runs on the handler's
// goroutine and its writer on another, the only one writing messages.
type conn struct {
	srv    *Server
	c      *websocket.Conn
	scope  hub.Scope
	caller *examhall.Caller
	l      Limits

	hello chan int64    // the lastSeq of the client's hello, to the writer
	out   chan *message // replies, to the writer
	done  chan struct{} // closed when the writer returns

	bucket  *bucket
	helloed bool

	once    sync.Once
	closing atomic.Bool   // close was called
	closed  chan struct{} // closed when close's handshake ended
}

// run serves the connection until it closes.
func (k *conn) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	buffer := k.l.CandidateBuffer
	if k.scope.Staff {
		buffer = k.l.StaffBuffer
	}
	sub := k.srv.Hub.Subscribe(k.scope, buffer)
	defer sub.Close()
	disconnect := k.srv.Hub.Connect(ctx, k.scope)
	defer disconnect()

	idle := time.AfterFunc(k.l.Idle, func() {
		k.close(CloseIdle, "no message for "+k.l.Idle.String()+": send a heartbeat every 10 s")
	})
	defer idle.Stop()
	helloTimer := time.AfterFunc(k.l.Hello, func() {
		k.close(websocket.StatusPolicyViolation, "say hello (or resume) first, within "+k.l.Hello.String())
	})
	defer helloTimer.Stop()

	go k.write(ctx, sub)
	k.read(ctx, idle, helloTimer)
	cancel()
	<-k.done
	if k.closing.Load() {
		<-k.closed
	}
	k.c.CloseNow()
}

// close closes the connection with code, once.
func (k *conn) close(code websocket.StatusCode, reason string) {
	k.once.Do(func() {
		k.closing.Store(true)
		go func() {
			// Waits (5 s at most) for the client's close frame, which the
			// reader, when running, receives.
			k.c.Close(code, reason)
			close(k.closed)
		}()
	})
}

// read reads and handles the client's messages until the connection ends.
func (k *conn) read(ctx context.Context, idle, helloTimer *time.Timer) {
	refused := 0
	for {
		// Not ctx: a Read registers with its context, and a cancellable
		// one keeps a map of them per connection. Closing the connection
		// ends the Read.
		typ, b, err := k.c.Read(context.Background())
		if err != nil {
			return // closed, by either side; a frame over the read limit closes with 1009
		}
		idle.Reset(k.l.Idle)
		if typ != websocket.MessageText {
			k.close(websocket.StatusUnsupportedData, "messages are JSON text")
			return
		}
		if !k.bucket.take(time.Now()) {
			refused++
			if refused == 1 {
				k.reply(ctx, errorMessage("", examhall.Errorf(examhall.ETOOMANY,
					"too many messages: at most %g per second (bursts of %d); this one was dropped", k.l.Rate, k.l.Burst)))
			}
			if refused == k.l.MaxRefused {
				// Through the writer, after the error it has queued; the
				// reader goes on (ignoring messages) to receive the
				// client's close frame.
				k.reply(ctx, &message{close: &closeWith{websocket.StatusPolicyViolation, "too many messages"}})
			}
			continue
		}
		refused = 0
		if k.handle(ctx, b) && !k.helloed {
			k.helloed = true
			helloTimer.Stop()
		}
	}
}

// reply queues m for the writer.
func (k *conn) reply(ctx context.Context, m *message) {
	select {
	case k.out <- m:
	case <-ctx.Done():
	}
}

// Client message types.
const (
	typeHello     = "hello"
	typeResume    = "resume"
	typeHeartbeat = "heartbeat"
	typeSignal    = "signal"
	typeAck       = "ack"
	typeError     = "error"
)

// helloData is the data of a client's hello or resume.
type helloData struct {
	LastSeq int64 `json:"lastSeq"`
}

// signalData is the data of a signal message.
type signalData struct {
	AttemptID string `json:"attemptId"`
	examhall.Signal
}

// handle handles one message, replying through the writer; it reports
// whether it was a (first) hello.
func (k *conn) handle(ctx context.Context, b []byte) (hello bool) {
	var m message
	if err := decode(b, &m); err != nil {
		k.reply(ctx, errorMessage("", err))
		return false
	}
	if m.V != Version {
		k.reply(ctx, errorMessage(m.ID, examhall.Errorf(examhall.EINVALID, "unsupported protocol version %d: \"v\" must be %d", m.V, Version)))
		return false
	}
	if len(m.ID) > examhall.MaxIDLen {
		k.reply(ctx, errorMessage("", examhall.Errorf(examhall.EINVALID, "\"id\" must be at most %d bytes", examhall.MaxIDLen)))
		return false
	}
	switch m.Type {
	case typeHello, typeResume:
		if k.helloed {
			k.reply(ctx, errorMessage(m.ID, examhall.Errorf(examhall.ECONFLICT, "this connection already said hello; reconnect to resume elsewhere")))
			return false
		}
		var d helloData
		if len(m.Data) > 0 {
			if err := decode(m.Data, &d); err != nil {
				k.reply(ctx, errorMessage(m.ID, err))
				return false
			}
		}
		if d.LastSeq < 0 {
			k.reply(ctx, errorMessage(m.ID, examhall.Errorf(examhall.EINVALID, "lastSeq must not be negative")))
			return false
		}
		k.hello <- d.LastSeq
		return true
	case typeHeartbeat:
		k.srv.Hub.Heartbeat(ctx, k.scope)
	case typeAck:
		if m.Seq < 0 {
			k.reply(ctx, errorMessage(m.ID, examhall.Errorf(examhall.EINVALID, "an ack's seq must not be negative")))
		}
	case typeSignal:
		res, err := k.signal(ctx, m.Data)
		if err != nil {
			if examhall.ErrorCode(err) == examhall.EINTERNAL {
				k.srv.log().Error("ws: recording a signal", "user", k.caller.ID, "err", err)
			}
			k.reply(ctx, errorMessage(m.ID, err))
			return false
		}
		d, _ := json.Marshal(res)
		k.reply(ctx, &message{Type: typeAck, V: Version, ID: m.ID, Data: d})
	default:
		k.reply(ctx, errorMessage(m.ID, examhall.Errorf(examhall.EINVALID,
			"unknown message type %q: a client sends hello, resume, heartbeat, signal or ack", m.Type)))
	}
	return false
}

// signal records the signal in data.
func (k *conn) signal(ctx context.Context, data json.RawMessage) (*examhall.SignalResult, error) {
	var d signalData
	if len(data) == 0 {
		return nil, examhall.Errorf(examhall.EINVALID, "a signal needs data: {attemptId, type, at, seconds, snapshotId}")
	}
	if err := decode(data, &d); err != nil {
		return nil, err
	}
	switch {
	case d.AttemptID == "":
		return nil, examhall.Errorf(examhall.EINVALID, "a signal needs data.attemptId")
	case len(d.AttemptID) > examhall.MaxIDLen || len(d.SnapshotID) > examhall.MaxIDLen:
		return nil, examhall.Errorf(examhall.EINVALID, "attemptId and snapshotId must be at most %d bytes", examhall.MaxIDLen)
	case d.Type == "":
		return nil, examhall.Errorf(examhall.EINVALID, "a signal needs data.type")
	case d.Seconds < 0:
		return nil, examhall.Errorf(examhall.EINVALID, "a signal's seconds must not be negative")
	}
	if k.srv.Signals == nil {
		return nil, examhall.Errorf(examhall.EUNAVAILABLE, "proctoring not available")
	}
	return k.srv.Signals.RecordSignal(ctx, d.AttemptID, d.Signal)
}

// decode decodes a JSON message or its data, with errors that say what is
// wrong.
func decode(b []byte, v any) error {
	if err := httpapi.CheckJSONText("a message", b); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		e := httpapi.JSONError(err)
		var xe *examhall.Error
		if errors.As(e, &xe) {
			// JSONError speaks of a request body; here it is a message.
			msg := strings.ReplaceAll(xe.Message, "request body", "message")
			return examhall.Errorf(xe.Code, "%s", msg)
		}
		return e
	}
	return nil
}

// write sends the replies and, once the client said hello, the replayed
// and then the live events in Seq order, each once; and pings.
func (k *conn) write(ctx context.Context, sub *hub.Subscription) {
	defer close(k.done)
	ping := time.NewTicker(k.l.Ping)
	defer ping.Stop()
	var (
		events <-chan *examhall.Event // nil until hello
		last   int64                  // the last seq sent
	)
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-k.out:
			if m.close != nil {
				k.close(m.close.code, m.close.reason)
				return
			}
			if k.send(ctx, m) != nil {
				return
			}
		case lastSeq := <-k.hello:
			if err := k.sayHello(ctx, lastSeq); err != nil {
				return
			}
			n, err := k.replay(ctx, lastSeq)
			if err != nil {
				return
			}
			last, events = n, sub.C
		case e, ok := <-events:
			if !ok {
				switch sub.Err() {
				case hub.ErrSlow:
					k.close(websocket.StatusTryAgainLater, "fell behind: reconnect and resume")
				case hub.ErrResync:
					k.close(websocket.StatusTryAgainLater, "events may have been missed: reconnect and resume")
				default:
					k.close(websocket.StatusGoingAway, "server shutting down")
				}
				return
			}
			if e.Seq <= last {
				continue // replayed already
			}
			if k.send(ctx, eventMessage(e)) != nil {
				return
			}
			last = e.Seq
		case <-ping.C:
			go func() {
				// Needs the reader running, and closes the connection
				// when no pong comes in time.
				pctx, cancel := context.WithTimeout(context.Background(), k.l.WriteTimeout)
				defer cancel()
				_ = k.c.Ping(pctx)
			}()
		}
	}
}

// helloReply is the data of the server's hello.
type helloReply struct {
	UserID           string `json:"userId"`
	Role             string `json:"role"` // staff or candidate
	ExamID           string `json:"examId"`
	RoomID           string `json:"roomId,omitempty"`
	HeartbeatSeconds int    `json:"heartbeatSeconds"`
	MaxMessageBytes  int64  `json:"maxMessageBytes"`
	LastSeq          int64  `json:"lastSeq"` // where the replay starts (the client's)
}

func (k *conn) sayHello(ctx context.Context, lastSeq int64) error {
	role := "candidate"
	if k.scope.Staff {
		role = "staff"
	}
	d, _ := json.Marshal(helloReply{UserID: k.caller.ID, Role: role, ExamID: k.scope.ExamID, RoomID: k.scope.RoomID,
		HeartbeatSeconds: 10, MaxMessageBytes: k.l.MaxMessageBytes, LastSeq: lastSeq})
	return k.send(ctx, &message{Type: typeHello, V: Version, Data: d})
}

// replay sends the stored events after lastSeq (none when it is 0: a fresh
// page starts from what it loaded) and returns the last seq sent.
func (k *conn) replay(ctx context.Context, lastSeq int64) (int64, error) {
	if lastSeq == 0 {
		return 0, nil
	}
	f := examhall.EventFilter{RoomID: k.scope.RoomID, AfterSeq: lastSeq, Limit: 500}
	if f.RoomID == "" {
		f.ExamID = k.scope.ExamID
	}
	if !k.scope.Staff {
		f.UserID = k.caller.ID
	}
	sent := 0
	for {
		evs, err := k.srv.Events.FindEvents(ctx, f)
		if err != nil {
			k.srv.log().Error("ws: replaying events", "err", err)
			k.close(websocket.StatusInternalError, "could not replay events; reconnect")
			return 0, err
		}
		if sent+len(evs) > k.l.MaxReplay {
			k.close(CloseTooFarBehind, "too many missed events: reload and say hello without lastSeq")
			return 0, errClosed
		}
		for _, e := range evs {
			if err := k.send(ctx, eventMessage(e)); err != nil {
				return 0, err
			}
			f.AfterSeq = e.Seq
		}
		sent += len(evs)
		if len(evs) < f.Limit {
			return f.AfterSeq, nil
		}
	}
}

// send writes m within the write timeout; on failure the library has
// closed the connection.
func (k *conn) send(ctx context.Context, m *message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// Not derived from ctx (see read); the writer checks ctx between writes.
	wctx, cancel := context.WithTimeout(context.Background(), k.l.WriteTimeout)
	defer cancel()
	return k.c.Write(wctx, websocket.MessageText, b)
}

// bucket is a token bucket: rate tokens a second, at most burst.
type bucket struct {
	tokens, rate, burst float64
	last                time.Time
}

func newBucket(rate float64, burst int, now time.Time) *bucket {
	return &bucket{tokens: float64(burst), rate: rate, burst: float64(burst), last: now}
}

// take takes a token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
