package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// OpenAPIError is an error answer of the open API (/api/v5):
// {"errcode": Code, "errmsg": Message}. Codes are strings such as "40006"
// (token expired) or "40803" (unknown exam); "50000" is a server failure.
type OpenAPIError struct {
	Code    string `json:"errcode"`
	Message string `json:"errmsg"`
}

// Error implements the error interface.
func (e *OpenAPIError) Error() string {
	return fmt.Sprintf("open API error %s: %s", e.Code, e.Message)
}

// AccessToken is the answer of Token: an open-API access token and its
// lifetime in seconds.
type AccessToken struct {
	Token     string `json:"token"`
	ExpiresIn int64  `json:"expires_in"`
}

// ExamListItem is one exam of ExamList. Every field is a string, as on the
// wire: times as "2006-01-02 15:04", scores and counts as decimals.
type ExamListItem struct {
	ExamID     string `json:"examID"`
	ExamName   string `json:"examName"`
	BeginTime  string `json:"beginTime"`
	EndTime    string `json:"endTime"`
	ExamTime   string `json:"examTime"` // answer minutes
	PassScore  string `json:"passScore"`
	PaperScore string `json:"paperScore"`
	AttendNum  string `json:"attendNum"` // published attempts
	PassNum    string `json:"passNum"`
	MaxScore   string `json:"maxScore"`
	AvgScore   string `json:"avgScore"`
	MinScore   string `json:"minScore"`
	CreatTime  string `json:"creatTime"` // sic: the vendor's spelling
	ExamURL    string `json:"examUrl"`
}

// ExamListPage is one page of ExamList.
type ExamListPage struct {
	TotalCount       int            `json:"totalCount"`
	CurrentPageIndex int            `json:"currentPageIndex"`
	Items            []ExamListItem `json:"items"`
}

// UserExamItem is one exam of UserExams; every field is a string, as on the
// wire.
type UserExamItem struct {
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

// UserExamPage is one page of UserExams.
type UserExamPage struct {
	TotalCount       int            `json:"totalCount"`
	CurrentPageIndex int            `json:"currentPageIndex"`
	Items            []UserExamItem `json:"items"`
}

// GradeItem is one published attempt of ExamGrades, in rank order; every
// field is a string, as on the wire (examhall.GradeColumns).
type GradeItem struct {
	Account      string `json:"account"`
	UserName     string `json:"userName"`
	DeptName     string `json:"deptName"`
	FullDeptName string `json:"fullDeptName"`
	GradeID      string `json:"gradeID"` // the attempt's ID
	BeginTime    string `json:"beginTime"`
	EndTime      string `json:"endTime"`
	UsedTime     string `json:"usedTime"`
	PaperScore   string `json:"paperScore"`
	PassScore    string `json:"passScore"`
	GradeScore   string `json:"gradeScore"`
	Order        string `json:"order"`  // the rank, from "1"
	IsPass       string `json:"isPass"` // "Y" or "N"
	Integral     string `json:"integral"`
	Status       string `json:"status"`
}

// GradePage is one page of ExamGrades.
type GradePage struct {
	ExamID           string      `json:"examID"`
	ExamName         string      `json:"examName"`
	TotalCount       int         `json:"totalCount"`
	PageSize         int         `json:"pageSize"`
	CurrentPageIndex int         `json:"currentPageIndex"`
	Items            []GradeItem `json:"items"`
}

// Token exchanges an app's credentials (from CreateApp) for an open-API
// access token. Wrong credentials are *OpenAPIError with Code "40003".
func (c *Client) Token(ctx context.Context, appID, secret string) (*AccessToken, error) {
	var t AccessToken
	q := url.Values{"appid": {appID}, "secret": {secret}}
	if err := c.open(ctx, "/api/v5/token.ashx", q, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ExamList returns one page of the published and archived exams with their
// statistics (action getExamList). pageIndex counts from 1; zero values take
// the server's defaults (page 1 of 1000).
func (c *Client) ExamList(ctx context.Context, token string, pageIndex, pageSize int) (*ExamListPage, error) {
	q := url.Values{"token": {token}, "action": {"getExamList"}}
	setPage(q, pageIndex, pageSize)
	var p ExamListPage
	if err := c.open(ctx, "/api/v5/examaction.ashx", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// UserExams returns one page of the exams the candidate with account may
// still take (action getUserExam); zero paging values take the server's
// defaults (page 1 of 10). An unknown account is Code "40502".
func (c *Client) UserExams(ctx context.Context, token, account string, pageIndex, pageSize int) (*UserExamPage, error) {
	q := url.Values{"token": {token}, "action": {"getUserExam"}, "account": {account}}
	setPage(q, pageIndex, pageSize)
	var p UserExamPage
	if err := c.open(ctx, "/api/v5/examaction.ashx", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ExamGrades returns one page of an exam's published grades, best first
// (action getExamGrade); zero paging values take the server's defaults
// (page 1 of 1000). An unknown or draft exam is Code "40803".
func (c *Client) ExamGrades(ctx context.Context, token, examID string, pageIndex, pageSize int) (*GradePage, error) {
	q := url.Values{"token": {token}, "action": {"getExamGrade"}, "examID": {examID}}
	setPage(q, pageIndex, pageSize)
	var p GradePage
	if err := c.open(ctx, "/api/v5/gradeaction.ashx", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func setPage(q url.Values, index, size int) {
	if index > 0 {
		q.Set("pageIndex", strconv.Itoa(index))
	}
	if size > 0 {
		q.Set("pageSize", strconv.Itoa(size))
	}
}

// open sends a GET to the open API and decodes its answer into out. The
// open API reports failures in the body, mostly with HTTP 200, so an
// errcode is looked for whatever the status.
func (c *Client) open(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL holds the token or secret: report the path only.
		return fmt.Errorf("client: GET %s: %w", path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("client: reading the answer of GET %s: %w", path, err)
	}
	var e OpenAPIError
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return &e
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("client: GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: decoding the answer of GET %s: %w", path, err)
	}
	return nil
}

// unwrapURLError drops the *url.Error around a transport error, whose text
// repeats the URL and with it the credentials in the query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
