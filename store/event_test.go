package store

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"examhall"
)

func TestEvents(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return t0 }
		add := func(exam, room, user string, typ examhall.EventType, data string) *examhall.Event {
			t.Helper()
			e := &examhall.Event{ExamID: exam, RoomID: room, UserID: user, Type: typ}
			if data != "" {
				e.Data = json.RawMessage(data)
			}
			if err := db.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		a := add("e1", "r1", "alice", examhall.EventCheat, `{"detectType":"switch"}`)
		b := add("e1", "r1", "", examhall.EventMessage, `{"text":"5 minutes left"}`)
		c := add("e1", "r1", "bob", examhall.EventPresence, `{"userId":"bob","online":true}`)
		d := add("e1", "r2", "alice", examhall.EventCheat, "")
		e := add("e1", "", "carol", examhall.EventSubmit, `{"attemptId":"x","reason":"switch limit"}`)
		for i, ev := range []*examhall.Event{a, b, c, d, e} {
			if i > 0 && ev.Seq <= []*examhall.Event{a, b, c, d, e}[i-1].Seq {
				t.Fatalf("seq not increasing: %d after previous", ev.Seq)
			}
			if !ev.CreatedAt.Equal(t0) {
				t.Errorf("CreatedAt %v, want %v", ev.CreatedAt, t0)
			}
		}
		seqs := func(f examhall.EventFilter) []int64 {
			t.Helper()
			got, err := db.FindEvents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := []int64{}
			for _, g := range got {
				out = append(out, g.Seq)
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    examhall.EventFilter
			want []int64
		}{
			{"room staff", examhall.EventFilter{RoomID: "r1"}, []int64{a.Seq, b.Seq, c.Seq}},
			{"room candidate", examhall.EventFilter{RoomID: "r1", UserID: "alice"}, []int64{a.Seq, b.Seq}},
			{"room after", examhall.EventFilter{RoomID: "r1", AfterSeq: a.Seq}, []int64{b.Seq, c.Seq}},
			{"room limit", examhall.EventFilter{RoomID: "r1", Limit: 2}, []int64{a.Seq, b.Seq}},
			{"exam", examhall.EventFilter{ExamID: "e1"}, []int64{a.Seq, b.Seq, c.Seq, d.Seq, e.Seq}},
			{"exam candidate", examhall.EventFilter{ExamID: "e1", UserID: "carol"}, []int64{b.Seq, e.Seq}},
			{"exam and room", examhall.EventFilter{ExamID: "e1", RoomID: "r2"}, []int64{d.Seq}},
			{"other exam", examhall.EventFilter{ExamID: "e2"}, []int64{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := seqs(tt.f); !equalInts(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
		got, err := db.FindEvents(ctx, examhall.EventFilter{RoomID: "r1", AfterSeq: a.Seq, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Type != examhall.EventMessage || string(got[0].Data) != `{"text":"5 minutes left"}` ||
			got[0].ExamID != "e1" || got[0].RoomID != "r1" || got[0].UserID != "" || !got[0].CreatedAt.Equal(t0) {
			t.Errorf("event read back: %+v", got)
		}
		if got, _ := db.FindEvents(ctx, examhall.EventFilter{RoomID: "r2"}); len(got) != 1 || got[0].Data != nil {
			t.Errorf("event without data: %+v", got)
		}

		// Bad input: refused, nothing stored.
		for _, bad := range []*examhall.Event{
			{RoomID: "r1", Type: examhall.EventCheat},
			{ExamID: "e1"},
			{ExamID: "e1", Type: examhall.EventCheat, Data: json.RawMessage(`[1]`)},
			{ExamID: "e1", Type: examhall.EventCheat, Data: json.RawMessage(`{"a":`)},
			{ExamID: "e1", Type: examhall.EventCheat, UserID: "a\x00b"},
		} {
			if err := db.AppendEvent(ctx, bad); examhall.ErrorCode(err) != examhall.EINVALID {
				t.Errorf("AppendEvent(%+v) = %v, want invalid", bad, err)
			}
		}
		if _, err := db.FindEvents(ctx, examhall.EventFilter{UserID: "alice"}); examhall.ErrorCode(err) != examhall.EINVALID {
			t.Errorf("FindEvents without exam or room: %v", err)
		}
		if got := seqs(examhall.EventFilter{ExamID: "e1"}); len(got) != 5 {
			t.Errorf("after bad input: %d events, want 5", len(got))
		}

		// Retention.
		db.Now = func() time.Time { return t0.Add(48 * time.Hour) }
		f := add("e1", "r1", "", examhall.EventRoomEnded, `{}`)
		n, err := db.DeleteEvents(ctx, t0.Add(24*time.Hour))
		if err != nil || n != 5 {
			t.Fatalf("DeleteEvents = %d, %v; want 5", n, err)
		}
		if got := seqs(examhall.EventFilter{ExamID: "e1"}); !equalInts(got, []int64{f.Seq}) {
			t.Errorf("after retention: %v, want [%d]", got, f.Seq)
		}
	})
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEventsConcurrent: appends written together (group commit) each get
// their own seq, and read back as appended.
func TestEventsConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const n = 200
		evs := make([]*examhall.Event, n)
		errs := make(chan error, n)
		for i := range n {
			evs[i] = &examhall.Event{ExamID: "e1", RoomID: "r1", UserID: "u" + strconv.Itoa(i), Type: examhall.EventCheat,
				Data: json.RawMessage(`{"i":` + strconv.Itoa(i) + `}`)}
			go func() { errs <- db.AppendEvent(ctx, evs[i]) }()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		bySeq := map[int64]*examhall.Event{}
		for _, e := range evs {
			if bySeq[e.Seq] != nil || e.Seq == 0 {
				t.Fatalf("seq %d given twice or not at all", e.Seq)
			}
			bySeq[e.Seq] = e
		}
		got, err := db.FindEvents(ctx, examhall.EventFilter{RoomID: "r1", Limit: MaxEventLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d events read back, want %d", len(got), n)
		}
		for _, g := range got {
			if w := bySeq[g.Seq]; w == nil || w.UserID != g.UserID || string(w.Data) != string(g.Data) {
				t.Errorf("seq %d read back as %+v, appended as %+v", g.Seq, g, w)
			}
		}
	})
}
