-- What the lock reported in its capabilities: user slots and credentials per
-- user. NULL until it answered; the hub then assumes a Tumbler lock's
-- defaults (100 users, 4 credentials each).
ALTER TABLE locks ADD COLUMN max_users BIGINT;
ALTER TABLE locks ADD COLUMN creds_per_user BIGINT;
