package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"examhall"
	"examhall/client"
)

// TestErrors checks how failures map to error types, including answers
// that are not in the API's own shape.
func TestErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/me":
			if r.Header.Get("Authorization") != "Bearer tok" {
				t.Errorf("Authorization %q, want Bearer tok", r.Header.Get("Authorization"))
			}
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"error":{"code":"conflict","message":"taken"}}`))
		case "/api/v1/departments":
			http.Error(w, "bad gateway", http.StatusServiceUnavailable) // a proxy's answer
		case "/api/v5/examaction.ashx":
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"errcode":"50000","errmsg":"internal error"}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	c := client.New(ts.URL, client.WithToken("tok"))

	_, err := c.Me(ctx)
	var e *examhall.Error
	if !errors.As(err, &e) || e.Code != examhall.ECONFLICT || e.Message != "taken" {
		t.Errorf("Me: err %#v, want *examhall.Error conflict/taken", err)
	}
	if _, err := c.ListDepartments(ctx); examhall.ErrorCode(err) != examhall.EUNAVAILABLE {
		t.Errorf("ListDepartments: err %v, want code %s from the status", err, examhall.EUNAVAILABLE)
	}
	_, err = c.ExamList(ctx, "t", 1, 10)
	var oe *client.OpenAPIError
	if !errors.As(err, &oe) || oe.Code != "50000" {
		t.Errorf("ExamList: err %v, want *client.OpenAPIError 50000", err)
	}
	if _, err := c.Token(ctx, "a", "s"); err == nil || errors.As(err, &oe) {
		t.Errorf("Token on an empty 502: err %v, want a plain error", err)
	}
}
