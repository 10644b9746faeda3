package manage

import (
	"net/http"

	"examhall"
)

// reviewAttempt returns the attempt of the path's {id} when the caller
// manages its exam (admins, the exam's invigilators).
func (s *Server) reviewedAttempt(r *http.Request) (*examhall.Attempt, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.Attempts.FindAttemptByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := s.Policy.Exam(r.Context(), a.ExamID, true); err != nil {
		return nil, err
	}
	return a, nil
}

// getReview returns the decision on an attempt; 404 while it has none.
func (s *Server) getReview(w http.ResponseWriter, r *http.Request) error {
	a, err := s.reviewedAttempt(r)
	if err != nil {
		return err
	}
	rev, err := s.Reviews.FindReview(r.Context(), a.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.reviewJSON(rev))
}

// setReview records the caller's decision on a closed attempt: clear,
// suspicious, or violation (a comment required), which makes the attempt
// invalid — out of grades, ranks and statistics, its score kept.
func (s *Server) setReview(w http.ResponseWriter, r *http.Request) error {
	a, err := s.reviewedAttempt(r)
	if err != nil {
		return err
	}
	var req struct {
		Decision examhall.Decision `json:"decision"`
		Comment  string            `json:"comment"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := callerOf(r.Context())
	if err != nil {
		return err
	}
	rev := &examhall.Review{AttemptID: a.ID, Decision: req.Decision, Comment: req.Comment, ReviewerID: c.ID}
	if err := s.Reviews.SetReview(r.Context(), rev); err != nil {
		return err
	}
	if rev, err = s.Reviews.FindReview(r.Context(), a.ID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.reviewJSON(rev))
}

func (s *Server) reviewJSON(r *examhall.Review) *examhall.Review {
	c := *r
	c.DecidedAt = s.local(c.DecidedAt)
	return &c
}
