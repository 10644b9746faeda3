package sheet_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"examhall"
	"examhall/sheet"
)

func TestQuestionsRoundTrip(t *testing.T) {
	paper := []*examhall.Question{
		{Type: examhall.QuestionSingle, Stem: "Capital of France?", Score: 2, Options: []string{"Lyon", "Paris", "Nice"}, Correct: []int{1}},
		{Type: examhall.QuestionMultiple, Stem: "Primes", Score: 3.5, Options: []string{"2", "4", "5", "6", "7"}, Correct: []int{0, 2, 4}},
		{Type: examhall.QuestionTrueFalse, Stem: "Water is wet", Score: 1, IsTrue: true},
		{Type: examhall.QuestionFill, Stem: "__ and __", Score: 4, Blanks: [][]string{{"salt", "NaCl"}, {"pepper"}}, Loose: true},
		{Type: examhall.QuestionShort, Stem: "Explain", Score: 10, Reference: "Because."},
	}
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run(string(f), func(t *testing.T) {
			header, rows := sheet.QuestionRows(paper)
			var buf bytes.Buffer
			if err := sheet.Write(&buf, f, "questions", header, rows); err != nil {
				t.Fatal(err)
			}
			read, err := sheet.Read(buf.Bytes(), sheet.Detect(buf.Bytes()), 100)
			if err != nil {
				t.Fatal(err)
			}
			got, bad, err := sheet.ParseQuestions(read)
			if err != nil || bad != nil {
				t.Fatalf("parse: %v %v", err, bad)
			}
			if diff := cmp.Diff(paper, got, cmpopts.IgnoreFields(examhall.Question{}, "ID")); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseQuestionsBadRows(t *testing.T) {
	csv := "题型,题干,分值,答案,A,B,C\n" +
		"单选,Fine,2,B,x,y,\n" +
		"single,Two answers,2,AB,x,y,\n" +
		"multiple,Gap,2,A,x,,z\n" +
		"truefalse,Maybe,1,perhaps,,,\n" +
		"essay,,0,,,,\n" +
		"fill,Blank,3,a||b,,,\n" +
		"short,Has answer,5,xyz,,,\n"
	rows, err := sheet.Read([]byte(csv), sheet.CSV, 100)
	if err != nil {
		t.Fatal(err)
	}
	qs, bad, err := sheet.ParseQuestions(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || qs[0].Correct[0] != 1 || len(qs[0].Options) != 2 {
		t.Errorf("good questions: %+v", qs)
	}
	want := []sheet.RowError{
		{Line: 3, Reason: "answer: a single-choice question has exactly one correct letter"},
		{Line: 4, Reason: "options: option B is empty while a later one is not"},
		{Line: 5, Reason: "answer: the answer must be true or false"},
		{Line: 6, Reason: "type: type must be single, multiple, truefalse, fill or short; stem: the question text is required; score: score must be more than 0 and at most 1000"},
		{Line: 7, Reason: "answer: blank 2 has no accepted answer (blanks are separated by | and alternatives by ;)"},
		{Line: 8, Reason: "answer: a short-answer question has no answer here: put a model answer under reference"},
	}
	if diff := cmp.Diff(want, bad); diff != "" {
		t.Errorf("bad rows (-want +got):\n%s", diff)
	}
	if _, _, err := sheet.ParseQuestions(rows[:1]); examhall.ErrorCode(err) != examhall.EINVALID {
		t.Errorf("header only: %v", err)
	}
	hdr, _ := sheet.Read([]byte("type,stem,colour\n"), sheet.CSV, 10)
	if _, _, err := sheet.ParseQuestions(append(hdr, rows[1])); examhall.ErrorCode(err) != examhall.EINVALID {
		t.Errorf("unknown column: %v", err)
	}
}

// TestQuestionsDocExample keeps the example of docs/questions.md valid.
func TestQuestionsDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/questions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "Example (CSV):\n\n```\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("docs/questions.md has no CSV example")
	}
	rows, err := sheet.Read([]byte(example), sheet.CSV, 100)
	if err != nil {
		t.Fatal(err)
	}
	qs, bad, err := sheet.ParseQuestions(rows)
	if err != nil || bad != nil || len(qs) != 5 {
		t.Fatalf("%d questions, bad rows %v, %v", len(qs), bad, err)
	}
	if got := qs[3].Blanks; len(got) != 2 || got[1][1] != "Roma" || !qs[3].Loose {
		t.Errorf("fill question: %+v", qs[3])
	}
}
