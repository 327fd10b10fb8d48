-- People and access (issue 7): people, their credentials, each person on
-- each door (a user slot on the lock) with a schedule and a delivery state,
-- each credential on each door, bulk batches, and post-reset verifications.
-- PINs are never stored: a PIN waiting to be sent lives sealed in its
-- operation's params and is erased when the operation ends.

CREATE TABLE people (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    name        TEXT    NOT NULL,
    owner       BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    removed_at  BIGINT
);
CREATE INDEX people_org ON people(org_id, id);

CREATE TABLE credentials (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    person_id   BIGINT NOT NULL REFERENCES people(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('pin','card','fingerprint','app_key')),
    label       TEXT,
    data        TEXT,
    pin_tag     TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX credentials_person ON credentials(person_id);
CREATE INDEX credentials_tag ON credentials(org_id, pin_tag);

CREATE TABLE batches (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL,
    created_by  BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE door_access (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES orgs(id),
    person_id      BIGINT NOT NULL REFERENCES people(id),
    lock_id        BIGINT NOT NULL REFERENCES locks(id),
    slot           BIGINT NOT NULL,
    schedule       TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending','setting','set','removing','removed','failed')),
    error          TEXT,
    digest_before  TEXT,
    digest         TEXT,
    gen            BIGINT NOT NULL DEFAULT 1,
    batch_id       BIGINT REFERENCES batches(id),
    updated_at     BIGINT NOT NULL
);
CREATE INDEX door_access_lock ON door_access(lock_id, state);
CREATE INDEX door_access_person ON door_access(person_id);
CREATE INDEX door_access_batch ON door_access(batch_id);

CREATE TABLE door_credentials (
    id             BIGSERIAL PRIMARY KEY,
    door_access_id BIGINT NOT NULL REFERENCES door_access(id),
    credential_id  BIGINT NOT NULL REFERENCES credentials(id),
    lock_id        BIGINT NOT NULL REFERENCES locks(id),
    cred_index     BIGINT NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending','setting','set','removing','removed','failed')),
    error          TEXT,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX door_credentials_door ON door_credentials(door_access_id);
CREATE INDEX door_credentials_cred ON door_credentials(credential_id);

CREATE TABLE verifications (
    id                      BIGSERIAL PRIMARY KEY,
    org_id                  BIGINT NOT NULL REFERENCES orgs(id),
    lock_id                 BIGINT NOT NULL REFERENCES locks(id),
    state                   TEXT    NOT NULL CHECK (state IN ('running','done','failed')),
    previous_reset_counter  BIGINT,
    report                  TEXT,
    error                   TEXT,
    created_at              BIGINT NOT NULL,
    finished_at             BIGINT
);
CREATE INDEX verifications_lock ON verifications(lock_id, id);

-- Which person-on-door (and which change of it) an operation belongs to.
ALTER TABLE operations ADD COLUMN access_door BIGINT;
ALTER TABLE operations ADD COLUMN access_gen BIGINT;
ALTER TABLE operations ADD COLUMN verification_id BIGINT;
CREATE INDEX operations_access ON operations(access_door, access_gen);
CREATE INDEX operations_verification ON operations(verification_id);

-- The reset counter the lock had before its last detected reset.
ALTER TABLE locks ADD COLUMN pre_reset_counter BIGINT;

-- A user slot and a credential slot hold one live thing at a time.
CREATE UNIQUE INDEX door_access_slot ON door_access(lock_id, slot) WHERE state <> 'removed';
CREATE UNIQUE INDEX door_credentials_slot ON door_credentials(lock_id, cred_index) WHERE state <> 'removed';
