package sheet

import (
	"math"
	"strconv"
	"strings"

	"examhall"
)

// Question sheet columns: the format of question imports and exports (see
// docs/questions.md). The header names them in any order and case; option
// columns are letters, A for the first option.
const (
	QuestionType      = "type"
	QuestionStem      = "stem"
	QuestionScore     = "score"
	QuestionAnswer    = "answer"
	QuestionLoose     = "loose"
	QuestionReference = "reference"
)

// MaxOptions is the most options a choice question may have (A to Z).
const MaxOptions = 26

// Separators of fill-in answers: blanks are separated by BlankSep, the
// accepted answers of one blank by AltSep.
const (
	BlankSep = "|"
	AltSep   = ";"
)

var questionColumnNames = func() map[string]string {
	m := map[string]string{
		"type": QuestionType, "题型": QuestionType,
		"stem": QuestionStem, "题干": QuestionStem, "题目": QuestionStem,
		"score": QuestionScore, "分值": QuestionScore, "分数": QuestionScore,
		"answer": QuestionAnswer, "答案": QuestionAnswer,
		"loose": QuestionLoose, "宽松": QuestionLoose,
		"reference": QuestionReference, "参考答案": QuestionReference,
	}
	for i := range MaxOptions {
		l := string(rune('A' + i))
		m[strings.ToLower(l)] = l
		m["选项"+strings.ToLower(l)] = l
	}
	return m
}()

var typeNames = map[string]examhall.QuestionType{
	"single": examhall.QuestionSingle, "单选": examhall.QuestionSingle, "单选题": examhall.QuestionSingle,
	"multiple": examhall.QuestionMultiple, "多选": examhall.QuestionMultiple, "多选题": examhall.QuestionMultiple,
	"truefalse": examhall.QuestionTrueFalse, "判断": examhall.QuestionTrueFalse, "判断题": examhall.QuestionTrueFalse,
	"fill": examhall.QuestionFill, "填空": examhall.QuestionFill, "填空题": examhall.QuestionFill,
	"short": examhall.QuestionShort, "简答": examhall.QuestionShort, "简答题": examhall.QuestionShort,
}

var boolNames = map[string]bool{
	"true": true, "t": true, "yes": true, "y": true, "1": true, "对": true, "正确": true, "是": true, "√": true,
	"false": false, "f": false, "no": false, "n": false, "0": false, "错": false, "错误": false, "否": false, "×": false,
}

// QuestionFields is a question as text, the way a sheet row or the paper
// editor's form holds it.
type QuestionFields struct {
	Type      string
	Stem      string
	Score     string
	Answer    string   // see docs/questions.md: letters, true/false, blanks
	Loose     string   // fill: yes/no
	Reference string   // short: a model answer for markers
	Options   []string // single, multiple: in order
}

// Problem is what is wrong with one field of a question: a code (which
// pages translate) and its argument (an option letter, a blank's number,
// or the domain's message for the code "invalid").
type Problem struct {
	Code, Arg string
}

// problemText holds each problem's English text, a format of its Arg.
var problemText = map[string]string{
	"type":            "type must be single, multiple, truefalse, fill or short",
	"stemRequired":    "the question text is required",
	"stemLong":        "the question text is longer than 8192 bytes",
	"scoreNumber":     "score must be a number",
	"scoreRange":      "score must be more than 0 and at most 1000",
	"scoreDecimals":   "score has at most two decimals",
	"referenceLong":   "the reference answer is longer than 8192 bytes",
	"optionGap":       "option %s is empty while a later one is not",
	"optionLong":      "option %s is longer than 8192 bytes",
	"optionCount":     "a choice question needs 2 to 26 options",
	"letters":         "the answer must be option letters, such as A or AC",
	"letterMissing":   "the answer names option %s, which the question does not have",
	"letterTwice":     "the answer names option %s twice",
	"singleOne":       "a single-choice question has exactly one correct letter",
	"lettersRequired": "give the correct letters, such as AC",
	"trueFalse":       "the answer must be true or false",
	"blankLong":       "an accepted answer is longer than 8192 bytes",
	"blankEmpty":      "blank %s has no accepted answer (blanks are separated by | and alternatives by ;)",
	"loose":           "loose must be yes or no",
	"shortAnswer":     "a short-answer question has no answer here: put a model answer under reference",
	"invalid":         "%s",
}

// ProblemCodes lists every Problem code, for the pages' catalogues.
func ProblemCodes() []string {
	codes := make([]string, 0, len(problemText))
	for c := range problemText {
		codes = append(codes, c)
	}
	return codes
}

// String is the problem in English.
func (p Problem) String() string {
	if strings.Contains(problemText[p.Code], "%s") {
		return strings.Replace(problemText[p.Code], "%s", p.Arg, 1)
	}
	return problemText[p.Code]
}

// Question parses f into a valid question (without an ID). Otherwise it
// returns what is wrong with each field, by field name (QuestionType,
// QuestionStem, …; "options" for the options).
func (f QuestionFields) Question() (*examhall.Question, map[string]Problem) {
	bad := map[string]Problem{}
	q := &examhall.Question{Stem: strings.TrimSpace(f.Stem), Reference: strings.TrimSpace(f.Reference)}
	t, ok := typeNames[strings.ToLower(strings.TrimSpace(f.Type))]
	if !ok {
		bad[QuestionType] = Problem{Code: "type"}
	}
	q.Type = t
	switch {
	case q.Stem == "":
		bad[QuestionStem] = Problem{Code: "stemRequired"}
	case len(q.Stem) > examhall.MaxTextLen:
		bad[QuestionStem] = Problem{Code: "stemLong"}
	}
	score, err := strconv.ParseFloat(strings.TrimSpace(f.Score), 64)
	switch {
	case err != nil || math.IsNaN(score) || math.IsInf(score, 0):
		bad[QuestionScore] = Problem{Code: "scoreNumber"}
	case score <= 0 || score > 1000:
		bad[QuestionScore] = Problem{Code: "scoreRange"}
	case examhall.Round2(score) != score:
		bad[QuestionScore] = Problem{Code: "scoreDecimals"}
	}
	q.Score = score
	if len(q.Reference) > examhall.MaxTextLen {
		bad[QuestionReference] = Problem{Code: "referenceLong"}
	}
	answer := strings.TrimSpace(f.Answer)
	switch q.Type {
	case examhall.QuestionSingle, examhall.QuestionMultiple:
		opts := trimOptions(f.Options)
		for i, o := range opts {
			switch {
			case o == "":
				bad["options"] = Problem{Code: "optionGap", Arg: string(rune('A' + i))}
			case len(o) > examhall.MaxTextLen:
				bad["options"] = Problem{Code: "optionLong", Arg: string(rune('A' + i))}
			}
		}
		if len(opts) < 2 || len(opts) > MaxOptions {
			bad["options"] = Problem{Code: "optionCount"}
		}
		q.Options = opts
		correct, prob := letters(answer, len(opts))
		switch {
		case prob.Code != "":
			bad[QuestionAnswer] = prob
		case q.Type == examhall.QuestionSingle && len(correct) != 1:
			bad[QuestionAnswer] = Problem{Code: "singleOne"}
		case len(correct) == 0:
			bad[QuestionAnswer] = Problem{Code: "lettersRequired"}
		}
		q.Correct = correct
	case examhall.QuestionTrueFalse:
		v, ok := boolNames[strings.ToLower(answer)]
		if !ok {
			bad[QuestionAnswer] = Problem{Code: "trueFalse"}
		}
		q.IsTrue = v
	case examhall.QuestionFill:
		for i, b := range strings.Split(answer, BlankSep) {
			var alts []string
			for _, a := range strings.Split(b, AltSep) {
				if a = strings.TrimSpace(a); a != "" {
					alts = append(alts, a)
				}
				if len(a) > examhall.MaxTextLen {
					bad[QuestionAnswer] = Problem{Code: "blankLong"}
				}
			}
			if len(alts) == 0 {
				bad[QuestionAnswer] = Problem{Code: "blankEmpty", Arg: strconv.Itoa(i + 1)}
			}
			q.Blanks = append(q.Blanks, alts)
		}
		if l := strings.TrimSpace(f.Loose); l != "" {
			v, ok := boolNames[strings.ToLower(l)]
			if !ok {
				bad[QuestionLoose] = Problem{Code: "loose"}
			}
			q.Loose = v
		}
	case examhall.QuestionShort:
		if answer != "" {
			bad[QuestionAnswer] = Problem{Code: "shortAnswer"}
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	if err := q.Validate(); err != nil {
		return nil, map[string]Problem{QuestionType: {Code: "invalid", Arg: examhall.ErrorMessage(err)}}
	}
	return q, nil
}

// trimOptions trims each option and drops the empty ones at the end.
func trimOptions(in []string) []string {
	out := make([]string, len(in))
	for i, o := range in {
		out[i] = strings.TrimSpace(o)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// letters parses correct options given as letters ("AC", "A,C", "a c")
// into indexes below n, in order, or says what is wrong.
func letters(s string, n int) (idx []int, _ Problem) {
	seen := map[int]bool{}
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ',' || r == ' ' || r == '，' || r == '、' || r == ';':
			continue
		case r < 'A' || r > 'Z':
			return nil, Problem{Code: "letters"}
		}
		i := int(r - 'A')
		if i >= n {
			return nil, Problem{Code: "letterMissing", Arg: string(r)}
		}
		if seen[i] {
			return nil, Problem{Code: "letterTwice", Arg: string(r)}
		}
		seen[i] = true
		idx = append(idx, i)
	}
	return idx, Problem{}
}

// Fields returns q as text, the inverse of Question.
func Fields(q *examhall.Question) QuestionFields {
	f := QuestionFields{Type: string(q.Type), Stem: q.Stem, Score: strconv.FormatFloat(q.Score, 'f', -1, 64),
		Reference: q.Reference, Options: append([]string(nil), q.Options...)}
	switch q.Type {
	case examhall.QuestionSingle, examhall.QuestionMultiple:
		var b strings.Builder
		for _, c := range q.Correct {
			b.WriteRune(rune('A' + c))
		}
		f.Answer = b.String()
	case examhall.QuestionTrueFalse:
		f.Answer = strconv.FormatBool(q.IsTrue)
	case examhall.QuestionFill:
		blanks := make([]string, len(q.Blanks))
		for i, b := range q.Blanks {
			blanks[i] = strings.Join(b, AltSep)
		}
		f.Answer = strings.Join(blanks, BlankSep)
		if q.Loose {
			f.Loose = "yes"
		}
	}
	return f
}

// QuestionRows returns the header and one row per question of a paper in
// the sheet format, with as many option columns as the longest question
// needs (at least four).
func QuestionRows(qs []*examhall.Question) (header []string, rows [][]string) {
	n := 4
	for _, q := range qs {
		n = max(n, len(q.Options))
	}
	header = []string{QuestionType, QuestionStem, QuestionScore, QuestionAnswer, QuestionLoose, QuestionReference}
	for i := range n {
		header = append(header, string(rune('A'+i)))
	}
	for _, q := range qs {
		f := Fields(q)
		row := []string{f.Type, f.Stem, f.Score, f.Answer, f.Loose, f.Reference}
		for i := range n {
			o := ""
			if i < len(f.Options) {
				o = f.Options[i]
			}
			row = append(row, o)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// ParseQuestions turns the rows of a question sheet (the header first) into
// questions with new IDs, and lists every bad row with its line and what is
// wrong. Its error is for a file without a usable header or questions.
func ParseQuestions(rows []Row) ([]*examhall.Question, []RowError, error) {
	if len(rows) < 2 {
		return nil, nil, examhall.Errorf(examhall.EINVALID, "the file has no questions: it needs a header row and at least one row below it")
	}
	cols, err := columns(rows[0], questionColumnNames, []string{QuestionType, QuestionStem, QuestionScore},
		"the columns are type, stem, score, answer, loose, reference and the options A, B, C…")
	if err != nil {
		return nil, nil, err
	}
	last := -1 // the last option column present
	for i := range MaxOptions {
		if _, ok := cols[string(rune('A'+i))]; ok {
			last = i
		}
	}
	var qs []*examhall.Question
	var bad []RowError
	for _, row := range rows[1:] {
		f := QuestionFields{
			Type: cell(cols, row, QuestionType), Stem: cell(cols, row, QuestionStem), Score: cell(cols, row, QuestionScore),
			Answer: cell(cols, row, QuestionAnswer), Loose: cell(cols, row, QuestionLoose), Reference: cell(cols, row, QuestionReference),
		}
		for i := 0; i <= last; i++ {
			f.Options = append(f.Options, cell(cols, row, string(rune('A'+i))))
		}
		q, errs := f.Question()
		if errs != nil {
			bad = append(bad, RowError{Line: row.Line, Reason: joinFieldErrors(errs)})
			continue
		}
		q.ID = examhall.NewID(8)
		qs = append(qs, q)
	}
	return qs, bad, nil
}

// joinFieldErrors lists field errors in the columns' order.
func joinFieldErrors(errs map[string]Problem) string {
	var out []string
	for _, k := range []string{QuestionType, QuestionStem, QuestionScore, "options", QuestionAnswer, QuestionLoose, QuestionReference} {
		if p, ok := errs[k]; ok {
			out = append(out, k+": "+p.String())
		}
	}
	return strings.Join(out, "; ")
}
