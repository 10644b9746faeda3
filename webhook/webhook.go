// Package webhook delivers the events of the store's outbox to the
// endpoints admins register: a background Sender claims due deliveries
// (examhall.Outbox), POSTs each as a signed JSON request and records the
// outcome, retrying with exponential backoff and jitter until the store
// fails the delivery 24 hours after its event.
//
// Delivery is at least once: a sender that dies between a request and
// recording its outcome leaves the delivery leased, and once the lease
// runs out another sender (or the restarted one) sends it again with the
// same event ID. Events of one ordering key (an attempt, an exam, a room)
// reach an endpoint in order: the store hands out only the oldest pending
// delivery of each key.
//
// The wire format and how to verify a signature are in docs/webhooks.md.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"examhall"
)

// Request headers.
const (
	HeaderEventID   = "Examhall-Event-Id"
	HeaderEventType = "Examhall-Event-Type"
	HeaderTimestamp = "Examhall-Timestamp" // Unix seconds, signed with the body
	HeaderSignature = "Examhall-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderAttempt   = "Examhall-Delivery-Attempt"
)

// Defaults of a Sender.
const (
	DefaultTimeout = 10 * time.Second
	DefaultPoll    = 250 * time.Millisecond
	DefaultWorkers = 64
	// maxBackoff caps the wait between two attempts.
	maxBackoff = time.Hour
)

// Sender delivers the outbox's events. Several may run against one
// PostgreSQL store (one per replica); on SQLite, one process.
type Sender struct {
	Outbox  examhall.Outbox
	Log     *slog.Logger     // defaults to slog.Default()
	Now     func() time.Time // defaults to time.Now
	Timeout time.Duration    // per request; DefaultTimeout when 0
	Poll    time.Duration    // wait when nothing is due; DefaultPoll when 0
	Workers int              // requests in flight; DefaultWorkers when 0
	// Wake, when set, ends a wait for the next poll early: the store
	// signals it when this process commits new outbox rows.
	Wake <-chan struct{}
	// Backoff returns the wait after a delivery's attempt-th failed
	// attempt; the package's Backoff when nil (tests shorten it).
	Backoff func(attempt int) time.Duration

	once            sync.Once
	public, private *http.Client
}

// Event is the JSON body of a delivery request.
type Event struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// errPrivate refuses an address an endpoint without AllowPrivate may not reach.
var errPrivate = errors.New("refused: the address is loopback, private or link-local (the endpoint does not allow private targets)")

func (s *Sender) init() {
	s.once.Do(func() {
		s.public = newClient(s.timeout(), false)
		s.private = newClient(s.timeout(), true)
	})
}

// newClient returns the HTTP client of deliveries: no redirects, no proxy
// (a proxy would reach what the dialer refuses), and unless allowPrivate a
// dialer that refuses non-public addresses after resolution, so a name
// that resolves (or rebinds) to an internal address is refused too.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !examhall.PublicIP(ip) {
				return errPrivate
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   DefaultWorkers,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Sender) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return DefaultWorkers
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// lease is how long a claimed round may take: two requests per worker at
// most, plus a margin for recording the outcomes.
func (s *Sender) lease() time.Duration { return 2*s.timeout() + 15*time.Second }

// Run delivers until ctx is done: rounds back to back while deliveries are
// due, a poll interval apart otherwise.
func (s *Sender) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for ctx.Err() == nil {
		n, err := s.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log().Error("webhook deliveries", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-s.Wake:
		}
		t.Stop()
	}
}

// RunOnce claims the deliveries due now (up to two per worker), sends them
// concurrently and records their outcomes; it returns how many it sent.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	s.init()
	ds, err := s.Outbox.ClaimDeliveries(ctx, s.now(), s.lease(), 2*s.workers())
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	results := make([]examhall.DeliveryResult, len(ds))
	sem := make(chan struct{}, s.workers())
	var wg sync.WaitGroup
	for i, d := range ds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = s.deliver(ctx, d)
		}()
	}
	wg.Wait()
	// Recorded even when ctx ends meanwhile: the requests were made.
	if err := s.Outbox.FinishDeliveries(context.WithoutCancel(ctx), results); err != nil {
		return 0, err
	}
	return len(ds), nil
}

// deliver makes one attempt of d.
func (s *Sender) deliver(ctx context.Context, d *examhall.Delivery) examhall.DeliveryResult {
	start := s.now()
	res := examhall.DeliveryResult{ID: d.ID, Try: examhall.DeliveryTry{At: start}}
	code, err := s.post(ctx, d, start)
	res.Try.DurationMS = s.now().Sub(start).Milliseconds()
	res.Try.Code = code
	switch {
	case err != nil:
		res.Try.Error = truncate(err.Error(), 500)
	case code < 200 || code > 299:
		res.Try.Error = "HTTP " + strconv.Itoa(code)
	default:
		res.OK = true
		return res
	}
	backoff := s.Backoff
	if backoff == nil {
		backoff = Backoff
	}
	res.Retry = start.Add(backoff(d.Attempts))
	s.log().Debug("webhook delivery failed", "delivery", d.ID, "event", d.EventID, "attempt", d.Attempts,
		"code", code, "err", res.Try.Error)
	return res
}

// post sends d's request and returns the response status.
func (s *Sender) post(ctx context.Context, d *examhall.Delivery, now time.Time) (int, error) {
	body, err := json.Marshal(Event{ID: d.EventID, Type: d.Type, Time: d.CreatedAt, Data: d.Data})
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "examhall-webhook/1")
	req.Header.Set(HeaderEventID, d.EventID)
	req.Header.Set(HeaderEventType, d.Type)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, body))
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempts))
	client := s.public
	if d.AllowPrivate {
		client = s.private
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Read a little so the connection can be reused; the body means nothing.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// Backoff returns the wait after the attempt-th failed attempt: 1 s
// doubling up to an hour, of which a random half is taken off (jitter), so
// that deliveries failing together do not retry together.
func Backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt >= 1 && attempt <= 12 {
		d = min(maxBackoff, time.Second<<(attempt-1))
	}
	return d/2 + rand.N(d/2+1)
}

// Sign returns the signature header value of body sent at timestamp (Unix
// seconds, as in the timestamp header): "v1=" and the hex HMAC-SHA256 of
// timestamp + "." + body under secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's signature and that its timestamp is within
// tolerance of now (replays of old requests fail).
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: bad timestamp %q", timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp %s is outside the tolerance", timestamp)
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return errors.New("webhook: signature mismatch")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
