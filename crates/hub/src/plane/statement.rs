//! Challenges for a lock's signed statement of its reset state. After a factory
//! reset the lock can no longer open the hub's envelopes, so the hub asks in
//! clear (`StatementRequest` with a fresh random challenge on the lock's `down`
//! topic) and the lock answers with its reset counter, setup mode and
//! operational key id, signed with its factory key (`tumbler_control` judges
//! the answer: `Binding::open_uplink_challenged`). The hub asks when a claimed
//! lock comes online and when an operation to it goes unanswered.
//!
//! The challenges live in this process's memory, a few per lock: a hub that
//! restarts simply asks again at the next reconnect, and the lock also states
//! its reset state unsolicited at every boot and (re)connect.
//!
//! Also here: what any detected reset does (`reset_detected`): access off the
//! lock first, then the binding stale with one `reset_detected` alert, open
//! operations ended, pending release/transfer completed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tumbler_control::proto::claim::ClaimMessage;
use tumbler_control::ResetReason;

use super::{LockPlane, PlaneError};
use crate::model::{AlertKind, ClaimState, Lock, OpName};

/// Outstanding challenges kept per lock (the oldest is forgotten first).
const KEEP: usize = 4;

/// Challenges sent and not yet answered, by serial; and the last few
/// answered ones (so a caller can ask whether *its* challenge was answered).
#[derive(Clone, Default, Debug)]
pub struct Challenges(Arc<Mutex<HashMap<String, VecDeque<[u8; 16]>>>>, Answered);

type Answered = Arc<Mutex<HashMap<String, VecDeque<[u8; 16]>>>>;

impl Challenges {
    /// The challenges outstanding for `serial`.
    pub fn outstanding(&self, serial: &str) -> Vec<[u8; 16]> {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(serial).map(|q| q.iter().copied().collect()))
            .unwrap_or_default()
    }

    fn push(&self, serial: &str, c: [u8; 16]) {
        if let Ok(mut m) = self.0.lock() {
            let q = m.entry(serial.to_owned()).or_default();
            if q.len() >= KEEP {
                q.pop_front();
            }
            q.push_back(c);
        }
    }

    /// `challenge` was answered: it can never count again (a replay is stale).
    pub fn answered(&self, serial: &str, challenge: &[u8; 16]) {
        if let Ok(mut m) = self.0.lock() {
            if let Some(q) = m.get_mut(serial) {
                q.retain(|c| c != challenge);
            }
        }
        if let Ok(mut m) = self.1.lock() {
            let q = m.entry(serial.to_owned()).or_default();
            if q.len() >= KEEP {
                q.pop_front();
            }
            q.push_back(*challenge);
        }
    }

    /// Whether the lock answered `challenge` (one of its last few answers).
    pub fn was_answered(&self, serial: &str, challenge: &[u8; 16]) -> bool {
        self.1
            .lock()
            .is_ok_and(|m| m.get(serial).is_some_and(|q| q.contains(challenge)))
    }

    /// Forgets every challenge of `serial` (its binding went stale).
    pub fn clear(&self, serial: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(serial);
        }
    }
}

impl LockPlane {
    /// Asks the lock `serial` to state its reset state under a fresh challenge
    /// (plain frame on its `down` topic); returns the challenge.
    pub async fn challenge(&self, serial: &str) -> Result<[u8; 16], PlaneError> {
        let link = self.link()?;
        let mut challenge = [0u8; 16];
        crate::secrets::random_bytes(&mut challenge)?;
        let mut buf = vec![0u8; tumbler_control::proto::MAX_MESSAGE_LEN];
        let n = ClaimMessage::StatementRequest { challenge }
            .encode(&mut buf)
            .map_err(|e| super::invalid("statement_request", format!("{e:?}")))?;
        buf.truncate(n);
        self.challenges.push(serial, challenge);
        link.publish_down(serial, buf)
            .await
            .map_err(|_| PlaneError::LinkUnavailable)?;
        tracing::debug!(serial, "asked the lock to state its reset state");
        Ok(challenge)
    }

    /// [`LockPlane::challenge`], logging instead of failing (presence and the
    /// sender call it on the side).
    pub(crate) async fn challenge_quietly(&self, serial: &str) {
        if let Err(e) = self.challenge(serial).await {
            tracing::debug!(serial, error = %e, "could not challenge the lock");
        }
    }

    pub(crate) async fn reset_detected(
        &self,
        lock: &Lock,
        reason: ResetReason,
        record: Option<serde_json::Value>,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        let store = &self.store;
        let counter = match reason {
            ResetReason::ResetNotice { reset_counter }
            | ResetReason::ResetRecord { reset_counter } => Some(i64::from(reset_counter)),
            ResetReason::ResetCounterAdvanced { to, .. } => Some(i64::from(to)),
            ResetReason::Statement { reset_counter, .. } => Some(i64::from(reset_counter)),
            _ => None,
        };
        self.challenges.clear(&lock.serial);
        let why = serde_json::json!({
            "reason": serde_json::to_value(reason).unwrap_or_default(),
            "authenticated": reason.authenticated(),
            "record": record,
        });
        // A proven reset first takes everyone's access away, then marks the
        // binding stale: whoever sees the stale binding never sees access
        // that the lock no longer holds.
        if reason.authenticated() {
            // A proven reset erased every user: nobody keeps access there.
            // Keep the counter from before it, for the verification report.
            let before = match reason {
                ResetReason::ResetCounterAdvanced { from, .. } => Some(i64::from(from)),
                ResetReason::ResetNotice { reset_counter }
                | ResetReason::ResetRecord { reset_counter } => {
                    Some(i64::from(reset_counter.saturating_sub(1)))
                }
                ResetReason::Statement { .. } => Some(lock.reset_counter),
                _ => None,
            };
            self.access_lock_reset(lock.id, before).await?;
        }
        let Some((after, changed)) = store.mark_stale(lock.id, &why, counter).await? else {
            return Ok(());
        };
        if changed {
            // In setup mode with its reset counter where the claim left it: the
            // lock did not reset, it lost its state (a damaged flash recovered
            // to setup mode, counted on the lock apart from factory resets).
            let wiped = matches!(reason, ResetReason::Statement { reset_counter, setup_mode: true }
                if i64::from(reset_counter) == lock.reset_counter);
            let (kind, msg) = if wiped {
                (AlertKind::FlashDamaged, AlertKind::FlashDamaged.text())
            } else if reason.authenticated() {
                (
                    AlertKind::ResetDetected,
                    "the lock was factory reset: binding stale, re-claim or release it",
                )
            } else {
                (
                    AlertKind::ResetDetected,
                    "the lock answers under a new key (probably factory reset): binding stale, re-claim or release it",
                )
            };
            self.raise(lock, kind, Some(msg), now_ms).await?;
        }
        // A reset the hub asked for happened: that operation is applied; the
        // rest can never be delivered with this binding.
        let code = if reason.authenticated() {
            "the lock was factory reset"
        } else {
            "binding_stale"
        };
        store
            .end_open_ops(
                lock.id,
                code,
                &[OpName::FactoryReset, OpName::ManufacturerReset],
                now_ms,
            )
            .await?;
        match after.intent.as_deref() {
            Some("release") => {
                store
                    .unbind_lock(after.id, None, "released", now_ms)
                    .await?;
            }
            Some("transfer") => {
                store
                    .unbind_lock(after.id, after.transfer_to_org, "transferred", now_ms)
                    .await?;
            }
            _ => {}
        }
        if after.claim_state == ClaimState::ResetBindingStale {
            tracing::warn!(serial = after.serial, "lock reset detected: binding stale");
        }
        Ok(())
    }
}
