package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// coreCheatBatch returns n records of one room.
func coreCheatBatch(examID, roomID string, n int) []*examhall.CheatRecord {
	recs := make([]*examhall.CheatRecord, n)
	for i := range recs {
		recs[i] = &examhall.CheatRecord{ExamID: examID, RoomID: roomID, UserID: fmt.Sprintf("user%d", i%3),
			DetectType: "face_missing", IsMainMonitor: i%2 == 0, DetectTime: 1_700_000_000_000 + int64(i),
			ExtraInfo: `{"n":` + fmt.Sprint(i) + `}`}
	}
	return recs
}

func TestCheatConfig(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		exam := coreMustExam(t, db)
		_, err := db.FindCheatConfig(ctx, exam)
		coreWantErr(t, err, examhall.ENOTFOUND, fmt.Sprintf("cheat config of exam %q not found", exam))

		c := &examhall.CheatConfig{ExamID: exam, Data: `{"face":true}`, Creator: "u-admin"}
		if err := db.SetCheatConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindCheatConfig(ctx, exam)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("FindCheatConfig (-want +got):\n%s", diff)
		}
		// Replacing keeps the creation time.
		c2 := &examhall.CheatConfig{ExamID: exam, Data: `{"face":false}`, Creator: "u-other"}
		if err := db.SetCheatConfig(ctx, c2); err != nil {
			t.Fatal(err)
		}
		if !c2.CreatedAt.Equal(c.CreatedAt) || !c2.UpdatedAt.After(c.UpdatedAt) {
			t.Errorf("times after replace: created %v (was %v), updated %v (was %v)", c2.CreatedAt, c.CreatedAt, c2.UpdatedAt, c.UpdatedAt)
		}
		got, err = db.FindCheatConfig(ctx, exam)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c2, got); diff != "" {
			t.Errorf("FindCheatConfig after replace (-want +got):\n%s", diff)
		}
		coreWantErr(t, db.SetCheatConfig(ctx, &examhall.CheatConfig{ExamID: "e0", Data: "{}"}), examhall.ENOTFOUND, `exam "e0" not found`)
	})
}

func TestCheatRecords(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreClock(db)
		// Two exams; e1 has rooms r1 and r2, e2 has r3.
		e1, e2 := coreMustExam(t, db), coreMustExam(t, db)
		b1 := coreCheatBatch(e1, "r1", 5)
		b2 := coreCheatBatch(e1, "r2", 3)
		b3 := coreCheatBatch(e2, "r3", 4)
		b4 := coreCheatBatch(e1, "r1", 2)
		for _, b := range [][]*examhall.CheatRecord{b1, b2, b3, b4} {
			if err := db.CreateCheatRecords(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		all := slices.Concat(b1, b2, b3, b4)
		for i, r := range all {
			if i > 0 && r.ID <= all[i-1].ID {
				t.Fatalf("record %d: ID %d not above %d", i, r.ID, all[i-1].ID)
			}
			if r.CreatedAt.IsZero() || !r.UpdatedAt.Equal(r.CreatedAt) {
				t.Fatalf("record %d: times %v %v", i, r.CreatedAt, r.UpdatedAt)
			}
		}
		if err := db.CreateCheatRecords(ctx, nil); err != nil {
			t.Errorf("empty batch: %v", err)
		}
		// newest returns the records of recs matching keep, newest first.
		newest := func(keep func(*examhall.CheatRecord) bool) []*examhall.CheatRecord {
			var out []*examhall.CheatRecord
			for _, r := range slices.Backward(all) {
				if keep(r) {
					out = append(out, r)
				}
			}
			return out
		}
		inRoom := func(room string) func(*examhall.CheatRecord) bool {
			return func(r *examhall.CheatRecord) bool { return r.RoomID == room }
		}
		for _, tt := range []struct {
			name   string
			filter examhall.CheatRecordFilter
			want   []*examhall.CheatRecord
			more   bool
		}{
			{"everything", examhall.CheatRecordFilter{}, newest(func(*examhall.CheatRecord) bool { return true }), false},
			{"room", examhall.CheatRecordFilter{RoomID: "r1"}, newest(inRoom("r1")), false},
			{"exam", examhall.CheatRecordFilter{ExamID: e1}, newest(func(r *examhall.CheatRecord) bool { return r.ExamID == e1 }), false},
			{"exam and room", examhall.CheatRecordFilter{ExamID: e1, RoomID: "r2"}, newest(inRoom("r2")), false},
			{"room of another exam", examhall.CheatRecordFilter{ExamID: e1, RoomID: "r3"}, nil, false},
			{"first page", examhall.CheatRecordFilter{RoomID: "r1", Limit: 3}, newest(inRoom("r1"))[:3], true},
			{"exact page", examhall.CheatRecordFilter{RoomID: "r1", Limit: 7}, newest(inRoom("r1")), false},
			{"next page", examhall.CheatRecordFilter{RoomID: "r1", Limit: 3, BeforeID: newest(inRoom("r1"))[2].ID}, newest(inRoom("r1"))[3:6], true},
			{"last page", examhall.CheatRecordFilter{RoomID: "r1", Limit: 3, BeforeID: newest(inRoom("r1"))[5].ID}, newest(inRoom("r1"))[6:], false},
			{"before the first", examhall.CheatRecordFilter{BeforeID: all[0].ID}, nil, false},
			{"unknown room", examhall.CheatRecordFilter{RoomID: "nope"}, nil, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, more, err := db.FindCheatRecords(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" || more != tt.more {
					t.Errorf("records (-want +got):\n%s\nmore = %v, want %v", diff, more, tt.more)
				}
			})
		}
	})
}

// TestCheatRecordsBigBatch stores a batch over several statements, all or
// nothing: a record the database refuses in the last statement takes the
// whole batch back.
func TestCheatRecordsBigBatch(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		batch := coreCheatBatch("e", "r", examhall.MaxCheatBatch)
		if err := db.CreateCheatRecords(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for i, r := range batch {
			if i > 0 && r.ID != batch[i-1].ID+1 {
				t.Fatalf("record %d: ID %d after %d", i, r.ID, batch[i-1].ID)
			}
		}
		got, _, err := db.FindCheatRecords(ctx, examhall.CheatRecordFilter{RoomID: "r", Limit: examhall.MaxCheatPageSize})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(got)
		if diff := cmp.Diff(batch, got); diff != "" {
			t.Errorf("stored batch (-want +got):\n%s", diff)
		}

		coreBoomTrigger(t, db)
		bad := coreCheatBatch("e", "r", examhall.MaxCheatBatch)
		bad[len(bad)-1].DetectType = "boom"
		if err := db.CreateCheatRecords(ctx, bad); err == nil {
			t.Fatal("CreateCheatRecords with a refused record succeeded")
		}
		if n := coreCount(t, db, "cheat_records"); n != examhall.MaxCheatBatch {
			t.Errorf("cheat_records = %d, want %d", n, examhall.MaxCheatBatch)
		}
	})
}

// coreBoomTrigger has the database refuse cheat records of detect type
// "boom".
func coreBoomTrigger(tb testing.TB, db *DB) {
	tb.Helper()
	stmts := []string{`CREATE TRIGGER core_boom BEFORE INSERT ON cheat_records
		WHEN NEW.detect_type = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`}
	if db.dialect == Postgres {
		stmts = []string{`CREATE FUNCTION core_boom() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.detect_type = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER core_boom BEFORE INSERT ON cheat_records FOR EACH ROW EXECUTE FUNCTION core_boom()`}
	}
	for _, s := range stmts {
		if _, err := db.w.ExecContext(context.Background(), s); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestCheatRecordsConcurrent: concurrent calls are written together, yet
// each is stored all or nothing on its own — a call the database refuses
// fails alone — and each call's records get increasing IDs.
func TestCheatRecordsConcurrent(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		coreBoomTrigger(t, db)
		const calls, per = 64, 7
		batches := make([][]*examhall.CheatRecord, calls)
		errs := make([]error, calls)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range calls {
			batches[i] = coreCheatBatch("e", fmt.Sprintf("r%d", i), per)
			if i%10 == 3 {
				batches[i][per-1].DetectType = "boom"
			}
			done.Go(func() {
				start.Wait()
				errs[i] = db.CreateCheatRecords(ctx, batches[i])
			})
		}
		start.Done()
		done.Wait()

		seen := map[int64]bool{}
		stored := 0
		for i, batch := range batches {
			room := fmt.Sprintf("r%d", i)
			got, _, err := db.FindCheatRecords(ctx, examhall.CheatRecordFilter{RoomID: room})
			if err != nil {
				t.Fatal(err)
			}
			if i%10 == 3 {
				if errs[i] == nil || len(got) != 0 {
					t.Errorf("call %d with a refused record: err %v, %d records stored; want an error and none", i, errs[i], len(got))
				}
				continue
			}
			if errs[i] != nil {
				t.Errorf("call %d: %v", i, errs[i])
				continue
			}
			slices.Reverse(got)
			if diff := cmp.Diff(batch, got); diff != "" {
				t.Errorf("call %d stored (-want +got):\n%s", i, diff)
			}
			for j, r := range batch {
				if seen[r.ID] || j > 0 && r.ID <= batch[j-1].ID {
					t.Errorf("call %d record %d: ID %d repeated or out of order", i, j, r.ID)
				}
				seen[r.ID] = true
			}
			stored += len(batch)
		}
		if n := coreCount(t, db, "cheat_records"); n != stored {
			t.Errorf("cheat_records = %d, want %d", n, stored)
		}
	})
}

// TestCheatRecordsScrollWhileInserting scrolls through a room's records
// while writers keep adding to it. Every record at or below the first
// page's newest must come exactly once, in order: none may turn up later
// below a page already read (no gaps), and none twice.
func TestCheatRecordsScrollWhileInserting(t *testing.T) {
	testDBs(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for _, room := range []string{"r1", "r2"} {
			if err := db.CreateCheatRecords(ctx, coreCheatBatch("e1", room, 200)); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []examhall.CheatRecordFilter{
			{RoomID: "r1", Limit: 7},
			{ExamID: "e1", Limit: 13},
			{ExamID: "e1", RoomID: "r2", Limit: 5},
			{Limit: 11},
		} {
			t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
				start := coreRecordIDs(t, db, f, 0)
				stop := make(chan struct{})
				var wg sync.WaitGroup
				var inserted atomic.Int64
				for w := range 4 {
					wg.Go(func() {
						room := []string{"r1", "r2"}[w%2]
						for {
							select {
							case <-stop:
								return
							default:
							}
							if err := db.CreateCheatRecords(ctx, coreCheatBatch("e1", room, 3)); err != nil {
								t.Error(err)
								return
							}
							inserted.Add(1)
						}
					})
				}
				for inserted.Load() < 5 { // writers are running
					time.Sleep(time.Millisecond)
				}
				var scrolled []int64
				page := f
				for {
					recs, more, err := db.FindCheatRecords(ctx, page)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range recs {
						scrolled = append(scrolled, r.ID)
					}
					if !more {
						break
					}
					page.BeforeID = recs[len(recs)-1].ID
					time.Sleep(200 * time.Microsecond) // let writers commit between pages
				}
				close(stop)
				wg.Wait()

				if len(scrolled) == 0 {
					t.Fatal("scrolled nothing")
				}
				for i := 1; i < len(scrolled); i++ {
					if scrolled[i] >= scrolled[i-1] {
						t.Fatalf("ID %d follows %d: not strictly newest first", scrolled[i], scrolled[i-1])
					}
				}
				// Everything present at the start, and everything committed
				// since at or below the first page's newest, was scrolled.
				want := coreRecordIDs(t, db, f, scrolled[0]+1)
				if diff := cmp.Diff(want, scrolled); diff != "" {
					t.Errorf("scrolled IDs differ from the stored ones (-stored +scrolled):\n%s", diff)
				}
				for _, id := range start {
					if id > scrolled[0] {
						t.Fatalf("record %d present at the start is above the first page", id)
					}
				}
				t.Logf("scrolled %d records (%d at the start) while %d batches arrived", len(scrolled), len(start), inserted.Load())
			})
		}
	})
}

// coreRecordIDs returns the IDs matching f (ignoring its page) below before
// (0: all), newest first.
func coreRecordIDs(tb testing.TB, db *DB, f examhall.CheatRecordFilter, before int64) []int64 {
	tb.Helper()
	var ids []int64
	f.BeforeID, f.Limit = before, examhall.MaxCheatPageSize
	for {
		recs, more, err := db.FindCheatRecords(context.Background(), f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if !more {
			return ids
		}
		f.BeforeID = recs[len(recs)-1].ID
	}
}

// TestCheatRecordsPlan checks that each filter shape walks an index
// backwards, with no sort: a page then costs the same at any depth.
func TestCheatRecordsPlan(t *testing.T) {
	db := MustOpenSQLite(t)
	for _, tt := range []struct {
		filter examhall.CheatRecordFilter
		index  string
	}{
		{examhall.CheatRecordFilter{RoomID: "r"}, "INDEX cheat_records_room"},
		{examhall.CheatRecordFilter{RoomID: "r", BeforeID: 100}, "INDEX cheat_records_room"},
		{examhall.CheatRecordFilter{ExamID: "e", BeforeID: 100}, "INDEX cheat_records_exam"},
		{examhall.CheatRecordFilter{ExamID: "e", RoomID: "r", BeforeID: 100}, "INDEX cheat_records_room"},
		{examhall.CheatRecordFilter{BeforeID: 100}, "INTEGER PRIMARY KEY"},
	} {
		query, args, _ := db.cheatRecordsQuery(tt.filter)
		rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, tt.index) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%+v: plan %q, want a walk of %s without a sort", tt.filter, got, tt.index)
		}
	}
}

func BenchmarkCreateCheatRecords10(b *testing.B) {
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		b.SetParallelism(8) // many clients report at once
		q := &db.cheatQ
		batches, items := q.batches.Load(), q.items.Load()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.CreateCheatRecords(ctx, coreCheatBatch("e", "r", 10)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(q.items.Load()-items)/float64(max(q.batches.Load()-batches, 1)), "calls/batch")
	})
}

// BenchmarkFindCheatRecords pages through a million records: 10 exams of 10
// rooms each, 10,000 records a room. Building them (one INSERT … SELECT)
// takes about 5 s on SQLite and 10 s on PostgreSQL on 2 shared vCPUs; -short
// skips it.
func BenchmarkFindCheatRecords(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a million records")
	}
	coreBenchDBs(b, func(b *testing.B, db *DB) {
		ctx := context.Background()
		const n = 1_000_000
		t0 := time.Now()
		coreBulkCheatRecords(b, db, n)
		b.Logf("%s: inserted %d records in %v", db.dialect, n, time.Since(t0).Round(time.Millisecond))
		for _, bc := range []struct {
			name   string
			filter examhall.CheatRecordFilter
		}{
			{"room/newest", examhall.CheatRecordFilter{RoomID: "room-42", Limit: 20}},
			{"room/deep", examhall.CheatRecordFilter{RoomID: "room-42", Limit: 20, BeforeID: n / 10}},
			{"exam/deep", examhall.CheatRecordFilter{ExamID: "exam-2", Limit: 20, BeforeID: n / 2}},
			{"exam+room/deep", examhall.CheatRecordFilter{ExamID: "exam-2", RoomID: "room-42", Limit: 20, BeforeID: n / 2}},
			{"all/deep", examhall.CheatRecordFilter{Limit: 100, BeforeID: n / 2}},
		} {
			// TestCheatRecordsPlan checks SQLite's plans. PostgreSQL's depend
			// on its statistics (an exam holding a tenth of all records may
			// rather walk the primary key), but must walk an index, unsorted.
			if db.dialect == Postgres {
				query, args, _ := db.cheatRecordsQuery(bc.filter)
				rows, err := db.r.QueryContext(ctx, "EXPLAIN "+query, args...)
				if err != nil {
					b.Fatal(err)
				}
				lines, err := scanAll(rows, func(s scannable) (l string, err error) { return l, s.Scan(&l) })
				if err != nil {
					b.Fatal(err)
				}
				plan := strings.Join(lines, "\n")
				if !strings.Contains(plan, "Index Scan Backward") || strings.Contains(plan, "Sort") {
					b.Errorf("%s: plan\n%s\nwant a backward index walk without a sort", bc.name, plan)
				}
				for _, l := range lines {
					if strings.Contains(l, "Scan") {
						b.Logf("%s: %s", bc.name, strings.TrimSpace(l))
					}
				}
			}
			b.Run(bc.name, func(b *testing.B) {
				for b.Loop() {
					recs, more, err := db.FindCheatRecords(ctx, bc.filter)
					if err != nil || len(recs) != bc.filter.Limit || !more {
						b.Fatalf("FindCheatRecords = %d records, more %v, %v", len(recs), more, err)
					}
				}
			})
		}
	})
}

// coreBulkCheatRecords inserts n records in one statement: record i is in
// room-(i%100) of exam-(i%10).
func coreBulkCheatRecords(tb testing.TB, db *DB, n int) {
	tb.Helper()
	from := `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) SELECT i FROM s) AS s`
	if db.dialect == Postgres {
		from = `generate_series(1, $1) AS s(i)`
	}
	ctx := context.Background()
	if _, err := db.w.ExecContext(ctx, `INSERT INTO cheat_records (exam_id, room_id, user_id, detect_type,
		is_main_monitor, detect_time, extra_info, created_at, updated_at)
		SELECT 'exam-' || (i % 10), 'room-' || (i % 100), 'user-' || (i % 3000), 'face_missing', (i % 2) = 1,
			1700000000000 + i, '{"score":0.9}', 1700000000000 + i, 1700000000000 + i FROM `+from, n); err != nil {
		tb.Fatal(err)
	}
	if db.dialect == Postgres {
		if _, err := db.w.ExecContext(ctx, `ANALYZE cheat_records`); err != nil {
			tb.Fatal(err)
		}
	}
}
