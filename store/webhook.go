package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"examhall"
)

var (
	_ examhall.WebhookService = (*DB)(nil)
	_ examhall.Outbox         = (*DB)(nil)
)

// deliveryWindow is how long an event is retried before it is failed.
const deliveryWindow = 24 * time.Hour

// hookEvent is one event for the outbox (enqueue).
type hookEvent struct {
	typ  string // examhall.Hook*
	key  string // ordering key: events of one key are delivered in order
	data any    // encodes to a JSON object
}

// enqueue writes one event to the outbox in tx, the transaction of the
// change that causes it: see enqueueAll.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, typ, key string, data any) error {
	return db.enqueueAll(ctx, tx, []hookEvent{{typ: typ, key: key, data: data}})
}

// enqueueAll writes events to the outbox in tx: one delivery per event and
// enabled endpoint subscribed to its type, so that an event exists exactly
// when its change does. Without subscribers it costs one read of the small
// webhooks table and writes nothing.
//
// Features emitting events call it (or enqueue) inside their own
// transaction; the type must be one of examhall.HookEventTypes.
func (db *DB) enqueueAll(ctx context.Context, tx *sql.Tx, events []hookEvent) error {
	if len(events) == 0 {
		return nil
	}
	hooks, err := subscribers(ctx, tx)
	if err != nil || len(hooks) == 0 {
		return err
	}
	now := db.now()
	const cols = 8
	var args []any
	for _, e := range events {
		var data []byte
		id := ""
		for _, h := range hooks {
			if !h.Subscribes(e.typ) {
				continue
			}
			if data == nil {
				if data, err = json.Marshal(e.data); err != nil {
					return fmt.Errorf("enqueue %s: %w", e.typ, err)
				}
				id = examhall.NewID(16)
			}
			args = append(args, id, h.ID, e.typ, e.key, string(data), ms(now), ms(now), ms(now.Add(deliveryWindow)))
		}
	}
	rows := len(args) / cols
	if rows > 0 {
		db.wakeTx.Store(tx, struct{}{})
	}
	return paramChunks(rows, cols, func(lo, hi int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, webhook_id, type, okey, data,
			created_at, next_at, expires_at) VALUES `+db.valuesList(hi-lo, cols), args[lo*cols:hi*cols]...)
		return err
	})
}

// OutboxWake returns a channel that receives when a transaction of this
// process that wrote outbox rows has committed, so that a sender in the
// same process need not wait for its next poll. (Other processes' senders
// find the rows when they poll.)
func (db *DB) OutboxWake() <-chan struct{} { return db.wake }

// wakeOutbox signals OutboxWake without blocking: one pending signal is
// enough, as the sender claims everything due when it wakes.
func (db *DB) wakeOutbox() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

// subscribers returns the enabled endpoints.
func subscribers(ctx context.Context, q querier) ([]*examhall.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, events FROM webhooks WHERE enabled`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(s scannable) (*examhall.Webhook, error) {
		var w examhall.Webhook
		var events string
		err := s.Scan(&w.ID, &events)
		w.Events = splitEvents(events)
		return &w, err
	})
}

// joinEvents stores event types as ",a,b," ("" for all), so one LIKE finds
// an endpoint's subscription.
func joinEvents(events []string) string {
	if len(events) == 0 {
		return ""
	}
	return "," + strings.Join(events, ",") + ","
}

func splitEvents(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// hookTime formats event times in data: RFC 3339, UTC, milliseconds.
func hookTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

const webhookColumns = `id, url, secret, events, enabled, allow_private, created_at, updated_at`

func scanWebhook(row scannable) (*examhall.Webhook, error) {
	var w examhall.Webhook
	var events string
	var created, updated int64
	if err := row.Scan(&w.ID, &w.URL, &w.Secret, &events, &w.Enabled, &w.AllowPrivate, &created, &updated); err != nil {
		return nil, err
	}
	w.Events, w.CreatedAt, w.UpdatedAt = splitEvents(events), fromMS(created), fromMS(updated)
	return &w, nil
}

// CreateWebhook stores w, setting its ID and times. EINVALID for a bad URL,
// event type or secret (examhall.Webhook.Validate).
func (db *DB) CreateWebhook(ctx context.Context, w *examhall.Webhook) (err error) {
	defer annotate(&err, "CreateWebhook")
	if err := w.Validate(); err != nil {
		return err
	}
	w.ID = examhall.NewID(8)
	if w.Events == nil {
		w.Events = []string{}
	}
	now := db.now()
	return db.transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			w.ID, w.URL, w.Secret, joinEvents(w.Events), w.Enabled, w.AllowPrivate, ms(now))
		if err != nil {
			return err
		}
		w.CreatedAt, w.UpdatedAt = now, now
		return db.audit(ctx, tx, "webhook", w.ID, "create", nil, w)
	})
}

// FindWebhookByID returns the endpoint; ENOTFOUND.
func (db *DB) FindWebhookByID(ctx context.Context, id string) (_ *examhall.Webhook, err error) {
	defer annotate(&err, "FindWebhookByID")
	return findWebhook(ctx, db.r, id)
}

func findWebhook(ctx context.Context, q querier, id string) (*examhall.Webhook, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "webhook %q not found", id)
	}
	return w, nil
}

// FindWebhooks returns every endpoint, newest first.
func (db *DB) FindWebhooks(ctx context.Context) (_ []*examhall.Webhook, err error) {
	defer annotate(&err, "FindWebhooks")
	rows, err := db.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanWebhook)
}

// UpdateWebhook applies upd; ENOTFOUND, EINVALID as CreateWebhook.
func (db *DB) UpdateWebhook(ctx context.Context, id string, upd examhall.WebhookUpdate) (_ *examhall.Webhook, err error) {
	defer annotate(&err, "UpdateWebhook")
	var w *examhall.Webhook
	err = db.transact(ctx, func(tx *sql.Tx) error {
		before, err := findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		v := *before
		w = &v
		if upd.URL != nil {
			w.URL = *upd.URL
		}
		if upd.Secret != nil {
			w.Secret = *upd.Secret
		}
		if upd.Events != nil {
			w.Events = *upd.Events
			if w.Events == nil {
				w.Events = []string{}
			}
		}
		if upd.Enabled != nil {
			w.Enabled = *upd.Enabled
		}
		if upd.AllowPrivate != nil {
			w.AllowPrivate = *upd.AllowPrivate
		}
		if err := w.Validate(); err != nil {
			return err
		}
		w.UpdatedAt = db.now()
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = $2, secret = $3, events = $4, enabled = $5,
			allow_private = $6, updated_at = $7 WHERE id = $1`, id, w.URL, w.Secret, joinEvents(w.Events), w.Enabled,
			w.AllowPrivate, ms(w.UpdatedAt)); err != nil {
			return err
		}
		after := any(w)
		if upd.Secret != nil {
			// Say the secret changed without showing it.
			after = struct {
				*examhall.Webhook
				Secret string `json:"secret"`
			}{w, "(changed)"}
		}
		return db.audit(ctx, tx, "webhook", id, "update", before, after)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook removes the endpoint and its deliveries; ENOTFOUND.
func (db *DB) DeleteWebhook(ctx context.Context, id string) (err error) {
	defer annotate(&err, "DeleteWebhook")
	return db.transact(ctx, func(tx *sql.Tx) error {
		before, err := findWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, "webhook", id, "delete", before, nil)
	})
}

const deliveryColumns = `d.id, d.event_id, d.webhook_id, d.type, d.okey, d.data, d.status, d.attempts, d.created_at,
	d.next_at, d.expires_at, d.last_at, d.last_code, d.last_error`

func scanDelivery(row scannable, extra ...any) (*examhall.Delivery, error) {
	var d examhall.Delivery
	var data string
	var created, next, expires, last int64
	dest := []any{&d.ID, &d.EventID, &d.WebhookID, &d.Type, &d.Key, &data, &d.Status, &d.Attempts, &created,
		&next, &expires, &last, &d.LastCode, &d.LastError}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	d.Data = json.RawMessage(data)
	d.CreatedAt, d.ExpiresAt, d.LastAt = fromMS(created), fromMS(expires), fromMS(last)
	if d.Status == examhall.DeliveryPending {
		d.NextAt = fromMS(next)
	}
	return &d, nil
}

// FindDeliveries returns the matching deliveries, newest first, and their
// total ignoring Offset and Limit.
func (db *DB) FindDeliveries(ctx context.Context, f examhall.DeliveryFilter) (_ []*examhall.Delivery, _ int, err error) {
	defer annotate(&err, "FindDeliveries")
	var w sqlWhere
	if f.WebhookID != "" {
		w.and("d.webhook_id = " + w.arg(f.WebhookID))
	}
	if f.EventID != "" {
		w.and("d.event_id = " + w.arg(f.EventID))
	}
	if f.Status != "" {
		w.and("d.status = " + w.arg(string(f.Status)))
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries d`+w.String(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, err
	}
	cond := w.String()
	rows, err := db.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d`+cond+
		` ORDER BY d.id DESC`+w.page(f.Offset, f.Limit), w.args...)
	if err != nil {
		return nil, 0, err
	}
	ds, err := scanAll(rows, func(s scannable) (*examhall.Delivery, error) { return scanDelivery(s) })
	return ds, total, err
}

// maxTriesShown bounds the tries FindDeliveryByID returns.
const maxTriesShown = 20

// FindDeliveryByID returns the delivery with its latest tries; ENOTFOUND.
func (db *DB) FindDeliveryByID(ctx context.Context, id int64) (_ *examhall.Delivery, err error) {
	defer annotate(&err, "FindDeliveryByID")
	return findDelivery(ctx, db.r, id)
}

func findDelivery(ctx context.Context, q querier, id int64) (*examhall.Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = $1`, id))
	if err != nil {
		return nil, notFound(err, "delivery %d not found", id)
	}
	rows, err := q.QueryContext(ctx, `SELECT at, code, error, duration_ms FROM webhook_tries WHERE delivery_id = $1
		ORDER BY at DESC LIMIT $2`, id, maxTriesShown)
	if err != nil {
		return nil, err
	}
	d.Tries, err = scanAll(rows, func(s scannable) (examhall.DeliveryTry, error) {
		var t examhall.DeliveryTry
		var at int64
		err := s.Scan(&at, &t.Code, &t.Error, &t.DurationMS)
		t.At = fromMS(at)
		return t, err
	})
	return d, err
}

// RedeliverDelivery makes a delivered or failed delivery pending again, due
// now, with another 24 hours of retries. ENOTFOUND; ECONFLICT while pending.
func (db *DB) RedeliverDelivery(ctx context.Context, id int64) (_ *examhall.Delivery, err error) {
	defer annotate(&err, "RedeliverDelivery")
	var d *examhall.Delivery
	err = db.transact(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = $2,
			expires_at = $3, lease_until = 0 WHERE id = $1 AND status <> 'pending'`, id, ms(now), ms(now.Add(deliveryWindow)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if d, err = findDelivery(ctx, tx, id); err != nil {
			return err
		}
		if n == 0 {
			return examhall.Errorf(examhall.ECONFLICT, "delivery %d is pending already", id)
		}
		return db.audit(ctx, tx, "delivery", fmt.Sprint(id), "redeliver", nil, map[string]any{"eventId": d.EventID})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// qClaim leases the due deliveries that are the oldest pending one of
// their endpoint and ordering key, so each key's events go out in order:
// a leased delivery stays pending, holding back its successors, until
// FinishDeliveries. On PostgreSQL, FOR UPDATE SKIP LOCKED lets replicas
// claim side by side without waiting for or taking each other's rows; a
// row another replica leased meanwhile fails the lease condition when it
// is re-checked after its lock. On SQLite one writer claims at a time.
var qClaim = `UPDATE webhook_deliveries SET lease_until = $2, attempts = attempts + 1
	WHERE id IN (
		SELECT c.id FROM webhook_deliveries c
		WHERE c.status = 'pending' AND c.next_at <= $1 AND c.lease_until <= $1
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.status = 'pending'
			AND p.webhook_id = c.webhook_id AND p.okey = c.okey AND p.id < c.id)
		ORDER BY c.next_at, c.id LIMIT $3{lock})
	RETURNING ` + strings.ReplaceAll(deliveryColumns, "d.", "")

// ClaimDeliveries leases up to max due deliveries for lease (see qClaim),
// counting the attempt, with their endpoint's URL and secret.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) (_ []*examhall.Delivery, err error) {
	defer annotate(&err, "ClaimDeliveries")
	now = msTime(now)
	// A read on a reader first: an idle outbox costs no write transaction.
	var due int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries
		WHERE status = 'pending' AND next_at <= $1 AND lease_until <= $1 LIMIT 1) t`, ms(now)).Scan(&due); err != nil {
		return nil, err
	}
	if due == 0 {
		return nil, nil
	}
	var out []*examhall.Delivery
	err = db.transact(ctx, func(tx *sql.Tx) error {
		q := strings.Replace(qClaim, "{lock}", db.engineLock("FOR UPDATE SKIP LOCKED"), 1)
		rows, err := tx.QueryContext(ctx, q, ms(now), ms(now.Add(lease)), limit)
		if err != nil {
			return err
		}
		if out, err = scanAll(rows, func(s scannable) (*examhall.Delivery, error) { return scanDelivery(s) }); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		// SQLite's RETURNING cannot name another table: the endpoints
		// separately (a handful of rows).
		rows, err = tx.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks`)
		if err != nil {
			return err
		}
		hooks, err := scanAll(rows, scanWebhook)
		if err != nil {
			return err
		}
		byID := make(map[string]*examhall.Webhook, len(hooks))
		for _, h := range hooks {
			byID[h.ID] = h
		}
		for _, d := range out {
			if h := byID[d.WebhookID]; h != nil {
				d.URL, d.Secret, d.AllowPrivate = h.URL, h.Secret, h.AllowPrivate
			}
		}
		slices.SortFunc(out, func(a, b *examhall.Delivery) int { return cmp.Compare(a.ID, b.ID) })
		return nil
	})
	return out, err
}

// typedValues is valuesList with each column cast to its type, for VALUES
// lists used as a table (PostgreSQL would take untyped parameters as text).
func (db *DB) typedValues(rows int, types ...string) string {
	var b strings.Builder
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c, t := range types {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString("CAST(")
			if db.dialect == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
			b.WriteString(" AS " + t + ")")
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// FinishDeliveries records the attempts' outcomes in one transaction: a
// try each, and the delivery delivered, due again at r.Retry, or failed.
func (db *DB) FinishDeliveries(ctx context.Context, results []examhall.DeliveryResult) (err error) {
	defer annotate(&err, "FinishDeliveries")
	if len(results) == 0 {
		return nil
	}
	return db.transact(ctx, func(tx *sql.Tx) error {
		const cols = 5
		args := make([]any, 0, len(results)*cols)
		for _, r := range results {
			args = append(args, r.ID, ms(r.Try.At), r.Try.Code, r.Try.Error, r.Try.DurationMS)
		}
		if err := paramChunks(len(results), cols, func(lo, hi int) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO webhook_tries (delivery_id, at, code, error, duration_ms)
				VALUES `+db.valuesList(hi-lo, cols), args[lo*cols:hi*cols]...)
			return err
		}); err != nil {
			return err
		}
		// One statement for all: a sender finishes a round of up to a
		// hundred or so deliveries at once.
		const ucols = 6
		uargs := make([]any, 0, len(results)*ucols)
		for _, r := range results {
			status, next := examhall.DeliveryDelivered, int64(0)
			switch {
			case r.OK:
			case !r.Retry.IsZero():
				status, next = examhall.DeliveryPending, ms(r.Retry)
			default:
				status = examhall.DeliveryFailed
			}
			uargs = append(uargs, r.ID, string(status), next, ms(r.Try.At), r.Try.Code, r.Try.Error)
		}
		return paramChunks(len(results), ucols, func(lo, hi int) error {
			// A retry past the window fails it instead.
			_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries AS d SET
				status = CASE WHEN v.st = 'pending' AND v.nx > d.expires_at THEN 'failed' ELSE v.st END,
				next_at = v.nx, lease_until = 0, last_at = v.at, last_code = v.code, last_error = v.err
				FROM (SELECT column1 AS id, column2 AS st, column3 AS nx, column4 AS at, column5 AS code, column6 AS err
					FROM (VALUES `+db.typedValues(hi-lo, "BIGINT", "TEXT", "BIGINT", "BIGINT", "INTEGER", "TEXT")+`) t) v
				WHERE d.id = v.id`, uargs[lo*ucols:hi*ucols]...)
			return err
		})
	})
}
