package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"examhall"
)

// AuditFilter selects audit entries (ListAudit). Zero fields do not filter.
type AuditFilter struct {
	ActorID, ObjectType, ObjectID, Action string
	Since, Until                          time.Time
	Page
}

func (f AuditFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actorId": f.ActorID, "objectType": f.ObjectType, "objectId": f.ObjectID, "action": f.Action} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339))
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// ListAudit pages the audit log, newest first (GET /api/v1/audit). Admins only.
func (c *Client) ListAudit(ctx context.Context, f AuditFilter) ([]*examhall.AuditEntry, int, error) {
	var l list[*examhall.AuditEntry]
	if err := c.do(ctx, http.MethodGet, "/api/v1/audit", f.query(), nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// WebhookRequest is the body of CreateWebhook and UpdateWebhook; nil fields
// are left out (on update: unchanged).
type WebhookRequest struct {
	URL          *string   `json:"url,omitempty"`
	Secret       *string   `json:"secret,omitempty"`
	Events       *[]string `json:"events,omitempty"`
	Enabled      *bool     `json:"enabled,omitempty"`
	AllowPrivate *bool     `json:"allowPrivate,omitempty"`
}

// CreatedWebhook is a new endpoint with its secret, shown only then.
type CreatedWebhook struct {
	examhall.Webhook
	Secret string `json:"secret"`
}

// CreateWebhook registers an endpoint (POST /api/v1/webhooks). Admins only.
func (c *Client) CreateWebhook(ctx context.Context, req WebhookRequest) (*CreatedWebhook, error) {
	var w CreatedWebhook
	if err := c.do(ctx, http.MethodPost, "/api/v1/webhooks", nil, req, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// UpdateWebhook changes an endpoint (PATCH /api/v1/webhooks/{id}).
func (c *Client) UpdateWebhook(ctx context.Context, id string, req WebhookRequest) (*examhall.Webhook, error) {
	var w examhall.Webhook
	if err := c.do(ctx, http.MethodPatch, "/api/v1/webhooks/"+escape(id), nil, req, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// Deliveries pages an endpoint's deliveries, newest first, of one status
// ("" for all).
func (c *Client) Deliveries(ctx context.Context, webhookID string, status examhall.DeliveryStatus, p Page) ([]*examhall.Delivery, int, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	if p.Offset > 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var l list[*examhall.Delivery]
	if err := c.do(ctx, http.MethodGet, "/api/v1/webhooks/"+escape(webhookID)+"/deliveries", q, nil, &l); err != nil {
		return nil, 0, err
	}
	return l.Items, l.Total, nil
}

// Redeliver sends a delivered or failed delivery again.
func (c *Client) Redeliver(ctx context.Context, webhookID string, deliveryID int64) (*examhall.Delivery, error) {
	var d examhall.Delivery
	path := "/api/v1/webhooks/" + escape(webhookID) + "/deliveries/" + strconv.FormatInt(deliveryID, 10) + "/redeliver"
	if err := c.do(ctx, http.MethodPost, path, nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
