package examhall

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook event types.
const (
	HookAttemptStarted   = "attempt.started"
	HookAttemptSubmitted = "attempt.submitted"
	HookAttemptGraded    = "attempt.graded"
	HookGradesPublished  = "grades.published"
	HookCheatRecorded    = "cheat.recorded"
	HookReviewDecided    = "review.decided"
	HookRoomEnded        = "room.ended"
	HookExamPublished    = "exam.published"
)

// HookEventTypes lists every webhook event type.
var HookEventTypes = []string{HookAttemptStarted, HookAttemptSubmitted, HookAttemptGraded, HookGradesPublished,
	HookCheatRecorded, HookReviewDecided, HookRoomEnded, HookExamPublished}

// SubmitReason says why an attempt was closed; attempt.submitted carries it.
type SubmitReason string

// Submit reasons.
const (
	SubmitCandidate   SubmitReason = "candidate"    // the candidate handed in
	SubmitDeadline    SubmitReason = "deadline"     // the time ran out
	SubmitSwitchLimit SubmitReason = "switch_limit" // too many window switches
	SubmitInvigilator SubmitReason = "invigilator"  // staff closed it
	SubmitRoomEnded   SubmitReason = "room_ended"   // the room was ended while it was in progress
)

// Valid reports whether r is a known reason.
func (r SubmitReason) Valid() bool {
	switch r {
	case SubmitCandidate, SubmitDeadline, SubmitSwitchLimit, SubmitInvigilator, SubmitRoomEnded:
		return true
	}
	return false
}

// Webhook is an endpoint that receives events: a POST of each event of the
// subscribed types, signed with the secret.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Secret string   `json:"-"`      // HMAC-SHA256 key; shown once, on creation
	Events []string `json:"events"` // subscribed types; empty means all
	// Enabled endpoints receive new events; a disabled one gets none.
	Enabled bool `json:"enabled"`
	// AllowPrivate lets the endpoint resolve to loopback, private or
	// link-local addresses, which are refused otherwise (SSRF).
	AllowPrivate bool      `json:"allowPrivate"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// WebhookUpdate holds the fields of a partial update; nil fields stay.
type WebhookUpdate struct {
	URL          *string
	Secret       *string
	Events       *[]string
	Enabled      *bool
	AllowPrivate *bool
}

// Subscribes reports whether the endpoint wants events of type typ.
func (w *Webhook) Subscribes(typ string) bool {
	return len(w.Events) == 0 || slices.Contains(w.Events, typ)
}

// Validate checks the endpoint's URL and event types.
func (w *Webhook) Validate() error {
	if err := ValidateWebhookURL(w.URL, w.AllowPrivate); err != nil {
		return err
	}
	for _, e := range w.Events {
		if !slices.Contains(HookEventTypes, e) {
			return Errorf(EINVALID, "events: unknown event type %q (known: %s)", e, strings.Join(HookEventTypes, ", "))
		}
	}
	if len(w.Secret) < 16 || len(w.Secret) > 256 {
		return Errorf(EINVALID, "secret must be 16 to 256 bytes")
	}
	return nil
}

// ValidateWebhookURL checks an endpoint URL: absolute http or https, no
// credentials, at most 2048 bytes, and unless allowPrivate not a loopback,
// private or link-local address literal or "localhost". (Names are checked
// again when they are resolved, for each delivery.)
func ValidateWebhookURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return Errorf(EINVALID, "url is required")
	}
	if len(raw) > 2048 || !ValidText(raw) {
		return Errorf(EINVALID, "url must be UTF-8 of at most 2048 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(EINVALID, "url must be an absolute http or https URL")
	}
	if u.User != nil {
		return Errorf(EINVALID, "url must not carry credentials")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return Errorf(EINVALID, "url points at this machine; set allowPrivate to allow it")
	}
	if ip := net.ParseIP(host); ip != nil && !PublicIP(ip) {
		return Errorf(EINVALID, "url points at a private or loopback address; set allowPrivate to allow it")
	}
	return nil
}

// PublicIP reports whether ip is a public unicast address: not loopback,
// private, link-local, unspecified, multicast or carrier-grade NAT.
func PublicIP(ip net.IP) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	if v4 := ip.To4(); v4 != nil {
		// 100.64.0.0/10 (shared address space) and 0.0.0.0/8.
		if v4[0] == 100 && v4[1]&0xc0 == 64 || v4[0] == 0 {
			return false
		}
	}
	return true
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery states: pending until the endpoint answers 2xx (delivered) or
// 24 hours of retries pass (failed).
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event for one endpoint: an outbox row written in the
// transaction of the change that caused the event.
type Delivery struct {
	ID        int64           `json:"id"`
	EventID   string          `json:"eventId"` // the same for every endpoint, and on every retry
	WebhookID string          `json:"webhookId"`
	Type      string          `json:"type"`
	Key       string          `json:"orderingKey"` // events of one key are delivered in order
	Data      json.RawMessage `json:"data"`
	Status    DeliveryStatus  `json:"status"`
	Attempts  int             `json:"attempts"`
	CreatedAt time.Time       `json:"createdAt"` // the event's time
	NextAt    time.Time       `json:"nextAttemptAt,omitzero"`
	ExpiresAt time.Time       `json:"expiresAt"` // retried until then, then failed
	LastAt    time.Time       `json:"lastAttemptAt,omitzero"`
	LastCode  int             `json:"lastResponseCode,omitempty"`
	LastError string          `json:"lastError,omitempty"`
	// Tries lists the latest attempts, newest first (FindDeliveryByID only).
	Tries []DeliveryTry `json:"tries,omitempty"`

	// Filled for the sender by ClaimDeliveries.
	URL          string `json:"-"`
	Secret       string `json:"-"`
	AllowPrivate bool   `json:"-"`
}

// DeliveryTry is one attempt to deliver.
type DeliveryTry struct {
	At         time.Time `json:"at"`
	Code       int       `json:"responseCode,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"durationMs"`
}

// DeliveryFilter selects deliveries. Zero fields do not filter.
type DeliveryFilter struct {
	WebhookID string
	EventID   string
	Status    DeliveryStatus
	Offset    int
	Limit     int // 0 means no limit
}

// DeliveryResult is the outcome of one attempt, reported by the sender.
type DeliveryResult struct {
	ID    int64
	Try   DeliveryTry
	OK    bool      // the endpoint answered 2xx
	Retry time.Time // when not OK: the next attempt, or zero to fail it now
}

// WebhookService stores endpoints and shows their deliveries. Admins only.
type WebhookService interface {
	// CreateWebhook sets w.ID, w.CreatedAt and w.UpdatedAt.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// FindWebhookByID returns ENOTFOUND when there is none.
	FindWebhookByID(ctx context.Context, id string) (*Webhook, error)
	// FindWebhooks returns every endpoint, newest first.
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	// UpdateWebhook changes an endpoint; ENOTFOUND.
	UpdateWebhook(ctx context.Context, id string, upd WebhookUpdate) (*Webhook, error)
	// DeleteWebhook removes an endpoint and its deliveries; ENOTFOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// FindDeliveries returns matching deliveries, newest first, and the total.
	FindDeliveries(ctx context.Context, filter DeliveryFilter) ([]*Delivery, int, error)
	// FindDeliveryByID returns a delivery with its latest tries; ENOTFOUND.
	FindDeliveryByID(ctx context.Context, id int64) (*Delivery, error)
	// RedeliverDelivery makes a delivery pending again, due now, for another
	// 24 hours of retries; ENOTFOUND; ECONFLICT when it is pending already.
	RedeliverDelivery(ctx context.Context, id int64) (*Delivery, error)
}

// Outbox is what the webhook sender needs from the store.
type Outbox interface {
	// ClaimDeliveries leases up to max due deliveries, the oldest pending
	// one of each endpoint and ordering key, with their endpoint's URL and
	// secret, for lease: no other sender takes them meanwhile.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*Delivery, error)
	// FinishDeliveries records the outcome of attempts and ends the leases.
	FinishDeliveries(ctx context.Context, results []DeliveryResult) error
}
