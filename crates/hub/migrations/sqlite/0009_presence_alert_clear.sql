-- Presence that is true: besides the broker's availability (`online`), a lock
-- that is connected but does not answer is `unresponsive`; `presence_since`
-- says since when the current presence holds.
-- Alerts right: a condition alert (offline, unresponsive, battery) is
-- `cleared_at` when its condition ends; raised again while still
-- unacknowledged it reopens and counts (a flapping link is one alert).
ALTER TABLE locks ADD COLUMN presence TEXT NOT NULL DEFAULT 'offline'
    CHECK (presence IN ('online','offline','unresponsive'));
ALTER TABLE locks ADD COLUMN presence_since INTEGER;
UPDATE locks SET presence = CASE WHEN online = 1 THEN 'online' ELSE 'offline' END,
                 presence_since = last_seen_at;
ALTER TABLE alerts ADD COLUMN cleared_at INTEGER;
