-- The job runner counts its unanswered operations on every pass (flow control).
CREATE INDEX operations_state_worker ON operations(state, claimed_by);
