//! A lock leaving the organisation (release, transfer), the manufacturer
//! reset after ownership is proven, and the organisation's audit trail.

use serde::{Deserialize, Serialize};
use tumbler_control::FACTORY_RESET_ERASES;

use super::{Principal, Service, ServiceError, ADMINS, OWNERS};
use crate::model::{AuditEntry, ClaimState, Lock, OpName, Operation};
use crate::store::plane::NewAudit;

/// What a lifecycle request did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleOutcome {
    /// The lock after the request (absent when it left the organisation).
    pub lock: Option<Lock>,
    /// The factory reset queued to finish it, if the lock must be reset first.
    pub operation: Option<Operation>,
    /// In words.
    pub message: String,
}

/// Every destructive operation (release, transfer, factory reset,
/// manufacturer reset) is confirmed the same way: `confirm` set to the
/// lock's serial. Anything else is refused before anything changes.
pub(crate) fn confirm_serial(
    lock: &Lock,
    confirm: Option<&str>,
    what: &str,
) -> Result<(), ServiceError> {
    if confirm.map(str::trim) == Some(lock.serial.as_str()) {
        return Ok(());
    }
    Err(ServiceError::ConfirmationRequired(format!(
        "set confirm to the lock's serial ({}) to {what}. {}",
        lock.serial,
        tumbler_control::factory_reset_summary()
    )))
}

impl Service {
    pub(crate) async fn audit(
        &self,
        p: &Principal,
        lock_id: i64,
        action: &str,
        serial: &str,
    ) -> Result<(), ServiceError> {
        self.store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock_id),
                    action,
                    detail: &serde_json::json!({"serial": serial}),
                },
                self.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Releases a lock (owners, managers). A claimed lock that is online is
    /// factory reset first (the release completes when the reset is seen);
    /// otherwise it is released at once. The binding is deleted either way.
    /// `confirm` must be the lock's serial.
    pub async fn release(
        &self,
        p: &Principal,
        id: i64,
        confirm: Option<&str>,
    ) -> Result<LifecycleOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.own_lock(p, id).await?;
        confirm_serial(&lock, confirm, "release it")?;
        self.leave(p, lock, None).await
    }

    /// Transfers a lock to another organisation (owners): the lock is
    /// factory reset, then it is `unclaimed` and only `to_org` may claim it.
    /// `confirm` must be the lock's serial.
    pub async fn transfer(
        &self,
        p: &Principal,
        id: i64,
        to_org: i64,
        confirm: Option<&str>,
    ) -> Result<LifecycleOutcome, ServiceError> {
        self.require(p, OWNERS)?;
        let lock = self.own_lock(p, id).await?;
        if to_org == p.org_id {
            return Err(super::refused("to_org", "must be another organisation"));
        }
        if self.store.get_org(to_org).await?.is_none() {
            return Err(super::refused("to_org", "no such organisation"));
        }
        confirm_serial(&lock, confirm, "transfer it")?;
        self.leave(p, lock, Some(to_org)).await
    }

    async fn leave(
        &self,
        p: &Principal,
        lock: Lock,
        to: Option<i64>,
    ) -> Result<LifecycleOutcome, ServiceError> {
        let action = if to.is_some() { "transfer" } else { "release" };
        let has_binding = self.store.get_binding(lock.id).await?.is_some();
        let now = self.now_ms();
        let detail = serde_json::json!({"serial": lock.serial, "to_org": to});
        self.store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock.id),
                    action: if to.is_some() {
                        "transfer_requested"
                    } else {
                        "release_requested"
                    },
                    detail: &detail,
                },
                now,
            )
            .await?;
        // A claimed lock leaves through a factory reset: at once when it is
        // online; for a transfer, also when it is offline (the reset waits in
        // its queue and the transfer completes with it).
        let online = lock.online;
        if lock.claim_state == ClaimState::Claimed && has_binding && (online || to.is_some()) {
            self.store.set_intent(lock.id, Some(action), to).await?;
            let op = self
                .enqueue(
                    p,
                    &lock,
                    OpName::FactoryReset,
                    serde_json::json!({"erases": FACTORY_RESET_ERASES, "then": action}),
                )
                .await?;
            let lock = self.own_lock(p, lock.id).await?;
            return Ok(LifecycleOutcome {
                lock: Some(lock),
                operation: Some(op),
                message: if online {
                    format!(
                        "factory reset queued; the {action} completes when the lock reports the reset"
                    )
                } else {
                    "the lock is offline: the factory reset is queued and the transfer \
                     completes when the lock comes back and resets"
                        .into()
                },
            });
        }
        self.store.unbind_lock(lock.id, to, "released", now).await?;
        Ok(LifecycleOutcome {
            lock: None,
            operation: None,
            message: match (to, lock.claim_state) {
                (Some(_), _) => "transferred: the lock is unclaimed and reserved for the target organisation, which claims it with the setup code".into(),
                (None, ClaimState::Claimed) => "released; the lock was offline, so it still holds this hub's pairing until it is factory reset at the door".into(),
                (None, _) => "released".into(),
            },
        })
    }

    /// Requests a manufacturer reset of a lock of the caller's organisation
    /// (owners). Ownership is verified first (another organisation's lock is
    /// 404); an audit entry is written; the job runner then asks the lock for
    /// a nonce, signs a token with the manufacturer key and sends it.
    /// `confirm` must be the lock's serial.
    pub async fn manufacturer_reset(
        &self,
        p: &Principal,
        id: i64,
        confirm: Option<&str>,
    ) -> Result<Operation, ServiceError> {
        self.require(p, OWNERS)?;
        let lock = self.own_lock(p, id).await?;
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; a manufacturer reset is sent over the hub's binding",
                lock.claim_state
            )));
        }
        if !self.plane.has_manufacturer_key() {
            return Err(ServiceError::ManufacturerKeyMissing);
        }
        confirm_serial(&lock, confirm, "reset it with a manufacturer token")?;
        self.audit(p, lock.id, "manufacturer_reset_requested", &lock.serial)
            .await?;
        self.enqueue(
            p,
            &lock,
            OpName::ManufacturerReset,
            serde_json::json!({"erases": FACTORY_RESET_ERASES}),
        )
        .await
    }

    /// The organisation's audit trail (owners), newest first.
    pub async fn list_audit(
        &self,
        p: &Principal,
        limit: Option<i64>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        self.require(p, OWNERS)?;
        let limit = crate::service::check_limit(limit)?;
        Ok(self.store.list_audit(p.org_id, limit).await?)
    }
}
