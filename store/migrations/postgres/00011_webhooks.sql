-- +goose Up
-- Webhook endpoints registered by admins.
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,               -- HMAC-SHA256 key (must be kept: it signs every request)
    events        TEXT NOT NULL DEFAULT '',    -- subscribed types as ",a,b,", '' for all
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    allow_private BOOLEAN NOT NULL DEFAULT FALSE, -- may resolve to loopback/private addresses
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- The transactional outbox: one row per event and subscribed endpoint,
-- inserted in the transaction of the change that caused the event. The
-- sender delivers the oldest pending row of each (webhook, okey) first, so
-- events of one attempt arrive in order.
CREATE TABLE webhook_deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,                           -- also the order of events
    event_id    TEXT NOT NULL,                 -- the same for each endpoint and retry
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    okey        TEXT NOT NULL,                 -- ordering key: the attempt, exam or room
    data        TEXT NOT NULL,                 -- the event's data (JSON object)
    status      TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,               -- the event's time (ms)
    next_at     BIGINT NOT NULL,               -- due then (ms), while pending
    expires_at  BIGINT NOT NULL,               -- retried until then (ms), then failed
    lease_until BIGINT NOT NULL DEFAULT 0,     -- claimed by a sender until then (ms)
    last_at     BIGINT NOT NULL DEFAULT 0,
    last_code   INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (webhook_id, okey, id) WHERE status = 'pending';
-- No other index: each costs every submit with a subscribed endpoint, and
-- the admins' delivery lists walk the primary key backwards (newest first).

-- Each attempt to deliver, for the deliveries' history.
CREATE TABLE webhook_tries (
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    code        INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_tries_delivery ON webhook_tries (delivery_id, at);

-- +goose Down
DROP TABLE webhook_tries;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
