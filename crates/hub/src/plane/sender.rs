//! [`ProtoSender`]: the job runner's sender. Builds the proto command of an
//! operation (tumbler-control `OpKind`), seals it with the lock's binding —
//! persisting the binding and the command id first — and publishes it on
//! `tumbler/v1/<serial>/down`. A retry reseals under the same command id so
//! the lock answers it from its dedup cache instead of applying it twice.

use tumbler_control::proto::{Credential, CredentialSlot, HotelDoor, OfflineCodes, Pin};
use tumbler_control::{OpKind, SecretPin};

use super::LockPlane;
use crate::jobs::{OperationSender, SendError};
use crate::model::{OpName, Operation};
use crate::store::offline::OfflineKey;
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
/// `offline` is the lock's offline-code key, read (sealed) for a `set_offline_codes`.
fn op_kind(
    plane: &LockPlane,
    op: &Operation,
    offline: Option<OfflineKey>,
) -> Result<OpKind, String> {
    // A remote lock/unlock PIN: sealed in the operation (any hub can open
    // it), or in this process's memory on a hub without a binding key.
    let pin = || -> Result<Option<SecretPin>, String> {
        if let Some(sealed) = op.params.get("pin_sealed").and_then(|v| v.as_str()) {
            let bytes = plane
                .store
                .open_pin(op.lock_id, sealed)
                .map_err(|_| "pin_unavailable".to_owned())?;
            let text = std::str::from_utf8(&bytes).map_err(|_| "bad_params".to_owned())?;
            return Ok(Some(SecretPin::new(text)));
        }
        match op.params.get("pin_ref").and_then(|v| v.as_str()) {
            None => Ok(None),
            Some(r) => plane
                .pins
                .get(r)
                .map(Some)
                .ok_or_else(|| "pin_unavailable".to_owned()),
        }
    };
    Ok(match op.kind {
        OpName::Lock => OpKind::Lock { pin: pin()? },
        OpName::Unlock => OpKind::Unlock { pin: pin()? },
        OpName::UnlockWithTimeout => OpKind::UnlockWithTimeout {
            timeout_s: op
                .params
                .get("timeout_s")
                .and_then(|v| v.as_u64())
                .and_then(|v| u16::try_from(v).ok())
                .ok_or("bad_params")?,
            pin: pin()?,
        },
        OpName::Reboot => OpKind::Reboot,
        OpName::FactoryReset => OpKind::FactoryReset,
        OpName::GetStatus => OpKind::GetStatus,
        OpName::GetCapabilities => OpKind::GetCapabilities,
        OpName::GetSettings => OpKind::GetSettings,
        OpName::ManufacturerReset => OpKind::IssueResetNonce,
        OpName::SelfCheck => {
            let c = op
                .params
                .get("challenge")
                .and_then(|v| v.as_str())
                .and_then(|s| unhex(s).ok())
                .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
                .ok_or("bad_params")?;
            OpKind::SelfCheck { challenge: c }
        }
        OpName::SetHotelDoor => OpKind::SetHotelDoor {
            door: hotel_door(&op.params).ok_or("bad_params")?,
        },
        OpName::DenyCard => OpKind::DenyCard {
            number: op
                .params
                .get("number")
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .ok_or("bad_params")?,
        },
        OpName::SetOfflineCodes => {
            // The secret is read sealed from the store when sent (never in params).
            let key = offline.ok_or("offline_secret_unavailable")?;
            OpKind::SetOfflineCodes {
                codes: Some(OfflineCodes {
                    secret: *key.secret,
                    epoch: key.epoch,
                }),
            }
        }
        OpName::DenyOfflineCode => OpKind::DenyOfflineCode {
            id: op
                .params
                .get("id")
                .and_then(|v| v.as_u64())
                .ok_or("bad_params")?,
        },
        other => access_kind(plane, op).ok_or_else(|| format!("unsupported_kind: {other}"))??,
    })
}

/// A `set_hotel_door` operation's door: `params.door` is `null` (an ordinary lock
/// again) or `{"key": <64 hex digits: the property's Ed25519 public key>, "property",
/// "door", "guest_room", "floor", "zone", "building"}`; `None` if malformed.
fn hotel_door(params: &serde_json::Value) -> Option<Option<HotelDoor>> {
    let d = params.get("door")?;
    if d.is_null() {
        return Some(None);
    }
    let num = |k: &str| d.get(k).and_then(|v| v.as_u64());
    let small = |k: &str| num(k).and_then(|v| u16::try_from(v).ok());
    let key = d
        .get("key")
        .and_then(|v| v.as_str())
        .and_then(|s| unhex(s).ok())?;
    Some(Some(HotelDoor {
        key: <[u8; 32]>::try_from(key.as_slice()).ok()?,
        property: num("property").and_then(|v| u32::try_from(v).ok())?,
        door: num("door").and_then(|v| u32::try_from(v).ok())?,
        guest_room: d.get("guest_room").and_then(|v| v.as_bool())?,
        floor: small("floor")?,
        zone: small("zone")?,
        building: small("building")?,
    }))
}

/// Operations queued by the access layer: an `OpKind` in `params.op`, or a
/// PIN credential whose PIN is sealed in `params.pin_sealed` (or held in
/// this process's memory under `params.pin_ref`).
fn access_kind(plane: &LockPlane, op: &Operation) -> Option<Result<OpKind, String>> {
    if let Some(v) = op.params.get("op") {
        return Some(
            serde_json::from_value::<OpKind>(v.clone()).map_err(|e| format!("bad_params: {e}")),
        );
    }
    let pc = op.params.get("pin_credential")?;
    Some((|| {
        let slot: CredentialSlot = pc
            .get("slot")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or("bad_params")?;
        let user = pc
            .get("user")
            .and_then(|v| v.as_u64())
            .and_then(|v| u16::try_from(v).ok())
            .ok_or("bad_params")?;
        let pin = if let Some(sealed) = op.params.get("pin_sealed").and_then(|v| v.as_str()) {
            let bytes = plane
                .store
                .open_pin(op.lock_id, sealed)
                .map_err(|_| "pin_unavailable".to_owned())?;
            Pin::new(&bytes).ok_or("bad_params")?
        } else {
            let r = op
                .params
                .get("pin_ref")
                .and_then(|v| v.as_str())
                .ok_or("bad_params")?;
            let p = plane.pins.get(r).ok_or("pin_unavailable")?;
            Pin::new(p.expose().as_bytes()).ok_or("bad_params")?
        };
        Ok(OpKind::SetCredential {
            slot,
            user,
            credential: Credential::Pin(pin),
        })
    })())
}

impl OperationSender for ProtoSender {
    async fn unanswered(&self, lock_id: i64, since: i64) -> Result<(), SendError> {
        self.plane
            .lock_unanswered(lock_id, since)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))
    }

    async fn probe(&self, now: i64, quiet_ms: i64, answer_ms: i64) -> Result<(), SendError> {
        self.plane
            .probe_quiet(now, quiet_ms, answer_ms)
            .await
            .map(|_| ())
            .map_err(|e| SendError::Transport(e.to_string()))
    }

    async fn send(&self, serial: &str, op: &Operation) -> Result<(), SendError> {
        let store = &self.plane.store;
        let now = self.plane.now_ms();
        let fail = |code: String| async move {
            tracing::info!(op = op.id, code, "operation failed before sending");
            store
                .fail_operation(op.id, &code, now)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            self.plane.ended.ended(op.id);
            self.plane
                .forget_pin(op.id)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))?;
            self.plane
                .access_op_done(op.id)
                .await
                .map_err(|e| SendError::Transport(e.to_string()))
        };
        let offline = if op.kind == OpName::SetOfflineCodes {
            self.plane
                .store
                .offline_key(op.lock_id)
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        let cmd = match op_kind(&self.plane, op, offline).and_then(|k| {
            k.to_command(u64::try_from(now / 1000).unwrap_or(0))
                .map_err(|e| format!("bad_params: {e:?}"))
        }) {
            Ok(c) => c,
            Err(code) => return fail(code).await,
        };
        // A manufacturer reset starts over with a fresh nonce on every attempt.
        let reuse = if op.kind == OpName::ManufacturerReset {
            None
        } else {
            op.command_id
        };
        let frame = match self.plane.seal(op.lock_id, Some(op.id), cmd, reuse).await {
            Ok(Ok(f)) => f,
            Ok(Err(code)) => return fail(code).await,
            Err(e) => return Err(SendError::Transport(e.to_string())),
        };
        self.plane
            .publish_sealed(serial, frame)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        tracing::debug!(
            op = op.id,
            serial,
            kind = op.kind.as_str(),
            "operation published"
        );
        if op.command_id.is_some() && op.kind != OpName::ManufacturerReset {
            // Sent before and unanswered: perhaps the lock was reset and can no
            // longer open our envelopes. Ask it to say so, signed.
            self.plane.challenge_quietly(serial).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_hotel_door_params_are_a_door_or_null_and_nothing_else() {
        let door = json!({"key": "5a".repeat(32), "property": 7, "door": 101,
            "guest_room": true, "floor": 1, "zone": 2, "building": 3});
        assert_eq!(
            hotel_door(&json!({ "door": door })),
            Some(Some(HotelDoor {
                key: [0x5a; 32],
                property: 7,
                door: 101,
                guest_room: true,
                floor: 1,
                zone: 2,
                building: 3,
            }))
        );
        assert_eq!(hotel_door(&json!({ "door": null })), Some(None));
        assert_eq!(hotel_door(&json!({})), None, "no door at all");
        for (field, bad) in [
            ("key", json!("5a".repeat(31))),
            ("key", json!("zz".repeat(32))),
            ("property", json!(u64::from(u32::MAX) + 1)),
            ("floor", json!(70_000)),
            ("guest_room", json!("yes")),
        ] {
            let mut d = door.clone();
            d[field] = bad;
            assert_eq!(hotel_door(&json!({ "door": d })), None, "{field}");
        }
    }
}
