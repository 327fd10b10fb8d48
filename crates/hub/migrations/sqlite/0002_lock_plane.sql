-- The lock plane: bindings (controller keys and counters per claimed lock),
-- telemetry, the audit-log cursor, reset state, lifecycle intents,
-- command ids of operations, and the hub's own audit trail.

-- One binding per claimed lock: tumbler-control `Binding::to_bytes()` as hex.
-- Holds the hub's controller SECRET key for that lock (see README: at rest).
CREATE TABLE bindings (
    lock_id     INTEGER PRIMARY KEY REFERENCES locks(id),
    data        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

ALTER TABLE locks ADD COLUMN bolt TEXT;
ALTER TABLE locks ADD COLUMN door TEXT;
ALTER TABLE locks ADD COLUMN mode TEXT;
ALTER TABLE locks ADD COLUMN setup_mode INTEGER;
ALTER TABLE locks ADD COLUMN firmware TEXT;
ALTER TABLE locks ADD COLUMN credential_version INTEGER;
ALTER TABLE locks ADD COLUMN credential_digest TEXT;
ALTER TABLE locks ADD COLUMN clock_skew_s INTEGER;
ALTER TABLE locks ADD COLUMN status_at INTEGER;
ALTER TABLE locks ADD COLUMN log_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN log_cursor TEXT;
ALTER TABLE locks ADD COLUMN rejected_frames INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN stale_reason TEXT;
ALTER TABLE locks ADD COLUMN intent TEXT;
ALTER TABLE locks ADD COLUMN transfer_to_org INTEGER REFERENCES orgs(id);

ALTER TABLE operations ADD COLUMN command_id INTEGER;
ALTER TABLE operations ADD COLUMN result TEXT;
CREATE INDEX operations_lock_command ON operations(lock_id, command_id);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    account_id  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    lock_id     INTEGER REFERENCES locks(id),
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX audit_org ON audit(org_id, id);
