-- Backbone schema (SQLite). Keep in step with ../postgres/0001_backbone.sql:
-- same tables, same columns, same meaning. Times are Unix milliseconds (UTC).

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('owner','manager','installer','support')),
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

-- Bearer tokens: sessions (short-lived, from login) and API tokens
-- (long-lived). Only a SHA-256 of the token is stored.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('session','api')),
    token_hash   TEXT    NOT NULL UNIQUE,
    label        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER
);
CREATE INDEX tokens_account ON tokens(account_id);

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- A lock known to the hub. org_id/site_id are NULL while unclaimed.
CREATE TABLE locks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    serial          TEXT    NOT NULL UNIQUE,
    org_id          INTEGER REFERENCES orgs(id),
    site_id         INTEGER REFERENCES sites(id),
    name            TEXT    NOT NULL,
    claim_state     TEXT    NOT NULL CHECK (claim_state IN ('unclaimed','claimed','reset_binding_stale','released')),
    online          INTEGER NOT NULL DEFAULT 0,
    last_seen_at    INTEGER,
    battery_pct     INTEGER,
    reset_counter   INTEGER NOT NULL DEFAULT 0,
    last_event_seq  INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX locks_org ON locks(org_id);

-- Remote operations, one row per attempt-able command, ordered per lock by id.
CREATE TABLE operations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    lock_id       INTEGER NOT NULL REFERENCES locks(id),
    kind          TEXT    NOT NULL,
    params        TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending','sent','applied','refused','failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    error         TEXT,
    created_by    INTEGER REFERENCES accounts(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    claimed_by    TEXT,
    claimed_at    INTEGER
);
CREATE INDEX operations_lock_state ON operations(lock_id, state, id);
CREATE INDEX operations_org ON operations(org_id, id);

-- Events reported by locks; (lock_id, seq) is the lock's own sequence number.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER REFERENCES orgs(id),
    lock_id      INTEGER NOT NULL REFERENCES locks(id),
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    UNIQUE (lock_id, seq)
);
CREATE INDEX events_org_at ON events(org_id, at);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    lock_id     INTEGER REFERENCES locks(id),
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL CHECK (severity IN ('info','warning','critical')),
    message     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    acked_at    INTEGER,
    acked_by    INTEGER REFERENCES accounts(id)
);
CREATE INDEX alerts_org ON alerts(org_id, id);
