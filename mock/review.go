package mock

import (
	"context"

	"examhall"
)

// ReviewService mocks examhall.ReviewService.
type ReviewService struct {
	SetReviewFn   func(ctx context.Context, r *examhall.Review) error
	FindReviewFn  func(ctx context.Context, attemptID string) (*examhall.Review, error)
	FindFlaggedFn func(ctx context.Context, f examhall.FlaggedFilter) ([]*examhall.Flagged, error)
	FindSignalsFn func(ctx context.Context, examID, roomID, userID string, limit int) ([]*examhall.CheatRecord, error)
}

var _ examhall.ReviewService = (*ReviewService)(nil)

// SetReview calls SetReviewFn.
func (m *ReviewService) SetReview(ctx context.Context, r *examhall.Review) error {
	if m.SetReviewFn == nil {
		panic("mock: unexpected call to ReviewService.SetReview")
	}
	return m.SetReviewFn(ctx, r)
}

// FindReview calls FindReviewFn.
func (m *ReviewService) FindReview(ctx context.Context, attemptID string) (*examhall.Review, error) {
	if m.FindReviewFn == nil {
		panic("mock: unexpected call to ReviewService.FindReview")
	}
	return m.FindReviewFn(ctx, attemptID)
}

// FindFlagged calls FindFlaggedFn.
func (m *ReviewService) FindFlagged(ctx context.Context, f examhall.FlaggedFilter) ([]*examhall.Flagged, error) {
	if m.FindFlaggedFn == nil {
		panic("mock: unexpected call to ReviewService.FindFlagged")
	}
	return m.FindFlaggedFn(ctx, f)
}

// FindSignals calls FindSignalsFn.
func (m *ReviewService) FindSignals(ctx context.Context, examID, roomID, userID string, limit int) ([]*examhall.CheatRecord, error) {
	if m.FindSignalsFn == nil {
		panic("mock: unexpected call to ReviewService.FindSignals")
	}
	return m.FindSignalsFn(ctx, examID, roomID, userID, limit)
}

// ResultService mocks examhall.ResultService.
type ResultService struct {
	FindResultsFn  func(ctx context.Context, examID string) (*examhall.Results, error)
	CountPendingFn func(ctx context.Context, examID string) (int, int, error)
}

var _ examhall.ResultService = (*ResultService)(nil)

// FindResults calls FindResultsFn.
func (m *ResultService) FindResults(ctx context.Context, examID string) (*examhall.Results, error) {
	if m.FindResultsFn == nil {
		panic("mock: unexpected call to ResultService.FindResults")
	}
	return m.FindResultsFn(ctx, examID)
}

// CountPending calls CountPendingFn.
func (m *ResultService) CountPending(ctx context.Context, examID string) (int, int, error) {
	if m.CountPendingFn == nil {
		panic("mock: unexpected call to ResultService.CountPending")
	}
	return m.CountPendingFn(ctx, examID)
}
