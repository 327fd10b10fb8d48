-- Backbone schema (PostgreSQL). Keep in step with ../sqlite/0001_backbone.sql:
-- same tables, same columns, same meaning. Times are Unix milliseconds (UTC).


CREATE TABLE orgs (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE accounts (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES orgs(id),
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('owner','manager','installer','support')),
    password_hash  TEXT    NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

-- Bearer tokens: sessions (short-lived, from login) and API tokens
-- (long-lived). Only a SHA-256 of the token is stored.
CREATE TABLE tokens (
    id           BIGSERIAL PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('session','api')),
    token_hash   TEXT    NOT NULL UNIQUE,
    label        TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT
);
CREATE INDEX tokens_account ON tokens(account_id);

CREATE TABLE sites (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    name        TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- A lock known to the hub. org_id/site_id are NULL while unclaimed.
CREATE TABLE locks (
    id              BIGSERIAL PRIMARY KEY,
    serial          TEXT    NOT NULL UNIQUE,
    org_id          BIGINT REFERENCES orgs(id),
    site_id         BIGINT REFERENCES sites(id),
    name            TEXT    NOT NULL,
    claim_state     TEXT    NOT NULL CHECK (claim_state IN ('unclaimed','claimed','reset_binding_stale','released')),
    online          BIGINT NOT NULL DEFAULT 0,
    last_seen_at    BIGINT,
    battery_pct     BIGINT,
    reset_counter   BIGINT NOT NULL DEFAULT 0,
    last_event_seq  BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX locks_org ON locks(org_id);

-- Remote operations, one row per attempt-able command, ordered per lock by id.
CREATE TABLE operations (
    id            BIGSERIAL PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs(id),
    lock_id       BIGINT NOT NULL REFERENCES locks(id),
    kind          TEXT    NOT NULL,
    params        TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending','sent','applied','refused','failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    error         TEXT,
    created_by    BIGINT REFERENCES accounts(id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    claimed_by    TEXT,
    claimed_at    BIGINT
);
CREATE INDEX operations_lock_state ON operations(lock_id, state, id);
CREATE INDEX operations_org ON operations(org_id, id);

-- Events reported by locks; (lock_id, seq) is the lock's own sequence number.
CREATE TABLE events (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT REFERENCES orgs(id),
    lock_id      BIGINT NOT NULL REFERENCES locks(id),
    seq          BIGINT NOT NULL,
    kind         TEXT    NOT NULL,
    at           BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    data         TEXT    NOT NULL,
    UNIQUE (lock_id, seq)
);
CREATE INDEX events_org_at ON events(org_id, at);

CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    lock_id     BIGINT REFERENCES locks(id),
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL CHECK (severity IN ('info','warning','critical')),
    message     TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    acked_at    BIGINT,
    acked_by    BIGINT REFERENCES accounts(id)
);
CREATE INDEX alerts_org ON alerts(org_id, id);
