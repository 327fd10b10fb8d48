-- Issue 17, metrics, logs and webhooks. Keep sqlite/ and postgres/ in step.

-- The X-Request-Id of the HTTP request that queued an operation (taken from
-- the caller or made by the hub), so the plane's log lines for it carry it.
ALTER TABLE operations ADD COLUMN request_id TEXT;

-- Webhook endpoints of an organisation. The signing secret is sealed with the
-- binding key like PINs (plain only on a hub without one); shown once.
CREATE TABLE webhooks (
    id                    BIGSERIAL PRIMARY KEY,
    org_id                BIGINT NOT NULL REFERENCES orgs(id),
    url                   TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    enabled               BIGINT NOT NULL DEFAULT 1,
    disabled_reason       TEXT,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    failing_since         BIGINT,
    created_by            BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at            BIGINT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks(org_id);

-- The event names an endpoint subscribed to ('*': every event).
CREATE TABLE webhook_events (
    webhook_id  BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, event)
);

-- The outbox: one row per event and subscribed endpoint, written in the
-- transaction that stores the event or raises the alert. Delivered in id
-- order per (webhook, lane): lane = the lock's id (0: not about one lock).
CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    org_id           BIGINT NOT NULL REFERENCES orgs(id),
    lane             BIGINT NOT NULL,
    event            TEXT    NOT NULL,
    msg_id           TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('pending','delivered','failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_at          BIGINT NOT NULL,
    lease_until      BIGINT,
    last_status      BIGINT,
    last_error       TEXT,
    last_latency_ms  BIGINT,
    created_at       BIGINT NOT NULL,
    ended_at         BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_at);
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries(webhook_id, lane, state, id);

-- Every attempt of a delivery (the delivery log).
CREATE TABLE webhook_attempts (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at           BIGINT NOT NULL,
    status       BIGINT,
    error        TEXT,
    latency_ms   BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
