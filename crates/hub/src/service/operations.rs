//! Remote operations on locks: request, list, inspect.

use super::{check_limit, invalid, Principal, Service, ServiceError, ADMINS, ANY_ROLE};
use crate::model::{OpName, OpState, Operation, Presence};
use crate::store::operations::{OpOutcome, OperationFilter};

use tumbler_control::{SecretPin, FACTORY_RESET_ERASES};

use crate::model::{ClaimState, Lock};
use crate::store::operations::NewOperation;
use crate::store::plane::hex;

pub use crate::store::operations::DEFAULT_MAX_ATTEMPTS;

/// Operation kinds a person can request (`POST /locks/{id}/operations`).
pub const REQUESTABLE: &[OpName] = &[
    OpName::Lock,
    OpName::Unlock,
    OpName::UnlockWithTimeout,
    OpName::Reboot,
    OpName::FactoryReset,
    OpName::SelfCheck,
    OpName::GetStatus,
];

/// [`REQUESTABLE`], spelled as the API takes them.
pub fn requestable_kinds() -> Vec<&'static str> {
    REQUESTABLE.iter().map(|k| k.as_str()).collect()
}

/// An operation request (`POST /locks/{id}/operations`).
#[derive(Debug, Clone, Default)]
pub struct OpRequest {
    /// One of [`REQUESTABLE`], as spelled on the API (parsed once, by the service).
    pub kind: String,
    /// PIN for lock/unlock when the lock requires one (kept in memory only).
    pub pin: Option<SecretPin>,
    /// For `unlock_with_timeout`: seconds before relocking (1..=3600).
    pub timeout_s: Option<u16>,
    /// For `factory_reset`: the lock's serial, to confirm.
    pub confirm: Option<String>,
}

impl Service {
    pub(crate) async fn own_lock(&self, p: &Principal, id: i64) -> Result<Lock, ServiceError> {
        self.store
            .get_lock(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "lock", id })
    }

    pub(crate) async fn enqueue(
        &self,
        p: &Principal,
        lock: &Lock,
        kind: OpName,
        params: serde_json::Value,
    ) -> Result<Operation, ServiceError> {
        let op = self
            .store
            .enqueue_operation(
                NewOperation {
                    org_id: p.org_id,
                    lock_id: lock.id,
                    kind,
                    params: &params,
                    max_attempts: DEFAULT_MAX_ATTEMPTS,
                    created_by: Some(p.account_id),
                },
                self.now_ms(),
            )
            .await?;
        self.plane.wake();
        Ok(op)
    }

    /// Queues an operation on a claimed lock (owners, managers). PINs stay
    /// in this process's memory; a factory reset needs `confirm` = serial.
    pub async fn request_op(
        &self,
        p: &Principal,
        lock_id: i64,
        req: OpRequest,
    ) -> Result<Operation, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.own_lock(p, lock_id).await?;
        let kind = OpName::parse(&req.kind)
            .filter(|k| REQUESTABLE.contains(k))
            .ok_or_else(|| invalid("kind", format!("one of {}", requestable_kinds().join(", "))))?;
        let takes_pin = matches!(
            kind,
            OpName::Lock | OpName::Unlock | OpName::UnlockWithTimeout
        );
        if req.pin.is_some() && !takes_pin {
            return Err(super::refused(
                "pin",
                "only for lock, unlock, unlock_with_timeout",
            ));
        }
        if let Some(pin) = &req.pin {
            let ok = (1..=16).contains(&pin.expose().len())
                && pin.expose().chars().all(|c| c.is_ascii_digit());
            if !ok {
                return Err(invalid("pin", "1 to 16 digits"));
            }
        }
        if req.timeout_s.is_some() != (kind == OpName::UnlockWithTimeout) {
            return Err(super::refused(
                "timeout_s",
                "required for unlock_with_timeout, and only there",
            ));
        }
        if req.timeout_s.is_some_and(|t| !(1..=3600).contains(&t)) {
            return Err(invalid("timeout_s", "1..=3600 seconds"));
        }
        if req.confirm.is_some() && kind != OpName::FactoryReset {
            return Err(super::refused("confirm", "only for factory_reset"));
        }
        if kind == OpName::FactoryReset {
            super::lifecycle::confirm_serial(&lock, req.confirm.as_deref(), "factory reset it")?;
        }
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; re-claim it first",
                lock.claim_state
            )));
        }
        let mut params = serde_json::Map::new();
        if let Some(t) = req.timeout_s {
            params.insert("timeout_s".into(), t.into());
        }
        if kind == OpName::FactoryReset {
            params.insert("erases".into(), serde_json::json!(FACTORY_RESET_ERASES));
        }
        if kind == OpName::SelfCheck {
            let mut c = [0u8; 16];
            crate::secrets::random_bytes(&mut c)?;
            params.insert("challenge".into(), hex(&c).into());
        }
        if let Some(pin) = req.pin {
            // Sealed with the binding key in the operation itself, so any hub
            // on this database can send it and a restart loses nothing; only
            // a hub without a key keeps it in its own memory.
            match self.store.seal_pin(lock.id, pin.expose().as_bytes())? {
                Some(sealed) => params.insert("pin_sealed".into(), sealed.into()),
                None => params.insert("pin_ref".into(), self.plane.pins.put(pin)?.into()),
            };
        }
        let op = self
            .enqueue(p, &lock, kind, serde_json::Value::Object(params))
            .await?;
        if kind == OpName::FactoryReset {
            self.audit(p, lock.id, "factory_reset_requested", &lock.serial)
                .await?;
        }
        Ok(op)
    }
}

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
                .ok_or(ServiceError::Missing {
                    what: "lock",
                    id: l,
                })?;
        }
        let mut ops = self
            .store
            .list_operations(
                p.org_id,
                &OperationFilter {
                    lock_id,
                    state,
                    limit,
                },
            )
            .await?;
        let mut locks: std::collections::HashMap<i64, Option<Lock>> = Default::default();
        for op in &mut ops {
            if !matches!(op.state, OpState::Pending | OpState::Sent) {
                continue;
            }
            let lock = match locks.entry(op.lock_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.store.get_lock(p.org_id, op.lock_id).await?)
                }
            };
            op.waiting = lock.as_ref().and_then(waiting_reason);
        }
        Ok(ops)
    }

    /// One operation.
    pub async fn get_operation(&self, p: &Principal, id: i64) -> Result<Operation, ServiceError> {
        self.require(p, ANY_ROLE)?;
        let mut op =
            self.store
                .get_operation(p.org_id, id)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "operation",
                    id,
                })?;
        if matches!(op.state, OpState::Pending | OpState::Sent) {
            if let Some(lock) = self.store.get_lock(p.org_id, op.lock_id).await? {
                op.waiting = waiting_reason(&lock);
            }
        }
        Ok(op)
    }

    /// Queues an operation without parameters on a claimed lock (owners,
    /// managers): [`Service::request_op`] with only a kind.
    pub async fn request_operation(
        &self,
        p: &Principal,
        lock_id: i64,
        kind: &str,
    ) -> Result<Operation, ServiceError> {
        self.request_op(
            p,
            lock_id,
            OpRequest {
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

/// Why an operation on `lock` waits, if the lock cannot answer now: offline
/// (no broker link) or connected but not answering, each with since when.
pub fn waiting_reason(lock: &Lock) -> Option<String> {
    let since = lock
        .presence_since
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| format!(" since {}", t.strftime("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_default();
    match lock.presence {
        Presence::Offline => Some(format!("lock {} is offline{since}", lock.id)),
        Presence::Unresponsive => Some(format!(
            "lock {} is connected but not answering{since}",
            lock.id
        )),
        _ => None,
    }
}
