package examhall

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Formats of the open API, shared by its surface and the grade exports.
const (
	MinuteLayout = "2006-01-02 15:04"    // exam windows
	SecondLayout = "2006-01-02 15:04:05" // attempt times, creation times
)

// FormatScore formats a score with at least one decimal, as the open API
// does: 75 → "75.0", 39.8 → "39.8", 33.33 → "33.33".
func FormatScore(f float64) string {
	s := strconv.FormatFloat(Round2(f), 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// FormatNumber formats a number as briefly as possible: 60 → "60", 7.5 → "7.5".
func FormatNumber(f float64) string {
	return strconv.FormatFloat(Round2(f), 'f', -1, 64)
}

// FormatUsedTime formats seconds as the open API's "30分4秒".
func FormatUsedTime(seconds int) string {
	if seconds < 0 {
		seconds = 0
	}
	return fmt.Sprintf("%d分%d秒", seconds/60, seconds%60)
}

// PublishedLabel is the open API's status of a published grade.
const PublishedLabel = "已发布"

// GradeColumns are the open API's grade fields in order; exports use them as
// their header row.
var GradeColumns = []string{
	"account", "userName", "deptName", "fullDeptName", "gradeID", "beginTime", "endTime",
	"usedTime", "paperScore", "passScore", "gradeScore", "order", "isPass", "integral", "status",
}

// GradeRow renders a ranked, published attempt of e as the values of
// GradeColumns, times in loc.
func GradeRow(e *Exam, a *Attempt, loc *time.Location) []string {
	pass := "N"
	if a.Passed {
		pass = "Y"
	}
	return []string{
		a.UserAccount,
		a.UserName,
		a.DeptName,
		a.DeptPath,
		a.ID,
		a.BeginTime.In(loc).Format(SecondLayout),
		a.EndTime.In(loc).Format(SecondLayout),
		FormatUsedTime(a.UsedSeconds),
		FormatScore(e.PaperScore),
		FormatScore(e.PassScore),
		FormatScore(a.Score),
		strconv.Itoa(a.Rank),
		pass,
		FormatNumber(a.Integral),
		PublishedLabel,
	}
}
