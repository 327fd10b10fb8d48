-- The lock plane: bindings (controller keys and counters per claimed lock),
-- telemetry, the audit-log cursor, reset state, lifecycle intents,
-- command ids of operations, and the hub's own audit trail.

-- One binding per claimed lock: tumbler-control `Binding::to_bytes()` as hex.
-- Holds the hub's controller SECRET key for that lock (see README: at rest).
CREATE TABLE bindings (
    lock_id     BIGINT PRIMARY KEY REFERENCES locks(id),
    data        TEXT    NOT NULL,
    updated_at  BIGINT NOT NULL
);

ALTER TABLE locks ADD COLUMN bolt TEXT;
ALTER TABLE locks ADD COLUMN door TEXT;
ALTER TABLE locks ADD COLUMN mode TEXT;
ALTER TABLE locks ADD COLUMN setup_mode BIGINT;
ALTER TABLE locks ADD COLUMN firmware TEXT;
ALTER TABLE locks ADD COLUMN credential_version BIGINT;
ALTER TABLE locks ADD COLUMN credential_digest TEXT;
ALTER TABLE locks ADD COLUMN clock_skew_s BIGINT;
ALTER TABLE locks ADD COLUMN status_at BIGINT;
ALTER TABLE locks ADD COLUMN log_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN log_cursor TEXT;
ALTER TABLE locks ADD COLUMN rejected_frames BIGINT NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN stale_reason TEXT;
ALTER TABLE locks ADD COLUMN intent TEXT;
ALTER TABLE locks ADD COLUMN transfer_to_org BIGINT REFERENCES orgs(id);

ALTER TABLE operations ADD COLUMN command_id BIGINT;
ALTER TABLE operations ADD COLUMN result TEXT;
CREATE INDEX operations_lock_command ON operations(lock_id, command_id);

CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    account_id  BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    lock_id     BIGINT REFERENCES locks(id),
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX audit_org ON audit(org_id, id);
