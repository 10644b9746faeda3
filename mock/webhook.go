package mock

import (
	"context"

	"examhall"
)

// AuditService mocks examhall.AuditService.
type AuditService struct {
	FindAuditEntriesFn func(ctx context.Context, f examhall.AuditFilter) ([]*examhall.AuditEntry, int, error)
}

var _ examhall.AuditService = (*AuditService)(nil)

// FindAuditEntries calls FindAuditEntriesFn.
func (m *AuditService) FindAuditEntries(ctx context.Context, f examhall.AuditFilter) ([]*examhall.AuditEntry, int, error) {
	if m.FindAuditEntriesFn == nil {
		panic("mock: unexpected call to AuditService.FindAuditEntries")
	}
	return m.FindAuditEntriesFn(ctx, f)
}

// WebhookService mocks examhall.WebhookService.
type WebhookService struct {
	CreateWebhookFn     func(ctx context.Context, w *examhall.Webhook) error
	FindWebhookByIDFn   func(ctx context.Context, id string) (*examhall.Webhook, error)
	FindWebhooksFn      func(ctx context.Context) ([]*examhall.Webhook, error)
	UpdateWebhookFn     func(ctx context.Context, id string, upd examhall.WebhookUpdate) (*examhall.Webhook, error)
	DeleteWebhookFn     func(ctx context.Context, id string) error
	FindDeliveriesFn    func(ctx context.Context, f examhall.DeliveryFilter) ([]*examhall.Delivery, int, error)
	FindDeliveryByIDFn  func(ctx context.Context, id int64) (*examhall.Delivery, error)
	RedeliverDeliveryFn func(ctx context.Context, id int64) (*examhall.Delivery, error)
}

var _ examhall.WebhookService = (*WebhookService)(nil)

// CreateWebhook calls CreateWebhookFn.
func (m *WebhookService) CreateWebhook(ctx context.Context, w *examhall.Webhook) error {
	if m.CreateWebhookFn == nil {
		panic("mock: unexpected call to WebhookService.CreateWebhook")
	}
	return m.CreateWebhookFn(ctx, w)
}

// FindWebhookByID calls FindWebhookByIDFn.
func (m *WebhookService) FindWebhookByID(ctx context.Context, id string) (*examhall.Webhook, error) {
	if m.FindWebhookByIDFn == nil {
		panic("mock: unexpected call to WebhookService.FindWebhookByID")
	}
	return m.FindWebhookByIDFn(ctx, id)
}

// FindWebhooks calls FindWebhooksFn.
func (m *WebhookService) FindWebhooks(ctx context.Context) ([]*examhall.Webhook, error) {
	if m.FindWebhooksFn == nil {
		panic("mock: unexpected call to WebhookService.FindWebhooks")
	}
	return m.FindWebhooksFn(ctx)
}

// UpdateWebhook calls UpdateWebhookFn.
func (m *WebhookService) UpdateWebhook(ctx context.Context, id string, upd examhall.WebhookUpdate) (*examhall.Webhook, error) {
	if m.UpdateWebhookFn == nil {
		panic("mock: unexpected call to WebhookService.UpdateWebhook")
	}
	return m.UpdateWebhookFn(ctx, id, upd)
}

// DeleteWebhook calls DeleteWebhookFn.
func (m *WebhookService) DeleteWebhook(ctx context.Context, id string) error {
	if m.DeleteWebhookFn == nil {
		panic("mock: unexpected call to WebhookService.DeleteWebhook")
	}
	return m.DeleteWebhookFn(ctx, id)
}

// FindDeliveries calls FindDeliveriesFn.
func (m *WebhookService) FindDeliveries(ctx context.Context, f examhall.DeliveryFilter) ([]*examhall.Delivery, int, error) {
	if m.FindDeliveriesFn == nil {
		panic("mock: unexpected call to WebhookService.FindDeliveries")
	}
	return m.FindDeliveriesFn(ctx, f)
}

// FindDeliveryByID calls FindDeliveryByIDFn.
func (m *WebhookService) FindDeliveryByID(ctx context.Context, id int64) (*examhall.Delivery, error) {
	if m.FindDeliveryByIDFn == nil {
		panic("mock: unexpected call to WebhookService.FindDeliveryByID")
	}
	return m.FindDeliveryByIDFn(ctx, id)
}

// RedeliverDelivery calls RedeliverDeliveryFn.
func (m *WebhookService) RedeliverDelivery(ctx context.Context, id int64) (*examhall.Delivery, error) {
	if m.RedeliverDeliveryFn == nil {
		panic("mock: unexpected call to WebhookService.RedeliverDelivery")
	}
	return m.RedeliverDeliveryFn(ctx, id)
}
