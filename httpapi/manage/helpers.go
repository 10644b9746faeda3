package manage

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"examhall"
	"examhall/httpapi"
)

// Paging defaults and limits of list routes.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// list is the shape of every list response.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// newList returns a list of items (never JSON null) with its total.
func newList[T any](items []T, total int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total}
}

// convert maps f over in.
func convert[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// writeJSON writes v with status and returns nil, so handlers can end with
// `return writeJSON(...)`.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	httpapi.WriteJSON(w, status, v)
	return nil
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decode decodes the JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpapi.DecodeStrictJSON(w, r, v)
}

// decodeOptional decodes the JSON body into v when there is one; an empty
// body leaves v as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, examhall.MaxBodyBytes))
	if err != nil {
		return httpapi.JSONError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decode(w, r, v)
}

// decodeItems decodes a body that replaces a whole collection: either a
// bare JSON array or an object {"items": [...]}, the shape GET returns.
func decodeItems[T any](w http.ResponseWriter, r *http.Request) ([]T, error) {
	var raw json.RawMessage
	if err := decode(w, r, &raw); err != nil {
		return nil, err
	}
	var items []T
	if b := bytes.TrimSpace(raw); len(b) > 0 && b[0] == '[' {
		if err := httpapi.UnmarshalStrict(b, &items); err != nil {
			return nil, err
		}
		return items, nil
	}
	var obj struct {
		Items *[]T `json:"items"`
		Total any  `json:"total"` // of the GET shape; ignored
	}
	if err := httpapi.UnmarshalStrict(raw, &obj); err != nil {
		return nil, err
	}
	if obj.Items == nil {
		return nil, examhall.Errorf(examhall.EINVALID, `the body must be a JSON array or an object {"items": [...]}`)
	}
	return *obj.Items, nil
}

// pathID returns the path parameter name, checked to be a plausible ID.
func pathID(r *http.Request, name string) (string, error) {
	return checkID(name, r.PathValue(name))
}

// checkID checks an ID taken from a request.
func checkID(name, id string) (string, error) {
	switch {
	case id == "":
		return "", examhall.Errorf(examhall.EINVALID, "%s is required", name)
	case len(id) > examhall.MaxIDLen:
		return "", examhall.Errorf(examhall.EINVALID, "%s is longer than %d bytes", name, examhall.MaxIDLen)
	case strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError }) >= 0:
		return "", examhall.Errorf(examhall.EINVALID, "%s %q contains a space or control character", name, id)
	}
	return id, nil
}

// checkIDs checks a list of IDs from a request body.
func checkIDs(name string, ids []string) error {
	for i, id := range ids {
		if _, err := checkID(name+"["+strconv.Itoa(i)+"]", id); err != nil {
			return err
		}
	}
	return nil
}

// page reads the offset and limit query parameters.
func page(q url.Values) (offset, limit int, err error) {
	offset, limit = 0, defaultLimit
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, examhall.Errorf(examhall.EINVALID, "offset must be a whole number ≥ 0, not %q", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, examhall.Errorf(examhall.EINVALID, "limit must be a whole number from 1 to %d, not %q", maxLimit, v)
		}
	}
	return offset, limit, nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(q url.Values, name string) (*bool, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "%s must be true or false, not %q", name, v)
	}
	return &b, nil
}

// queryInt reads an optional integer query parameter.
func queryInt(q url.Values, name string) (*int, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, examhall.Errorf(examhall.EINVALID, "%s must be a whole number, not %q", name, v)
	}
	return &n, nil
}

// queryText reads an optional free-text query parameter of bounded length.
func queryText(q url.Values, name string) (string, error) {
	v := strings.TrimSpace(q.Get(name))
	if len(v) > examhall.MaxTextLen {
		return "", examhall.Errorf(examhall.EINVALID, "%s is longer than %d bytes", name, examhall.MaxTextLen)
	}
	return v, nil
}

// callerOf returns the authenticated caller; serve guarantees one for
// non-public routes.
func callerOf(ctx context.Context) (*examhall.Caller, error) {
	c := examhall.CallerFromContext(ctx)
	if c == nil || c.User == nil {
		return nil, examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required")
	}
	return c, nil
}

// unbound refuses join-link tokens, which are bound to one room, on routes
// that reach beyond a room: a link leaked from a page URL must not open the
// management API to its holder.
func unbound(ctx context.Context) error {
	c, err := callerOf(ctx)
	if err != nil {
		return err
	}
	if c.RoomID != "" {
		return examhall.Errorf(examhall.EFORBIDDEN, "a join-link token is limited to its room; log in instead")
	}
	return nil
}

// admin allows administrators with a session token.
func (s *Server) admin(ctx context.Context) error {
	if err := unbound(ctx); err != nil {
		return err
	}
	return s.Policy.Admin(ctx)
}

// adminPath is the preamble of the admin routes on one resource: the caller
// must be an administrator, and the path's {id} is returned.
func (s *Server) adminPath(r *http.Request) (context.Context, string, error) {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return nil, "", err
	}
	id, err := pathID(r, "id")
	return ctx, id, err
}

// staff allows administrators and invigilators with a session token.
func (s *Server) staff(ctx context.Context) error {
	if err := unbound(ctx); err != nil {
		return err
	}
	return s.Policy.Staff(ctx)
}
