package manage

import (
	"context"
	"net/http"
	"testing"

	"examhall"
	"examhall/mock"
)

func TestReviewEndpoints(t *testing.T) {
	w := newWorld(t)
	var stored *examhall.Review
	w.srv.Reviews = &mock.ReviewService{
		SetReviewFn: func(_ context.Context, r *examhall.Review) error {
			if err := r.Validate(); err != nil {
				return err
			}
			r.DecidedAt = now
			c := *r
			stored = &c
			return nil
		},
		FindReviewFn: func(_ context.Context, id string) (*examhall.Review, error) {
			if stored == nil || stored.AttemptID != id {
				return nil, examhall.Errorf(examhall.ENOTFOUND, "attempt %q has no review", id)
			}
			c := *stored
			c.ReviewerName = "Ivy"
			return &c, nil
		},
	}
	if rec := w.do(t, request{method: "GET", path: "/api/v1/attempts/a2/review", token: tokInv}); rec.Code != http.StatusNotFound {
		t.Fatalf("undecided: %d %s", rec.Code, rec.Body)
	}
	for _, tt := range []struct {
		name, token, body string
		want              int
	}{
		{"bad decision", tokInv, `{"decision":"guilty"}`, http.StatusBadRequest},
		{"violation without comment", tokInv, `{"decision":"violation"}`, http.StatusBadRequest},
		{"not JSON", tokInv, `decision=clear`, http.StatusBadRequest},
		{"examinee", tokExa, `{"decision":"clear"}`, http.StatusForbidden},
		{"unknown attempt", tokInv, `{"decision":"clear"}`, http.StatusNotFound},
	} {
		path := "/api/v1/attempts/a2/review"
		if tt.name == "unknown attempt" {
			path = "/api/v1/attempts/nope/review"
		}
		if rec := w.do(t, request{method: "PUT", path: path, token: tt.token, body: tt.body, contentType: "application/json"}); rec.Code != tt.want {
			t.Errorf("%s: %d, want %d; %s", tt.name, rec.Code, tt.want, rec.Body)
		}
	}
	if stored != nil {
		t.Fatalf("a refused decision was stored: %+v", stored)
	}
	rec := w.do(t, request{method: "PUT", path: "/api/v1/attempts/a2/review", token: tokInv,
		body: `{"decision":"violation","comment":"phone in view"}`, contentType: "application/json"})
	if rec.Code != http.StatusOK {
		t.Fatalf("decide: %d %s", rec.Code, rec.Body)
	}
	var got examhall.Review
	MustDecode(t, rec, &got)
	if got.Decision != examhall.DecisionViolation || got.ReviewerID != "u-inv" || got.ReviewerName != "Ivy" || got.Comment != "phone in view" {
		t.Errorf("review = %+v", got)
	}
	rec = w.do(t, request{method: "GET", path: "/api/v1/attempts/a2/review", token: tokAdmin})
	MustDecode(t, rec, &got)
	if _, off := got.DecidedAt.Zone(); rec.Code != http.StatusOK || got.Decision != examhall.DecisionViolation || off != 8*3600 {
		t.Errorf("read back: %d %+v", rec.Code, got)
	}
}
