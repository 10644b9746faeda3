package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"examhall"
)

var _ examhall.CheatService = (*DB)(nil)

// SetCheatConfig creates or replaces an exam's config, setting its times;
// ENOTFOUND on an unknown exam.
func (db *DB) SetCheatConfig(ctx context.Context, c *examhall.CheatConfig) (err error) {
	defer annotate(&err, "SetCheatConfig")
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, `INSERT INTO cheat_configs (exam_id, data, creator, created_at, updated_at)
			VALUES ($1, $2, $4, $3, $3)
			ON CONFLICT (exam_id) DO UPDATE SET data = excluded.data, creator = excluded.creator, updated_at = excluded.updated_at
			RETURNING created_at`, c.ExamID, c.Data, ms(now), c.Creator).Scan(&created)
		if isForeignKey(err) {
			return fmt.Errorf("%w: %w", examhall.Errorf(examhall.ENOTFOUND, "exam %q not found", c.ExamID), err)
		} else if err != nil {
			return err
		}
		c.CreatedAt, c.UpdatedAt = fromMS(created), now
		return db.audit(ctx, tx, "cheat_config", c.ExamID, "set", nil, map[string]string{"data": c.Data})
	})
}

// FindCheatConfig returns the exam's config; ENOTFOUND when it has none.
func (db *DB) FindCheatConfig(ctx context.Context, examID string) (_ *examhall.CheatConfig, err error) {
	defer annotate(&err, "FindCheatConfig")
	c := examhall.CheatConfig{ExamID: examID}
	var created, updated int64
	err = db.r.QueryRowContext(ctx, `SELECT data, creator, created_at, updated_at FROM cheat_configs WHERE exam_id = $1`,
		examID).Scan(&c.Data, &c.Creator, &created, &updated)
	if err != nil {
		return nil, notFound(err, "cheat config of exam %q not found", examID)
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return &c, nil
}

// cheatLockKey is the PostgreSQL advisory lock serializing cheat-record
// inserts ("cheat" in ASCII).
const cheatLockKey = 0x6368656174

// lockPostgres takes the transaction-scoped advisory lock key on
// PostgreSQL, where writers run side by side. On SQLite the single writer
// connection serializes write transactions already.
func (db *DB) lockPostgres(ctx context.Context, tx *sql.Tx, key int64) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+strconv.FormatInt(key, 10)+")")
	return err
}

// cheatInsertCols is the number of parameters of one cheat record.
const cheatInsertCols = 9

// CreateCheatRecords stores a batch all or nothing, setting each record's ID
// and times. It is the hottest write path (every candidate's client reports
// detections), so concurrent calls are written together (group commit,
// cheatQ): one transaction of multi-row INSERTs, one per chunk of
// parameters.
//
// Readers page newest-first by id (FindCheatRecords' BeforeID), which is
// only gapless if a record never becomes visible after one with a higher id:
// otherwise a reader could pass id 101 while 100 is still uncommitted and
// never see 100. On SQLite the single writer connection commits
// transactions in the order they took their ids. On PostgreSQL, identity
// values are taken at insert but become visible at commit, in any order,
// so the transaction first takes a transaction-scoped advisory lock: inserts
// then run one at a time, each committing before the next takes its ids,
// and the visible ids are always a prefix of the ids handed out. (One
// transaction at a time is what made grouping the calls worth it there.)
func (db *DB) CreateCheatRecords(ctx context.Context, records []*examhall.CheatRecord) (err error) {
	defer annotate(&err, "CreateCheatRecords")
	if len(records) == 0 {
		return nil
	}
	req := &cheatReq{records: records}
	db.cheatQ.do(ctx, req, db.writeCheatBatch)
	return req.err
}

// cheatReq is one CreateCheatRecords call in a group commit.
type cheatReq struct {
	records []*examhall.CheatRecord
	err     error
}

// maxCheatCalls bounds the calls written together: up to 32,000 records
// (examhall.MaxCheatBatch each), usually a few hundred.
const maxCheatCalls = 32

// writeCheatBatch stores the calls' records in one transaction. Should it
// fail, each call's records are stored in one of their own, so that one
// call's bad records cannot fail the others.
func (db *DB) writeCheatBatch(ctx context.Context, batch []*cheatReq) {
	if len(batch) > 1 {
		var all []*examhall.CheatRecord
		for _, r := range batch {
			all = append(all, r.records...)
		}
		if db.insertCheat(ctx, all) == nil {
			return
		}
	}
	for _, r := range batch {
		r.err = db.insertCheat(ctx, r.records)
	}
}

// insertCheat stores records in one transaction.
func (db *DB) insertCheat(ctx context.Context, records []*examhall.CheatRecord) error {
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		if err := db.lockPostgres(ctx, tx, cheatLockKey); err != nil {
			return err
		}
		if err := paramChunks(len(records), cheatInsertCols, func(lo, hi int) error {
			return db.insertCheatRecords(ctx, tx, records[lo:hi], now)
		}); err != nil {
			return err
		}
		events := make([]hookEvent, len(records))
		for i, r := range records {
			events[i] = hookEvent{typ: examhall.HookCheatRecorded, key: r.ExamID + "/" + r.UserID, data: cheatData{
				ID: r.ID, ExamID: r.ExamID, RoomID: r.RoomID, UserID: r.UserID, DetectType: r.DetectType,
				IsMainMonitor: r.IsMainMonitor, DetectTime: r.DetectTime}}
		}
		return db.enqueueAll(ctx, tx, events)
	})
}

// cheatData is cheat.recorded's data. Its ordering key is the exam and
// candidate: records carry no attempt.
type cheatData struct {
	ID            int64  `json:"id"`
	ExamID        string `json:"examId"`
	RoomID        string `json:"roomId"`
	UserID        string `json:"userId"`
	DetectType    string `json:"detectType"`
	IsMainMonitor bool   `json:"isMainMonitor"`
	DetectTime    int64  `json:"detectTime"` // ms since the epoch, from the client
}

// insertCheatRecords inserts one chunk of records and sets their IDs.
// RETURNING promises no row order, but both databases number the VALUES
// rows in order with increasing ids, so the sorted ids match the records.
func (db *DB) insertCheatRecords(ctx context.Context, tx *sql.Tx, records []*examhall.CheatRecord, now time.Time) error {
	args := make([]any, 0, len(records)*cheatInsertCols)
	for _, r := range records {
		args = append(args, r.ExamID, r.RoomID, r.UserID, r.DetectType, r.IsMainMonitor, r.DetectTime, r.ExtraInfo,
			ms(now), ms(now))
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO cheat_records (exam_id, room_id, user_id, detect_type,
		is_main_monitor, detect_time, extra_info, created_at, updated_at) VALUES `+
		db.valuesList(len(records), cheatInsertCols)+` RETURNING id`, args...)
	if err != nil {
		return err
	}
	ids, err := scanAll(rows, func(s scannable) (id int64, err error) { return id, s.Scan(&id) })
	if err != nil {
		return err
	}
	if len(ids) != len(records) {
		return fmt.Errorf("insert cheat records: %d ids for %d records", len(ids), len(records))
	}
	slices.Sort(ids)
	for i, r := range records {
		r.ID, r.CreatedAt, r.UpdatedAt = ids[i], now, now
	}
	return nil
}

// cheatColumns are the columns scanCheatRecord reads.
const cheatColumns = `id, exam_id, room_id, user_id, detect_type, is_main_monitor, detect_time, extra_info, created_at, updated_at`

// scanCheatRecord reads one row of cheatColumns.
func scanCheatRecord(row scannable) (*examhall.CheatRecord, error) {
	var r examhall.CheatRecord
	var created, updated int64
	if err := row.Scan(&r.ID, &r.ExamID, &r.RoomID, &r.UserID, &r.DetectType, &r.IsMainMonitor, &r.DetectTime,
		&r.ExtraInfo, &created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

// FindCheatRecords returns one page of records, newest (highest id) first,
// below f.BeforeID when set, and whether more records follow it. A Limit
// outside 1..MaxCheatPageSize means MaxCheatPageSize.
//
// Each filter walks one index backwards from BeforeID and stops after
// Limit+1 entries, so a page costs the same at any depth: room (with or
// without exam) uses (room_id, id), exam alone (exam_id, id), neither the
// primary key.
func (db *DB) FindCheatRecords(ctx context.Context, f examhall.CheatRecordFilter) (_ []*examhall.CheatRecord, _ bool, err error) {
	defer annotate(&err, "FindCheatRecords")
	query, args, limit := db.cheatRecordsQuery(f)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	records, err := scanAll(rows, scanCheatRecord)
	if err != nil {
		return nil, false, err
	}
	if len(records) > limit {
		return records[:limit], true, nil
	}
	return records, false, nil
}

// cheatRecordsQuery returns FindCheatRecords' query for f, its arguments,
// and the page size; the query fetches one record more, to tell whether
// more follow.
func (db *DB) cheatRecordsQuery(f examhall.CheatRecordFilter) (string, []any, int) {
	limit := f.Limit
	if limit <= 0 || limit > examhall.MaxCheatPageSize {
		limit = examhall.MaxCheatPageSize
	}
	before := f.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	var w sqlWhere
	w.and("id < " + w.arg(before))
	if f.RoomID != "" {
		w.and("room_id = " + w.arg(f.RoomID))
	}
	if f.ExamID != "" {
		if f.RoomID != "" && db.dialect == SQLite {
			// A room's records are a small part of its exam's, but SQLite
			// without statistics rates both indexes alike and may walk the
			// exam's: the "|| ''" (a no-op on the value) makes this term
			// unindexable. PostgreSQL's statistics pick the room index by
			// themselves, and the expression would only blur its estimates.
			// (A room named with an exam it is not in walks all of the
			// room's records to find none; handlers check rooms first.)
			w.and("exam_id || '' = " + w.arg(f.ExamID))
		} else {
			w.and("exam_id = " + w.arg(f.ExamID))
		}
	}
	query := "SELECT " + cheatColumns + " FROM cheat_records" + w.String() + " ORDER BY id DESC LIMIT " + w.arg(limit+1)
	return query, w.args, limit
}
