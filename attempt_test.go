package examhall_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

func TestGradeAndFinish(t *testing.T) {
	e := &examhall.Exam{PassScore: 6, IntegralRate: 0.1}
	qs := []*examhall.Question{
		{ID: "q1", Type: examhall.QuestionSingle, Score: 5, Options: []string{"a", "b"}, Correct: []int{0}},
		{ID: "q2", Type: examhall.QuestionMultiple, Score: 4, Options: []string{"a", "b", "c"}, Correct: []int{0, 1}},
		{ID: "q3", Type: examhall.QuestionShort, Score: 10},
	}
	answers := map[string]examhall.Answer{"q1": {Choices: []int{0}}, "q2": {Choices: []int{1}}}
	marks, total, needs := examhall.Grade(e, qs, answers)
	if diff := cmp.Diff(map[string]float64{"q1": 5, "q2": 0}, marks); diff != "" || total != 5 || !needs {
		t.Fatalf("Grade: total %v needs %v marks (-want +got):\n%s", total, needs, diff)
	}
	e.PartialCredit = true
	marks, total, _ = examhall.Grade(e, qs, answers)
	if marks["q2"] != 2 || total != 7 {
		t.Errorf("partial credit: q2 %v total %v, want 2 and 7", marks["q2"], total)
	}
	a := &examhall.Attempt{Marks: marks}
	a.Marks["q3"] = 7.5
	a.Finish(e)
	if a.Score != 14.5 || !a.Passed || a.Integral != 1.45 {
		t.Errorf("Finish: score %v passed %v integral %v, want 14.5 true 1.45", a.Score, a.Passed, a.Integral)
	}
}

func TestRanks(t *testing.T) {
	mk := func(score float64, used int) *examhall.Attempt {
		return &examhall.Attempt{Score: score, UsedSeconds: used}
	}
	ranks := func(as []*examhall.Attempt) []int {
		var r []int
		for _, a := range as {
			r = append(r, a.Rank)
		}
		return r
	}
	// The whole list: equal (score, time) pairs share a rank, the next one
	// takes its position; a shorter time breaks a score tie.
	all := []*examhall.Attempt{mk(100, 60), mk(100, 60), mk(100, 90), mk(80, 10), mk(80, 10), mk(80, 10), mk(50, 5)}
	examhall.Ranks(all, 0, 1)
	if diff := cmp.Diff([]int{1, 1, 3, 4, 4, 4, 7}, ranks(all)); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	// A page starting inside a tie: its first rank comes from the store.
	page := []*examhall.Attempt{mk(80, 10), mk(80, 10), mk(50, 5)}
	examhall.Ranks(page, 4, 4)
	if diff := cmp.Diff([]int{4, 4, 7}, ranks(page)); diff != "" {
		t.Errorf("page ranks (-want +got):\n%s", diff)
	}
}

func TestRulesFor(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e := &examhall.Exam{BeginTime: t0, EndTime: t0.Add(3 * time.Hour), AnswerMinutes: 60, AllowTimes: 1}
	r := e.RulesFor(nil)
	if got := r.Deadline(t0.Add(time.Hour)); !got.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("deadline = %v, want begin + 60 min", got)
	}
	if got := r.Deadline(t0.Add(150 * time.Minute)); !got.Equal(e.EndTime) {
		t.Errorf("late deadline = %v, want the window's end", got)
	}
	late := t0.Add(5 * time.Hour)
	r = e.RulesFor(&examhall.Override{ExtraAttempts: 2, ExtraMinutes: 30, EndTime: &late})
	if r.AllowTimes != 3 || r.AnswerMinutes != 90 || !r.EndTime.Equal(late) || !r.BeginTime.Equal(t0) {
		t.Errorf("override rules = %+v", r)
	}
	untimed := &examhall.Exam{BeginTime: t0, EndTime: t0.Add(time.Hour)}
	if got := untimed.RulesFor(&examhall.Override{ExtraMinutes: 30}).Deadline(t0); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("untimed deadline = %v, want the window's end", got)
	}
}

func TestAttemptOrderIsStable(t *testing.T) {
	e := &examhall.Exam{ShuffleQuestions: true, ShuffleOptions: true}
	var qs []*examhall.Question
	for range 8 {
		qs = append(qs, &examhall.Question{Options: []string{"a", "b", "c", "d"}})
	}
	a := &examhall.Attempt{Seed: 42}
	q1, o1 := a.Order(e, qs)
	q2, o2 := a.Order(e, qs)
	if !cmp.Equal(q1, q2) || !cmp.Equal(o1, o2) {
		t.Fatal("the same seed gave two orders")
	}
	plain, _ := a.Order(&examhall.Exam{}, qs)
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5, 6, 7}, plain); diff != "" {
		t.Errorf("unshuffled order (-want +got):\n%s", diff)
	}
}
