package store

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// answerSamples are stored answers, in and outside decodeAnswers' fast path.
var answerSamples = []string{
	``, `{}`, ` { } `, `null`, `[]`, `{`, `{"a":`, `{"a":{}} x`,
	`{"q1":{"questionId":"q1","choices":[2]}}`,
	`{"q1":{"questionId":"q1","choices":[3,0,1]},"q2":{"questionId":"q2","bool":false},"q3":{"questionId":"q3","blanks":[" Paris ","Peking"]},"q4":{"questionId":"q4","text":"because"}}`,
	`{ "q1" : { "questionId" : "q1" , "choices" : [ 1 , -2 ] , "bool" : true } }`,
	`{"q1":{"questionId":"other","choices":[]}}`,
	`{"q1":{"questionId":"q1","blanks":[]}}`,
	`{"q1":{"questionId":"q1"},"q1":{"questionId":"q1","text":"again"}}`,
	`{"q1":{"questionId":"q1","text":"a","text":"b"}}`,
	`{"q1":{"questionId":"q1","choices":[1],"choices":[2,3]}}`,
	`{"q1":{"questionid":"q1"}}`,
	`{"q1":{"questionId":"q1","extra":1}}`,
	`{"q1":{"questionId":"q1","bool":null}}`,
	`{"q1":{"questionId":"q1","choices":null}}`,
	`{"q1":{"questionId":"q1","choices":[1.5]}}`,
	`{"q1":{"questionId":"q1","choices":[1e2]}}`,
	`{"q1":{"questionId":"q1","choices":[01]}}`,
	`{"q1":{"questionId":"q1","choices":[123456789012345678901]}}`,
	`{"q1":{"questionId":"q1","bool":truex}}`,
	`{"q1":{"questionId":"q1","text":"esc\"aped \u00e9"}}`,
	`{"q1":{"questionId":"q1","text":"中文 答案"}}`,
	"{\"q1\":{\"questionId\":\"q1\",\"text\":\"bad \xff utf8\"}}",
	"{\"q1\":{\"questionId\":\"q1\",\"text\":\"tab\there\"}}",
	`{"q1":{"questionId":"q1",}}`,
	`{"q1":{"questionId":"q1"},}`,
	`{"q1":{"questionId":"q1"`,
	`{"q1":{"questionId":"q1x"}}`,
	`{"q1":{"questionId":"q"}}`,
}

func TestDecodeAnswers(t *testing.T) {
	for _, in := range answerSamples {
		got, gotErr := decodeAnswers([]byte(in))
		want, wantErr := jsonAnswers(in)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, want %v", in, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue // encoding/json's partial result does not matter
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", in, diff)
		}
	}
}

// jsonAnswers is what attemptRow.attempt decodes: encoding/json's result.
func jsonAnswers(in string) (map[string]examhall.Answer, error) {
	if in == "" || in == "{}" {
		return nil, nil
	}
	var m map[string]examhall.Answer
	err := json.Unmarshal([]byte(in), &m)
	return m, err
}

func FuzzDecodeAnswers(f *testing.F) {
	for _, s := range answerSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, gotErr := decodeAnswers([]byte(in))
		want, wantErr := jsonAnswers(in)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, want %v", in, gotErr, wantErr)
		}
		if wantErr == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%q: (-want +got):\n%s", in, diff)
			}
		}
	})
}

func TestEncodeMarks(t *testing.T) {
	for _, m := range []map[string]float64{
		nil, {},
		{"q1": 5, "q0": 0, "q10": 2.5, "a": 33.33, "neg": -1.25, "z": math.Copysign(0, -1)},
		{"big": 1e21, "small": 1e-7, "q": 1},
		{"x<y": 1, `q"`: 2, "é": 3},
		{"q": 123456789.125},
	} {
		got, err := encodeMarks(m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := jsonObject(m)
		if got != want {
			t.Errorf("encodeMarks(%v) = %s, want %s", m, got, want)
		}
	}
	if _, err := encodeMarks(map[string]float64{"q": math.NaN()}); err == nil {
		t.Error("NaN encoded")
	}
}

// markSamples are stored marks, in and outside decodeMarks' fast path.
var markSamples = []string{
	``, `{}`, ` { } `, `null`, `[]`, `{`, `{"a":`, `{"a":1} x`,
	`{"q1":5,"q10":2.5,"q2":0}`, `{ "a" : 33.33 , "neg" : -1.25 }`, `{"z":-0}`,
	`{"q":123456789.125}`, `{"q":1e21}`, `{"q":1E-7}`, `{"q":01}`, `{"q":1.}`, `{"q":.5}`, `{"q":-}`,
	`{"q":+1}`, `{"q":"1"}`, `{"q":null}`, `{"q":1,"q":2}`, `{"q":1,}`, `{"x\u003cy":1}`, `{"é":3}`,
	`{"q":` + strings.Repeat("9", 400) + `}`,
}

func TestDecodeMarks(t *testing.T) {
	for _, in := range markSamples {
		checkDecodeMarks(t, in)
	}
}

func FuzzDecodeMarks(f *testing.F) {
	for _, s := range markSamples {
		f.Add(s)
	}
	f.Fuzz(checkDecodeMarks)
}

// checkDecodeMarks compares decodeMarks with encoding/json.
func checkDecodeMarks(t *testing.T, in string) {
	got, gotErr := decodeMarks([]byte(in))
	var want map[string]float64
	var wantErr error
	if in != "" && in != "{}" {
		wantErr = json.Unmarshal([]byte(in), &want)
	}
	if (gotErr != nil) != (wantErr != nil) {
		t.Errorf("%q: error %v, want %v", in, gotErr, wantErr)
		return
	}
	if wantErr == nil {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: (-want +got):\n%s", in, diff)
		}
	}
}
