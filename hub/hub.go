// Package hub delivers real-time proctoring events (examhall.Event) to the
// pages connected to this process, and through PostgreSQL LISTEN/NOTIFY to
// those connected to other replicas. It also keeps presence: who has a page
// open, announced as presence events.
//
// Within a process a Hub keeps topics, one per room and one per exam; each
// subscriber has a buffered channel, and one that falls behind is dropped
// (its channel closed, Err ErrSlow) rather than slowing the others: its page
// reconnects and replays what it missed from the store.
//
// On PostgreSQL the store announces each appended event with pg_notify in
// the transaction that appends it (store.DB.AppendEvent), so every replica,
// this one included, receives the events of all replicas in Seq order on one
// dedicated listening connection. On SQLite (one process) Publish delivers
// in memory.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"examhall"
)

// Errors a Subscription ends with.
var (
	// ErrSlow: the subscriber did not keep up and was dropped.
	ErrSlow = errors.New("hub: subscriber fell behind")
	// ErrResync: the hub may have missed events (its PostgreSQL listener
	// reconnected); the subscriber should replay from the store.
	ErrResync = errors.New("hub: events may have been missed; replay from the store")
	// ErrClosed: the hub or the subscription was closed.
	ErrClosed = errors.New("hub: closed")
)

// Defaults of Config.
const (
	DefaultPresenceTTL = 15 * time.Second
	DefaultChannel     = "examhall_events" // store.DefaultEventChannel
)

// Config configures a Hub.
type Config struct {
	// Events stores the events Publish is given without a Seq, and loads
	// those announced by reference (too large for a NOTIFY payload).
	Events examhall.EventService
	// ListenDSN, a postgres:// URL, makes the hub receive the events every
	// replica appends, announced by the store on Channel. Empty: in memory
	// only (SQLite, one process).
	ListenDSN string
	Channel   string        // DefaultChannel when empty
	Presence  time.Duration // how long a heartbeat keeps a user online without a page; DefaultPresenceTTL when 0
	Now       func() time.Time
	Log       *slog.Logger
}

// Hub is the Publisher and the subscriptions of one process.
type Hub struct {
	cfg Config

	pubMu sync.Mutex // serializes Publish's append and delivery in memory, so they follow Seq order

	mu       sync.Mutex
	topics   map[string]*topic
	presence map[presenceKey]*presenceState
	// announced holds the users whom the latest presence event received
	// (from any replica) announced online: a page served by this replica
	// learns of a candidate connected to another.
	announced map[presenceKey]bool
	closed    bool

	stop context.CancelFunc
	wg   sync.WaitGroup
	// ready is closed once the listener has LISTENed for the first time.
	ready chan struct{}
}

var _ examhall.Publisher = (*Hub)(nil)

// topic holds the subscribers of one room or exam: staff see every event,
// candidates their own (by user) and the room-wide ones.
type topic struct {
	staff      map[*Subscription]struct{}
	candidates map[string][]*Subscription // a slice: usually one page each, and small at 10,000 pages
	n          int
}

// Scope is what a subscriber watches: a room (RoomID set) or an exam
// proctored without one; all of it when Staff, else only UserID's events
// and the room-wide ones. ExamID is required.
type Scope struct {
	ExamID string
	RoomID string
	UserID string
	Staff  bool
}

// key names the topic of s: its room, or its exam.
func (s Scope) key() string {
	if s.RoomID != "" {
		return "r:" + s.RoomID
	}
	return "e:" + s.ExamID
}

// Subscription receives the events of a Scope on C, in Seq order, until it
// is closed or dropped; C is then closed and Err says why.
type Subscription struct {
	C <-chan *examhall.Event

	c     chan *examhall.Event
	hub   *Hub
	scope Scope
	err   error // set under hub.mu before c is closed
}

// New returns a hub; Start runs it.
func New(cfg Config) *Hub {
	if cfg.Channel == "" {
		cfg.Channel = DefaultChannel
	}
	if cfg.Presence <= 0 {
		cfg.Presence = DefaultPresenceTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		cfg: cfg, topics: map[string]*topic{}, presence: map[presenceKey]*presenceState{}, announced: map[presenceKey]bool{},
		ready: make(chan struct{}),
	}
}

// Start starts the presence sweeper and, with a ListenDSN, the PostgreSQL
// listener, and waits until it listens (or ctx ends): an event appended
// after Start returns reaches this hub. Close stops them.
func (h *Hub) Start(ctx context.Context) error {
	run, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.sweep(run)
	}()
	if h.cfg.ListenDSN == "" {
		close(h.ready)
		return nil
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.listen(run)
	}()
	select {
	case <-h.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hub: waiting for the PostgreSQL listener: %w", ctx.Err())
	}
}

// Close stops the hub and ends every subscription with ErrClosed.
func (h *Hub) Close() error {
	if h.stop != nil {
		h.stop()
	}
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.endAllLocked(ErrClosed)
	return nil
}

// Publish delivers e to the subscribers of its room and exam on every
// replica. An event without a Seq is stored first (through Config.Events),
// and the append and the delivery together are serialized, so in-process
// subscribers receive events in Seq order; an event already stored by
// AppendEvent is delivered as it is. With a ListenDSN, delivery (to this
// replica too) happens through the store's NOTIFY, so Publish only stores,
// and concurrent calls are not serialized.
func (h *Hub) Publish(ctx context.Context, e *examhall.Event) error {
	if h.cfg.ListenDSN != "" {
		// The store announces the events in Seq order; concurrent
		// appends are written together (group commit).
		if e.Seq == 0 {
			return h.cfg.Events.AppendEvent(ctx, e)
		}
		return nil
	}
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	if e.Seq == 0 {
		if err := h.cfg.Events.AppendEvent(ctx, e); err != nil {
			return err
		}
	}
	h.deliver(e)
	return nil
}

// Subscribe subscribes to scope with a channel of buffer events.
func (h *Hub) Subscribe(scope Scope, buffer int) *Subscription {
	c := make(chan *examhall.Event, max(buffer, 1))
	s := &Subscription{C: c, c: c, hub: h, scope: scope}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.err = ErrClosed
		close(c)
		return s
	}
	key := scope.key()
	t := h.topics[key]
	if t == nil {
		t = &topic{staff: map[*Subscription]struct{}{}, candidates: map[string][]*Subscription{}}
		h.topics[key] = t
	}
	if scope.Staff {
		t.staff[s] = struct{}{}
	} else {
		t.candidates[scope.UserID] = append(t.candidates[scope.UserID], s)
	}
	t.n++
	return s
}

// Close ends the subscription (Err ErrClosed) unless it already ended.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.endLocked(s, ErrClosed)
}

// Err returns why C was closed: ErrSlow, ErrResync or ErrClosed; nil while
// it is open.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// endLocked removes s from its topic and closes its channel with err.
func (h *Hub) endLocked(s *Subscription, err error) {
	if s.err != nil {
		return
	}
	s.err = err
	close(s.c)
	key := s.scope.key()
	t := h.topics[key]
	if t == nil {
		return
	}
	if s.scope.Staff {
		delete(t.staff, s)
	} else if m := slices.DeleteFunc(t.candidates[s.scope.UserID], func(x *Subscription) bool { return x == s }); len(m) > 0 {
		t.candidates[s.scope.UserID] = m
	} else {
		delete(t.candidates, s.scope.UserID)
	}
	if t.n--; t.n == 0 {
		delete(h.topics, key)
	}
}

// deliver hands e to the subscribers of its exam's and room's topics,
// without blocking: a subscriber whose buffer is full is dropped.
func (h *Hub) deliver(e *examhall.Event) {
	h.mu.Lock()
	if e.RoomID != "" {
		h.deliverLocked(h.topics["r:"+e.RoomID], e)
	}
	h.deliverLocked(h.topics["e:"+e.ExamID], e)
	h.mu.Unlock()
	if e.Type == examhall.EventPresence {
		h.presenceSeen(e)
	}
}

func (h *Hub) deliverLocked(t *topic, e *examhall.Event) {
	if t == nil {
		return
	}
	var slow []*Subscription
	send := func(s *Subscription) {
		select {
		case s.c <- e:
		default:
			slow = append(slow, s)
		}
	}
	for s := range t.staff {
		send(s)
	}
	if e.UserID != "" {
		for _, s := range t.candidates[e.UserID] {
			send(s)
		}
	} else {
		for _, m := range t.candidates {
			for _, s := range m {
				send(s)
			}
		}
	}
	for _, s := range slow {
		h.endLocked(s, ErrSlow)
	}
}

// resync ends every subscription with ErrResync: the listener was away and
// events may have been missed; the pages replay them from the store.
func (h *Hub) resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.endAllLocked(ErrResync)
}

// endAllLocked ends every subscription with err.
func (h *Hub) endAllLocked(err error) {
	var all []*Subscription
	for _, t := range h.topics {
		for s := range t.staff {
			all = append(all, s)
		}
		for _, m := range t.candidates {
			all = append(all, m...)
		}
	}
	for _, s := range all {
		h.endLocked(s, err)
	}
}

// listen receives the store's NOTIFYs on a dedicated connection,
// reconnecting with backoff until ctx ends.
func (h *Hub) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := h.listenOnce(ctx, func() {
			if first {
				close(h.ready)
				first = false
			} else {
				// Events appended while no connection listened were
				// never received.
				h.resync()
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		h.cfg.Log.Warn("hub: PostgreSQL listener lost; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff + rand.N(backoff/2)):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce connects, LISTENs (then calls listening) and delivers
// notifications until the connection fails or ctx ends.
func (h *Hub) listenOnce(ctx context.Context, listening func()) error {
	conn, err := pgx.Connect(ctx, h.cfg.ListenDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{h.cfg.Channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		e, err := h.decode(ctx, []byte(n.Payload))
		if err != nil {
			h.cfg.Log.Error("hub: event notification", "err", err)
			continue
		}
		h.deliver(e)
	}
}

// notice is the NOTIFY payload the store sends (store.EventNotice).
type notice struct {
	examhall.Event
	Ref bool `json:"ref"`
}

// decode reads a notification: the event, or a reference to load.
func (h *Hub) decode(ctx context.Context, payload []byte) (*examhall.Event, error) {
	var n notice
	if err := json.Unmarshal(payload, &n); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", payload, err)
	}
	if !n.Ref {
		return &n.Event, nil
	}
	evs, err := h.cfg.Events.FindEvents(ctx, examhall.EventFilter{ExamID: n.ExamID, RoomID: n.RoomID, AfterSeq: n.Seq - 1, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("loading event %d: %w", n.Seq, err)
	}
	if len(evs) == 0 || evs[0].Seq != n.Seq {
		return nil, fmt.Errorf("event %d announced but not found", n.Seq)
	}
	return evs[0], nil
}
