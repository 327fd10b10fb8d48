//! Remote operations on locks: request, list, inspect.

use super::{check_limit, Principal, Service, ServiceError, ANY_ROLE};
use crate::model::{OpState, Operation};
use crate::store::operations::{OpOutcome, OperationFilter};

pub use crate::plane::{DEFAULT_MAX_ATTEMPTS, REQUESTABLE_KINDS};

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

    /// Queues an operation without parameters on a claimed lock (owners,
    /// managers): see [`crate::plane::LockPlane::request_operation`], which
    /// the HTTP API uses (PINs, timeouts, confirmations).
    pub async fn request_operation(
        &self,
        p: &Principal,
        lock_id: i64,
        kind: &str,
    ) -> Result<Operation, ServiceError> {
        let plane = crate::plane::LockPlane::new(
            self.clone(),
            None,
            None,
            std::sync::Arc::new(tokio::sync::Notify::new()),
        );
        plane
            .request_operation(
                p,
                lock_id,
                crate::plane::OpRequest {
                    kind: kind.to_owned(),
                    ..Default::default()
                },
            )
            .await
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
