//! [`ProtoSender`]: the job runner's sender. Builds the proto command of an
//! operation (tumbler-control `OpKind`), seals it with the lock's binding —
//! persisting the binding and the command id first — and publishes it on
//! `tumbler/v1/<serial>/down`. A retry reseals under the same command id so
//! the lock answers it from its dedup cache instead of applying it twice.

use tumbler_control::{OpKind, SecretPin};

use super::LockPlane;
use crate::jobs::{OperationSender, SendError};
use crate::model::Operation;
use crate::store::plane::unhex;

/// Sends operations as sealed tumbler-proto envelopes.
#[derive(Debug, Clone)]
pub struct ProtoSender {
    plane: LockPlane,
}

impl ProtoSender {
    /// Over a lock plane (which holds the broker link).
    pub fn new(plane: LockPlane) -> Self {
        Self { plane }
    }
}

/// Why an operation cannot be turned into a command (it fails with this code).
fn op_kind(plane: &LockPlane, op: &Operation) -> Result<OpKind, String> {
    let pin = || -> Result<Option<SecretPin>, String> {
        match op.params.get("pin_ref").and_then(|v| v.as_str()) {
            None => Ok(None),
            Some(r) => plane
                .service
                .pins
                .get(r)
                .map(Some)
                .ok_or_else(|| "pin_unavailable".to_owned()),
        }
    };
    Ok(match op.kind.as_str() {
        "lock" => OpKind::Lock { pin: pin()? },
        "unlock" => OpKind::Unlock { pin: pin()? },
        "unlock_with_timeout" => OpKind::UnlockWithTimeout {
            timeout_s: op
                .params
                .get("timeout_s")
                .and_then(|v| v.as_u64())
                .and_then(|v| u16::try_from(v).ok())
                .ok_or("bad_params")?,
            pin: pin()?,
        },
        "reboot" => OpKind::Reboot,
        "factory_reset" => OpKind::FactoryReset,
        "get_status" => OpKind::GetStatus,
        "manufacturer_reset" => OpKind::IssueResetNonce,
        "self_check" => {
            let c = op
                .params
                .get("challenge")
                .and_then(|v| v.as_str())
                .and_then(|s| unhex(s).ok())
                .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
                .ok_or("bad_params")?;
            OpKind::SelfCheck { challenge: c }
        }
        other => return Err(format!("unsupported_kind: {other}")),
    })
}

impl OperationSender for ProtoSender {
    async fn send(&self, serial: &str, op: &Operation) -> Result<(), SendError> {
        let store = &self.plane.service.store;
        let now = self.plane.service.now_ms();
        let fail = |code: String| async move {
            tracing::info!(op = op.id, code, "operation failed before sending");
            store
                .fail_operation(op.id, &code, now)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transport(e.to_string()))
        };
        let cmd = match op_kind(&self.plane, op).and_then(|k| {
            k.to_command(u64::try_from(now / 1000).unwrap_or(0))
                .map_err(|e| format!("bad_params: {e:?}"))
        }) {
            Ok(c) => c,
            Err(code) => return fail(code).await,
        };
        // A manufacturer reset starts over with a fresh nonce on every attempt.
        let reuse = if op.kind == "manufacturer_reset" {
            None
        } else {
            op.command_id
        };
        let frame = match self.plane.seal(op.lock_id, Some(op.id), cmd, reuse).await {
            Ok(Ok(f)) => f,
            Ok(Err(code)) => return fail(code).await,
            Err(e) => return Err(SendError::Transport(e.to_string())),
        };
        let link = self
            .plane
            .link()
            .map_err(|e| SendError::Transport(e.to_string()))?;
        link.publish_down(serial, frame)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))
    }
}
