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
INSERT INTO plane_leases (shard) SELECT generate_series(0, 63);

-- An operation that became final is announced on channel `tumbler_op_ended`
-- (payload: its id), delivered at commit: a hub whose API call waits for the
-- answer (`?wait_ms=`) wakes at once even when another hub stored it.
CREATE FUNCTION tumbler_op_ended() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tumbler_op_ended', NEW.id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER operations_ended AFTER UPDATE OF state ON operations
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.state IN ('applied', 'refused', 'failed'))
    EXECUTE FUNCTION tumbler_op_ended();

-- The hub processes alive (each renews `seen`, wall-clock Unix ms, every
-- second): a hub holding no shard yet still counts when shares are made.
CREATE TABLE plane_hubs (
    worker TEXT PRIMARY KEY,
    seen BIGINT NOT NULL
);
