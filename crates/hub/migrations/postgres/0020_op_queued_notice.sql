-- A queued operation is announced on channel `tumbler_op_queued` (payload: its
-- lock id), delivered at commit, so the hub holding that lock's lease claims it
-- at once even when the request reached another hub (issue 14).
CREATE FUNCTION tumbler_op_queued() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tumbler_op_queued', NEW.lock_id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER operations_queued AFTER INSERT OR UPDATE OF state ON operations
    FOR EACH ROW
    WHEN (NEW.state = 'pending')
    EXECUTE FUNCTION tumbler_op_queued();
