package manage

import (
	"net/http"
	"strconv"

	"examhall"
)

// webhookRequest is the body of POST and PATCH /webhooks; absent fields
// keep their value on PATCH.
type webhookRequest struct {
	URL          *string   `json:"url"`
	Secret       *string   `json:"secret"`
	Events       *[]string `json:"events"`
	Enabled      *bool     `json:"enabled"`
	AllowPrivate *bool     `json:"allowPrivate"`
}

// webhookCreated is a new endpoint with its secret, shown this once.
type webhookCreated struct {
	*examhall.Webhook
	Secret string `json:"secret"`
}

func (s *Server) webhookJSON(h *examhall.Webhook) *examhall.Webhook {
	v := *h
	v.CreatedAt, v.UpdatedAt = s.local(h.CreatedAt), s.local(h.UpdatedAt)
	return &v
}

func (s *Server) deliveryJSON(d *examhall.Delivery) *examhall.Delivery {
	v := *d
	v.CreatedAt, v.NextAt, v.ExpiresAt, v.LastAt = s.local(d.CreatedAt), s.local(d.NextAt), s.local(d.ExpiresAt), s.local(d.LastAt)
	v.Tries = make([]examhall.DeliveryTry, len(d.Tries))
	for i, t := range d.Tries {
		t.At = s.local(t.At)
		v.Tries[i] = t
	}
	if len(v.Tries) == 0 {
		v.Tries = nil
	}
	return &v
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	hs, err := s.Webhooks.FindWebhooks(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(hs, s.webhookJSON), len(hs)))
}

// createWebhook registers an endpoint. Without a secret one is generated;
// either way the response shows it, and no later one does.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.admin(ctx); err != nil {
		return err
	}
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	h := &examhall.Webhook{Enabled: true}
	if req.URL != nil {
		h.URL = *req.URL
	}
	if req.Secret != nil {
		h.Secret = *req.Secret
	} else {
		h.Secret = "whsec_" + examhall.NewID(24)
	}
	if req.Events != nil {
		h.Events = *req.Events
	}
	if req.Enabled != nil {
		h.Enabled = *req.Enabled
	}
	if req.AllowPrivate != nil {
		h.AllowPrivate = *req.AllowPrivate
	}
	if err := s.Webhooks.CreateWebhook(ctx, h); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, webhookCreated{s.webhookJSON(h), h.Secret})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	h, err := s.Webhooks.FindWebhookByID(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.webhookJSON(h))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	h, err := s.Webhooks.UpdateWebhook(ctx, id, examhall.WebhookUpdate{URL: req.URL, Secret: req.Secret,
		Events: req.Events, Enabled: req.Enabled, AllowPrivate: req.AllowPrivate})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.webhookJSON(h))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	if err := s.Webhooks.DeleteWebhook(ctx, id); err != nil {
		return err
	}
	return noContent(w)
}

// listDeliveries pages an endpoint's deliveries, newest first, filtered by
// status and eventId.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return err
	}
	if _, err := s.Webhooks.FindWebhookByID(ctx, id); err != nil {
		return err
	}
	q := r.URL.Query()
	f := examhall.DeliveryFilter{WebhookID: id}
	if f.Offset, f.Limit, err = page(q); err != nil {
		return err
	}
	switch v := examhall.DeliveryStatus(q.Get("status")); v {
	case "", examhall.DeliveryPending, examhall.DeliveryDelivered, examhall.DeliveryFailed:
		f.Status = v
	default:
		return examhall.Errorf(examhall.EINVALID, "status must be pending, delivered or failed, not %q", v)
	}
	if v := q.Get("eventId"); v != "" {
		if f.EventID, err = checkID("eventId", v); err != nil {
			return err
		}
	}
	ds, total, err := s.Webhooks.FindDeliveries(ctx, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(convert(ds, s.deliveryJSON), total))
}

// delivery reads the path's endpoint and delivery, which must be the
// endpoint's.
func (s *Server) delivery(r *http.Request) (*examhall.Delivery, error) {
	ctx, id, err := s.adminPath(r)
	if err != nil {
		return nil, err
	}
	v := r.PathValue("deliveryId")
	did, err := strconv.ParseInt(v, 10, 64)
	if err != nil || did < 1 {
		return nil, examhall.Errorf(examhall.EINVALID, "deliveryId must be a positive whole number, not %q", v)
	}
	d, err := s.Webhooks.FindDeliveryByID(ctx, did)
	if err != nil {
		return nil, err
	}
	if d.WebhookID != id {
		return nil, examhall.Errorf(examhall.ENOTFOUND, "delivery %d of webhook %q not found", did, id)
	}
	return d, nil
}

// getDelivery shows a delivery with its latest tries.
func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.delivery(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.deliveryJSON(d))
}

// redeliver sends a delivered or failed delivery again (same event ID).
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := s.delivery(r)
	if err != nil {
		return err
	}
	d, err = s.Webhooks.RedeliverDelivery(r.Context(), d.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, s.deliveryJSON(d))
}
