package aui

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"examhall"
	"examhall/httpapi"
)

// maxCheatConfigLen bounds an exam's cheat config, in bytes.
const maxCheatConfigLen = 64 << 10

type setCheatConfigRequest struct {
	ExamID string `json:"examId"`
	Data   string `json:"data"`
}

func (q *setCheatConfigRequest) validate() error {
	if err := checkID("examId", q.ExamID, true); err != nil {
		return err
	}
	if q.Data == "" {
		return examhall.Errorf(examhall.EINVALID, "data is required")
	}
	if len(q.Data) > maxCheatConfigLen {
		return examhall.Errorf(examhall.EINVALID, "data must be at most %d bytes", maxCheatConfigLen)
	}
	return nil
}

// setCheatConfig stores the exam's config string as is.
func (s *Server) setCheatConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	var req setCheatConfigRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	if err := s.Policy.Exam(r.Context(), req.ExamID, true); err != nil {
		return nil, err
	}
	cfg := &examhall.CheatConfig{ExamID: req.ExamID, Data: req.Data, Creator: callerOf(r).ID}
	if err := s.Cheat.SetCheatConfig(r.Context(), cfg); err != nil {
		return nil, err
	}
	return true, nil
}

type examIDRequest struct {
	ExamID string `json:"examId"`
}

func (q *examIDRequest) validate() error { return checkID("examId", q.ExamID, true) }

type cheatConfigData struct {
	ExamID    string `json:"examId"`
	Data      string `json:"data"`
	Creator   string `json:"creator"` // as the vendor's CheatConfigEntity
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// getCheatConfig answers the exam's config, or null data when it has none.
func (s *Server) getCheatConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	var req examIDRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.Policy.Exam(ctx, req.ExamID, false); err != nil {
		return nil, err
	}
	cfg, err := s.Cheat.FindCheatConfig(ctx, req.ExamID)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		// No config, or no exam: only the latter is an error.
		if _, err := s.Exams.FindExamByID(ctx, req.ExamID); err != nil {
			return nil, err
		}
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return cheatConfigData{ExamID: cfg.ExamID, Data: cfg.Data, Creator: cfg.Creator, CreatedAt: s.rfc3339(cfg.CreatedAt), UpdatedAt: s.rfc3339(cfg.UpdatedAt)}, nil
}

type addCheatRecordRequest struct {
	ExamID string `json:"examId"`
	RoomID string `json:"roomId"`
	Data   string `json:"data"` // a JSON array of records, as a string

	records []*examhall.CheatRecord
}

func (q *addCheatRecordRequest) validate() error {
	if err := checkID("examId", q.ExamID, true); err != nil {
		return err
	}
	if err := checkID("roomId", q.RoomID, true); err != nil {
		return err
	}
	if q.Data == "" {
		return examhall.Errorf(examhall.EINVALID, "data is required: a JSON array of cheat records")
	}
	var err error
	q.records, err = ParseCheatRecords(q.Data)
	return err
}

// addCheatRecord stores a batch of detections, all or nothing. Anyone who
// reads the room may report about themselves; the room's managers may also
// report about its examinees.
func (s *Server) addCheatRecord(w http.ResponseWriter, r *http.Request) (any, error) {
	var req addCheatRecordRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	ctx, c := r.Context(), callerOf(r)
	room, err := s.Policy.Room(ctx, req.RoomID, false)
	if err != nil {
		return nil, err
	}
	if room.ExamID != req.ExamID {
		return nil, examhall.Errorf(examhall.EINVALID, "examId %q is not the exam of room %q", req.ExamID, req.RoomID)
	}
	var examinees map[string]bool // loaded on the first record about someone else
	for i, rec := range req.records {
		rec.ExamID, rec.RoomID = req.ExamID, req.RoomID
		if rec.UserID == c.ID {
			continue
		}
		if examinees == nil {
			if examinees, err = s.roomExaminees(r, req.RoomID); examhall.ErrorCode(err) == examhall.EFORBIDDEN {
				return nil, examhall.Errorf(examhall.EFORBIDDEN, "record %d: you may report only about yourself", i)
			} else if err != nil {
				return nil, err
			}
		}
		if !examinees[rec.UserID] {
			return nil, examhall.Errorf(examhall.EINVALID, "record %d: user %q is not an examinee of room %q", i, rec.UserID, req.RoomID)
		}
	}
	if err := s.Cheat.CreateCheatRecords(ctx, req.records); err != nil {
		return nil, err
	}
	return true, nil
}

// roomExaminees returns the IDs of the room's examinees when the caller
// manages the room.
func (s *Server) roomExaminees(r *http.Request, roomID string) (map[string]bool, error) {
	if _, err := s.Policy.Room(r.Context(), roomID, true); err != nil {
		return nil, err
	}
	role := examhall.RoleExaminee
	members, err := s.Rooms.FindMembers(r.Context(), roomID, &role)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(members))
	for _, m := range members {
		set[m.UserID] = true
	}
	return set, nil
}

// maxDetectTime is the last millisecond of year 9999, past which RFC 3339
// cannot render a detect time.
const maxDetectTime = 253402300799999

// ParseCheatRecords parses the data string of an addCheatRecord request: a
// JSON array of {isMainMonitor: bool, userId: string, detectTime: ms,
// detectType: string, extraInfo: string or object}. An object extraInfo is
// kept as compact JSON text; absent isMainMonitor is false; unknown keys are
// ignored. The records come back without exam, room, ID or times.
//
// Errors are EINVALID, naming the record by its index in the array
// ("record 3: detectType is required"), and ETOOLARGE for more than
// examhall.MaxCheatBatch records.
func ParseCheatRecords(data string) ([]*examhall.CheatRecord, error) {
	if err := httpapi.CheckJSONText("data", []byte(data)); err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(data), &raws); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return nil, examhall.Errorf(examhall.EINVALID, "data must be a JSON array of cheat records, not %s", typ.Value)
		}
		return nil, examhall.Errorf(examhall.EINVALID, "data is not a JSON array of cheat records: %s", examhall.ErrorMessage(httpapi.JSONError(err)))
	}
	switch {
	case len(raws) == 0:
		return nil, examhall.Errorf(examhall.EINVALID, "data holds no cheat records")
	case len(raws) > examhall.MaxCheatBatch:
		return nil, examhall.Errorf(examhall.ETOOLARGE, "data holds %d cheat records; at most %d are allowed per call", len(raws), examhall.MaxCheatBatch)
	}
	records := make([]*examhall.CheatRecord, len(raws))
	for i, raw := range raws {
		rec, err := parseCheatRecord(raw)
		if err != nil {
			return nil, examhall.Errorf(examhall.EINVALID, "record %d: %s", i, examhall.ErrorMessage(err))
		}
		records[i] = rec
	}
	return records, nil
}

func parseCheatRecord(raw json.RawMessage) (*examhall.CheatRecord, error) {
	if kind := jsonKind(raw); kind != "object" {
		return nil, examhall.Errorf(examhall.EINVALID, "must be an object, not %s", kind)
	}
	var in struct {
		IsMainMonitor *bool           `json:"isMainMonitor"`
		UserID        string          `json:"userId"`
		DetectTime    json.RawMessage `json:"detectTime"`
		DetectType    string          `json:"detectType"`
		ExtraInfo     json.RawMessage `json:"extraInfo"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, httpapi.JSONError(err)
	}
	if err := checkLen("userId", in.UserID, true, examhall.MaxIDLen); err != nil {
		return nil, err
	}
	if err := checkLen("detectType", in.DetectType, true, examhall.MaxIDLen); err != nil {
		return nil, err
	}
	ms, err := parseMillis(in.DetectTime)
	if err != nil {
		return nil, err
	}
	extra, err := parseExtraInfo(in.ExtraInfo)
	if err != nil {
		return nil, err
	}
	return &examhall.CheatRecord{
		UserID:        in.UserID,
		DetectType:    in.DetectType,
		IsMainMonitor: in.IsMainMonitor != nil && *in.IsMainMonitor,
		DetectTime:    ms,
		ExtraInfo:     extra,
	}, nil
}

// parseMillis reads detectTime: a whole, non-negative number of milliseconds.
// Integral numbers in exponent form (1.7e12) are accepted too.
func parseMillis(raw json.RawMessage) (int64, error) {
	switch jsonKind(raw) {
	case "nothing", "null":
		return 0, examhall.Errorf(examhall.EINVALID, "detectTime is required")
	case "number":
	default:
		return 0, examhall.Errorf(examhall.EINVALID, "detectTime must be a number of milliseconds, not %s", jsonKind(raw))
	}
	// Go through float64 only when needed: it is exact for integers up to 2^53
	// only, and maxDetectTime is below that.
	f, err := strconv.ParseFloat(string(raw), 64)
	if ms, ierr := strconv.ParseInt(string(raw), 10, 64); ierr == nil {
		f, err = float64(ms), nil
	}
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), f != math.Trunc(f):
		return 0, examhall.Errorf(examhall.EINVALID, "detectTime must be a whole number of milliseconds")
	case f < 0:
		return 0, examhall.Errorf(examhall.EINVALID, "detectTime must not be negative")
	case f > maxDetectTime:
		return 0, examhall.Errorf(examhall.EINVALID, "detectTime is after the year 9999")
	}
	return int64(f), nil
}

// parseExtraInfo reads extraInfo: a string as is, an object as compact JSON.
func parseExtraInfo(raw json.RawMessage) (string, error) {
	var s string
	switch kind := jsonKind(raw); kind {
	case "nothing", "null":
		return "", nil
	case "string":
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", httpapi.JSONError(err)
		}
	case "object":
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", httpapi.JSONError(err)
		}
		s = b.String()
	default:
		return "", examhall.Errorf(examhall.EINVALID, "extraInfo must be a string or an object, not %s", kind)
	}
	if len(s) > examhall.MaxTextLen {
		return "", examhall.Errorf(examhall.EINVALID, "extraInfo must be at most %d bytes", examhall.MaxTextLen)
	}
	return s, nil
}

// listCheatRecordRequest is the body of listCheatRecord. pageSize and
// scrollToken may come as numbers or strings.
type listCheatRecordRequest struct {
	ExamID      string  `json:"examId"`
	RoomID      string  `json:"roomId"`
	PageSize    numText `json:"pageSize"`
	ScrollToken numText `json:"scrollToken"`

	pageSize int
	beforeID int64
}

const defaultCheatPageSize = 10

func (q *listCheatRecordRequest) validate() error {
	if q.ExamID == "" && q.RoomID == "" {
		return examhall.Errorf(examhall.EINVALID, "roomId or examId is required")
	}
	if err := checkID("examId", q.ExamID, false); err != nil {
		return err
	}
	if err := checkID("roomId", q.RoomID, false); err != nil {
		return err
	}
	size, err := q.PageSize.int("pageSize", 0)
	switch {
	case err != nil:
		return err
	case size < 0 || size > examhall.MaxCheatPageSize:
		return examhall.Errorf(examhall.EINVALID, "pageSize must be between 1 and %d", examhall.MaxCheatPageSize)
	case size == 0:
		size = defaultCheatPageSize
	}
	q.pageSize = int(size)
	if q.beforeID, err = q.ScrollToken.int("scrollToken", 0); err != nil {
		return err
	}
	if q.ScrollToken != "" && q.beforeID <= 0 {
		return examhall.Errorf(examhall.EINVALID, "scrollToken must be a positive record ID")
	}
	return nil
}

type cheatRecordEntity struct {
	ID            int64  `json:"id"`
	ExamID        string `json:"examId"`
	RoomID        string `json:"roomId"`
	UserID        string `json:"userId"`
	DetectType    string `json:"detectType"`
	IsMainMonitor string `json:"isMainMonitor"` // "true" or "false", as the vendor sends it
	DetectTime    string `json:"detectTime"`
	ExtraInfo     string `json:"extraInfo"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
}

type cheatRecordPage struct {
	Entities    []cheatRecordEntity `json:"cheatRecordEntitys"`
	ScrollToken string              `json:"scrollToken,omitempty"` // only when more remain
}

// listCheatRecord pages through records, newest first. With a room, the
// room's managers see its records; without, admins see the exam's.
func (s *Server) listCheatRecord(w http.ResponseWriter, r *http.Request) (any, error) {
	var req listCheatRecordRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	filter := examhall.CheatRecordFilter{ExamID: req.ExamID, RoomID: req.RoomID, BeforeID: req.beforeID, Limit: req.pageSize}
	if req.RoomID != "" {
		room, err := s.Policy.Room(ctx, req.RoomID, true)
		if err != nil {
			return nil, err
		}
		if req.ExamID != "" && req.ExamID != room.ExamID {
			return nil, examhall.Errorf(examhall.EINVALID, "examId %q is not the exam of room %q", req.ExamID, req.RoomID)
		}
		filter.ExamID = room.ExamID
	} else if err := s.Policy.Admin(ctx); err != nil {
		return nil, err
	}
	records, more, err := s.Cheat.FindCheatRecords(ctx, filter)
	if err != nil {
		return nil, err
	}
	page := cheatRecordPage{Entities: make([]cheatRecordEntity, 0, len(records))}
	for _, rec := range records {
		page.Entities = append(page.Entities, cheatRecordEntity{
			ID:            rec.ID,
			ExamID:        rec.ExamID,
			RoomID:        rec.RoomID,
			UserID:        rec.UserID,
			DetectType:    rec.DetectType,
			IsMainMonitor: strconv.FormatBool(rec.IsMainMonitor),
			DetectTime:    s.rfc3339(time.UnixMilli(rec.DetectTime)),
			ExtraInfo:     rec.ExtraInfo,
			CreatedAt:     s.rfc3339(rec.CreatedAt),
			UpdatedAt:     s.rfc3339(rec.UpdatedAt),
		})
	}
	if more && len(records) > 0 {
		page.ScrollToken = strconv.FormatInt(records[len(records)-1].ID, 10)
	}
	return page, nil
}
