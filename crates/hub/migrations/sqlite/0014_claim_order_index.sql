-- The job runner's claim walks pending operations in id order and stops after
-- its batch: with this index its cost follows the batch (and the operations in
-- flight it skips), not the length of the queue (issue 14).
CREATE INDEX operations_state_id ON operations(state, id);
