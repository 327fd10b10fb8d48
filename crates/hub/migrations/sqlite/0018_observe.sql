-- Issue 17, metrics, logs and webhooks. Keep sqlite/ and postgres/ in step.

-- The X-Request-Id of the HTTP request that queued an operation (taken from
-- the caller or made by the hub), so the plane's log lines for it carry it.
ALTER TABLE operations ADD COLUMN request_id TEXT;
