package examhall_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"examhall"
)

// Issue 14 B4: an answer time of 200,000,000 minutes overflowed
// time.Duration into a deadline in 1822, using up the only attempt.
func TestDeadlineNeverOverflows(t *testing.T) {
	begin := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	end := begin.Add(3 * time.Hour)
	for _, minutes := range []int{0, 60, 180, 181, 200_000_000, math.MaxInt32, math.MaxInt} {
		r := examhall.Rules{BeginTime: begin, EndTime: end, AnswerMinutes: minutes}
		got := r.Deadline(begin)
		want := end
		if minutes > 0 && minutes < 180 {
			want = begin.Add(time.Duration(minutes) * time.Minute)
		}
		if !got.Equal(want) {
			t.Errorf("AnswerMinutes %d: deadline %v, want %v", minutes, got, want)
		}
		if got.After(end) || got.Before(begin) {
			t.Errorf("AnswerMinutes %d: deadline %v outside the window", minutes, got)
		}
	}
}

func TestExamValidateBounds(t *testing.T) {
	valid := func() *examhall.Exam {
		return &examhall.Exam{Name: "E", BeginTime: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
			AllowTimes: 1, Audience: examhall.AudienceAll, Status: examhall.ExamDraft, Proctoring: examhall.DefaultProctoring()}
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid exam: %v", err)
	}
	for _, tt := range []struct {
		field string
		mod   func(e *examhall.Exam)
	}{
		{"answerMinutes", func(e *examhall.Exam) { e.AnswerMinutes = 200_000_000 }},
		{"answerMinutes", func(e *examhall.Exam) { e.AnswerMinutes = -1 }},
		{"allowTimes", func(e *examhall.Exam) { e.AllowTimes = math.MaxInt32 }},
		{"passScore", func(e *examhall.Exam) { e.PassScore = 1e300 }},
		{"passScore", func(e *examhall.Exam) { e.PassScore = math.NaN() }},
		{"paperScore", func(e *examhall.Exam) { e.PaperScore = -1 }},
		{"integralRate", func(e *examhall.Exam) { e.IntegralRate = math.Inf(1) }},
		{"beginTime", func(e *examhall.Exam) { e.BeginTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		e := valid()
		tt.mod(e)
		err := e.Validate()
		if examhall.ErrorCode(err) != examhall.EINVALID || !strings.Contains(examhall.ErrorMessage(err), tt.field) {
			t.Errorf("%s out of range: %v, want invalid naming it", tt.field, err)
		}
	}
}
