//! The background job runner: claims pending operations through the
//! database (so several hub processes share the work without sending one
//! twice) and sends them to their locks.
//!
//! The hub's sender is the lock plane's `ProtoSender` (sealed tumbler-proto
//! envelopes); tests plug in fakes. The lock's answer (applied/refused)
//! arrives on its `up` topic and ends
//! the operation with [`Store::finish_operation`](crate::store::Store::finish_operation);
//! operations without an answer are sent again after
//! [`JobRunner::resend_after_ms`], until `max_attempts`. A remote lock or
//! unlock still waiting [`JobRunner::door_op_ttl_ms`] after it was asked for
//! fails `expired` instead: a door never moves long after someone asked.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::model::{OpName, Operation};
use crate::store::{Store, StoreError};

/// Why sending an operation failed (it stays `sent` and is retried).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The transport refused it.
    #[error("transport: {0}")]
    Transport(String),
}

/// Delivers a claimed operation to its lock.
pub trait OperationSender: Send + Sync + 'static {
    /// Sends `op` to the lock with `serial`.
    fn send(
        &self,
        serial: &str,
        op: &Operation,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// An operation sent to lock `lock_id` at `since` (ms) went unanswered
    /// for the resend delay: the lock plane marks a connected lock
    /// `unresponsive`. The default does nothing (test fakes).
    fn unanswered(
        &self,
        lock_id: i64,
        since: i64,
    ) -> impl Future<Output = Result<(), SendError>> + Send {
        let _ = (lock_id, since);
        async { Ok(()) }
    }

    /// Probes connected locks quiet for `quiet_ms`; a probe unanswered for
    /// `answer_ms` makes its lock `unresponsive`. The default does nothing
    /// (test fakes).
    fn probe(
        &self,
        now: i64,
        quiet_ms: i64,
        answer_ms: i64,
    ) -> impl Future<Output = Result<(), SendError>> + Send {
        let _ = (now, quiet_ms, answer_ms);
        async { Ok(()) }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Operations put back to `pending` or failed for lack of an answer.
    pub requeued: u64,
    /// Remote lock/unlock operations failed `expired` (asked too long ago).
    pub expired: u64,
    /// Operations claimed and handed to the sender (ids, in order).
    pub sent: Vec<i64>,
    /// Claimed operations the sender could not deliver (retried later).
    pub send_errors: usize,
}

/// A remote lock or unlock: never delivered late (see `door_op_ttl_ms`).
fn is_door_move(kind: OpName) -> bool {
    matches!(
        kind,
        OpName::Lock | OpName::Unlock | OpName::UnlockWithTimeout
    )
}

/// Default of [`JobRunner::door_op_ttl_ms`].
pub const DOOR_OP_TTL_MS: i64 = 60_000;

/// Claims and sends operations.
pub struct JobRunner<S> {
    store: Store,
    clock: Arc<dyn Clock>,
    sender: S,
    /// When the last probe pass ran (probes run every half resend delay, not
    /// on every pass: each reads every quiet lock).
    probed_at: AtomicI64,
    /// Marks claimed rows; unique per hub process.
    pub worker_id: String,
    /// Claim only operations of locks whose lease `worker_id` holds
    /// (several hubs on one database; see the lock plane's `lease` module).
    pub leased: bool,
    /// Operations claimed per pass.
    pub batch: i64,
    /// At most this many operations of this worker sent and unanswered at
    /// once (flow control: under load, answers queue up in the uplink path;
    /// claiming more would only time them out and send them again).
    pub max_in_flight: i64,
    /// Without an answer after this long, an operation is sent again.
    pub resend_after_ms: i64,
    /// A remote lock or unlock not applied this long after it was asked for
    /// fails `expired` (default 60 s: the door must not move later, when
    /// nobody may be there).
    pub door_op_ttl_ms: i64,
    /// A connected lock quiet this long is probed (asked to state its reset
    /// state); no answer within `resend_after_ms` makes it `unresponsive`.
    pub probe_quiet_ms: i64,
    /// Pause between passes when not woken.
    pub tick: Duration,
    /// Told when a pass failed or expired operations (wakes API calls
    /// waiting for them); the hub gives the plane's.
    pub ended: crate::op_ended::OpEnded,
}

impl<S> std::fmt::Debug for JobRunner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner")
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

impl<S: OperationSender> JobRunner<S> {
    /// A runner with default pacing.
    pub fn new(store: Store, clock: Arc<dyn Clock>, sender: S, worker_id: String) -> Self {
        Self {
            store,
            clock,
            sender,
            probed_at: AtomicI64::new(i64::MIN),
            worker_id,
            leased: false,
            batch: 32,
            max_in_flight: 256,
            resend_after_ms: 30_000,
            door_op_ttl_ms: DOOR_OP_TTL_MS,
            probe_quiet_ms: 10 * 30_000,
            tick: Duration::from_secs(1),
            ended: crate::op_ended::OpEnded::new(),
        }
    }

    /// One pass: [`JobRunner::maintain`], then [`JobRunner::claim_and_send`].
    pub async fn run_once(&self) -> Result<PassReport, StoreError> {
        let mut report = self.maintain().await?;
        let sent = self.claim_and_send().await?;
        report.sent = sent.sent;
        report.send_errors = sent.send_errors;
        report.expired += sent.expired;
        Ok(report)
    }

    /// The timed part of a pass, whose cost follows the queue: requeue or
    /// fail unanswered operations, probe quiet locks, expire door
    /// operations asked for too long ago. Runs on the tick, not on every
    /// answer.
    pub async fn maintain(&self) -> Result<PassReport, StoreError> {
        let store = &self.store;
        let now = self.clock.now().as_millisecond();
        let cutoff = now.saturating_sub(self.resend_after_ms);
        for (lock_id, since) in store.unanswered_locks(cutoff).await? {
            if let Err(e) = self.sender.unanswered(lock_id, since).await {
                tracing::warn!(lock = lock_id, error = %e, "could not mark the lock unresponsive");
            }
        }
        let requeued = store.requeue_unanswered(cutoff, now).await?;
        let last_probe = self.probed_at.load(Ordering::Relaxed);
        if now.saturating_sub(last_probe) >= self.resend_after_ms / 2 {
            self.probed_at.store(now, Ordering::Relaxed);
            if let Err(e) = self
                .sender
                .probe(now, self.probe_quiet_ms, self.resend_after_ms)
                .await
            {
                tracing::warn!(error = %e, "could not probe quiet locks");
            }
        }
        let expired = store
            .expire_door_operations(now.saturating_sub(self.door_op_ttl_ms), now)
            .await?;
        if requeued > 0 || expired > 0 {
            self.ended.some_ended();
        }
        Ok(PassReport {
            requeued,
            expired,
            ..Default::default()
        })
    }

    /// The part of a pass run whenever a lock answers or work is queued:
    /// claim what the flow-control window allows and send it. Its cost
    /// follows the batch (index `operations_state_id`). A claimed remote
    /// lock or unlock asked for longer ago than [`JobRunner::door_op_ttl_ms`]
    /// fails `expired` instead of being sent (the tick may not have run yet).
    pub async fn claim_and_send(&self) -> Result<PassReport, StoreError> {
        let store = &self.store;
        let now = self.clock.now().as_millisecond();
        let room = self
            .max_in_flight
            .saturating_sub(store.in_flight(&self.worker_id).await?)
            .min(self.batch);
        let ops = if room > 0 && self.leased {
            store
                .claim_leased_operations(&self.worker_id, now, room)
                .await?
        } else if room > 0 {
            store.claim_operations(&self.worker_id, now, room).await?
        } else {
            Vec::new()
        };
        let mut report = PassReport::default();
        let too_old = now.saturating_sub(self.door_op_ttl_ms);
        for op in ops {
            if is_door_move(op.kind) && op.created_at < too_old {
                if store
                    .fail_operation(op.id, crate::store::operations::DOOR_OP_EXPIRED, now)
                    .await?
                {
                    report.expired += 1;
                }
                self.ended.ended(op.id);
                continue;
            }
            let serial = store.lock_serial(op.lock_id).await?;
            let Some(serial) = serial else { continue };
            // The plane's log lines while sending carry the request that
            // queued the operation.
            let span = tracing::info_span!(
                "operation",
                op = op.id,
                request_id = op.request_id.as_deref().unwrap_or("")
            );
            match tracing::Instrument::instrument(self.sender.send(&serial, &op), span).await {
                Ok(()) => report.sent.push(op.id),
                Err(e) => {
                    tracing::warn!(op = op.id, error = %e, "send failed; will retry");
                    report.send_errors += 1;
                }
            }
        }
        Ok(report)
    }

    /// Runs passes until `shutdown` resolves: a whole pass on every tick,
    /// and [`JobRunner::claim_and_send`] whenever `wake` is notified.
    pub async fn run(&self, wake: Arc<Notify>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut maintain = true;
        loop {
            let pass = if maintain {
                self.run_once().await
            } else {
                self.claim_and_send().await
            };
            if let Err(e) = pass {
                tracing::warn!(error = %e, "job pass failed");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = wake.notified() => maintain = false,
                _ = tick.tick() => maintain = true,
            }
        }
    }
}
