package aui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"examhall"
	"examhall/httpapi"
)

// request is a JSON request body that checks itself after decoding, filling
// in defaults; validate returns EINVALID (or ETOOLARGE) naming the field.
type request interface {
	validate() error
}

// decode reads the JSON body of r into req and validates it.
func decode(w http.ResponseWriter, r *http.Request, req request) error {
	if err := httpapi.DecodeJSON(w, r, req); err != nil {
		return err
	}
	return req.validate()
}

// numText is a request field the clients send either as a JSON number or as a
// string of digits (the seed types listCheatRecord's pageSize as a String).
// It holds the text; null and "" leave it empty.
type numText string

// UnmarshalJSON implements json.Unmarshaler.
func (n *numText) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = numText(strings.TrimSpace(s))
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		*n = numText(b)
	default:
		// The decoder adds the field name to a type error.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[int64]()}
	}
	return nil
}

// int returns the value as an integer, def when empty.
func (n numText) int(field string, def int64) (int64, error) {
	if n == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, examhall.Errorf(examhall.EINVALID, "%s must be a whole number, not %q", field, truncate(string(n), 32))
	}
	return v, nil
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(b []byte) string {
	switch b = bytes.TrimSpace(b); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == '"':
		return "string"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	}
	return "number"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// params collects the parameters of the endpoints the vendor documents with
// query parameters but whose callers may also post them (updateRoomAudioStatus,
// endRoom, the CDN's userAct): the query string, a form body or a JSON object
// body. Body values win over query values of the same name. JSON strings are
// taken as they are, other JSON scalars as their literal text.
func params(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	vals := r.URL.Query()
	if r.Body == nil || r.Body == http.NoBody {
		return vals, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, examhall.MaxBodyBytes))
	if err != nil {
		return nil, httpapi.JSONError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return vals, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		if err := httpapi.CheckJSONText("request body", body); err != nil {
			return nil, err
		}
	}
	var fromBody url.Values
	if ct == "application/x-www-form-urlencoded" {
		if fromBody, err = url.ParseQuery(string(body)); err != nil {
			return nil, examhall.Errorf(examhall.EINVALID, "malformed form body: %s", err)
		}
	} else if fromBody, err = jsonParams(body); err != nil {
		return nil, err
	}
	for k, v := range fromBody {
		vals[k] = v
	}
	return vals, nil
}

// jsonParams flattens a JSON object body into parameters.
func jsonParams(body []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, examhall.Errorf(examhall.EINVALID, "request body must be a JSON object, not %s", typ.Value)
		}
		return nil, httpapi.JSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, examhall.Errorf(examhall.EINVALID, "request body must hold a single JSON value")
	}
	vals := url.Values{}
	for k, raw := range obj {
		switch jsonKind(raw) {
		case "null":
		case "string":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, httpapi.JSONError(err)
			}
			vals.Set(k, s)
		default:
			vals.Set(k, string(raw))
		}
	}
	return vals, nil
}
