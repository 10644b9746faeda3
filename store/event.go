package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"examhall"
)

var _ examhall.EventService = (*DB)(nil)

// DefaultEventChannel is the PostgreSQL NOTIFY channel AppendEvent
// announces events on (DB.EventChannel).
const DefaultEventChannel = "examhall_events"

// MaxNotifyPayload bounds a NOTIFY payload: PostgreSQL refuses 8000 bytes
// and more. A larger event is announced by reference (EventNotice.Ref).
const MaxNotifyPayload = 7900

// EventNotice is the JSON payload of the NOTIFY that AppendEvent sends on
// PostgreSQL: the whole event, or when that is too large for a payload, only
// its Seq, ExamID and RoomID with Ref set, and the listener loads it
// (FindEvents with AfterSeq Seq-1).
type EventNotice struct {
	examhall.Event
	Ref bool `json:"ref,omitempty"`
}

// Event limits of FindEvents.
const (
	DefaultEventLimit = 500
	MaxEventLimit     = 1000
)

// eventLockKey is the PostgreSQL advisory lock serializing event appends
// ("event" in ASCII).
const eventLockKey = 0x6576656e74

// AppendEvent stores e, setting its Seq and CreatedAt. EINVALID without an
// exam or a type, or with Data that is not a JSON object.
//
// Replay depends on events becoming visible in Seq order: a page resuming
// after seq 101 must not miss 100 committed later. SQLite's single writer
// commits in that order; on PostgreSQL the append holds a transaction-scoped
// advisory lock (as cheat records do), and announces the events with
// pg_notify in the same transaction, so every listener receives them in Seq
// order too (NOTIFYs are delivered in commit order). Concurrent calls are
// written together (group commit, eventQ): one transaction, one commit,
// for a burst of presence changes or signals.
func (db *DB) AppendEvent(ctx context.Context, e *examhall.Event) (err error) {
	defer annotate(&err, "AppendEvent")
	if err := validEvent(e); err != nil {
		return err
	}
	req := &eventReq{e: e}
	db.eventQ.do(ctx, req, db.writeEventBatch)
	return req.err
}

// eventReq is one AppendEvent call in a group commit.
type eventReq struct {
	e   *examhall.Event
	err error
}

// maxEventCalls bounds the events written together.
const maxEventCalls = 256

// eventInsertCols is the number of parameters of one event.
const eventInsertCols = 6

// writeEventBatch stores the batch in one transaction; should it fail,
// each event in one of its own, so that one cannot fail the others.
func (db *DB) writeEventBatch(ctx context.Context, batch []*eventReq) {
	evs := make([]*examhall.Event, len(batch))
	for i, r := range batch {
		evs[i] = r.e
	}
	err := db.insertEvents(ctx, evs)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	for _, r := range batch {
		r.err = db.insertEvents(ctx, []*examhall.Event{r.e})
	}
}

// insertEvents appends evs in order in one transaction (and on PostgreSQL
// announces them).
func (db *DB) insertEvents(ctx context.Context, evs []*examhall.Event) error {
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, eventLockKey); err != nil {
			return err
		}
		err := paramChunks(len(evs), eventInsertCols, func(lo, hi int) error {
			chunk := evs[lo:hi]
			args := make([]any, 0, len(chunk)*eventInsertCols)
			for _, e := range chunk {
				args = append(args, e.ExamID, e.RoomID, e.UserID, string(e.Type), string(e.Data), ms(now))
			}
			rows, err := tx.QueryContext(ctx, `INSERT INTO events (exam_id, room_id, user_id, type, data, created_at) VALUES `+
				db.valuesList(len(chunk), eventInsertCols)+` RETURNING seq`, args...)
			if err != nil {
				return err
			}
			seqs, err := scanAll(rows, func(s scannable) (seq int64, err error) { return seq, s.Scan(&seq) })
			if err != nil {
				return err
			}
			if len(seqs) != len(chunk) {
				return fmt.Errorf("insert events: %d seqs for %d events", len(seqs), len(chunk))
			}
			// Rows of one INSERT take their seqs in VALUES order.
			slices.Sort(seqs)
			for i, e := range chunk {
				e.Seq, e.CreatedAt = seqs[i], now
			}
			return nil
		})
		if err != nil || db.dialect != Postgres {
			return err
		}
		for _, e := range evs {
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, db.EventChannel, string(noticePayload(e))); err != nil {
				return err
			}
		}
		return nil
	})
}

// noticePayload is e's EventNotice, by reference when e is too large.
func noticePayload(e *examhall.Event) []byte {
	b, err := json.Marshal(EventNotice{Event: *e})
	if err == nil && len(b) <= MaxNotifyPayload {
		return b
	}
	b, _ = json.Marshal(EventNotice{Event: examhall.Event{Seq: e.Seq, ExamID: e.ExamID, RoomID: e.RoomID}, Ref: true})
	return b
}

// validEvent checks what AppendEvent stores.
func validEvent(e *examhall.Event) error {
	switch {
	case e.ExamID == "":
		return examhall.Errorf(examhall.EINVALID, "an event needs an exam")
	case e.Type == "":
		return examhall.Errorf(examhall.EINVALID, "an event needs a type")
	case len(e.ExamID) > examhall.MaxIDLen || len(e.RoomID) > examhall.MaxIDLen || len(e.UserID) > examhall.MaxIDLen || len(e.Type) > examhall.MaxIDLen:
		return examhall.Errorf(examhall.EINVALID, "event ids and type must be at most %d bytes", examhall.MaxIDLen)
	case !examhall.ValidText(e.ExamID + e.RoomID + e.UserID + string(e.Type) + string(e.Data)):
		return examhall.Errorf(examhall.EINVALID, "event text must be UTF-8 without NUL characters")
	case len(e.Data) > 0 && (!json.Valid(e.Data) || strings.TrimSpace(string(e.Data))[0] != '{'):
		return examhall.Errorf(examhall.EINVALID, "event data must be a JSON object")
	}
	return nil
}

// FindEvents returns the matching events oldest first, at most filter.Limit
// (DefaultEventLimit when 0, MaxEventLimit at most): page on with AfterSeq
// set to the last Seq returned. EINVALID without an exam or a room.
func (db *DB) FindEvents(ctx context.Context, filter examhall.EventFilter) (_ []*examhall.Event, err error) {
	defer annotate(&err, "FindEvents")
	if filter.ExamID == "" && filter.RoomID == "" {
		return nil, examhall.Errorf(examhall.EINVALID, "events are found by exam or room")
	}
	limit := filter.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	limit = min(limit, MaxEventLimit)
	q := strings.Builder{}
	q.WriteString(`SELECT seq, exam_id, room_id, user_id, type, data, created_at FROM events WHERE seq > $1`)
	args := []any{filter.AfterSeq}
	add := func(cond string, v any) {
		args = append(args, v)
		q.WriteString(" AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if filter.RoomID != "" {
		add("room_id = ?", filter.RoomID)
	}
	if filter.ExamID != "" {
		add("exam_id = ?", filter.ExamID)
	}
	if filter.UserID != "" {
		add("user_id IN ('', ?)", filter.UserID)
	}
	q.WriteString(" ORDER BY seq LIMIT " + strconv.Itoa(limit))
	rows, err := db.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*examhall.Event
	for rows.Next() {
		var (
			e       examhall.Event
			typ     string
			data    string
			created int64
		)
		if err := rows.Scan(&e.Seq, &e.ExamID, &e.RoomID, &e.UserID, &typ, &data, &created); err != nil {
			return nil, err
		}
		e.Type, e.CreatedAt = examhall.EventType(typ), fromMS(created)
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// DeleteEvents deletes the events created before t, returning how many:
// the retention bound of replay (cmd/examhall keeps EventRetention).
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (n int64, err error) {
	defer annotate(&err, "DeleteEvents")
	err = db.transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE created_at < $1`, ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// LastEventSeq returns the newest event's Seq (0 when there is none): a
// page that shows the current state resumes its WebSocket after it.
func (db *DB) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last event seq: %w", err)
	}
	return seq, nil
}
