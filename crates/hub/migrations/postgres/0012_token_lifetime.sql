-- Tokens made before tokens had a default lifetime (issue 13) never expired.
-- They keep working for 30 days from this upgrade (the default lifetime of a
-- new API token), then expire like any other; nobody is cut off at once.
UPDATE tokens
SET expires_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) + CAST(30 AS BIGINT) * 86400000
WHERE expires_at IS NULL;
