package examhall_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

func TestFormats(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{examhall.FormatScore(75), "75.0"},
		{examhall.FormatScore(39.8), "39.8"},
		{examhall.FormatScore(33.333), "33.33"},
		{examhall.FormatNumber(60), "60"},
		{examhall.FormatNumber(7.5), "7.5"},
		{examhall.FormatUsedTime(30*60 + 4), "30分4秒"},
		{examhall.FormatUsedTime(90*60 + 59), "90分59秒"},
		{examhall.FormatUsedTime(-3), "0分0秒"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// The first grade item of the open API's seed document, rebuilt.
func TestGradeRowSeedExample(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	e := &examhall.Exam{PaperScore: 100, PassScore: 80}
	a := &examhall.Attempt{
		ID: "dc3d4020622b46a0bf82d8fa1e38bc00", UserAccount: "c089d6", UserName: "陈翰林",
		DeptName: "销售部", DeptPath: "考试云/销售中心/销售部",
		BeginTime: time.Date(2022, 4, 25, 13, 3, 3, 0, loc), EndTime: time.Date(2022, 4, 25, 13, 33, 7, 0, loc),
		UsedSeconds: 30*60 + 4, Score: 75, Passed: false, Integral: 7.5, Rank: 82,
	}
	want := []string{"c089d6", "陈翰林", "销售部", "考试云/销售中心/销售部", "dc3d4020622b46a0bf82d8fa1e38bc00",
		"2022-04-25 13:03:03", "2022-04-25 13:33:07", "30分4秒", "100.0", "80.0", "75.0", "82", "N", "7.5", "已发布"}
	if diff := cmp.Diff(want, examhall.GradeRow(e, a, loc)); diff != "" {
		t.Errorf("GradeRow (-want +got):\n%s", diff)
	}
	if len(examhall.GradeColumns) != len(want) {
		t.Errorf("%d columns for %d values", len(examhall.GradeColumns), len(want))
	}
}
