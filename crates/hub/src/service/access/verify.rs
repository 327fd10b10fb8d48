//! Verification reports: start one on a lock, read it back.

use super::*;

impl Service {
    /// Starts the verification of a lock: a fresh factory-signed self-check
    /// and every slot digest; the report is built when they are answered
    /// (owners, managers).
    pub async fn start_verification(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<VerificationRow, ServiceError> {
        self.require(p, ADMINS)?;
        let lock = self.claimed_lock(p, lock_id).await?;
        let mut challenge = [0u8; 16];
        crate::secrets::random_bytes(&mut challenge)?;
        let mut ops = vec![PlannedOp {
            kind: OpName::SelfCheck,
            params: serde_json::json!({ "challenge": hex(&challenge) }),
            credential_ref: None,
        }];
        let mut from = 1;
        while from <= lock.capacity().max_users {
            let user = u16::try_from(from).map_err(|_| invalid("slot", "out of range"))?;
            ops.push(op(&access::plan_digest_read(user)).map_err(|e| invalid("request", e))?);
            from += DIGEST_PAGE;
        }
        let store = &self.store;
        let previous = store.pre_reset_counter(lock.id).await?;
        let id = store
            .start_verification(
                p.org_id,
                lock.id,
                previous,
                &ops,
                Some(p.account_id),
                self.now_ms(),
            )
            .await?;
        self.plane.wake();
        store
            .get_verification(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "verification",
                id,
            })
    }

    /// A verification and, once done, its report.
    pub async fn get_verification(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<VerificationRow, ServiceError> {
        self.require(p, HISTORY)?;
        let store = &self.store;
        let v = store
            .get_verification(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "verification",
                id,
            })?;
        if v.state == crate::model::VerificationState::Running {
            self.plane.settle_verification(id, p.org_id).await?;
            return store
                .get_verification(p.org_id, id)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "verification",
                    id,
                });
        }
        Ok(v)
    }
}
