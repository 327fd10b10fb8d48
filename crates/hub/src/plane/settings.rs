//! A lock's settings as the plane sees them: the reported record is stored by name
//! (`crate::settings`), and every applied change is followed by a fresh `get_settings`
//! (and a `get_status` after a mode change), so the hub shows what the lock holds.

use tumbler_control::proto::Settings;

use super::{LockPlane, PlaneError};
use crate::model::{ClaimState, Lock, OpName};
use crate::store::operations::NewOperation;

impl LockPlane {
    /// The lock answered `get_settings`: keep its record by name.
    pub(crate) async fn settings_reported(
        &self,
        lock: &Lock,
        s: &Settings,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        self.store
            .set_lock_settings(lock.id, &crate::settings::to_named(s), now_ms)
            .await?;
        Ok(())
    }

    /// After an applied settings or mode change: read the lock's settings (and status,
    /// which carries the mode) again, unless such a read is already queued.
    pub(crate) async fn refresh_settings(
        &self,
        lock: &Lock,
        kind: OpName,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        let Some(org_id) = lock.org_id else {
            return Ok(());
        };
        if lock.claim_state != ClaimState::Claimed {
            return Ok(());
        }
        let mut reads = vec![OpName::GetSettings];
        if kind == OpName::SetOperatingMode {
            reads.push(OpName::GetStatus);
        }
        for read in reads {
            if self.store.has_open_op(lock.id, read.as_str()).await? {
                continue;
            }
            self.store
                .enqueue_operation(
                    NewOperation {
                        org_id,
                        lock_id: lock.id,
                        kind: read,
                        params: &serde_json::json!({}),
                        max_attempts: crate::store::operations::DEFAULT_MAX_ATTEMPTS,
                        created_by: None,
                    },
                    now_ms,
                )
                .await?;
        }
        self.wake.notify_one();
        Ok(())
    }
}
