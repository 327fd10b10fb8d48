-- Lock-plane leases (issue 14): the locks are divided into 64 shards by lock id
-- (id % 64); each shard is handled by the hub process holding its lease, so
-- with several hubs on one database each lock's frames are opened, stored and
-- answered by one hub, and its commands sent by that hub alone. `until` is
-- wall-clock Unix milliseconds; an expired lease may be taken by any hub.
CREATE TABLE plane_leases (
    shard BIGINT PRIMARY KEY,
    holder TEXT NOT NULL DEFAULT '',
    until BIGINT NOT NULL DEFAULT 0
);
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 63)
INSERT INTO plane_leases (shard) SELECT n FROM s;

-- The hub processes alive (each renews `seen`, wall-clock Unix ms, every
-- second): a hub holding no shard yet still counts when shares are made.
CREATE TABLE plane_hubs (
    worker TEXT PRIMARY KEY,
    seen BIGINT NOT NULL
);
