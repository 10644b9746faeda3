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

// Question parses f into a valid question (without an ID). Otherwise it
// returns what is wrong with each field, by field name (QuestionType,
// QuestionStem, …; "options" for the options).
func (f QuestionFields) Question() (*examhall.Question, map[string]string) {
	bad := map[string]string{}
	q := &examhall.Question{Stem: strings.TrimSpace(f.Stem), Reference: strings.TrimSpace(f.Reference)}
	t, ok := typeNames[strings.ToLower(strings.TrimSpace(f.Type))]
	if !ok {
		bad[QuestionType] = "type must be single, multiple, truefalse, fill or short"
	}
	q.Type = t
	switch {
	case q.Stem == "":
		bad[QuestionStem] = "the question text is required"
	case len(q.Stem) > examhall.MaxTextLen:
		bad[QuestionStem] = "the question text is longer than 8192 bytes"
	}
	score, err := strconv.ParseFloat(strings.TrimSpace(f.Score), 64)
	switch {
	case err != nil || math.IsNaN(score) || math.IsInf(score, 0):
		bad[QuestionScore] = "score must be a number"
	case score <= 0 || score > 1000:
		bad[QuestionScore] = "score must be more than 0 and at most 1000"
	case examhall.Round2(score) != score:
		bad[QuestionScore] = "score has at most two decimals"
	}
	q.Score = score
	if len(q.Reference) > examhall.MaxTextLen {
		bad[QuestionReference] = "the reference answer is longer than 8192 bytes"
	}
	answer := strings.TrimSpace(f.Answer)
	switch q.Type {
	case examhall.QuestionSingle, examhall.QuestionMultiple:
		opts := trimOptions(f.Options)
		for i, o := range opts {
			switch {
			case o == "":
				bad["options"] = "option " + string(rune('A'+i)) + " is empty while a later one is not"
			case len(o) > examhall.MaxTextLen:
				bad["options"] = "option " + string(rune('A'+i)) + " is longer than 8192 bytes"
			}
		}
		if len(opts) < 2 || len(opts) > MaxOptions {
			bad["options"] = "a choice question needs 2 to 26 options"
		}
		q.Options = opts
		correct, msg := letters(answer, len(opts))
		switch {
		case msg != "":
			bad[QuestionAnswer] = msg
		case q.Type == examhall.QuestionSingle && len(correct) != 1:
			bad[QuestionAnswer] = "a single-choice question has exactly one correct letter"
		case len(correct) == 0:
			bad[QuestionAnswer] = "give the correct letters, such as AC"
		}
		q.Correct = correct
	case examhall.QuestionTrueFalse:
		v, ok := boolNames[strings.ToLower(answer)]
		if !ok {
			bad[QuestionAnswer] = "the answer must be true or false"
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
					bad[QuestionAnswer] = "an accepted answer is longer than 8192 bytes"
				}
			}
			if len(alts) == 0 {
				bad[QuestionAnswer] = "blank " + strconv.Itoa(i+1) + " has no accepted answer (blanks are separated by | and alternatives by ;)"
			}
			q.Blanks = append(q.Blanks, alts)
		}
		if l := strings.TrimSpace(f.Loose); l != "" {
			v, ok := boolNames[strings.ToLower(l)]
			if !ok {
				bad[QuestionLoose] = "loose must be yes or no"
			}
			q.Loose = v
		}
	case examhall.QuestionShort:
		if answer != "" {
			bad[QuestionAnswer] = "a short-answer question has no answer here: put a model answer under reference"
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	if err := q.Validate(); err != nil {
		return nil, map[string]string{QuestionType: examhall.ErrorMessage(err)}
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
// into indexes below n, in order; msg says what is wrong.
func letters(s string, n int) (idx []int, msg string) {
	seen := map[int]bool{}
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ',' || r == ' ' || r == '，' || r == '、' || r == ';':
			continue
		case r < 'A' || r > 'Z':
			return nil, "the answer must be option letters, such as A or AC"
		}
		i := int(r - 'A')
		if i >= n {
			return nil, "the answer names option " + string(r) + ", which the question does not have"
		}
		if seen[i] {
			return nil, "the answer names option " + string(r) + " twice"
		}
		seen[i] = true
		idx = append(idx, i)
	}
	return idx, ""
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
func joinFieldErrors(errs map[string]string) string {
	var out []string
	for _, k := range []string{QuestionType, QuestionStem, QuestionScore, "options", QuestionAnswer, QuestionLoose, QuestionReference} {
		if m, ok := errs[k]; ok {
			out = append(out, k+": "+m)
		}
	}
	return strings.Join(out, "; ")
}
