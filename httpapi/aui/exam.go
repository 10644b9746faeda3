package aui

import (
	"net/http"
	"strings"
	"time"

	"examhall"
)

// examTimeLayout is examInfo's YYYY/MM/DD HH:mm:ss (the seed's and the
// clients' mock data's), in the server's zone without saying which: a
// browser in another zone reads it in its own. Server.ExamTimeRFC3339
// switches to RFC 3339 with the offset, as the vendor's servers send.
const examTimeLayout = "2006/01/02 15:04:05"

// examTime formats an examInfo time in the configured format.
func (s *Server) examTime(t time.Time) string {
	if s.ExamTimeRFC3339 {
		return s.rfc3339(t)
	}
	return t.In(s.loc()).Format(examTimeLayout)
}

// examInfoData is an exam as examInfo answers it.
type examInfoData struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	StartTime string          `json:"startTime"`
	EndTime   string          `json:"endTime"`
	CreatedAt string          `json:"createdAt"` // RFC 3339, as the vendor's servers send
	UpdatedAt string          `json:"updatedAt"`
	RadioInfo []broadcastData `json:"radioInfo"` // scheduled broadcasts
	AudioInfo []audioData     `json:"audioInfo"` // the manual playlist
}

type audioData struct {
	ID       string `json:"id"`
	Classify int    `json:"classify"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	OSSURL   string `json:"ossUrl"`
}

func newAudioData(a *examhall.Audio) audioData {
	return audioData{ID: a.ID, Classify: a.Classify, Name: a.Name, URL: a.URL, OSSURL: a.OSSURL}
}

type broadcastData struct {
	ID        string `json:"id"`
	Classify  int    `json:"classify"`
	Name      string `json:"name"`
	StartTime string `json:"startTime"`
	URL       string `json:"url"`
	OSSURL    string `json:"ossUrl"`
}

func (s *Server) examInfo(w http.ResponseWriter, r *http.Request) (any, error) {
	examID, err := queryID(r, "examId")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if err := s.Policy.Exam(ctx, examID, false); err != nil {
		return nil, err
	}
	e, err := s.Exams.FindExamByID(ctx, examID)
	if err != nil {
		return nil, err
	}
	broadcasts, err := s.Audio.FindBroadcasts(ctx, examID)
	if err != nil {
		return nil, err
	}
	playlist, err := s.Audio.FindPlaylist(ctx, examID)
	if err != nil {
		return nil, err
	}
	d := examInfoData{
		ID:        e.ID,
		Name:      e.Name,
		StartTime: s.examTime(e.BeginTime),
		EndTime:   s.examTime(e.EndTime),
		CreatedAt: s.rfc3339(e.CreatedAt),
		UpdatedAt: s.rfc3339(e.UpdatedAt),
		RadioInfo: make([]broadcastData, 0, len(broadcasts)),
		AudioInfo: make([]audioData, 0, len(playlist)),
	}
	for _, b := range broadcasts {
		d.RadioInfo = append(d.RadioInfo, broadcastData{
			ID: b.ID, Classify: b.Classify, Name: b.Name, URL: b.URL, OSSURL: b.OSSURL,
			StartTime: s.examTime(b.StartTime),
		})
	}
	for _, a := range playlist {
		d.AudioInfo = append(d.AudioInfo, newAudioData(a))
	}
	return d, nil
}

// Paging limits of selectAudio.
const (
	defaultAudioPageSize = 10
	maxAudioPageSize     = 100
	maxPageNum           = 1 << 30 // keeps the offset far from overflowing
)

// selectAudioRequest is the body of selectAudio. Classify filters only when
// the body has it: the seed's example sends 0, which is also a real class.
type selectAudioRequest struct {
	PageSize int    `json:"pageSize"`
	PageNum  int    `json:"pageNum"`
	Name     string `json:"name"`
	Classify *int   `json:"classify"`
}

func (q *selectAudioRequest) validate() error {
	switch {
	case q.PageSize < 0 || q.PageSize > maxAudioPageSize:
		return examhall.Errorf(examhall.EINVALID, "pageSize must be between 1 and %d", maxAudioPageSize)
	case q.PageNum < 0 || q.PageNum > maxPageNum:
		return examhall.Errorf(examhall.EINVALID, "pageNum must be between 1 and %d", maxPageNum)
	}
	if q.PageSize == 0 {
		q.PageSize = defaultAudioPageSize
	}
	if q.PageNum == 0 {
		q.PageNum = 1
	}
	return checkLen("name", q.Name, false, examhall.MaxNameLen)
}

type audioPage struct {
	PageNum  int         `json:"pageNum"`
	PageSize int         `json:"pageSize"`
	Total    int         `json:"total"`
	List     []audioData `json:"list"`
}

func (s *Server) selectAudio(w http.ResponseWriter, r *http.Request) (any, error) {
	var req selectAudioRequest
	if err := decode(w, r, &req); err != nil {
		return nil, err
	}
	if err := s.Policy.Staff(r.Context()); err != nil {
		return nil, err
	}
	clips, total, err := s.Audio.FindAudios(r.Context(), examhall.AudioFilter{
		Name:     req.Name,
		Classify: req.Classify,
		Offset:   (req.PageNum - 1) * req.PageSize,
		Limit:    req.PageSize,
	})
	if err != nil {
		return nil, err
	}
	page := audioPage{PageNum: req.PageNum, PageSize: req.PageSize, Total: total, List: make([]audioData, 0, len(clips))}
	for _, a := range clips {
		page.List = append(page.List, newAudioData(a))
	}
	return page, nil
}

// uploadData is examhall.UploadCredentials with the expiry in our format.
type uploadData struct {
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	STSToken        string `json:"stsToken"`
	Bucket          string `json:"bucket"`
	Expiration      string `json:"expiration"`
}

// ossConfig issues upload credentials for the caller's own recordings of
// the exam. mode is OSS (the default, as with the vendor) or VOD, as the
// client's CONFIG.localRecorder.mode says (MediaRecorder/index.ts sends it).
// In OSS mode the credentials cover the caller's stream prefix in each of
// their rooms of the exam (the join token's room only, for a join token).
func (s *Server) ossConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	examID, err := queryID(r, "examId")
	if err != nil {
		return nil, err
	}
	mode := strings.ToUpper(r.URL.Query().Get("mode"))
	switch mode {
	case "":
		mode = "OSS"
	case "OSS", "VOD":
	default:
		return nil, examhall.Errorf(examhall.EINVALID, "mode must be OSS or VOD")
	}
	ctx, c := r.Context(), callerOf(r)
	if err := s.Policy.Exam(ctx, examID, false); err != nil {
		return nil, err
	}
	req := examhall.UploadRequest{ExamID: examID, UserID: c.ID, Mode: mode}
	if mode == examhall.UploadOSS {
		if c.RoomID != "" {
			req.RoomIDs = []string{c.RoomID} // Policy.Exam checked it is of this exam
		} else {
			rooms, _, err := s.Rooms.FindRooms(ctx, examhall.RoomFilter{ExamID: examID, UserID: c.ID, Limit: 20})
			if err != nil {
				return nil, err
			}
			for _, room := range rooms {
				req.RoomIDs = append(req.RoomIDs, room.ID)
			}
		}
	}
	cred, err := s.Uploads.UploadCredentials(ctx, req)
	if err != nil {
		return nil, err
	}
	return uploadData{
		Region:          cred.Region,
		AccessKeyID:     cred.AccessKeyID,
		AccessKeySecret: cred.AccessKeySecret,
		STSToken:        cred.STSToken,
		Bucket:          cred.Bucket,
		Expiration:      s.rfc3339(cred.Expiration),
	}, nil
}
