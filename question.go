package examhall

import (
	"math"
	"strings"
	"unicode"
)

// QuestionType is the kind of a question.
type QuestionType string

// Question types.
const (
	QuestionSingle    QuestionType = "single"    // one correct option
	QuestionMultiple  QuestionType = "multiple"  // one or more correct options
	QuestionTrueFalse QuestionType = "truefalse" // a statement, true or false
	QuestionFill      QuestionType = "fill"      // one or more blanks
	QuestionShort     QuestionType = "short"     // free text, marked by hand
)

// Question is one question of a paper, answers included. Candidates see it
// only through PaperQuestion, which has none.
type Question struct {
	ID      string       `json:"id"`
	Type    QuestionType `json:"type"`
	Stem    string       `json:"stem"`
	Score   float64      `json:"score"`
	Options []string     `json:"options,omitempty"` // single, multiple
	Correct []int        `json:"correct,omitempty"` // single, multiple: indexes into Options
	IsTrue  bool         `json:"isTrue,omitempty"`  // truefalse: the right answer
	Blanks  [][]string   `json:"blanks,omitempty"`  // fill: accepted answers per blank
	Loose   bool         `json:"loose,omitempty"`   // fill: match ignoring case and spaces
	// Reference is a model answer for markers of short-answer questions.
	Reference string `json:"reference,omitempty"`
}

// Answer is a candidate's answer to one question. Which fields count depends
// on the question's type.
type Answer struct {
	QuestionID string   `json:"questionId"`
	Choices    []int    `json:"choices,omitempty"` // single, multiple: original option indexes
	Bool       *bool    `json:"bool,omitempty"`    // truefalse
	Blanks     []string `json:"blanks,omitempty"`  // fill, in blank order
	Text       string   `json:"text,omitempty"`    // short
	// At is when the candidate made this answer (ms since the epoch, by
	// the server's clock as the page estimates it); 0 when unknown. A save
	// never replaces an answer with one made earlier, so a device that
	// comes back online with old changes cannot undo newer ones.
	At int64 `json:"at,omitempty"`
}

// Validate checks a question as an author wrote it.
func (q *Question) Validate() error {
	if strings.TrimSpace(q.Stem) == "" {
		return Errorf(EINVALID, "question stem is required")
	}
	if len(q.Stem) > MaxTextLen {
		return Errorf(EINVALID, "question stem is longer than %d bytes", MaxTextLen)
	}
	if q.Score <= 0 || math.IsNaN(q.Score) || q.Score > MaxScore {
		return Errorf(EINVALID, "question score must be positive and at most %d", MaxScore)
	}
	switch q.Type {
	case QuestionSingle, QuestionMultiple:
		if len(q.Options) < 2 {
			return Errorf(EINVALID, "a choice question needs at least 2 options")
		}
		if q.Type == QuestionSingle && len(q.Correct) != 1 {
			return Errorf(EINVALID, "a single-choice question needs exactly 1 correct option")
		}
		if q.Type == QuestionMultiple && len(q.Correct) < 1 {
			return Errorf(EINVALID, "a multiple-choice question needs at least 1 correct option")
		}
		seen := map[int]bool{}
		for _, c := range q.Correct {
			if c < 0 || c >= len(q.Options) || seen[c] {
				return Errorf(EINVALID, "correct option %d is out of range or repeated", c)
			}
			seen[c] = true
		}
	case QuestionTrueFalse, QuestionShort:
	case QuestionFill:
		if len(q.Blanks) == 0 {
			return Errorf(EINVALID, "a fill-in question needs at least 1 blank")
		}
		for i, b := range q.Blanks {
			if len(b) == 0 {
				return Errorf(EINVALID, "blank %d has no accepted answer", i+1)
			}
		}
	default:
		return Errorf(EINVALID, "unknown question type %q", q.Type)
	}
	return nil
}

// Objective reports whether the question is graded automatically.
func (q *Question) Objective() bool { return q.Type != QuestionShort }

// Grade scores answer a (nil: unanswered) against q. partial selects partial
// credit for multiple choice: a proportional share of the score for a subset
// of the correct options, nothing when any wrong option is chosen. Short
// answers score 0 here; they are marked by hand.
func (q *Question) Grade(a *Answer, partial bool) float64 {
	if a == nil {
		return 0
	}
	switch q.Type {
	case QuestionSingle:
		if len(a.Choices) == 1 && a.Choices[0] == q.Correct[0] {
			return q.Score
		}
	case QuestionMultiple:
		correct := map[int]bool{}
		for _, c := range q.Correct {
			correct[c] = true
		}
		chosen := map[int]bool{}
		for _, c := range a.Choices {
			if !correct[c] {
				return 0
			}
			chosen[c] = true
		}
		switch {
		case len(chosen) == len(correct):
			return q.Score
		case partial && len(chosen) > 0:
			return Round2(q.Score * float64(len(chosen)) / float64(len(correct)))
		}
	case QuestionTrueFalse:
		if a.Bool != nil && *a.Bool == q.IsTrue {
			return q.Score
		}
	case QuestionFill:
		if len(a.Blanks) != len(q.Blanks) {
			return 0
		}
		for i, accepted := range q.Blanks {
			if !matchBlank(a.Blanks[i], accepted, q.Loose) {
				return 0
			}
		}
		return q.Score
	}
	return 0
}

func matchBlank(got string, accepted []string, loose bool) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		if !loose {
			return s
		}
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return unicode.ToLower(r)
		}, s)
	}
	g := norm(got)
	for _, want := range accepted {
		if g == norm(want) {
			return true
		}
	}
	return false
}

// PaperScore is the sum of the questions' scores.
func PaperScore(qs []*Question) float64 {
	var sum float64
	for _, q := range qs {
		sum += q.Score
	}
	return Round2(sum)
}

// Round2 rounds to two decimals, the precision of every score examhall shows.
func Round2(f float64) float64 {
	return math.Round(f*100) / 100
}

// CheckAnswers checks a candidate's answers against the paper qs: each for a
// question on it, once, with only the fields of its type (see CheckAnswer).
func CheckAnswers(answers []Answer, qs []*Question) error {
	if len(answers) == 0 {
		return Errorf(EINVALID, "answers is required")
	}
	byID := make(map[string]*Question, len(qs))
	for _, q := range qs {
		byID[q.ID] = q
	}
	seen := make(map[string]bool, len(answers))
	for i, a := range answers {
		q, ok := byID[a.QuestionID]
		if !ok {
			return Errorf(EINVALID, "answers[%d]: question %q is not on the paper", i, a.QuestionID)
		}
		if seen[a.QuestionID] {
			return Errorf(EINVALID, "answers[%d]: question %q is answered twice", i, a.QuestionID)
		}
		seen[a.QuestionID] = true
		if err := CheckAnswer(q, a); err != nil {
			return Errorf(EINVALID, "answers[%d] (question %q): %s", i, a.QuestionID, ErrorMessage(err))
		}
	}
	return nil
}

// CheckAnswer checks one answer: only the fields of its question's type,
// choices in range and not repeated, the right number of blanks, bounded
// text. Empty fields clear an answer.
func CheckAnswer(q *Question, a Answer) error {
	choice := q.Type == QuestionSingle || q.Type == QuestionMultiple
	switch {
	case len(a.Choices) > 0 && !choice:
		return Errorf(EINVALID, "choices do not apply to a %s question", q.Type)
	case a.Bool != nil && q.Type != QuestionTrueFalse:
		return Errorf(EINVALID, "bool does not apply to a %s question", q.Type)
	case len(a.Blanks) > 0 && q.Type != QuestionFill:
		return Errorf(EINVALID, "blanks do not apply to a %s question", q.Type)
	case a.Text != "" && q.Type != QuestionShort:
		return Errorf(EINVALID, "text does not apply to a %s question", q.Type)
	case q.Type == QuestionSingle && len(a.Choices) > 1:
		return Errorf(EINVALID, "a single-choice question takes one choice")
	case len(a.Blanks) > 0 && len(a.Blanks) != len(q.Blanks):
		return Errorf(EINVALID, "the question has %d blanks, not %d", len(q.Blanks), len(a.Blanks))
	case a.At < 0:
		return Errorf(EINVALID, "at must not be negative")
	case len(a.Text) > MaxTextLen:
		return Errorf(EINVALID, "text is longer than %d bytes", MaxTextLen)
	}
	chosen := map[int]bool{}
	for _, c := range a.Choices {
		if c < 0 || c >= len(q.Options) || chosen[c] {
			return Errorf(EINVALID, "choice %d is out of range (0..%d) or repeated", c, len(q.Options)-1)
		}
		chosen[c] = true
	}
	for _, b := range a.Blanks {
		if len(b) > MaxTextLen {
			return Errorf(EINVALID, "a blank is longer than %d bytes", MaxTextLen)
		}
	}
	return nil
}
