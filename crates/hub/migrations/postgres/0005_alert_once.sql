-- One open alert per organisation, lock and kind: raising it again while it
-- is open counts (times, last_at) instead of adding a row. Open duplicates
-- from before are folded into the newest one (the rest marked acknowledged
-- by nobody at their creation time).
ALTER TABLE alerts ADD COLUMN times BIGINT NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
UPDATE alerts SET last_at = created_at;
UPDATE alerts SET times = (
    SELECT COUNT(*) FROM alerts d
    WHERE d.org_id = alerts.org_id AND d.lock_id = alerts.lock_id
      AND d.kind = alerts.kind AND d.acked_at IS NULL
) WHERE acked_at IS NULL AND lock_id IS NOT NULL;
UPDATE alerts SET acked_at = created_at
WHERE acked_at IS NULL AND lock_id IS NOT NULL AND id <> (
    SELECT MAX(d.id) FROM alerts d
    WHERE d.org_id = alerts.org_id AND d.lock_id = alerts.lock_id
      AND d.kind = alerts.kind AND d.acked_at IS NULL
);
CREATE UNIQUE INDEX alerts_open_once ON alerts(org_id, lock_id, kind)
    WHERE acked_at IS NULL AND lock_id IS NOT NULL;
