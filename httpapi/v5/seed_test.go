package v5_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// The JSON examples of seeds/kaoshiyun-exam-data-api.txt, verbatim.
const (
	seedExamList = `{
"totalCount": 60,
"currentPageIndex": 3,
"items": [
{
"examID": "d7310f",
"examName": "会计基础考试A卷",
"beginTime": "2022-03-18 17:12",
"endTime": "2022-07-13 17:12",
"examTime": "60",
"passScore": "60",
"paperScore": "100",
"attendNum": "650",
"passNum": "628",
"maxScore": "100.0",
"avgScore": "39.8",
"minScore": "0.0",
"creatTime": "2022-03-18 17:12:22",
"examUrl": "https://考试网址/v5/exam/d7310f"
},
{
"examID": "91c510",
"examName": "会计基础考试B卷",
"beginTime": "2022-03-17 15:05",
"endTime": "2022-07-20 15:05",
"examTime": "60",
"passScore": "80.00",
"paperScore": "100.00",
"attendNum": "300",
"passNum": "252",
"maxScore": "80.00",
"avgScore": "40.00",
"minScore": "0.00",
"creatTime": "2022-03-17 15:05:45",
"examUrl": "https://考试网址/v5/exam/91c510"
}
]
}`

	seedExamGrade = `{
"examID": "b1e8ef",
"examName": "会计基础考试A卷",
"totalCount": 590,
"pageSize": 1000,
"currentPageIndex": 1,
"items": [
{
"account": "c089d6",
"userName": "陈翰林",
"deptName": "销售部",
"fullDeptName": "考试云/销售中心/销售部",
"gradeID": "dc3d4020622b46a0bf82d8fa1e38bc00",
"beginTime": "2022-04-25 13:03:03",
"endTime": "2022-04-25 13:33:07",
"usedTime": "30分4秒",
"paperScore": "100.0",
"passScore": "80.0",
"gradeScore": "75.0",
"order": "82",
"isPass": "N",
"integral": "7.5",
"status": "已发布"
},
{
"account": "c089d6",
"userName": "李一鸣",
"deptName": "技术部",
"fullDeptName": "考试云/研发中心/开发部",
"gradeID": "28e4bea1f2904c15814d0b6cca39457d",
"beginTime": "2022-04-25 13:01:50",
"endTime": "2022-04-25 13:54:53",
"usedTime": "53分3秒",
"paperScore": "100.0",
"passScore": "60.0",
"gradeScore": "100.0",
"order": "1",
"isPass": "Y",
"integral": "10",
"status": "已发布"
}
]
}`

	seedUserExam = `{
"totalCount": 2,
"currentPageIndex": 1,
"items": [
{
"examID": "661502",
"examName": "会计基础考试A卷",
"beginTime": "2021-04-25 09:30",
"endTime": "2021-05-02 09:30",
"examUrl": "https://考试网址/v5/exam/661502",
"examTime": "60",
"allowTimes": "4",
"passScore": "80",
"paperScore": "100"
},
{
"examID": "d7310f",
"examName": "会计基础考试B卷",
"beginTime": "2021-03-18 17:12",
"endTime": "2021-07-13 17:12",
"examUrl": "https://考试网址/v5/exam/d7310f",
"examTime": "60",
"allowTimes": "100",
"passScore": "80",
"paperScore": "100"
}
]
}`
)

// seedItems returns the items of a decoded answer as objects.
func seedItems(tb testing.TB, m map[string]any) []map[string]any {
	tb.Helper()
	raw, ok := m["items"].([]any)
	if !ok {
		tb.Fatalf("items = %#v, want an array", m["items"])
	}
	items := make([]map[string]any, len(raw))
	for i, v := range raw {
		items[i] = v.(map[string]any)
	}
	return items
}

// checkRoundTrip compares got with the seed example want, both decoded, and
// checks that every item's keys come in the seed's order.
func checkRoundTrip(t *testing.T, got []byte, seed string, patch func(want map[string]any)) {
	t.Helper()
	want := MustDecode(t, []byte(seed))
	if patch != nil {
		patch(want)
	}
	if diff := cmp.Diff(want, MustDecode(t, got)); diff != "" {
		t.Errorf("answer differs from the seed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(MustKeys(t, []byte(seed)), MustKeys(t, got)); diff != "" {
		t.Errorf("top-level key order (-want +got):\n%s", diff)
	}
	wantItems, gotItems := MustItems(t, []byte(seed)), MustItems(t, got)
	for i := range min(len(wantItems), len(gotItems)) {
		if diff := cmp.Diff(MustKeys(t, wantItems[i]), MustKeys(t, gotItems[i])); diff != "" {
			t.Errorf("item %d key order (-want +got):\n%s", i, diff)
		}
	}
}

func TestSeedExamList(t *testing.T) {
	f := newFixture()
	examA := &examhall.Exam{
		ID: "d7310f", Name: "会计基础考试A卷",
		BeginTime: MustTime(t, "2022-03-18 17:12"), EndTime: MustTime(t, "2022-07-13 17:12"),
		AnswerMinutes: 60, PassScore: 60, PaperScore: 100, Status: examhall.ExamPublished,
		CreatedAt: MustTime(t, "2022-03-18 17:12:22"),
	}
	examB := &examhall.Exam{
		ID: "91c510", Name: "会计基础考试B卷",
		BeginTime: MustTime(t, "2022-03-17 15:05"), EndTime: MustTime(t, "2022-07-20 15:05"),
		AnswerMinutes: 60, PassScore: 80, PaperScore: 100, Status: examhall.ExamPublished,
		CreatedAt: MustTime(t, "2022-03-17 15:05:45"),
	}
	var filters []examhall.ExamFilter
	f.Exams.FindExamsFn = func(_ context.Context, flt examhall.ExamFilter) ([]*examhall.Exam, int, error) {
		filters = append(filters, flt)
		if *flt.Status == examhall.ExamPublished {
			return []*examhall.Exam{examA, examB}, 60, nil
		}
		return nil, 0, nil
	}
	var statsCalls [][]string
	f.Exams.FindExamStatsFn = func(_ context.Context, ids []string) (map[string]examhall.ExamStats, error) {
		statsCalls = append(statsCalls, ids)
		return map[string]examhall.ExamStats{
			"d7310f": {AttendNum: 650, PassNum: 628, MaxScore: 100, AvgScore: 39.8, MinScore: 0},
			"91c510": {AttendNum: 300, PassNum: 252, MaxScore: 80, AvgScore: 40, MinScore: 0},
		}, nil
	}

	// The seed shows page 3 of 60 with two items: pageSize 2.
	status, body := f.Do(t, request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getExamList&pageIndex=3&pageSize=2"})
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	// The seed's second exam uses two decimals ("80.00") where its first uses
	// FormatNumber/FormatScore ("60", "100.0"); we follow the first example
	// for every exam, so the second one's scores deviate.
	checkRoundTrip(t, body, seedExamList, func(want map[string]any) {
		b := seedItems(t, want)[1]
		b["passScore"], b["paperScore"] = "80", "100"
		b["maxScore"], b["avgScore"], b["minScore"] = "80.0", "40.0", "0.0"
	})

	published, archived := examhall.ExamPublished, examhall.ExamArchived
	wantFilters := []examhall.ExamFilter{
		{Status: &published, Offset: 4, Limit: 2},
		{Status: &archived, Offset: 0, Limit: 1}, // page full: archived read for their count only
	}
	if diff := cmp.Diff(wantFilters, filters); diff != "" {
		t.Errorf("FindExams filters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"d7310f", "91c510"}}, statsCalls); diff != "" {
		t.Errorf("FindExamStats calls (-want +got):\n%s", diff)
	}
}

func TestSeedExamGrade(t *testing.T) {
	f := newFixture()
	exam := &examhall.Exam{ID: "b1e8ef", Name: "会计基础考试A卷", PassScore: 80, PaperScore: 100, Status: examhall.ExamPublished}
	grades := []*examhall.Attempt{{
		ID: "dc3d4020622b46a0bf82d8fa1e38bc00", ExamID: "b1e8ef", Status: examhall.AttemptPublished,
		BeginTime: MustTime(t, "2022-04-25 13:03:03"), EndTime: MustTime(t, "2022-04-25 13:33:07"),
		UsedSeconds: 30*60 + 4, Score: 75, Passed: false, Integral: 7.5,
		UserAccount: "c089d6", UserName: "陈翰林", DeptName: "销售部", DeptPath: "考试云/销售中心/销售部", Rank: 82,
	}, {
		ID: "28e4bea1f2904c15814d0b6cca39457d", ExamID: "b1e8ef", Status: examhall.AttemptPublished,
		BeginTime: MustTime(t, "2022-04-25 13:01:50"), EndTime: MustTime(t, "2022-04-25 13:54:53"),
		UsedSeconds: 53*60 + 3, Score: 100, Passed: true, Integral: 10,
		UserAccount: "c089d6", UserName: "李一鸣", DeptName: "技术部", DeptPath: "考试云/研发中心/开发部", Rank: 1,
	}}
	f.Exams.FindExamByIDFn = func(_ context.Context, id string) (*examhall.Exam, error) {
		if id != "b1e8ef" {
			t.Errorf("FindExamByID(%q), want b1e8ef", id)
		}
		return exam, nil
	}
	f.Attempts.FindGradesFn = func(_ context.Context, examID string, offset, limit int) ([]*examhall.Attempt, int, error) {
		if examID != "b1e8ef" || offset != 0 || limit != 1000 {
			t.Errorf("FindGrades(%q, %d, %d), want (b1e8ef, 0, 1000)", examID, offset, limit)
		}
		return grades, 590, nil
	}

	status, body := f.Do(t, request{Path: "/api/v5/gradeaction.ashx", Query: "token=tok&action=getExamGrade&examid=b1e8ef"})
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	// The seed's two rows show different pass scores (80.0 and 60.0) within
	// one exam, which cannot be: the exam's pass score (80, the first row's)
	// applies to every row.
	checkRoundTrip(t, body, seedExamGrade, func(want map[string]any) {
		seedItems(t, want)[1]["passScore"] = "80.0"
	})
}

func TestSeedUserExam(t *testing.T) {
	f := newFixture()
	f.Users.FindUserByAccountFn = func(_ context.Context, account string) (*examhall.User, error) {
		if account != "c089d6" {
			t.Errorf("FindUserByAccount(%q), want c089d6", account)
		}
		return &examhall.User{ID: "u1", Account: account}, nil
	}
	ues := []*examhall.UserExam{{
		Exam: &examhall.Exam{
			ID: "661502", Name: "会计基础考试A卷",
			BeginTime: MustTime(t, "2021-04-25 09:30"), EndTime: MustTime(t, "2021-05-02 09:30"),
			AnswerMinutes: 60, PassScore: 80, PaperScore: 100, AllowTimes: 3, Status: examhall.ExamPublished,
		},
		AllowTimes: 4, // an override's extra attempt: the candidate's allowance, not the exam's, is shown
		Used:       1,
	}, {
		Exam: &examhall.Exam{
			ID: "d7310f", Name: "会计基础考试B卷",
			BeginTime: MustTime(t, "2021-03-18 17:12"), EndTime: MustTime(t, "2021-07-13 17:12"),
			AnswerMinutes: 60, PassScore: 80, PaperScore: 100, AllowTimes: 100, Status: examhall.ExamPublished,
		},
		AllowTimes: 100,
	}}
	f.Exams.FindUserExamsFn = func(_ context.Context, userID string, now time.Time, offset, limit int) ([]*examhall.UserExam, int, error) {
		if userID != "u1" || !now.Equal(testNow) || offset != 0 || limit != 10 {
			t.Errorf("FindUserExams(%q, %v, %d, %d), want (u1, %v, 0, 10)", userID, now, offset, limit, testNow)
		}
		return ues, 2, nil
	}

	status, body := f.Do(t, request{Path: "/api/v5/examaction.ashx", Query: "token=tok&action=getUserExam&account=c089d6"})
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	checkRoundTrip(t, body, seedUserExam, nil)
}
