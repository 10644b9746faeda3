package store

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"examhall"
)

// decodeAnswers decodes an attempt's stored answers; nil for none. The
// fast path takes the shape jsonObject writes: plain strings and integers,
// the Answer fields spelled as their tags, each at most once.
func decodeAnswers(b []byte) (map[string]examhall.Answer, error) {
	return decodeObject(b, []byte(`"questionId"`), (*jsonScanner).answer)
}

// decodeMarks decodes an attempt's stored marks; nil for none. The fast
// path takes the shape encodeMarks writes (see jsonScanner.float).
func decodeMarks(b []byte) (map[string]float64, error) {
	return decodeObject(b, []byte{':'}, func(s *jsonScanner, _ string) (float64, bool) { return s.float() })
}

// decodeObject decodes a stored JSON object of answers or marks; nil for
// none.
//
// Every save and submit decodes all answers and marks of the attempt, and
// encoding/json's reflection made that the largest part of their CPU. So
// the shapes the store writes are parsed by hand — value reads one V, and
// each occurrence of perEntry in b sizes the map — and anything else
// (escapes, nulls, other spellings, errors) goes to encoding/json: the
// result is always what encoding/json would return.
func decodeObject[V any](b, perEntry []byte, value func(s *jsonScanner, key string) (V, bool)) (map[string]V, error) {
	if len(b) == 0 || string(b) == "{}" {
		return nil, nil
	}
	if m, ok := parseObject(b, perEntry, value); ok {
		return m, nil
	}
	var m map[string]V
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseObject is decodeObject's fast path; false means "ask encoding/json".
func parseObject[V any](b, perEntry []byte, value func(s *jsonScanner, key string) (V, bool)) (map[string]V, bool) {
	s := jsonScanner{b: b}
	if !s.next('{') {
		return nil, false
	}
	m := make(map[string]V, bytes.Count(b, perEntry))
	if s.next('}') {
		return m, s.end()
	}
	for {
		key, ok := s.str()
		if !ok || !s.next(':') {
			return nil, false
		}
		v, ok := value(&s, key)
		if !ok {
			return nil, false
		}
		m[key] = v // a repeated key: the last wins, as in encoding/json
		if s.next(',') {
			continue
		}
		if s.next('}') {
			return m, s.end()
		}
		return nil, false
	}
}

// jsonScanner reads the JSON subset parseObject accepts.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after white space, if it comes next.
func (s *jsonScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *jsonScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// str reads a string without escapes, in valid UTF-8.
func (s *jsonScanner) str() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start, ascii := s.i, true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v := s.b[start:j]
			if !ascii && !utf8.Valid(v) {
				return "", false // encoding/json substitutes U+FFFD
			}
			s.i = j + 1
			return string(v), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// int reads an integer of at most 18 digits, so it cannot overflow.
func (s *jsonScanner) int() (int, bool) {
	s.space()
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start, n := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' && s.i-start < 18 {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || (digits > 1 && s.b[start] == '0') || s.i < len(s.b) && isNumberByte(s.b[s.i]) {
		return 0, false // not a plain integer (or too long): encoding/json decides
	}
	if neg {
		n = -n
	}
	return n, true
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// literal consumes word (true, false) if it comes next.
func (s *jsonScanner) literal(word string) bool {
	s.space()
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return s.i == len(s.b) || !isLetter(s.b[s.i])
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// answer reads one examhall.Answer object. key, the map key, is usually its
// question ID too, which then shares the string.
func (s *jsonScanner) answer(key string) (examhall.Answer, bool) {
	var a examhall.Answer
	if !s.next('{') {
		return a, false
	}
	if s.next('}') {
		return a, true
	}
	var seen [6]bool // a field twice: encoding/json's merging rules apply
	for {
		name, ok := s.str()
		if !ok || !s.next(':') {
			return a, false
		}
		var f int
		switch name {
		case "questionId":
			f = 0
			s.space()
			if v := s.b[s.i:]; len(v) > len(key)+1 && v[0] == '"' && string(v[1:len(key)+1]) == key && v[len(key)+1] == '"' {
				a.QuestionID = key
				s.i += len(key) + 2
			} else if a.QuestionID, ok = s.str(); !ok {
				return a, false
			}
		case "choices":
			f = 1
			if a.Choices, ok = s.ints(); !ok {
				return a, false
			}
		case "bool":
			f = 2
			var v bool
			switch {
			case s.literal("true"):
				v = true
			case s.literal("false"):
			default:
				return a, false
			}
			a.Bool = &v
		case "blanks":
			f = 3
			if a.Blanks, ok = s.strs(); !ok {
				return a, false
			}
		case "text":
			f = 4
			if a.Text, ok = s.str(); !ok {
				return a, false
			}
		case "at":
			f = 5
			var at int
			if at, ok = s.int(); !ok {
				return a, false
			}
			a.At = int64(at)
		default:
			return a, false
		}
		if seen[f] {
			return a, false
		}
		seen[f] = true
		if s.next(',') {
			continue
		}
		return a, s.next('}')
	}
}

// ints reads an array of integers; [] is empty, not nil, as in encoding/json.
func (s *jsonScanner) ints() ([]int, bool) {
	if !s.next('[') {
		return nil, false
	}
	out := make([]int, 0, 2)
	if s.next(']') {
		return out, true
	}
	for {
		n, ok := s.int()
		if !ok {
			return nil, false
		}
		out = append(out, n)
		if s.next(',') {
			continue
		}
		return out, s.next(']')
	}
}

// strs reads an array of strings; [] is empty, not nil.
func (s *jsonScanner) strs() ([]string, bool) {
	if !s.next('[') {
		return nil, false
	}
	out := []string{}
	if s.next(']') {
		return out, true
	}
	for {
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.next(',') {
			continue
		}
		return out, s.next(']')
	}
}

// float reads a number as encodeMarks writes it: an optional minus, digits
// without a leading zero, an optional fraction, no exponent.
func (s *jsonScanner) float() (float64, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	first := s.i
	if n := digits(); n == 0 || n > 1 && s.b[first] == '0' {
		return 0, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	return v, err == nil
}

// encodeMarks encodes marks as json.Marshal does (keys sorted, floats in
// its format), by hand when keys need no escaping and no float needs an
// exponent: every submit encodes its marks, and reflection was a visible
// share of its CPU.
func encodeMarks(m map[string]float64) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if !plainKey(k) || v != 0 && (math.Abs(v) < 1e-6 || math.Abs(v) >= 1e21) || math.IsNaN(v) {
			return jsonObject(m) // escapes, exponents, errors: encoding/json's business
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, len(m)*(len(keys[0])+8)+2)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = strconv.AppendFloat(b, m[k], 'f', -1, 64)
	}
	b = append(b, '}')
	return string(b), nil
}

// plainKey reports whether encoding/json writes k as is between quotes.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c < 0x20, c >= utf8.RuneSelf, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
