-- Issue 17, metrics, logs and webhooks. Keep sqlite/ and postgres/ in step.

-- The X-Request-Id of the HTTP request that queued an operation (taken from
-- the caller or made by the hub), so the plane's log lines for it carry it.
ALTER TABLE operations ADD COLUMN request_id TEXT;

-- Webhook endpoints of an organisation. The signing secret is sealed with the
-- binding key like PINs (plain only on a hub without one); shown once.
CREATE TABLE webhooks (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                INTEGER NOT NULL REFERENCES orgs(id),
    url                   TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    enabled               INTEGER NOT NULL DEFAULT 1,
    disabled_reason       TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    failing_since         INTEGER,
    created_by            INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at            INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks(org_id);

-- The event names an endpoint subscribed to ('*': every event).
CREATE TABLE webhook_events (
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, event)
);

-- The outbox: one row per event and subscribed endpoint, written in the
-- transaction that stores the event or raises the alert. Delivered in id
-- order per (webhook, lane): lane = the lock's id (0: not about one lock).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    org_id           INTEGER NOT NULL REFERENCES orgs(id),
    lane             INTEGER NOT NULL,
    event            TEXT    NOT NULL,
    msg_id           TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          INTEGER NOT NULL,
    lease_until      INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    last_latency_ms  INTEGER,
    created_at       INTEGER NOT NULL,
    ended_at         INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_at);
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries(webhook_id, lane, state, id);

-- Every attempt of a delivery (the delivery log).
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    status       INTEGER,
    error        TEXT,
    latency_ms   INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
