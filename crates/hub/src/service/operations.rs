//! Remote operations on locks: request, list, inspect.

use super::{check_limit, invalid, Principal, Service, ServiceError, ADMINS, ANY_ROLE};
use crate::model::{ClaimState, OpState, Operation};
use crate::store::operations::{NewOperation, OpOutcome, OperationFilter};

/// Operation kinds that can be requested over the API today. Resets and
/// PIN-protected unlocks come with the claim/proto work.
pub const REQUESTABLE_KINDS: &[&str] = &["lock", "unlock", "reboot", "self_check"];

/// Sends without an answer before an operation fails.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;

impl Service {
    /// Operations of the organisation, newest first.
    pub async fn list_operations(
        &self,
        p: &Principal,
        lock_id: Option<i64>,
        state: Option<OpState>,
        limit: Option<i64>,
    ) -> Result<Vec<Operation>, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let limit = check_limit(limit)?;
        if let Some(l) = lock_id {
            self.store
                .get_lock(p.org_id, l)
                .await?
                .ok_or(ServiceError::NotFound)?;
        }
        Ok(self
            .store
            .list_operations(
                p.org_id,
                &OperationFilter {
                    lock_id,
                    state,
                    limit,
                },
            )
            .await?)
    }

    /// One operation.
    pub async fn get_operation(&self, p: &Principal, id: i64) -> Result<Operation, ServiceError> {
        self.require(p, ANY_ROLE)?;
        self.store
            .get_operation(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Queues an operation on a claimed lock (owners, managers). It is sent
    /// when the lock is online and earlier operations are done.
    pub async fn request_operation(
        &self,
        p: &Principal,
        lock_id: i64,
        kind: &str,
    ) -> Result<Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self
            .store
            .get_lock(p.org_id, lock_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !REQUESTABLE_KINDS.contains(&kind) {
            return Err(invalid(
                "kind",
                format!("one of {}", REQUESTABLE_KINDS.join(", ")),
            ));
        }
        if lock.claim_state != ClaimState::Claimed {
            return Err(invalid(
                "lock",
                format!("lock is {}; re-claim it first", lock.claim_state),
            ));
        }
        Ok(self
            .store
            .enqueue_operation(
                NewOperation {
                    org_id: p.org_id,
                    lock_id,
                    kind,
                    params: &serde_json::json!({}),
                    max_attempts: DEFAULT_MAX_ATTEMPTS,
                    created_by: Some(p.account_id),
                },
                self.now_ms(),
            )
            .await?)
    }
}

impl Service {
    /// The lock with `serial` answered operation `op_id` (called by the
    /// broker-side decoder once the answer is authenticated). Only that
    /// lock's own `sent` operations can be ended; anything else (unknown
    /// serial, another lock's operation, a late or repeated answer) changes
    /// nothing and returns false.
    pub async fn operation_answered(
        &self,
        serial: &str,
        op_id: i64,
        outcome: &OpOutcome,
    ) -> Result<bool, ServiceError> {
        let serial = super::locks::check_serial(serial)?;
        let Some(lock) = self.store.lock_by_serial(&serial).await? else {
            return Ok(false);
        };
        Ok(self
            .store
            .finish_operation_of_lock(op_id, lock.id, outcome, self.now_ms())
            .await?)
    }
}
