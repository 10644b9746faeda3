package hub_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"examhall"
	"examhall/hub"
	"examhall/store"
)

// memEvents is an in-memory examhall.EventService.
type memEvents struct {
	mu     sync.Mutex
	events []*examhall.Event
}

func (m *memEvents) AppendEvent(ctx context.Context, e *examhall.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Seq, e.CreatedAt = int64(len(m.events)+1), time.Now()
	c := *e
	m.events = append(m.events, &c)
	return nil
}

func (m *memEvents) FindEvents(ctx context.Context, f examhall.EventFilter) ([]*examhall.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*examhall.Event
	for _, e := range m.events {
		if e.Seq > f.AfterSeq && (f.RoomID == "" || e.RoomID == f.RoomID) && (f.ExamID == "" || e.ExamID == f.ExamID) &&
			(f.UserID == "" || e.UserID == "" || e.UserID == f.UserID) {
			out = append(out, e)
		}
	}
	return out, nil
}

// MustStart starts h and closes it when the test ends.
func MustStart(tb testing.TB, h *hub.Hub) *hub.Hub {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return h
}

// recv returns the next event of s, failing after a few seconds.
func recv(tb testing.TB, s *hub.Subscription) *examhall.Event {
	tb.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			tb.Fatalf("subscription ended: %v", s.Err())
		}
		return e
	case <-time.After(5 * time.Second):
		tb.Fatal("no event within 5s")
	}
	return nil
}

// none checks that s receives nothing for a moment.
func none(tb testing.TB, s *hub.Subscription) {
	tb.Helper()
	select {
	case e := <-s.C:
		tb.Fatalf("unexpected event %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPublishScopes(t *testing.T) {
	h := MustStart(t, hub.New(hub.Config{Events: &memEvents{}}))
	ctx := context.Background()
	staff := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "inv", Staff: true}, 8)
	alice := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "alice"}, 8)
	bob := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "bob"}, 8)
	other := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r2", UserID: "x", Staff: true}, 8)
	exam := h.Subscribe(hub.Scope{ExamID: "e1", UserID: "admin", Staff: true}, 8)

	cheat := &examhall.Event{ExamID: "e1", RoomID: "r1", UserID: "alice", Type: examhall.EventCheat, Data: json.RawMessage(`{}`)}
	if err := h.Publish(ctx, cheat); err != nil {
		t.Fatal(err)
	}
	if cheat.Seq == 0 {
		t.Fatal("Publish did not store the event")
	}
	for _, s := range []*hub.Subscription{staff, alice, exam} {
		if got := recv(t, s); got.Seq != cheat.Seq {
			t.Errorf("got seq %d, want %d", got.Seq, cheat.Seq)
		}
	}
	none(t, bob)
	none(t, other)

	all := &examhall.Event{ExamID: "e1", RoomID: "r1", Type: examhall.EventMessage, Data: json.RawMessage(`{"text":"hi"}`)}
	if err := h.Publish(ctx, all); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*hub.Subscription{staff, alice, bob, exam} {
		if got := recv(t, s); got.Seq != all.Seq {
			t.Errorf("got seq %d, want %d", got.Seq, all.Seq)
		}
	}
	none(t, other)

	bob.Close()
	if _, ok := <-bob.C; ok || bob.Err() != hub.ErrClosed {
		t.Errorf("closed subscription: open %v, err %v", ok, bob.Err())
	}
}

func TestSlowSubscriberDropped(t *testing.T) {
	h := MustStart(t, hub.New(hub.Config{Events: &memEvents{}}))
	ctx := context.Background()
	slow := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "slow", Staff: true}, 2)
	fast := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "fast", Staff: true}, 2)
	var got []int64
	for range 5 {
		e := &examhall.Event{ExamID: "e1", RoomID: "r1", Type: examhall.EventMessage}
		if err := h.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
		got = append(got, recv(t, fast).Seq)
	}
	if want := []int64{1, 2, 3, 4, 5}; len(got) != 5 || got[4] != want[4] {
		t.Errorf("fast subscriber got %v, want %v", got, want)
	}
	// The slow one received what its buffer held, then was dropped.
	var n int
	for range slow.C {
		n++
	}
	if n != 2 || slow.Err() != hub.ErrSlow {
		t.Errorf("slow subscriber: %d events then %v; want 2 then ErrSlow", n, slow.Err())
	}
	// A new subscription after the drop receives again.
	again := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "slow", Staff: true}, 2)
	if err := h.Publish(ctx, &examhall.Event{ExamID: "e1", RoomID: "r1", Type: examhall.EventMessage}); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, again); e.Seq != 6 {
		t.Errorf("resubscribed: seq %d, want 6", e.Seq)
	}
}

func presence(t *testing.T, e *examhall.Event) hub.PresenceData {
	t.Helper()
	var d hub.PresenceData
	if e.Type != examhall.EventPresence {
		t.Fatalf("got %s event, want presence", e.Type)
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPresence(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h := MustStart(t, hub.New(hub.Config{Events: &memEvents{}, Now: clock}))
	ctx := context.Background()
	staff := h.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "inv", Staff: true}, 16)
	alice := hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "alice"}

	off1 := h.Connect(ctx, alice)
	if d := presence(t, recv(t, staff)); d != (hub.PresenceData{UserID: "alice", Online: true}) {
		t.Errorf("connect: %+v", d)
	}
	off2 := h.Connect(ctx, alice) // a second page: no change
	off1()
	advance(time.Minute)
	none(t, staff) // one page still open
	off2()
	advance(10 * time.Second)
	h.Heartbeat(ctx, alice) // a heartbeat keeps her online without a page
	advance(14 * time.Second)
	time.Sleep(1200 * time.Millisecond) // a sweep
	none(t, staff)
	if !h.Online(alice) {
		t.Error("offline 14s after a heartbeat")
	}
	advance(time.Second)
	if d := presence(t, recv(t, staff)); d != (hub.PresenceData{UserID: "alice", Online: false}) {
		t.Errorf("15s after the last heartbeat: %+v", d)
	}
	h.Heartbeat(ctx, alice)
	if d := presence(t, recv(t, staff)); !d.Online {
		t.Errorf("heartbeat after offline: %+v", d)
	}
}

// MustOpenPostgres opens a migrated store in a new schema of the test
// database (dropped at the end), announcing events on channel.
func MustOpenPostgres(tb testing.TB, dsn, schema, channel string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(ctx, u.String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.EventChannel = channel
	return db
}

func TestTwoReplicasPostgres(t *testing.T) {
	dsn := os.Getenv("EXAMHALL_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("EXAMHALL_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_" + examhall.NewID(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	channel := "t_events_" + schema // NOTIFY channels are per database, not per schema
	db1 := MustOpenPostgres(t, dsn, schema, channel)
	if err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db2 := MustOpenPostgres(t, dsn, schema, channel)
	h1 := MustStart(t, hub.New(hub.Config{Events: db1, ListenDSN: dsn, Channel: channel}))
	h2 := MustStart(t, hub.New(hub.Config{Events: db2, ListenDSN: dsn, Channel: channel}))

	on1 := h1.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "inv1", Staff: true}, 16)
	on2 := h2.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "inv2", Staff: true}, 16)
	cand2 := h2.Subscribe(hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "bob"}, 16)

	// Published (stored) on replica 1: received on both, in Seq order.
	var seqs []int64
	for i := range 3 {
		e := &examhall.Event{ExamID: "e1", RoomID: "r1", UserID: "alice", Type: examhall.EventCheat,
			Data: json.RawMessage(`{"n":` + string(rune('0'+i)) + `}`)}
		if err := h1.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.Seq)
	}
	for _, s := range []*hub.Subscription{on1, on2} {
		for _, want := range seqs {
			if got := recv(t, s); got.Seq != want || got.UserID != "alice" || got.Type != examhall.EventCheat {
				t.Errorf("got %+v, want seq %d", got, want)
			}
		}
	}
	none(t, cand2) // alice's events are not bob's

	// Appended through the store directly and too large for a NOTIFY
	// payload: announced by reference and loaded.
	big := make([]byte, 10000)
	for i := range big {
		big[i] = 'x'
	}
	e := &examhall.Event{ExamID: "e1", RoomID: "r1", Type: examhall.EventMessage,
		Data: json.RawMessage(`{"text":"` + string(big) + `"}`)}
	if err := db2.AppendEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := h2.Publish(ctx, e); err != nil { // already stored and announced: no second delivery
		t.Fatal(err)
	}
	for _, s := range []*hub.Subscription{on1, on2, cand2} {
		if got := recv(t, s); got.Seq != e.Seq || len(got.Data) != len(e.Data) {
			t.Errorf("large event: got seq %d (%d bytes), want %d (%d bytes)", got.Seq, len(got.Data), e.Seq, len(e.Data))
		}
	}
	none(t, on1)

	// Presence: bob connects on replica 2, the invigilator on 1 sees it;
	// replica 1 announcing him offline is answered by replica 2, which
	// still holds his page.
	bob := hub.Scope{ExamID: "e1", RoomID: "r1", UserID: "bob"}
	off := h2.Connect(ctx, bob)
	defer off()
	if d := presence(t, recv(t, on1)); d != (hub.PresenceData{UserID: "bob", Online: true}) {
		t.Errorf("presence across replicas: %+v", d)
	}
	// A page opened on replica 1 now (the live page's first state) shows
	// him online too.
	if !h1.Online(bob) {
		t.Error("replica 1 does not count bob, connected to replica 2, online")
	}
	offline, _ := json.Marshal(hub.PresenceData{UserID: "bob", Online: false})
	if err := h1.Publish(ctx, &examhall.Event{ExamID: "e1", RoomID: "r1", UserID: "bob", Type: examhall.EventPresence, Data: offline}); err != nil {
		t.Fatal(err)
	}
	if d := presence(t, recv(t, on1)); d.Online {
		t.Fatalf("want the offline announcement first, got %+v", d)
	}
	if d := presence(t, recv(t, on1)); !d.Online {
		t.Errorf("replica 2 did not answer with online: %+v", d)
	}
	if !h1.Online(bob) {
		t.Error("replica 1 counts bob offline after replica 2 announced him online again")
	}
}
