package examhall_test

import (
	"testing"

	"examhall"
)

func TestQuestionGrade(t *testing.T) {
	yes, no := true, false
	single := &examhall.Question{Type: examhall.QuestionSingle, Score: 5, Options: []string{"a", "b", "c"}, Correct: []int{1}}
	multi := &examhall.Question{Type: examhall.QuestionMultiple, Score: 9, Options: []string{"a", "b", "c", "d"}, Correct: []int{0, 2, 3}}
	tf := &examhall.Question{Type: examhall.QuestionTrueFalse, Score: 2, IsTrue: true}
	fill := &examhall.Question{Type: examhall.QuestionFill, Score: 4, Blanks: [][]string{{"Debit", "借"}, {"credit"}}}
	loose := &examhall.Question{Type: examhall.QuestionFill, Score: 4, Blanks: [][]string{{"Double Entry"}}, Loose: true}
	short := &examhall.Question{Type: examhall.QuestionShort, Score: 10}
	tests := []struct {
		name    string
		q       *examhall.Question
		a       *examhall.Answer
		partial bool
		want    float64
	}{
		{"unanswered", single, nil, false, 0},
		{"single right", single, &examhall.Answer{Choices: []int{1}}, false, 5},
		{"single wrong", single, &examhall.Answer{Choices: []int{0}}, false, 0},
		{"single two choices", single, &examhall.Answer{Choices: []int{1, 0}}, false, 0},
		{"multiple all", multi, &examhall.Answer{Choices: []int{3, 0, 2}}, false, 9},
		{"multiple subset, all-or-nothing", multi, &examhall.Answer{Choices: []int{0, 2}}, false, 0},
		{"multiple subset, partial", multi, &examhall.Answer{Choices: []int{0, 2}}, true, 6},
		{"multiple one, partial", multi, &examhall.Answer{Choices: []int{3}}, true, 3},
		{"multiple with a wrong one, partial", multi, &examhall.Answer{Choices: []int{0, 1}}, true, 0},
		{"multiple none, partial", multi, &examhall.Answer{}, true, 0},
		{"multiple repeated choice", multi, &examhall.Answer{Choices: []int{0, 0, 2, 3}}, false, 9},
		{"true/false right", tf, &examhall.Answer{Bool: &yes}, false, 2},
		{"true/false wrong", tf, &examhall.Answer{Bool: &no}, false, 0},
		{"true/false unanswered", tf, &examhall.Answer{}, false, 0},
		{"fill exact", fill, &examhall.Answer{Blanks: []string{"借", "credit"}}, false, 4},
		{"fill trims spaces", fill, &examhall.Answer{Blanks: []string{" Debit ", "credit"}}, false, 4},
		{"fill is case-sensitive by default", fill, &examhall.Answer{Blanks: []string{"debit", "credit"}}, false, 0},
		{"fill one blank wrong", fill, &examhall.Answer{Blanks: []string{"Debit", "cash"}}, false, 0},
		{"fill blank count", fill, &examhall.Answer{Blanks: []string{"Debit"}}, false, 0},
		{"fill loose ignores case and spaces", loose, &examhall.Answer{Blanks: []string{"doubleentry"}}, false, 4},
		{"short is marked by hand", short, &examhall.Answer{Text: "an essay"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Grade(tt.a, tt.partial); got != tt.want {
				t.Errorf("Grade() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuestionValidate(t *testing.T) {
	tests := []struct {
		name string
		q    examhall.Question
		ok   bool
	}{
		{"single", examhall.Question{Type: "single", Stem: "s", Score: 1, Options: []string{"a", "b"}, Correct: []int{0}}, true},
		{"single two correct", examhall.Question{Type: "single", Stem: "s", Score: 1, Options: []string{"a", "b"}, Correct: []int{0, 1}}, false},
		{"correct out of range", examhall.Question{Type: "multiple", Stem: "s", Score: 1, Options: []string{"a", "b"}, Correct: []int{2}}, false},
		{"correct repeated", examhall.Question{Type: "multiple", Stem: "s", Score: 1, Options: []string{"a", "b"}, Correct: []int{1, 1}}, false},
		{"one option", examhall.Question{Type: "single", Stem: "s", Score: 1, Options: []string{"a"}, Correct: []int{0}}, false},
		{"no stem", examhall.Question{Type: "truefalse", Score: 1}, false},
		{"zero score", examhall.Question{Type: "truefalse", Stem: "s"}, false},
		{"fill without blanks", examhall.Question{Type: "fill", Stem: "s", Score: 1}, false},
		{"fill blank without answer", examhall.Question{Type: "fill", Stem: "s", Score: 1, Blanks: [][]string{{}}}, false},
		{"short", examhall.Question{Type: "short", Stem: "s", Score: 1}, true},
		{"unknown type", examhall.Question{Type: "essay", Stem: "s", Score: 1}, false},
	}
	for _, tt := range tests {
		err := tt.q.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && examhall.ErrorCode(err) != examhall.EINVALID {
			t.Errorf("%s: code %q, want invalid", tt.name, examhall.ErrorCode(err))
		}
	}
}
