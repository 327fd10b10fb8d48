-- People and access (issue 7): people, their credentials, each person on
-- each door (a user slot on the lock) with a schedule and a delivery state,
-- each credential on each door, bulk batches, and post-reset verifications.
-- PINs are never stored: a PIN waiting to be sent lives sealed in its
-- operation's params and is erased when the operation ends.

CREATE TABLE people (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT    NOT NULL,
    owner       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    removed_at  INTEGER
);
CREATE INDEX people_org ON people(org_id, id);

CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('pin','card','fingerprint','app_key')),
    label       TEXT,
    data        TEXT,
    pin_tag     TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX credentials_person ON credentials(person_id);
CREATE INDEX credentials_tag ON credentials(org_id, pin_tag);

CREATE TABLE batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL,
    created_by  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE door_access (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    person_id      INTEGER NOT NULL REFERENCES people(id),
    lock_id        INTEGER NOT NULL REFERENCES locks(id),
    slot           INTEGER NOT NULL,
    schedule       TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending','setting','set','removing','removed','failed')),
    error          TEXT,
    digest_before  TEXT,
    digest         TEXT,
    gen            INTEGER NOT NULL DEFAULT 1,
    batch_id       INTEGER REFERENCES batches(id),
    updated_at     INTEGER NOT NULL
);
CREATE INDEX door_access_lock ON door_access(lock_id, state);
CREATE INDEX door_access_person ON door_access(person_id);
CREATE INDEX door_access_batch ON door_access(batch_id);

CREATE TABLE door_credentials (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    door_access_id INTEGER NOT NULL REFERENCES door_access(id),
    credential_id  INTEGER NOT NULL REFERENCES credentials(id),
    lock_id        INTEGER NOT NULL REFERENCES locks(id),
    cred_index     INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending','setting','set','removing','removed','failed')),
    error          TEXT,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX door_credentials_door ON door_credentials(door_access_id);
CREATE INDEX door_credentials_cred ON door_credentials(credential_id);

CREATE TABLE verifications (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                  INTEGER NOT NULL REFERENCES orgs(id),
    lock_id                 INTEGER NOT NULL REFERENCES locks(id),
    state                   TEXT    NOT NULL CHECK (state IN ('running','done','failed')),
    previous_reset_counter  INTEGER,
    report                  TEXT,
    error                   TEXT,
    created_at              INTEGER NOT NULL,
    finished_at             INTEGER
);
CREATE INDEX verifications_lock ON verifications(lock_id, id);

-- Which person-on-door (and which change of it) an operation belongs to.
ALTER TABLE operations ADD COLUMN access_door INTEGER;
ALTER TABLE operations ADD COLUMN access_gen INTEGER;
ALTER TABLE operations ADD COLUMN verification_id INTEGER;
CREATE INDEX operations_access ON operations(access_door, access_gen);
CREATE INDEX operations_verification ON operations(verification_id);

-- The reset counter the lock had before its last detected reset.
ALTER TABLE locks ADD COLUMN pre_reset_counter INTEGER;

-- A user slot and a credential slot hold one live thing at a time.
CREATE UNIQUE INDEX door_access_slot ON door_access(lock_id, slot) WHERE state <> 'removed';
CREATE UNIQUE INDEX door_credentials_slot ON door_credentials(lock_id, cred_index) WHERE state <> 'removed';
