package v5

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"examhall"
	"examhall/httpapi"
)

// Page-size defaults of the vendor's contract.
const (
	defaultExamPageSize     = 1000 // getExamList
	defaultUserExamPageSize = 10   // getUserExam
	defaultGradePageSize    = 1000 // getExamGrade
)

// tokenAnswer is token.ashx's answer.
type tokenAnswer struct {
	Token     string `json:"token"`
	ExpiresIn int64  `json:"expires_in"` // seconds
}

// listAnswer is the answer of getExamList and getUserExam.
type listAnswer[T any] struct {
	TotalCount       int `json:"totalCount"`
	CurrentPageIndex int `json:"currentPageIndex"`
	Items            []T `json:"items"` // never nil: [] on the wire
}

// examItem is one exam of getExamList, fields in the seed's order.
type examItem struct {
	ExamID     string `json:"examID"`
	ExamName   string `json:"examName"`
	BeginTime  string `json:"beginTime"`
	EndTime    string `json:"endTime"`
	ExamTime   string `json:"examTime"`
	PassScore  string `json:"passScore"`
	PaperScore string `json:"paperScore"`
	AttendNum  string `json:"attendNum"`
	PassNum    string `json:"passNum"`
	MaxScore   string `json:"maxScore"`
	AvgScore   string `json:"avgScore"`
	MinScore   string `json:"minScore"`
	CreatTime  string `json:"creatTime"` // sic: the seed's spelling
	ExamURL    string `json:"examUrl"`
}

// userExamItem is one exam of getUserExam, fields in the seed's order.
type userExamItem struct {
	ExamID     string `json:"examID"`
	ExamName   string `json:"examName"`
	BeginTime  string `json:"beginTime"`
	EndTime    string `json:"endTime"`
	ExamURL    string `json:"examUrl"`
	ExamTime   string `json:"examTime"`
	AllowTimes string `json:"allowTimes"`
	PassScore  string `json:"passScore"`
	PaperScore string `json:"paperScore"`
}

// gradeAnswer is getExamGrade's answer, keys in the seed's order. Its items
// are the values of examhall.GradeColumns, so it is encoded by hand (see
// appendJSON) rather than through a map, which would sort the keys.
type gradeAnswer struct {
	ExamID           string
	ExamName         string
	TotalCount       int
	PageSize         int
	CurrentPageIndex int
	Items            [][]string // each the values of examhall.GradeColumns
}

// token exchanges appid and secret for an access token.
func (s *Server) token(ctx context.Context, p params) (any, error) {
	appID, secret := p.get("appid"), p.get("secret")
	if appID == "" || secret == "" {
		return nil, errorf(CodeBadCredentials, "appid and secret are required")
	}
	token, ttl, err := s.Apps.AppToken(ctx, appID, secret)
	if examhall.ErrorCode(err) == examhall.EUNAUTHORIZED {
		return nil, errorf(CodeBadCredentials, "appid or secret is invalid")
	} else if err != nil {
		return nil, badParameter(err)
	}
	return tokenAnswer{Token: token, ExpiresIn: int64(ttl.Seconds())}, nil
}

// examList answers getExamList: published and archived exams with their
// statistics.
func (s *Server) examList(ctx context.Context, p params) (any, error) {
	index, size, offset, err := p.page(defaultExamPageSize)
	if err != nil {
		return nil, err
	}
	exams, total, err := s.findListedExams(ctx, offset, size)
	if err != nil {
		return nil, badParameter(err)
	}
	items := make([]examItem, 0, len(exams))
	if len(exams) > 0 {
		ids := make([]string, len(exams))
		for i, e := range exams {
			ids[i] = e.ID
		}
		stats, err := s.Exams.FindExamStats(ctx, ids)
		if err != nil {
			return nil, err
		}
		loc := s.location()
		for _, e := range exams {
			st := stats[e.ID] // zero for exams without published attempts
			items = append(items, examItem{
				ExamID:     e.ID,
				ExamName:   e.Name,
				BeginTime:  e.BeginTime.In(loc).Format(examhall.MinuteLayout),
				EndTime:    e.EndTime.In(loc).Format(examhall.MinuteLayout),
				ExamTime:   strconv.Itoa(e.AnswerMinutes),
				PassScore:  examhall.FormatNumber(e.PassScore),
				PaperScore: examhall.FormatNumber(e.PaperScore),
				AttendNum:  strconv.Itoa(st.AttendNum),
				PassNum:    strconv.Itoa(st.PassNum),
				MaxScore:   examhall.FormatScore(st.MaxScore),
				AvgScore:   examhall.FormatScore(st.AvgScore),
				MinScore:   examhall.FormatScore(st.MinScore),
				CreatTime:  e.CreatedAt.In(loc).Format(examhall.SecondLayout),
				ExamURL:    s.examURL(e.ID),
			})
		}
	}
	return listAnswer[examItem]{TotalCount: total, CurrentPageIndex: index, Items: items}, nil
}

// findListedExams returns one page of the exams getExamList shows, and their
// total: the published exams, newest first, followed by the archived ones,
// newest first. Listing the two groups one after the other (instead of
// merging them by age) lets each page be read with two bounded queries: the
// published page, then what the page still lacks from the archived exams
// (read with limit 1 just for the count when the page is already full, since
// a zero limit means none). Drafts are never listed.
func (s *Server) findListedExams(ctx context.Context, offset, limit int) ([]*examhall.Exam, int, error) {
	published, archived := examhall.ExamPublished, examhall.ExamArchived
	exams, nPublished, err := s.Exams.FindExams(ctx, examhall.ExamFilter{Status: &published, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	rest := limit - len(exams)
	f := examhall.ExamFilter{Status: &archived, Offset: max(0, offset-nPublished), Limit: max(rest, 1)}
	more, nArchived, err := s.Exams.FindExams(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if rest > 0 {
		exams = append(exams, more[:min(rest, len(more))]...)
	}
	return exams, nPublished + nArchived, nil
}

// userExams answers getUserExam: the exams a candidate may still take.
func (s *Server) userExams(ctx context.Context, p params) (any, error) {
	account := p.get("account")
	if account == "" {
		return nil, errorf(CodeAccountEmpty, "account参数不允许为空")
	}
	index, size, offset, err := p.page(defaultUserExamPageSize)
	if err != nil {
		return nil, err
	}
	unknown := errorf(CodeAccountUnknown, "account:[%s]在考试云中不存在", truncate(account, examhall.MaxAccountLen))
	if len(account) > examhall.MaxAccountLen {
		return nil, unknown // no such account can exist
	}
	u, err := s.Users.FindUserByAccount(ctx, account)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return nil, unknown
	} else if err != nil {
		return nil, badParameter(err)
	}
	ues, total, err := s.Exams.FindUserExams(ctx, u.ID, s.now(), offset, size)
	if err != nil {
		return nil, badParameter(err)
	}
	loc := s.location()
	items := make([]userExamItem, 0, len(ues))
	for _, ue := range ues {
		e := ue.Exam
		items = append(items, userExamItem{
			ExamID:     e.ID,
			ExamName:   e.Name,
			BeginTime:  e.BeginTime.In(loc).Format(examhall.MinuteLayout),
			EndTime:    e.EndTime.In(loc).Format(examhall.MinuteLayout),
			ExamURL:    s.examURL(e.ID),
			ExamTime:   strconv.Itoa(e.AnswerMinutes),
			AllowTimes: strconv.Itoa(ue.AllowTimes),
			PassScore:  examhall.FormatNumber(e.PassScore),
			PaperScore: examhall.FormatNumber(e.PaperScore),
		})
	}
	return listAnswer[userExamItem]{TotalCount: total, CurrentPageIndex: index, Items: items}, nil
}

// examGrades answers getExamGrade: an exam's published grades, best first.
func (s *Server) examGrades(ctx context.Context, p params) (any, error) {
	examID := p.get("examid")
	if examID == "" {
		return nil, errorf(CodeExamIDMissing, "examID参数不允许为空")
	}
	index, size, offset, err := p.page(defaultGradePageSize)
	if err != nil {
		return nil, err
	}
	unknown := errorf(CodeExamUnknown, "examID不存在,获取失败")
	if len(examID) > examhall.MaxIDLen {
		return nil, unknown // no such exam can exist
	}
	e, err := s.Exams.FindExamByID(ctx, examID)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return nil, unknown
	} else if err != nil {
		return nil, badParameter(err)
	}
	if e.Status == examhall.ExamDraft {
		return nil, unknown // drafts are not visible to the open API
	}
	grades, total, err := s.Attempts.FindGrades(ctx, e.ID, offset, size)
	if err != nil {
		return nil, badParameter(err)
	}
	loc := s.location()
	items := make([][]string, len(grades))
	for i, a := range grades {
		items[i] = examhall.GradeRow(e, a, loc)
	}
	return gradeAnswer{
		ExamID:           e.ID,
		ExamName:         e.Name,
		TotalCount:       total,
		PageSize:         size,
		CurrentPageIndex: index,
		Items:            items,
	}, nil
}

// examURL is the entry URL of an exam.
func (s *Server) examURL(id string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/v5/exam/" + url.PathEscape(id)
}

// gradeKeys are examhall.GradeColumns as JSON object keys with their colon.
var gradeKeys = func() []string {
	keys := make([]string, len(examhall.GradeColumns))
	for i, c := range examhall.GradeColumns {
		keys[i] = string(httpapi.AppendJSONString(nil, c)) + ":"
	}
	return keys
}()

// appendJSON implements jsonAppender. Encoding by hand keeps the columns'
// order and spares encoding/json's reflection and re-validation of
// Marshaler output, which dominated the cost of large grade pages.
func (g gradeAnswer) appendJSON(b []byte) []byte {
	b = slices.Grow(b, 256+512*len(g.Items)) // a row is about 450 bytes
	b = append(b, `{"examID":`...)
	b = httpapi.AppendJSONString(b, g.ExamID)
	b = append(b, `,"examName":`...)
	b = httpapi.AppendJSONString(b, g.ExamName)
	b = append(b, `,"totalCount":`...)
	b = strconv.AppendInt(b, int64(g.TotalCount), 10)
	b = append(b, `,"pageSize":`...)
	b = strconv.AppendInt(b, int64(g.PageSize), 10)
	b = append(b, `,"currentPageIndex":`...)
	b = strconv.AppendInt(b, int64(g.CurrentPageIndex), 10)
	b = append(b, `,"items":[`...)
	for i, row := range g.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for j, k := range gradeKeys {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, k...)
			v := ""
			if j < len(row) {
				v = row[j]
			}
			b = httpapi.AppendJSONString(b, v)
		}
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}
