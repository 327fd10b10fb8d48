-- Codes that work offline (issue 16): per lock, the secret the lock derives
-- codes from (sealed with the binding key, like bindings: never in the clear)
-- and the epoch it is valid in; and every code issued (its window, label and
-- issuer; the code itself is shown once and never stored). A code's
-- `code_id` is tumbler-offline's CodeId (form << 32 | start), unique per
-- lock and epoch: two codes with one window would be the same digits.
-- Keep in step with ../postgres/0017_offline_codes.sql.
CREATE TABLE offline_keys (
    lock_id     INTEGER PRIMARY KEY REFERENCES locks(id) ON DELETE CASCADE,
    secret      TEXT    NOT NULL,
    epoch       INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE offline_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    lock_id     INTEGER NOT NULL REFERENCES locks(id) ON DELETE CASCADE,
    epoch       INTEGER NOT NULL,
    code_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('one_time','hours','days','daily')),
    window_json TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    label       TEXT    NOT NULL,
    issued_by   INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    issued_at   INTEGER NOT NULL,
    revoked_at  INTEGER,
    UNIQUE (lock_id, epoch, code_id)
);
CREATE INDEX offline_codes_lock ON offline_codes(lock_id, id);
