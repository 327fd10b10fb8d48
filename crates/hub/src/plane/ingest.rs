//! What locks report on their own: presence (from the broker's status
//! topic), telemetry and events, each with the alerts it raises. Input from
//! the untrusted broker: unknown serials change nothing.

use super::{invalid, LockPlane, PlaneError};
use crate::model::{is_valid_serial, AlertKind, ClaimState, Lock, Presence, SERIAL_RULE};
use crate::store::events::{IngestOutcome, NewEvent};

fn check_serial(s: &str) -> Result<String, PlaneError> {
    if is_valid_serial(s) {
        Ok(s.to_owned())
    } else {
        Err(invalid("serial", SERIAL_RULE))
    }
}

impl LockPlane {
    /// The broker reported a lock's availability (`status` topic). Only
    /// locks the hub already knows are updated; other serials are ignored
    /// (`Ok(None)`), so anyone publishing on the untrusted broker cannot
    /// make the hub create rows. Going offline while claimed raises a
    /// `lock_offline` alert (a flapping link counts in that one alert);
    /// coming back clears it. The broker is untrusted, so this only moves
    /// presence and alerts, never the binding or access.
    ///
    /// `offline` about a claimed lock shown online is a claim anyone can
    /// publish (retained, it even outlives the attacker): the lock is
    /// challenged and the claim believed only if the lock says nothing
    /// authenticated for [`super::PRESENCE_CONFIRM`] and no newer presence
    /// arrives; an answer wins, and the claim is counted as rejected.
    pub async fn lock_presence(
        &self,
        serial: &str,
        online: bool,
    ) -> Result<Option<Lock>, PlaneError> {
        let serial = check_serial(serial)?;
        let Some(before) = self.store.lock_by_serial(&serial).await? else {
            return Ok(None);
        };
        let msg = self.probes.presence_message(before.id);
        if !online
            && before.online
            && before.claim_state == ClaimState::Claimed
            && self.link.is_some()
        {
            // Only an answer to this challenge counts: frames the lock sent
            // before it went may still be queued behind this message.
            let challenge = self.challenge(&serial).await.ok();
            let plane = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(plane.presence_confirm).await;
                if let Err(e) = plane.confirm_offline(&serial, msg, challenge).await {
                    tracing::warn!(serial, error = %e, "could not record presence");
                }
            });
            return Ok(Some(before));
        }
        self.set_presence(&serial, &before, online).await
    }

    /// The lock `serial` was said `offline` (presence message number `msg`,
    /// and the hub sent it `challenge`) a while ago: believed unless a newer
    /// presence came or the lock answered the challenge, signed.
    async fn confirm_offline(
        &self,
        serial: &str,
        msg: u64,
        challenge: Option<[u8; 16]>,
    ) -> Result<(), PlaneError> {
        let Some(before) = self.store.lock_by_serial(serial).await? else {
            return Ok(());
        };
        if self.probes.presence_count(before.id) != msg {
            return Ok(());
        }
        if challenge.is_some_and(|c| self.challenges.was_answered(serial, &c)) {
            self.store.count_rejected(before.id).await?;
            tracing::info!(
                serial,
                "an `offline` status contradicted by the lock's authenticated answer: ignored"
            );
            return Ok(());
        }
        self.set_presence(serial, &before, false).await.map(|_| ())
    }

    async fn set_presence(
        &self,
        serial: &str,
        before: &Lock,
        online: bool,
    ) -> Result<Option<Lock>, PlaneError> {
        let now = self.now_ms();
        let Some(lock) = self.store.set_online(serial, online, now).await? else {
            return Ok(None);
        };
        if lock.claim_state == ClaimState::Claimed {
            if before.online && !online {
                self.raise(&lock, AlertKind::LockOffline, None, now).await?;
            } else if online {
                self.clear(&lock, AlertKind::LockOffline, now).await?;
            }
        }
        if !online && before.presence == Presence::Unresponsive {
            // Not "connected but not answering" any more: offline says it.
            self.clear(&lock, AlertKind::LockUnresponsive, now).await?;
        }
        // No challenge on `online`: the lock states its reset state unsolicited
        // at every (re)connect (and this handler had no link until the hub
        // gave it one for the `offline` challenge above).
        Ok(Some(lock))
    }

    /// An operation sent to a lock at `since_ms` went unanswered for the
    /// resend delay: a lock the broker shows connected becomes
    /// `unresponsive` (frozen firmware), with a `lock_unresponsive` alert.
    /// It is `online` again at its next authenticated frame.
    pub async fn lock_unanswered(&self, lock_id: i64, since_ms: i64) -> Result<(), PlaneError> {
        if !self.leases.holds(lock_id) {
            // The lease holder waits for that lock's answers, not this hub.
            return Ok(());
        }
        let now = self.now_ms();
        if let Some(lock) = self.store.mark_unresponsive(lock_id, since_ms).await? {
            tracing::info!(
                serial = lock.serial,
                "the lock is connected but does not answer"
            );
            if lock.claim_state == ClaimState::Claimed {
                self.raise(&lock, AlertKind::LockUnresponsive, None, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Unauthenticated telemetry: battery and reset counter. The battery
    /// level raises or clears `battery_low` (≤ 20 %) and `battery_critical`
    /// (≤ 5 %). A higher reset counter on a claimed lock is only a claim: it
    /// raises `forged_status` and challenges the lock for its signed
    /// statement, but changes no state (the broker is untrusted).
    pub async fn lock_telemetry(
        &self,
        serial: &str,
        battery_pct: Option<i64>,
        reset_counter: i64,
    ) -> Result<Lock, PlaneError> {
        let serial = check_serial(serial)?;
        if battery_pct.is_some_and(|b| !(0..=100).contains(&b)) {
            return Err(invalid("battery_pct", "0..=100"));
        }
        let now = self.now_ms();
        let seen = self.store.lock_seen(&serial, now).await?;
        let (lock, reset) = self
            .store
            .record_telemetry(seen.id, battery_pct, reset_counter, now)
            .await?
            .ok_or(PlaneError::NotFound)?;
        if reset {
            let msg = format!(
                "unauthenticated telemetry claims reset counter {reset_counter}: nothing changed, the lock was asked for signed evidence"
            );
            self.raise(&lock, AlertKind::ForgedStatus, Some(&msg), now)
                .await?;
            self.challenge_quietly(&serial).await;
        }
        if let Some(b) = battery_pct {
            self.battery_level(&lock, b, now).await?;
        }
        Ok(lock)
    }

    /// Stores an event from a lock (after the broker link decoded it).
    /// Duplicates change nothing; a sequence gap raises an `event_gap` alert;
    /// alarm kinds raise their alert.
    pub async fn ingest_event(
        &self,
        serial: &str,
        seq: i64,
        kind: &str,
        at_ms: i64,
        data: &serde_json::Value,
    ) -> Result<IngestOutcome, PlaneError> {
        let serial = check_serial(serial)?;
        if seq < 0 {
            return Err(invalid("seq", "must not be negative"));
        }
        let now = self.now_ms();
        let lock = self.store.lock_seen(&serial, now).await?;
        let outcome = self
            .store
            .ingest_event(
                NewEvent {
                    lock_id: lock.id,
                    seq,
                    kind,
                    at: at_ms,
                    data,
                },
                now,
            )
            .await?;
        if let IngestOutcome::StoredAfterGap {
            first_missing,
            last_missing,
            ..
        } = &outcome
        {
            let msg =
                format!("events {first_missing}..={last_missing} missing from the lock's log");
            self.raise(&lock, AlertKind::EventGap, Some(&msg), now)
                .await?;
        }
        if matches!(
            outcome,
            IngestOutcome::Stored(_) | IngestOutcome::StoredAfterGap { .. }
        ) {
            self.metrics.events_ingested(1);
            if let Some(k) = super::alerts::for_event(kind) {
                self.raise(&lock, k, None, now).await?;
            }
            // A change at the door (keypad admin menu): read the settings again.
            if kind == super::names::action(tumbler_control::proto::Action::SettingsChange) {
                self.refresh_settings(&lock, crate::model::OpName::SetSettings, now)
                    .await?;
            }
        }
        Ok(outcome)
    }
}
